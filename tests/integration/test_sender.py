"""The outbox sender: order, retries with back-off, setting aside, restarts, Telegram pushes."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from bot.channels.telegram.via_httpx import HttpxBotApi
from bot.sending.base import Outgoing, PermanentFailure, TemporaryFailure
from bot.sending.push import TelegramPush
from bot.sending.sender import OutboxSender, backoff
from flows.rules.model import OutMessage

from ..botapi.double import BotApiDouble


class Recording:
    """A transport that records what it is asked to send and fails as told."""

    def __init__(self, failures: list[Exception] | None = None) -> None:
        self.sent: list[Outgoing] = []
        self.failures = list(failures or [])

    async def send(self, message: Outgoing) -> None:
        if self.failures:
            raise self.failures.pop(0)
        self.sent.append(message)


def queue(store, clock, *messages: OutMessage) -> None:
    with store.transaction():
        for message in messages:
            store.enqueue(message, clock())


async def test_sends_in_order_once_and_keeps_the_rows(store, clock):
    sms, mail = Recording(), Recording()
    queue(store, clock, OutMessage("sms", "+33612345678", "un"),
          OutMessage("email", "a@example.org", "deux", "objet"),
          OutMessage("sms", "+33612345678", "trois"))
    sender = OutboxSender(store, {"sms": sms, "email": mail}, clock)
    assert await sender.send_due() == 3
    assert [m.body for m in sms.sent] == ["un", "trois"] and mail.sent[0].subject == "objet"
    assert await sender.send_due() == 0
    assert [row["status"] for row in store.outbox()] == ["sent"] * 3


async def test_temporary_failures_back_off_then_succeed(store, clock):
    sms = Recording([TemporaryFailure("502 Bad Gateway"), TemporaryFailure("timeout")])
    queue(store, clock, OutMessage("sms", "+33612345678", "code"))
    sender = OutboxSender(store, {"sms": sms}, clock)
    await sender.send_due()
    row = store.outbox()[0]
    assert (row["status"], row["attempts"], row["last_error"]) == ("pending", 1, "502 Bad Gateway")
    assert await sender.send_due() == 0  # not due before its back-off
    clock.advance(seconds=backoff(1).total_seconds())
    await sender.send_due()
    clock.advance(seconds=backoff(2).total_seconds())
    await sender.send_due()
    assert [m.body for m in sms.sent] == ["code"]
    assert store.outbox()[0]["status"] == "sent"


async def test_retry_after_is_honoured(store, clock):
    push = Recording([TemporaryFailure("Too Many Requests", retry_after=7)])
    queue(store, clock, OutMessage("push", "telegram:1001", "rappel"))
    sender = OutboxSender(store, {"push:telegram": push}, clock)
    await sender.send_due()
    clock.advance(seconds=6)
    assert await sender.send_due() == 0
    clock.advance(seconds=1)
    await sender.send_due()
    assert len(push.sent) == 1


async def test_set_aside_with_the_reason(store, clock):
    sms = Recording([PermanentFailure("21211: not a valid phone number")])
    mail = Recording([TemporaryFailure("connection refused")] * 10)
    queue(store, clock, OutMessage("sms", "+33600000000", "x"),
          OutMessage("email", "a@example.org", "y", "z"),
          OutMessage("push", "matrix:1", "no such channel"))
    sender = OutboxSender(store, {"sms": sms, "email": mail}, clock, max_attempts=3)
    for _ in range(4):
        await sender.send_due()
        clock.advance(hours=2)
    rows = {row["kind"]: row for row in store.outbox()}
    assert rows["sms"]["status"] == "failed" and "21211" in rows["sms"]["last_error"]
    assert rows["email"]["status"] == "failed"
    assert rows["email"]["last_error"] == "gave up after 3 tries: connection refused"
    assert rows["push"]["last_error"] == "no transport for push:matrix"


async def test_a_restart_loses_nothing_and_repeats_nothing(store, clock):
    queue(store, clock, *[OutMessage("sms", "+33612345678", f"m{i}") for i in range(5)])
    first = Recording()
    sender = OutboxSender(store, {"sms": first}, clock)
    await sender._send(Outgoing.from_row(store.due_messages(clock())[0]))  # then the process dies
    second = Recording()
    await OutboxSender(store, {"sms": second}, clock).send_due()
    assert [m.body for m in first.sent + second.sent] == [f"m{i}" for i in range(5)]


async def test_telegram_push_through_the_double_waits_on_429(store, clock):
    with BotApiDouble() as double:
        api = HttpxBotApi(double.token, double.base_url)
        try:
            double.send_text(1001, "/start")  # the chat exists
            double.fail_next("sendMessage", status=429, retry_after=2)
            queue(store, clock, OutMessage("push", "telegram:1001", "Récapitulatif…"))
            sender = OutboxSender(store, {"push:telegram": TelegramPush(api)}, clock)
            await sender.send_due()
            assert store.outbox()[0]["next_attempt_at"] == (clock() + timedelta(seconds=2)).isoformat()
            clock.advance(seconds=2)
            await sender.send_due()
            assert double.last_bot_message(1001)["text"] == "Récapitulatif…"
            assert store.outbox()[0]["status"] == "sent"
            double.block_bot(1001)
            queue(store, clock, OutMessage("push", "telegram:1001", "bloqué"))
            await sender.send_due()
            assert store.outbox()[1]["status"] == "failed" and "403" in store.outbox()[1]["last_error"]
            double.assert_no_violations()
        finally:
            await api.aclose()


class PacingTime:
    """The push's clock and sleep: sleeping moves the clock on by exactly the time asked, so the
    schedule the push keeps is checked, not gaps measured on a loaded machine."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds
        await asyncio.sleep(0)


