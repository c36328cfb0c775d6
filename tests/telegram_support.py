"""Running the bot on Telegram against the Bot API double, for the Telegram tests."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator
from pathlib import Path

from bot.runtime.bootstrap import App, build
from bot.runtime.config import Config, TelegramConfig
from bot.runtime.run import run_telegram

from .botapi.double import BotApiDouble
from .support import Clock, light_hasher

CLAIRE, KARIM = 1001, 1002


WEBHOOK_SECRET = "test-secret-0123456789"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.asynccontextmanager
async def running_bot(double: BotApiDouble, tmp: Path, transport: str, clock: Clock,
                      webhook_port: int | None = None, **transport_options) -> AsyncIterator[App]:
    """The bot's whole Telegram service (polling the double, or its webhook on `webhook_port`)."""
    webhook_url = f"http://127.0.0.1:{webhook_port}" if webhook_port else None
    config = Config(tmp / "orientation.sqlite3", None, "NORMAL", True,
                    TelegramConfig(double.token, double.base_url, transport, webhook_url,
                                   WEBHOOK_SECRET if webhook_port else ""),
                    http_port=webhook_port or 8080)
    app = build(config, light_hasher(), clock)
    stop = asyncio.Event()
    app.transport_options = {"timeout": 3.0, "poll_timeout": 1, **transport_options}
    task = asyncio.create_task(run_telegram(app, stop))
    try:
        yield app
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=30)
        app.store.close()


def last_code(app: App, mobile: str) -> str:
    import re

    bodies = [m["body"] for m in app.store.outbox() if m["recipient"] == mobile]
    return re.search(r"\b(\d{6})\b", bodies[-1]).group(1)
