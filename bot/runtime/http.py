"""The bot's own HTTP server (ASGI: Starlette under uvicorn): the Telegram webhook for now.

`POST /telegram/webhook` accepts an update only with Telegram's secret-token header equal to the
configured secret (compared in constant time); anything else is refused with 403 and no effect.
`POST /sms/inbound` (bot/channels/sms/webhook.py) is added when SMS inbound is configured.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
WEBHOOK_PATH = "/telegram/webhook"
CONSOLE_PATH = "/console"
log = logging.getLogger(__name__)

Feed = Callable[[dict[str, Any]], Awaitable[None]]


def create_app(telegram_feed: Feed | None = None, telegram_secret: str = "",
               console: Starlette | None = None,
               channel_routes: Sequence[BaseRoute] = ()) -> Starlette:
    """The bot's routes; `console` (the school's web console, `bot.school.console`) is mounted at
    `/console` when given; `channel_routes` are the other channels' (the SMS webhook)."""
    async def health(request: Request) -> Response:
        return JSONResponse({"ok": True})

    routes: list[BaseRoute] = [Route("/healthz", health, methods=["GET"])]
    if telegram_feed is not None:
        routes.append(Route(WEBHOOK_PATH, _telegram_webhook(telegram_feed, telegram_secret),
                            methods=["POST"]))
    if console is not None:
        routes.append(Mount(CONSOLE_PATH, app=console))
    routes.extend(channel_routes)
    return Starlette(routes=routes)


def _telegram_webhook(feed: Feed, secret: str) -> Callable[[Request], Awaitable[Response]]:
    """`POST /telegram/webhook`: an update with the right secret header is fed to the transport."""
    async def telegram_webhook(request: Request) -> Response:
        given = request.headers.get(SECRET_HEADER, "")
        if not secret or not hmac.compare_digest(given.encode(), secret.encode()):
            return JSONResponse({"ok": False}, status_code=403)
        try:
            update = await request.json()
        except ValueError:
            return JSONResponse({"ok": False}, status_code=400)
        if not isinstance(update, dict) or not isinstance(update.get("update_id"), int):
            return JSONResponse({"ok": False}, status_code=400)
        await feed(update)
        return JSONResponse({"ok": True})
    return telegram_webhook
