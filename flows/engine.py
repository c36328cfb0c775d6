"""The engine: the one entry point every channel calls, `await engine.handle(inbound)`.

For each inbound event it loads the conversation, runs the event through the dialogue, saves state
and effects (outbox, audit) in one transaction, and only then returns the replies, so nothing is
confirmed that is not saved. Events of one conversation run in order; events of different
conversations interleave only at `await` points, never inside a transaction. Slow hashing runs in
a thread pool, so one family's password never holds up another family's chat.

Each channel's session policy (`flows/sessions.py`: SMS's STOP, unknown numbers, answers by
number or words, kept binding and resume) runs inside the same transaction, so a channel only
translates its wire format to an `Inbound` and the `Reply` back, and reads nothing else.
"""

from __future__ import annotations

import asyncio
import logging
import unicodedata
from collections.abc import Callable
from concurrent.futures import Executor, ThreadPoolExecutor
from datetime import datetime

from .dialogue.access import end_session
from .dialogue.context import Ctx, NeedsWork, Secrets
from .dialogue.machine import (
    COMMANDS,
    CONTACT_STATES,
    MACHINE,
    SCREENS,
    SECRET_STATES,
    SIGNED_IN_STATES,
    STUDENT_STATES,
    TRIGGERS,
)
from .exchange import Button, Inbound, Reply
from .ordering import KeyedLock
from .ports import Hasher, Store
from .rules.accounts import IDLE_TIMEOUT
from .rules.identity import fold, new_code
from .rules.model import Conversation
from .sessions import ANSWER, SHOW, ChannelPolicy, policy_of, takes_text
from .texts import Texts, language_of, t

MAX_INPUT_LENGTH = 1000
log = logging.getLogger(__name__)
# Called with an event's replies inside its transaction (a channel queuing them in the outbox).
Within = Callable[[list[Reply]], None]

Clock = Callable[[], datetime]


def command_of(text: str) -> str | None:
    """The command trigger a text stands for: "/start@orientation_bot payload" is /start too."""
    if not text.startswith("/"):
        return None
    return COMMANDS.get(text.split()[0].split("@")[0].lower())


