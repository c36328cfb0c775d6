"""Serving the bot's HTTP server (with the console) from `python -m bot run`.

The port is bound before the server starts, so a port already in use is known at once: in
terminal or polling mode the bot runs on without its console (one warning line); in webhook mode,
where Telegram's updates need the server, it stops with one `error:` line (exit status 2).
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import sys

import uvicorn
from starlette.applications import Starlette

from .app import create_console


def console_for(app) -> Starlette:
    """The console on the running bot's store, clock, hasher and hashing thread (`runtime.bootstrap.App`)."""
    return create_console(app.store, app.clock, app.hasher, executor=app.engine.executor,
                          insecure_cookies=app.config.console_insecure_cookies)


def bind(host: str, port: int) -> socket.socket:
    family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
    except OSError:
        sock.close()
        raise
    return sock


async def serve_on(http_app: Starlette, sock: socket.socket, stop: asyncio.Event) -> None:
    """Run uvicorn on an already bound socket until `stop` is set (or the task is cancelled)."""
    server = uvicorn.Server(uvicorn.Config(http_app, log_level="warning", lifespan="off"))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        await stop.wait()
    finally:
        server.should_exit = True
        with contextlib.suppress(Exception):
            await asyncio.wait_for(asyncio.shield(task), timeout=10)
        sock.close()


def serve_http(http_app: Starlette, app, stop: asyncio.Event, *,
               required: bool = False) -> list[asyncio.Task]:
    """Start the HTTP server task on HTTP_HOST:HTTP_PORT; [] when the port cannot be had."""
    host, port = app.config.http_host, app.config.http_port
    try:
        sock = bind(host, port)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        if required:
            print(f"error: cannot listen on {host}:{port} ({reason}); set HTTP_HOST/HTTP_PORT",
                  file=sys.stderr)
            raise SystemExit(2) from None
        print(f"warning: the school console is not served: cannot listen on {host}:{port} "
              f"({reason}); set HTTP_PORT", file=sys.stderr)
        return []
    shown = f"[{host}]" if ":" in host else host
    print(f"school console: http://{shown}:{sock.getsockname()[1]}/console/", file=sys.stderr)
    return [asyncio.create_task(serve_on(http_app, sock, stop))]