class SendTimes:
    """The push's API, recording each chat's send times on the push's own clock."""

    def __init__(self, api: HttpxBotApi, time: PacingTime) -> None:
        self.api, self.time = api, time
        self.at: dict[str, list[float]] = {}

    async def call(self, method: str, params: dict[str, Any]) -> Any:
        if method == "sendMessage":
            self.at.setdefault(str(params["chat_id"]), []).append(self.time())
        return await self.api.call(method, params)


async def test_per_chat_pacing(store, clock):
    with BotApiDouble() as double:
        api = HttpxBotApi(double.token, double.base_url)
        try:
            for chat in (1001, 1002):
                double.send_text(chat, "/start")
            queue(store, clock, *[OutMessage("push", f"telegram:{chat}", f"{chat}-{i}")
                                  for i in range(2) for chat in (1001, 1002)])
            time = PacingTime()
            sends = SendTimes(api, time)
            push = TelegramPush(sends, per_chat_interval=0.3, clock=time, sleep=time.sleep)
            await OutboxSender(store, {"push:telegram": push}, clock).send_due()
            assert sorted(sends.at) == ["1001", "1002"]
            for first, second in sends.at.values():  # one chat: at least the interval apart
                assert round(second - first, 9) >= 0.3
            assert sends.at == {"1001": [0.0, 0.3], "1002": [0.0, 0.3]}  # other chats do not wait
            assert sorted(m["text"] for m in double.visible_messages(1001) + double.visible_messages(1002)
                          if m["sender"] == "bot") == ["1001-0", "1001-1", "1002-0", "1002-1"]
        finally:
            await api.aclose()


async def test_an_expired_message_is_set_aside_unsent(store, clock):
    sms = Recording()
    queue(store, clock, OutMessage("sms", "+33612345678", "rappel",
                                   expires_at=clock() + timedelta(minutes=5)))
    clock.advance(minutes=6)  # a backlog delayed it past the end of the sending hours
    await OutboxSender(store, {"sms": sms}, clock).send_due()
    assert sms.sent == []
    assert (store.outbox()[0]["status"], store.outbox()[0]["last_error"]) == (
        "failed", "expired before it could be sent")
