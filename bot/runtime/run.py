"""`python -m bot run`: every configured channel, the bot's HTTP server and the idle sweep.

With a Telegram token, the bot runs on Telegram (python-telegram-bot by default, or the httpx
transport, which is also used when python-telegram-bot cannot be imported), by long polling or,
with `TELEGRAM_WEBHOOK_URL`, through `POST /telegram/webhook` on the HTTP server. Without one, the
terminal chat opens as before. In both cases the HTTP server (HTTP_HOST:HTTP_PORT) serves the school
console at `/console/` beside the chat. With SMS_INBOUND=1 it serves `POST /sms/inbound` too, beside
Telegram, or alone without a Telegram token (then no terminal chat: `python -m bot chat` is there).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys

from starlette.routing import BaseRoute

from ..channels.sms.webhook import INBOUND_PATH
from ..channels.sms.wiring import build_webhook
from ..channels.telegram.channel import ALLOWED_UPDATES
from ..channels.terminal import TerminalChat
from ..school.console.serving import console_for, serve_http
from ..sending.sender import OutboxSender
from . import reminders
from .bootstrap import App, make_sender
from .config import TelegramConfig
from .http import WEBHOOK_PATH, create_app

IDLE_SWEEP_SECONDS = 60
log = logging.getLogger(__name__)


def telegram_transport(app: App, settings: TelegramConfig):
    """The configured transport; the httpx one when python-telegram-bot is not installed."""
    options = app.transport_options
    if settings.transport == "ptb":
        try:
            from ..channels.telegram.via_ptb import PtbTransport
        except ImportError:
            print("note: python-telegram-bot cannot be imported; using the httpx transport",
                  file=sys.stderr)
        else:
            return PtbTransport(app.engine, settings.token, settings.base_url,
                                webhook=settings.webhook_url is not None, **options)
    from ..channels.telegram.via_httpx import HttpxTransport

    return HttpxTransport(app.engine, settings.token, settings.base_url, **options)


async def sweep_idle(app: App, stop: asyncio.Event) -> None:
    """End idle sessions every minute, so the recap of an abandoned session still leaves."""
    while not stop.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=IDLE_SWEEP_SECONDS)
        app.engine.end_idle_sessions()


async def run_telegram(app: App, stop: asyncio.Event) -> None:
    settings = app.config.telegram
    if settings is None:
        raise ValueError("the Telegram channel runs only with TELEGRAM_BOT_TOKEN set")
    transport = telegram_transport(app, settings)
    sender = make_sender(app, sys.stdout, transport.channel.api)
    tasks = [asyncio.create_task(sweep_idle(app, stop)), asyncio.create_task(sender.run(stop)),
             asyncio.create_task(reminders.run_reminders(app.store, app.clock, stop))]
    webhook_params = None
    if settings.webhook_url is not None:
        url = settings.webhook_url.rstrip("/")
        if not url.endswith(WEBHOOK_PATH):
            url += WEBHOOK_PATH
        webhook_params = {"url": url, "secret_token": settings.webhook_secret,
                          "allowed_updates": ALLOWED_UPDATES}
    # The HTTP server always runs, for the school console; with the webhook it must (see serving).
    feed = transport.feed if webhook_params else None
    tasks += serve_http(create_app(feed, settings.webhook_secret, console=console_for(app),
                                   channel_routes=sms_routes(app, sender)), app,
                        stop, required=feed is not None or app.config.sms_inbound is not None)
    try:
        await transport.run(stop, webhook_params)
    finally:
        stop.set()
        await asyncio.gather(*tasks, return_exceptions=True)


async def run(app: App) -> int:
    if app.config.telegram is None and app.config.sms_inbound is not None:
        return await run_sms(app)
    if app.config.telegram is None:
        return await run_terminal(app, "local", serve=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    print(f"orientation bot running on Telegram ({app.config.telegram.transport}, "
          f"{'webhook' if app.config.telegram.webhook_url else 'polling'}); Ctrl-C stops it",
          file=sys.stderr)
    try:
        await run_telegram(app, stop)
    except Exception as exc:  # a refused token or an unreachable Bot API at start-up
        if not _is_refused_token(exc):
            raise
        print("error: Telegram refused TELEGRAM_BOT_TOKEN (check it with BotFather)",
              file=sys.stderr)
        return 2
    return 0


def _is_refused_token(exc: Exception) -> bool:
    from ..channels.telegram.api import BotApiError

    if isinstance(exc, BotApiError):
        return exc.code in (401, 404)
    return type(exc).__name__ == "InvalidToken"  # python-telegram-bot's, without importing it


def sms_routes(app: App, sender: OutboxSender) -> list[BaseRoute]:
    """`POST /sms/inbound` when SMS inbound is configured (SMS_INBOUND=1), else nothing."""
    settings = app.config.sms_inbound
    webhook = build_webhook(app, sender)
    if settings is None or webhook is None:
        return []
    host, port = app.config.http_host, app.config.http_port
    shown = f"[{host}]" if ":" in host else host
    print(f"SMS webhook: http://{shown}:{port}{INBOUND_PATH} (signature checked against "
          f"{webhook.webhook_url or 'the URL requested'}; answers by {settings.reply})",
          file=sys.stderr)
    return [webhook.route()]


async def run_sms(app: App) -> int:
    """SMS without Telegram, until SIGINT or SIGTERM."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    await serve_sms(app, stop)
    return 0


async def serve_sms(app: App, stop: asyncio.Event) -> None:
    """The HTTP server (SMS webhook and school console), the outbox sender, the reminders and the
    idle sweep, until `stop` is set."""
    sender = make_sender(app, sys.stdout)
    tasks = [asyncio.create_task(sweep_idle(app, stop)), asyncio.create_task(sender.run(stop)),
             asyncio.create_task(reminders.run_reminders(app.store, app.clock, stop))]
    tasks += serve_http(create_app(console=console_for(app), channel_routes=sms_routes(app, sender)),
                        app, stop, required=True)
    print("orientation bot running on SMS; Ctrl-C stops it", file=sys.stderr)
    try:
        await stop.wait()
    finally:
        stop.set()
        await asyncio.gather(*tasks, return_exceptions=True)


async def run_terminal(app: App, address: str, serve: bool = False) -> int:
    """The terminal chat; with `serve` (`python -m bot run`) the HTTP server and its school
    console run beside it, on the same event loop and database."""
    stop = asyncio.Event()
    sender = make_sender(app, sys.stdout)
    tasks = [asyncio.create_task(sweep_idle(app, stop)), asyncio.create_task(sender.run(stop)),
             asyncio.create_task(reminders.run_reminders(app.store, app.clock, stop))]
    if serve:
        tasks += serve_http(create_app(console=console_for(app)), app, stop)
    try:
        return await TerminalChat(app.engine, sender, address=address).run()
    finally:
        stop.set()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
