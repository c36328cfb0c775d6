"""The outbox sender: takes due messages in order, sends each through its transport, records it.

Every message is in the outbox before anything is sent (written in the transaction of the change
that caused it), so nothing is lost on a restart: what was not marked sent is sent after it.
A temporary failure reschedules the message with exponential back-off (or the provider's
`retry_after`); after `max_attempts` tries, or on a permanent failure, the message is set aside with
the reason (`python -m bot outbox` shows it). Each result is committed right after the send: a
restart can repeat only a message whose send succeeded in the instant before the process died
(see docs/DESIGN.md for what each channel does about that).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Protocol

from aiolimiter import AsyncLimiter

from flows.ports import Outbox, UnitOfWork

from .base import Outgoing, PermanentFailure, TemporaryFailure, Transport

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
FIRST_DELAY = timedelta(seconds=30)
MAX_DELAY = timedelta(hours=1)


def backoff(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min … capped at one hour."""
    return min(FIRST_DELAY * (2 ** max(attempts - 1, 0)), MAX_DELAY)


class SendingStore(UnitOfWork, Outbox, Protocol):
    """What the sender needs of the storage: the outbox port, in transactions."""


class OutboxSender:
    def __init__(self, store: SendingStore, transports: dict[str, Transport],
                 clock: Callable[[], datetime], rates: dict[str, float] | None = None,
                 max_attempts: int = MAX_ATTEMPTS) -> None:
        self.store = store
        self.transports = transports
        self.clock = clock
        self.max_attempts = max_attempts
        # Messages per second per kind of transport: the channel's own limits, or the provider's.
        # One message per 1/rate seconds, without a burst: a burst of `rate` at once could itself
        # exceed what Telegram tolerates in one second.
        self._limiters = {kind: AsyncLimiter(1, 1 / rate) for kind, rate in (rates or {}).items()}
        self._pass = asyncio.Lock()  # two passes at once could both send the same row

    def _route(self, message: Outgoing) -> str:
        """The transport key: "sms", "email", or "push:<channel>" for a chat message."""
        if message.kind == "push":
            return "push:" + message.recipient.split(":", 1)[0]
        return message.kind

    async def send_due(self, limit: int = 100) -> int:
        """Send what is due now; returns how many messages were handled (sent or not)."""
        async with self._pass:
            rows = self.store.due_messages(self.clock(), limit)
            for row in rows:
                await self._send(Outgoing.from_row(row))
            return len(rows)

    async def _send(self, message: Outgoing) -> None:
        if message.expires_at is not None and self.clock() > message.expires_at:
            self._record(message, PermanentFailure("expired before it could be sent"))
            return
        route = self._route(message)
        transport = self.transports.get(route) or self.transports.get(message.kind)
        if transport is None:
            self._record(message, PermanentFailure(f"no transport for {route}"))
            return
        limiter = self._limiters.get(route) or self._limiters.get(message.kind)
        if limiter is not None:
            await limiter.acquire()
        try:
            await transport.send(message)
        except (TemporaryFailure, PermanentFailure) as failure:
            self._record(message, failure)
        except Exception as exc:  # a bug in a transport must not stop the others
            log.exception("sending outbox message %s failed", message.id)
            self._record(message, TemporaryFailure(f"{type(exc).__name__}: {exc}"))
        else:
            with self.store.transaction():
                self.store.mark_sent(message.id, self.clock())

    def _record(self, message: Outgoing, failure: TemporaryFailure | PermanentFailure) -> None:
        tries = message.attempts + 1
        with self.store.transaction():
            if isinstance(failure, PermanentFailure):
                self.store.set_aside(message.id, failure.reason)
            elif tries >= self.max_attempts:
                self.store.set_aside(message.id, f"gave up after {tries} tries: {failure.reason}")
            else:
                wait = (timedelta(seconds=failure.retry_after) if failure.retry_after is not None
                        else backoff(tries))
                self.store.retry_later(message.id, self.clock() + wait, failure.reason)

    async def run(self, stop: asyncio.Event, every: float = 1.0) -> None:
        """Send due messages until `stop` is set, looking again every `every` seconds."""
        while not stop.is_set():
            try:
                handled = await self.send_due()
            except Exception:
                log.exception("outbox sender pass failed")
                handled = 0
            if handled:
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=every)
