"""The SMS channel's core: an inbound SMS (number, text, message id) in, the SMS answering it out.

Who may text: a number on file as a guardian's mobile talks to the dialogues (conversation
`sms:<E.164 number>`); any other number gets one neutral answer a day that says nothing of anyone.
Nothing personal is shown before the guardian proves who they are, as in every channel (the
activation by SMS code and the children's birth dates, or the log-in). Once a conversation is
bound to the account of the guardian whose mobile it is, the number **stays bound**: when the
session ends (30 minutes idle) the recaps leave as usual, and the next SMS from that number opens
the services menu again without a password. Logging out (/deconnexion, "Se déconnecter") ends
that. A number logged in to another person's account (with that person's password) is bound for
the session only, and is never where that account's reminders and notifications go.

An answer is a number ("2"), an option's words ("valider", "retour"; typed in full, or, on a screen
that asks for no text, the start of one option only), a keyword in any case (AIDE, MENU, ANNULER;
an option with that word comes first), or free text. STOP stops the reminders by SMS to the number
(confirmed, kept until START); it changes nothing else, in the middle of a dialogue too.

Each SMS is handled once: a `MessageSid` already handled is dropped (no second effect, no second
answer). The answers are queued in the outbox as SMS (sent by the outbox sender through the
gateway, with its retries) or returned to be sent as TwiML, as configured. Logs carry the
`MessageSid` and a hash of the number, never the number or the text.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re
from collections import defaultdict
from collections.abc import Callable
from datetime import datetime

from flows.dialogue.machine import TRIGGERS
from flows.engine import Engine
from flows.exchange import Inbound, Reply
from flows.ports import Store
from flows.rules.accounts import IDLE_TIMEOUT
from flows.rules.errors import DomainError
from flows.rules.identity import fold, normalize_mobile
from flows.rules.model import AccountKind, Conversation, OutMessage
from flows.texts import t

from ...sending.sender import OutboxSender
from ..options import by_number
from .render import label, render, sms_text

CHANNEL = "sms"
REPLY_OUTBOX = "outbox"
REPLY_TWIML = "twiml"
STOP_WORDS = frozenset({"stop", "arret", "arreter"})
START_WORDS = frozenset({"start"})
KEYWORDS = {"aide": "/aide", "menu": "/menu", "annuler": "/annuler"}
PREFIX_MIN_LENGTH = 3
log = logging.getLogger(__name__)


def words(text: str) -> str:
    """Text as compared with an option: folded (case, accents), letters and digits only."""
    return " ".join(re.sub(r"[^\w ]+", " ", fold(text)).split())


def keyword(text: str) -> str | None:
    """"stop", "start", "aide", "menu" or "annuler" when the whole text is that word."""
    typed = words(text)
    if typed in STOP_WORDS:
        return "stop"
    if typed in START_WORDS:
        return "start"
    return typed if typed in KEYWORDS else None


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


def takes_text(conv: Conversation | None) -> bool:
    return conv is not None and "text" in TRIGGERS.get(conv.state, frozenset())


def choose(text: str, offered: list[list[str]], free_text: bool) -> str | None:
    """The data of the option `text` names: its number, or its words typed in full; on a screen
    that asks for no free text, also the first words of exactly one option."""
    index = by_number(text, len(offered))
    if index is not None:
        return offered[index][0]
    typed = words(text)
    if not typed:
        return None
    names = [(entry[0], {words(entry[2]), words(label(entry[2]))}) for entry in offered]
    exact = [data for data, forms in names if typed in forms]
    if len(exact) == 1:
        return exact[0]
    if free_text or len(typed) < PREFIX_MIN_LENGTH or keyword(text) is not None:
        return None
    starting = [data for data, forms in names
                if any((form + " ").startswith(typed + " ") for form in forms)]
    return starting[0] if len(starting) == 1 else None


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
        self._locks: dict[str, asyncio.Lock] = {}
        self._waiting: dict[str, int] = defaultdict(int)
        self._tasks: set[asyncio.Task] = set()

    # ---- entry point --------------------------------------------------------------------------

    async def receive(self, sender: str, text: str, message_id: str, media: bool = False) -> list[str]:
        """Handle one inbound SMS. Returns the SMS to answer inline (TwiML); with replies by the
        outbox, they are queued instead and nothing is returned."""
        number = e164(sender)
        if number is None:
            log.info("SMS %s from a sender that cannot be answered: ignored", message_id)
            return []
        lock = self._locks.setdefault(number, asyncio.Lock())
        self._waiting[number] += 1
        try:
            async with lock:  # one number's messages in order; numbers concurrently
                texts = await self._receive(number, text, message_id, media)
                log.info("SMS %s from %s: %d answer(s)", message_id, reference(number), len(texts))
                return self._deliver(number, texts, message_id)
        finally:
            self._waiting[number] -= 1
            if not self._waiting[number]:
                del self._waiting[number], self._locks[number]

    async def _receive(self, number: str, text: str, message_id: str, media: bool) -> list[str]:
        if self.store.inbound_seen(CHANNEL, message_id):
            log.info("SMS %s delivered again: no second effect", message_id)
            return []
        word = keyword(text)
        if word in ("stop", "start"):
            return self._stop_or_start(number, word, message_id)
        if not self.store.guardians_by_mobile(number):
            return self._unknown(number, message_id)
        return await self._dialogue(number, text, message_id, media)

    # ---- outside the dialogues ----------------------------------------------------------------

    def _stop_or_start(self, number: str, word: str, message_id: str) -> list[str]:
        now = self.clock()
        with self.store.transaction():
            if not self.store.first_delivery(CHANNEL, message_id, now):
                return []
            if word == "stop":
                self.store.sms_opt_out(number, now)
            else:
                self.store.sms_opt_in(number)
        return [sms_text(t(f"sms.channel.{word}"))]

    def _unknown(self, number: str, message_id: str) -> list[str]:
        now = self.clock()
        digest = hashlib.sha256(number.encode()).hexdigest()
        with self.store.transaction():
            if not self.store.first_delivery(CHANNEL, message_id, now):
                return []
            if not self.store.sms_unknown_reply_due(digest, now.date()):
                return []  # already answered today
        return [sms_text(t("sms.channel.unknown"))]

    # ---- the dialogues ------------------------------------------------------------------------

    async def _dialogue(self, number: str, text: str, message_id: str, media: bool) -> list[str]:
        store, now = self.store, self.clock()
        conv = store.conversation(CHANNEL, number)
        bound = store.bound_account(CHANNEL, number)
        if (bound is not None and conv is not None and conv.updated_at is not None
                and now - conv.updated_at > IDLE_TIMEOUT):
            self.engine.end_idle_sessions()  # as the minute's sweep would: the recaps leave
            bound = store.bound_account(CHANNEL, number)
        if bound is None and (account_id := self._kept_account(number)) is not None:
            return await self._resume(number, account_id, message_id)
        if conv is None:
            return await self._first_contact(number, message_id)
        queued = self._within(number, message_id, bound)
        replies = await self.engine.handle(self._inbound(number, text, message_id, media, conv),
                                           within=queued)
        if not replies:
            return []  # handled before: the engine dropped it
        if not queued.done:  # the event failed and was rolled back: its apology still goes out
            self._after_event(number, bound)
        return self._render(number, replies)

    def _inbound(self, number: str, text: str, message_id: str, media: bool,
                 conv: Conversation) -> Inbound:
        if media and not text.strip():
            return Inbound(CHANNEL, number, media="unsupported", message_id=message_id)
        offered = conv.data.get("offered", [])
        free_text = takes_text(conv)
        choice = choose(text, offered, free_text)
        if choice is not None:
            return Inbound(CHANNEL, number, choice=choice, message_id=message_id)
        word = keyword(text)
        if word in KEYWORDS:
            return Inbound(CHANNEL, number, text=KEYWORDS[word], message_id=message_id)
        return Inbound(CHANNEL, number, text=text, message_id=message_id)

    async def _first_contact(self, number: str, message_id: str) -> list[str]:
        """The first SMS of a number opens the welcome screen, whatever it says."""
        with self.store.transaction():
            if not self.store.first_delivery(CHANNEL, message_id, self.clock()):
                return []
        return self._render(number, await self.engine.show(
            CHANNEL, number, within=self._within(number, message_id, None)))

    def _owner(self, number: str, account_id: int) -> bool:
        """Whether the account is that of a guardian whose mobile on file is `number`."""
        account = self.store.account(account_id)
        if account is None or account.kind is not AccountKind.GUARDIAN or account.status != "active":
            return False
        guardian = self.store.guardian(account.person_id)
        return guardian is not None and guardian.mobile == number

    def _kept_account(self, number: str) -> int | None:
        account_id = self.store.sms_trusted_account(number)
        if account_id is None or self._owner(number, account_id):
            return account_id
        with self.store.transaction():  # the account or the number on file changed
            self.store.sms_untrust(number)
        return None

    async def _resume(self, number: str, account_id: int, message_id: str) -> list[str]:
        """A number that stays bound, after its session ended: the services menu again. The SMS is
        not read as an answer: it answered a screen that has gone with the session."""
        now = self.clock()
        with self.store.transaction():
            if not self.store.first_delivery(CHANNEL, message_id, now):
                return []
            conv = self.store.conversation(CHANNEL, number) or Conversation(CHANNEL, number)
            self.store.bind(CHANNEL, number, account_id, now)
            conv.state = "menu"
            conv.data = {"seq": conv.data.get("seq", 0)}  # older screens' options stay stale
            conv.updated_at = now
            self.store.save_conversation(conv)
        replies = await self.engine.show(CHANNEL, number)
        first = replies[0]
        resumed = Reply(t("sms.channel.resumed") + "\n\n" + first.text, first.buttons)
        return self._render(number, [resumed, *replies[1:]])

    def _after_event(self, number: str, bound_before: int | None) -> None:
        """Keep the number bound to its own guardian's account; a log-out ends that."""
        now = self.clock()
        bound = self.store.bound_account(CHANNEL, number)
        with self.store.transaction():
            if bound is not None and self._owner(number, bound):
                self.store.sms_trust(number, bound, now)
            elif bound is not None:
                self.store.forget_known_chat(CHANNEL, number)  # not where that account is reached
            elif bound_before is not None:
                self.store.sms_untrust(number)

    # ---- answers ------------------------------------------------------------------------------

    def _within(self, number: str, message_id: str, bound_before: int | None) -> _QueueInEvent:
        return _QueueInEvent(self, number, message_id, bound_before)

    def _render(self, number: str, replies: list[Reply]) -> list[str]:
        free_text = takes_text(self.store.conversation(CHANNEL, number))
        return [sms for reply in replies for sms in render(reply, free_text)]

    def _deliver(self, number: str, texts: list[str], message_id: str) -> list[str]:
        if self.reply == REPLY_TWIML or not texts:
            return texts
        with self.store.transaction():  # those queued with their event are not queued twice
            self._queue(number, texts, message_id)
        self._send_soon()
        return []

    def _queue(self, number: str, texts: list[str], message_id: str) -> None:
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


class _QueueInEvent:
    """The engine's `within` hook for one SMS: inside the event's transaction, keep the number's
    binding and queue the answers (outbox mode), so the state and its answer commit together."""

    def __init__(self, channel: SmsChannel, number: str, message_id: str,
                 bound_before: int | None) -> None:
        self.channel, self.number, self.message_id = channel, number, message_id
        self.bound_before = bound_before
        self.done = False

    def __call__(self, replies: list[Reply]) -> None:
        self.channel._after_event(self.number, self.bound_before)
        if self.channel.reply == REPLY_OUTBOX:
            self.channel._queue(self.number, self.channel._render(self.number, replies),
                                self.message_id)
        self.done = True
