"""Chat messages pushed by the outbox (recaps, reminders, notifications) to a bound chat.

`TelegramPush` sends with the Telegram channel's API and retry policy, at most one message per
second per chat (Telegram's limit; the sender's limiter keeps the overall 30 per second). Its clock
and its sleep are given (the monotonic clock and asyncio's sleep by default), so a test checks the
schedule it keeps rather than gaps measured on a loaded machine.
`PrintedPush` is the embedded default: it prints the message as a marked line.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import TextIO

from bot.channels.telegram.api import BotApi, BotApiError

from . import printed
from .base import Outgoing, PermanentFailure, TemporaryFailure

PER_CHAT_INTERVAL = 1.0


class TelegramPush:
    def __init__(self, api: BotApi, per_chat_interval: float = PER_CHAT_INTERVAL,
                 clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        self.api = api
        self.interval = per_chat_interval
        self.clock = clock
        self.sleep = sleep
        self._last: dict[str, float] = {}

    async def _pace(self, chat: str) -> None:
        now = self.clock()
        self._last = {c: at for c, at in self._last.items() if now - at < self.interval}
        wait = self._last.get(chat, now - self.interval) + self.interval - now
        if wait > 0:
            await self.sleep(wait)
        self._last[chat] = self.clock()

    async def send(self, message: Outgoing) -> None:
        chat = message.recipient.split(":", 1)[1]
        await self._pace(chat)
        try:
            await self.api.call("sendMessage", {"chat_id": int(chat), "text": message.body[:4096]})
        except BotApiError as error:
            if error.retry_after is not None or error.temporary:
                raise TemporaryFailure(error.description, error.retry_after) from error
            raise PermanentFailure(f"Telegram {error.code}: {error.description}") from error


class PrintedPush:
    def __init__(self, out: TextIO) -> None:
        self.out = out

    async def send(self, message: Outgoing) -> None:
        print(printed.format_message({"kind": "push", "recipient": message.recipient,
                                             "body": message.body, "subject": message.subject}),
              file=self.out, flush=True)
