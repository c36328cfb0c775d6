"""The SMS channel: an inbound SMS (number, text, message id) in, the SMS answering it out.

A thin adapter: it turns the sender into an E.164 number and the SMS into an `Inbound` with the
`sms` text profile, makes one engine call, and renders the replies for SMS. Everything the
channel's sessions need (STOP and START, unknown numbers, answers by number or words, the number
that stays bound to its own guardian's account) is the engine's SMS policy, in
`flows/sessions.py`, run in the event's one transaction.

Each SMS is handled once: a `MessageSid` already handled is dropped (no second effect, no second
answer). The answers are queued in the outbox as SMS (sent by the outbox sender through the
gateway, with its retries) in the event's transaction, or returned to be sent as TwiML, as
configured. Logs carry the `MessageSid` and a hash of the number, never the number or the text.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re
from collections.abc import Callable
from datetime import datetime

from flows.engine import Engine
from flows.exchange import Inbound, Reply
from flows.ports import Store
from flows.rules.errors import DomainError
from flows.rules.identity import normalize_mobile
from flows.rules.model import OutMessage
from flows.texts import SMS_PROFILE

from ...sending.sender import OutboxSender
from .render import render

CHANNEL = "sms"
REPLY_OUTBOX = "outbox"
REPLY_TWIML = "twiml"
log = logging.getLogger(__name__)


def reference(number: str) -> str:
    """What the logs say instead of a number: the start of its SHA-256."""
    return hashlib.sha256(number.encode()).hexdigest()[:12]


def e164(raw: str) -> str | None:
    """The sender as an E.164 number, or None (a short code or a sender name cannot be answered)."""
    text = raw.strip()
    if re.fullmatch(r"\+[1-9]\d{5,14}", text):
        return text
    try:
        return normalize_mobile(text)
    except DomainError:
        return None


def inbound(number: str, text: str, message_id: str, media: bool) -> Inbound:
    """What the SMS says to the engine: its text, or that it held only what the bot cannot read."""
    if media and not text.strip():
        return Inbound(CHANNEL, number, media="unsupported", message_id=message_id,
                       profile=SMS_PROFILE)
    return Inbound(CHANNEL, number, text=text, message_id=message_id, profile=SMS_PROFILE)


class SmsChannel:
    def __init__(self, engine: Engine, store: Store, clock: Callable[[], datetime],
                 reply: str = REPLY_OUTBOX, sender: OutboxSender | None = None) -> None:
        if reply not in (REPLY_OUTBOX, REPLY_TWIML):
            raise ValueError(f"reply must be {REPLY_OUTBOX} or {REPLY_TWIML}")
        self.engine = engine
        self.store = store
        self.clock = clock
        self.reply = reply
        self.sender = sender
        self._tasks: set[asyncio.Task] = set()

    async def receive(self, sender: str, text: str, message_id: str, media: bool = False) -> list[str]:
        """Handle one inbound SMS. Returns the SMS to answer inline (TwiML); with replies by the
        outbox, they are queued with the event instead and nothing is returned."""
        number = e164(sender)
        if number is None:
            log.info("SMS %s from a sender that cannot be answered: ignored", message_id)
            return []
        texts: list[str] = []

        def keep(replies: list[Reply]) -> None:
            """In the event's transaction: the answers, queued with the state they show."""
            texts[:] = [sms for reply in replies for sms in render(reply)]
            if self.reply == REPLY_OUTBOX:
                self._queue(number, texts, message_id)

        # The engine runs one number's messages in order (its lock per conversation).
        await self.engine.handle(inbound(number, text, message_id, media), within=keep)
        log.info("SMS %s from %s: %d answer(s)", message_id, reference(number), len(texts))
        if self.reply == REPLY_TWIML:
            return texts
        if texts:
            self._send_soon()
        return []

    def _queue(self, number: str, texts: list[str], message_id: str) -> None:
        """Queue the answers in the event's transaction (deduplicated by the message id)."""
        now = self.clock()
        for index, text in enumerate(texts):
            self.store.enqueue(OutMessage("sms", number, text,
                                          dedupe_key=f"sms:reply:{message_id}:{index}"), now)

    def _send_soon(self) -> None:
        """Send the queued answers now rather than at the sender's next look (passes never overlap)."""
        if self.sender is None:
            return
        task = asyncio.create_task(self.sender.send_due())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