class Engine:
    def __init__(self, store: Store, hasher: Hasher, clock: Clock,
                 executor: Executor | None = None) -> None:
        self.store = store
        self.hasher = hasher
        self.clock = clock
        # Hashes queue in one thread by default: several at once would starve the event loop.
        self.executor = executor or ThreadPoolExecutor(max_workers=1, thread_name_prefix="hashing")
        self.internal_errors = 0  # events answered with the generic error (a bug); tests watch it
        self.slow_events = 0  # events that needed a password or code hash
        self._locks = KeyedLock()

    async def handle(self, inbound: Inbound, show_only: bool = False,
                     within: Within | None = None) -> list[Reply]:
        """Run one inbound event and return the replies to show.

        `within`, when given, is called with the replies inside the event's transaction: a
        channel whose replies leave through the outbox (SMS) queues them there, so the reply is
        committed with the state it shows, or not at all.
        """
        async with self._locks.hold((inbound.channel, inbound.address)):
            return await self._handle_in_order(inbound, show_only, within)

    async def _handle_in_order(self, inbound: Inbound, show_only: bool,
                               within: Within | None) -> list[Reply]:
        results: dict[tuple, object] = {}
        counted = False
        while True:
            try:
                return self._process(inbound, results, show_only, within)
            except NeedsWork as need:
                if not counted:
                    self.slow_events += 1
                    counted = True
                results[need.key] = await self._compute(need.key)

    async def _compute(self, key: tuple) -> object:
        kind = key[0]
        if kind == "code":
            return new_code()
        loop = asyncio.get_running_loop()
        if kind == "hash":
            return await loop.run_in_executor(self.executor, self.hasher.hash, key[1])
        return await loop.run_in_executor(self.executor, self.hasher.verify, key[1], key[2])

    async def show(self, channel: str, address: str, within: Within | None = None,
                   profile: str | None = None) -> list[Reply]:
        """The conversation's current screen, without any input (a channel opening a session)."""
        return await self.handle(Inbound(channel, address, profile=profile), show_only=True,
                                 within=within)

    def _process(self, inbound: Inbound, results: dict[tuple, object],
                 show_only: bool = False, within: Within | None = None) -> list[Reply]:
        try:
            return self._run(inbound, results, show_only, within)
        except NeedsWork:
            raise
        except Exception:  # a bug must not crash the bot nor half-save anything
            self.internal_errors += 1
            log.exception("internal error while handling an event (channel %s)", inbound.channel)
            replies = [Reply(t("error.internal"))]
            if within is not None:
                self._apologise(within, replies)
            return replies

    def _apologise(self, within: Within, replies: list[Reply]) -> None:
        """The event was rolled back; its apology still goes out where the channel queues it."""
        try:
            with self.store.transaction():
                within(replies)
        except Exception:  # the failure that broke the event may break this too
            log.exception("the apology for an internal error could not be queued either")

    def _run(self, inbound: Inbound, results: dict[tuple, object],
             show_only: bool, within: Within | None = None) -> list[Reply]:
        now = self.clock()
        policy = policy_of(inbound.channel)
        with self.store.transaction():
            if inbound.message_id is not None and not self.store.first_delivery(
                    inbound.channel, inbound.message_id, now):
                return []  # a redelivered update has no second effect
            replies = policy.screen_out(self.store, inbound, now)
            if replies is None:
                replies = [self._converse(policy, inbound, results, show_only, now)]
            if within is not None and replies:
                within(replies)
        return replies

    def _converse(self, policy: ChannelPolicy, inbound: Inbound, results: dict[tuple, object],
                  show_only: bool, now: datetime) -> Reply:
        """The dialogue part of an event, inside its transaction: the reply it shows."""
        stored = self.store.conversation(inbound.channel, inbound.address)
        conv = stored or Conversation(inbound.channel, inbound.address)
        inbound = policy.read(inbound, stored)
        ctx = Ctx(self.store, now, conv, inbound, Secrets(results),
                  account_id=self.store.bound_account(inbound.channel, inbound.address),
                  t=Texts(language_of(inbound.language), inbound.profile))
        bound_before, state_before = ctx.account_id, conv.state
        opening = SHOW if show_only else policy.open(ctx, stored)
        if self._session_is_valid(ctx) and opening == ANSWER:
            self._dispatch(ctx)
        reply = self._render(ctx, inbound, state_before)
        policy.close(ctx, bound_before, opening)
        conv.updated_at = now
        self.store.save_conversation(conv)
        return reply

    def _session_is_valid(self, ctx: Ctx) -> bool:
        """End an idle session; send a conversation whose binding is gone back to the welcome."""
        conv = ctx.conv
        if conv.data.pop("expired", False):
            ctx.notice("session.expired")
            conv.state = "welcome"
            return False
        if ctx.account_id is not None and ctx.account is None:
            self.store.unbind(conv.channel, conv.address)
            ctx.account_id = None
        if ctx.account_id is not None and conv.updated_at is not None and (
                ctx.now - conv.updated_at > IDLE_TIMEOUT):
            end_session(ctx)
            conv.state = "welcome"
            ctx.notice("session.expired")
            return False
        if ctx.account_id is None and conv.state in SIGNED_IN_STATES:
            conv.state = "welcome"
            conv.data = {"seq": conv.data.get("seq", 0)}  # older screens' buttons stay stale
        if conv.state in STUDENT_STATES and ctx.student is None:
            conv.state = "menu"  # the chosen child is no longer visible to this account
        return True

    def _dispatch(self, ctx: Ctx) -> None:
        trigger = self._interpret(ctx)
        if trigger is None:
            return
        if trigger not in TRIGGERS[ctx.conv.state]:
            ctx.notice("input.use_buttons" if trigger == "text" else "input.stale")
            return
        MACHINE.events[trigger].trigger(ctx.conv, ctx=ctx)

    def _interpret(self, ctx: Ctx) -> str | None:
        """Turn the inbound into a trigger (and its argument), or add a notice and return None."""
        inbound = ctx.inbound
        offered: list[list[str]] = ctx.data.get("offered", [])
        if inbound.choice is not None:
            action = next((act for data, act, _ in offered if data == inbound.choice), None)
            if action is None:
                ctx.notice("input.stale")
                ctx.stale_choice = True
                return None
            return self._action(ctx, action)
        if inbound.media is not None:
            ctx.notice(f"input.{inbound.media}")
            return None
        raw = inbound.contact_phone or inbound.text or ""
        if len(raw) > MAX_INPUT_LENGTH:
            ctx.notice("input.too_long", max=MAX_INPUT_LENGTH)
            return None
        text = "".join(c for c in raw if unicodedata.category(c) not in ("Cc", "Cf")).strip()
        if not text:
            ctx.notice("input.empty")
            return None
        command = command_of(text)
        if command is not None:
            return command
        folded = fold(text)
        for _, action, label in offered:
            if fold(label) == folded:
                return self._action(ctx, action)
        ctx.text = text if ctx.conv.state not in SECRET_STATES else raw.strip("\r\n")
        return "text"

    @staticmethod
    def _action(ctx: Ctx, action: str) -> str:
        trigger, _, ctx.arg = action.partition(":")
        return trigger

    def _render(self, ctx: Ctx, inbound: Inbound, state_before: str) -> Reply:
        text, rows = SCREENS[ctx.conv.state](ctx)
        notices = [ctx.t(key, **params) for key, params in ctx.notices]
        seq = ctx.data.get("seq", 0) + 1
        ctx.data["seq"] = seq
        buttons = tuple(tuple(Button(label, f"{seq:x}.{action}") for action, label in row)
                        for row in rows)
        ctx.data["offered"] = [[b.data, b.data.partition(".")[2], b.label]
                               for row in buttons for b in row]
        return Reply(
            text="\n\n".join([*notices, text]),
            buttons=buttons,
            # A refused button answers below, not in the old message it was pressed on.
            replace_last=inbound.choice is not None and not ctx.stale_choice,
            forget_inbound=state_before in SECRET_STATES and inbound.text is not None,
            ask_contact=ctx.conv.state in CONTACT_STATES,
            takes_text=takes_text(ctx.conv.state),
        )

    def end_idle_sessions(self) -> int:
        """End every session idle for 30 minutes (recaps leave as on a log-out). Returns how many."""
        now = self.clock()
        ended = 0
        for conv in self.store.idle_conversations(now - IDLE_TIMEOUT):
            with self.store.transaction():
                inbound = Inbound(conv.channel, conv.address)
                account_id = self.store.bound_account(conv.channel, conv.address)
                if account_id is None:
                    continue
                ctx = Ctx(self.store, now, conv, inbound, Secrets({}), account_id=account_id)
                end_session(ctx)
                conv.state = "welcome"
                conv.data["expired"] = True  # end_session kept only the screen counter
                self.store.save_conversation(conv)
                ended += 1
        return ended
