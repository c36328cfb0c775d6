"""Each channel's session policy: what happens around the dialogue, decided by the engine.

Most channels need nothing (`ChannelPolicy`). SMS has its own (`SmsPolicy`), all of it run inside
the event's one transaction:

- STOP and START, from any number, in the middle of a dialogue too: reminders by SMS stop (kept
  until START) or start again; nothing else changes.
- A number not on file as a guardian's mobile gets one neutral answer a day that says nothing of
  anyone, and no conversation.
- Answers are read against the screen the number last got: a number ("2"), an option's words
  (typed in full, or, on a screen that asks for no text, the start of one option only), a keyword
  in any case (AIDE, MENU, ANNULER; an option with that word comes first), or free text.
- The first SMS of a number opens the welcome screen, whatever it says.
- A number bound to the account of the guardian whose mobile it is **stays bound** (it is
  trusted): when the session ends (30 minutes idle) the recaps leave as on a log-out, and the next
  SMS opens the services menu again without a password (not read as an answer: it answered a
  screen gone with the session). Logging out ends that. A number logged in to another person's
  account is bound for the session only, and is not where that account is reached.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import datetime

from .dialogue.access import end_session
from .dialogue.context import Ctx
from .dialogue.machine import TRIGGERS
from .exchange import Inbound, Reply
from .options import by_number, by_words, words
from .ports import Store
from .rules.accounts import IDLE_TIMEOUT
from .rules.model import AccountKind, Conversation
from .texts import SMS_PROFILE, Texts, t

STOP_WORDS = frozenset({"stop", "arret", "arreter"})
START_WORDS = frozenset({"start"})
KEYWORDS = {"aide": "/aide", "menu": "/menu", "annuler": "/annuler"}
# What `ChannelPolicy.open` decided: read the inbound as an answer, only show the current screen,
# or show the screen of a session the policy opened again (nothing else to keep after it).
ANSWER, SHOW, RESUMED = "answer", "show", "resumed"
SMS_TEXTS = Texts(profile=SMS_PROFILE)


def takes_text(state: str) -> bool:
    """Whether the screen of `state` reads free text."""
    return "text" in TRIGGERS.get(state, frozenset())


def keyword(text: str) -> str | None:
    """"stop", "start", "aide", "menu" or "annuler" when the whole text is that word."""
    typed = words(text)
    if typed in STOP_WORDS:
        return "stop"
    if typed in START_WORDS:
        return "start"
    return typed if typed in KEYWORDS else None


def choose(text: str, offered: list[list[str]], free_text: bool,
           texts: Texts = SMS_TEXTS) -> str | None:
    """The data of the offered option `text` names (`offered`: the engine's [data, action, label]
    of the last screen): its number, or its words typed in full (of the label as shown or of the
    message it is a variant of); on a screen that asks for no free text, also the first words of
    exactly one option."""
    index = by_number(text, len(offered))
    if index is None:
        names = [{words(form) for form in texts.alternatives(entry[2])} for entry in offered]
        index = by_words(text, names, prefix=not free_text and keyword(text) is None)
    return offered[index][0] if index is not None else None


class ChannelPolicy:
    """No session policy: the dialogue alone (Telegram, the terminal)."""

    def screen_out(self, store: Store, inbound: Inbound, now: datetime) -> list[Reply] | None:
        """The answer to an event that never reaches a conversation, or None to go on."""
        return None

    def read(self, inbound: Inbound, stored: Conversation | None) -> Inbound:
        """The inbound as the dialogue reads it, against the last screen shown."""
        return inbound

    def open(self, ctx: Ctx, stored: Conversation | None) -> str:
        """Prepare the conversation before the dialogue: ANSWER, SHOW or RESUMED."""
        return ANSWER

    def close(self, ctx: Ctx, bound_before: int | None, opening: str) -> None:
        """After the dialogue, in the same transaction."""


class SmsPolicy(ChannelPolicy):
    """The SMS channel's policy (see the module's docstring)."""

    def screen_out(self, store: Store, inbound: Inbound, now: datetime) -> list[Reply] | None:
        word = keyword(inbound.text or "")
        if word == "stop":
            store.sms_opt_out(inbound.address, now)
            return [Reply(t("sms.channel.stop"))]
        if word == "start":
            store.sms_opt_in(inbound.address)
            return [Reply(t("sms.channel.start"))]
        if store.guardians_by_mobile(inbound.address):
            return None
        digest = hashlib.sha256(inbound.address.encode()).hexdigest()
        if not store.sms_unknown_reply_due(digest, now.date()):
            return []  # already answered today: no ping-pong with an automatic responder
        return [Reply(t("sms.channel.unknown"))]

    def read(self, inbound: Inbound, stored: Conversation | None) -> Inbound:
        if inbound.text is None or stored is None:
            return inbound
        choice = choose(inbound.text, stored.data.get("offered", []), takes_text(stored.state))
        if choice is not None:
            return replace(inbound, text=None, choice=choice)
        word = keyword(inbound.text)
        if word in KEYWORDS:
            return replace(inbound, text=KEYWORDS[word])
        return inbound

    def open(self, ctx: Ctx, stored: Conversation | None) -> str:
        conv = ctx.conv
        if (ctx.account_id is not None and stored is not None and stored.updated_at is not None
                and ctx.now - stored.updated_at > IDLE_TIMEOUT):
            end_session(ctx)  # as the minute's sweep would: the recaps leave
            conv.state = "welcome"
            conv.data["expired"] = True
        if ctx.account_id is None and (account_id := self._kept_account(ctx)) is not None:
            self._resume(ctx, account_id)
            return RESUMED
        return ANSWER if stored is not None else SHOW

    def close(self, ctx: Ctx, bound_before: int | None, opening: str) -> None:
        if opening == RESUMED:
            return  # the number stays trusted as it was
        number, store = ctx.conv.address, ctx.store
        if ctx.account_id is not None and self._owner(ctx, ctx.account_id):
            store.sms_trust(number, ctx.account_id, ctx.now)
        elif ctx.account_id is not None:
            store.forget_known_chat(ctx.conv.channel, number)  # not where that account is reached
        elif bound_before is not None:
            store.sms_untrust(number)

    @staticmethod
    def _owner(ctx: Ctx, account_id: int) -> bool:
        """Whether the account is that of an active guardian whose mobile on file is the number."""
        account = ctx.store.account(account_id)
        if account is None or account.kind is not AccountKind.GUARDIAN or account.status != "active":
            return False
        guardian = ctx.store.guardian(account.person_id)
        return guardian is not None and guardian.mobile == ctx.conv.address

    def _kept_account(self, ctx: Ctx) -> int | None:
        account_id = ctx.store.sms_trusted_account(ctx.conv.address)
        if account_id is None or self._owner(ctx, account_id):
            return account_id
        ctx.store.sms_untrust(ctx.conv.address)  # the account or the number on file changed
        return None

    @staticmethod
    def _resume(ctx: Ctx, account_id: int) -> None:
        """The services menu again, for a number that stays bound after its session ended."""
        conv = ctx.conv
        ctx.store.bind(conv.channel, conv.address, account_id, ctx.now)
        ctx.account_id = account_id
        ctx.__dict__.pop("account", None)
        ctx.__dict__.pop("student", None)
        conv.state = "menu"
        conv.data = {"seq": conv.data.get("seq", 0)}  # older screens' options stay stale
        conv.updated_at = ctx.now  # the session starts again now
        ctx.notice("sms.channel.resumed")


DEFAULT_POLICY = ChannelPolicy()
POLICIES: dict[str, ChannelPolicy] = {"sms": SmsPolicy()}


def policy_of(channel: str) -> ChannelPolicy:
    return POLICIES.get(channel, DEFAULT_POLICY)
