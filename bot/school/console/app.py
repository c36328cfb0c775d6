"""The console's ASGI application (Starlette), mounted at `/console` on the bot's HTTP server.

`create_console(store, clock, hasher)` builds it; `bot/runtime/http.py`'s `create_app(console=…)` mounts it.
Pages are rendered on the server with Jinja2 and work without JavaScript.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Executor
from datetime import datetime
from pathlib import Path

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from flows.ports import Hasher, Store

from .auth import Auth
from .views import Console

STATIC = Path(__file__).parent / "static"
SECURITY_HEADERS = [
    (b"content-security-policy", b"default-src 'none'; style-src 'self'; img-src 'self'; "
                                 b"script-src 'self'; form-action 'self'; frame-ancestors 'none'; "
                                 b"base-uri 'none'"),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
]


class SecurityHeaders:
    """Headers on every answer; pages (personal data) are never cached, static files may be."""

    def __init__(self, app: ASGIApp, static_prefix: str) -> None:
        self.app = app
        self.static_prefix = static_prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        static = scope["path"].startswith(self.static_prefix)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", [])) + SECURITY_HEADERS
                if not static:
                    headers.append((b"cache-control", b"no-store"))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def create_console(store: Store, clock: Callable[[], datetime], hasher: Hasher, *,
                   executor: Executor | None = None, insecure_cookies: bool = False,
                   base: str = "/console") -> Starlette:
    """The console for `store`; `base` is where `create_app` mounts it."""
    console = Console(store, clock, Auth(store, hasher, clock, executor), base=base,
                      insecure_cookies=insecure_cookies)

    async def http_error(request: Request, exc: Exception) -> Response:
        code = exc.status_code if isinstance(exc, HTTPException) else 500
        if code == 404:
            return console.not_found(request, None)
        return console.error(request, None, code, "Requête refusée",
                             "Cette adresse ne s'utilise pas ainsi. Revenez au tableau de bord.")

    routes = [
        Route("/", console.home, methods=["GET"]),
        Route("/connexion", console.login_page, methods=["GET"]),
        Route("/connexion", console.login, methods=["POST"]),
        Route("/deconnexion", console.logout, methods=["POST"]),
        Route("/tableau", console.dashboard, methods=["GET"]),
        Route("/export.csv", console.export, methods=["GET"]),
        Route("/eleves/{student_id}", console.student, methods=["GET"]),
        Route("/eleves/{student_id}/avis", console.record_opinion, methods=["POST"]),
        Route("/eleves/{student_id}/propositions", console.record_proposals, methods=["POST"]),
        Route("/eleves/{student_id}/decision", console.record_decision, methods=["POST"]),
        Route("/classes/publier", console.publish_page, methods=["GET"]),
        Route("/classes/publier", console.publish, methods=["POST"]),
        Route("/parametres", console.settings, methods=["GET"]),
        Route("/parametres/calendrier", console.save_calendar, methods=["POST"]),
        Route("/parametres/relances", console.save_reminders, methods=["POST"]),
        Route("/import", console.imports, methods=["GET"]),
        Route("/import/base", console.import_school_base, methods=["POST"]),
        Route("/import/{kind}", console.import_council, methods=["POST"]),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]
    app = Starlette(routes=routes, exception_handlers={404: http_error, 405: http_error})
    app.add_middleware(SecurityHeaders, static_prefix=f"{base}/static/")
    app.state.console = console
    return app
