"""Running the bot's SMS service for the tests: the real HTTP endpoint, signed requests, a phone.

`running_sms_bot` starts `bot.runtime.run.serve_sms` (uvicorn on a loopback port, the outbox sender,
the reminders, the idle sweep) with the SMS gateway double as the outbound gateway. A `Phone`
posts SMS to `POST /sms/inbound` as the gateway would (Twilio's form fields, signed with Twilio's
own `RequestValidator`, which the tests use as the reference) and reads what the bot sent back to
its number through the gateway double.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import re
import socket
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import httpx
from twilio.request_validator import RequestValidator

from bot.runtime.bootstrap import App, build
from bot.runtime.config import Config, SmsConfig, SmsInboundConfig
from bot.runtime.run import serve_sms
from flows.rules.identity import normalize_mobile

from .sms_gateway_double import SmsGatewayDouble
from .support import Clock, last_code, light_hasher
from .telegram_support import free_port

BOT_NUMBER = "+33700000000"
CLAIRE_PHONE = "+33612345678"
KARIM_PHONE = "+33798765432"
THI_PHONE = "+33611223344"
STRANGER_PHONE = "+33655555555"
# 06:00 in Paris on the demo's day: no reminder is due yet, so the tests see only the dialogue's SMS.
QUIET_NOW = datetime(2026, 11, 29, 5, 0, tzinfo=UTC)
_sids = itertools.count(1)


def new_sid() -> str:
    return f"SM{next(_sids):032x}"


def sms_config(tmp: Path, gateway: SmsGatewayDouble, port: int, reply: str = "outbox",
               webhook_url: str | None = None) -> Config:
    return Config(tmp / "orientation.sqlite3", None, "NORMAL", True, None, "127.0.0.1", port,
                  sms=SmsConfig(gateway.base_url, gateway.account_sid, gateway.auth_token, BOT_NUMBER),
                  rates={"sms": 1000.0, "email": 1000.0},
                  sms_inbound=SmsInboundConfig(gateway.auth_token, reply, webhook_url))


@dataclass
class SmsBot:
    app: App
    gateway: SmsGatewayDouble
    url: str  # the URL requests are posted to
    signed_url: str  # the URL the gateway signs (SMS_WEBHOOK_URL when configured)
    client: httpx.AsyncClient
    phones: dict[str, Phone] = field(default_factory=dict)

    def phone(self, number: str) -> Phone:
        if number not in self.phones:
            self.phones[number] = Phone(self, number)
        return self.phones[number]

    def sign(self, params: dict[str, str], url: str | None = None) -> str:
        return RequestValidator(self.gateway.auth_token).compute_signature(url or self.signed_url, params)

    async def post(self, params: dict[str, str], signature: str | None = "sign",
                   content: bytes | None = None) -> httpx.Response:
        """POST the form as the gateway does; `signature`: "sign" to sign it, None for no header."""
        headers = {}
        if signature == "sign":
            headers["X-Twilio-Signature"] = self.sign(params)
        elif signature is not None:
            headers["X-Twilio-Signature"] = signature
        if content is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            return await self.client.post(self.url, content=content, headers=headers)
        return await self.client.post(self.url, data=params, headers=headers)

    def pending(self) -> int:
        return sum(1 for m in self.app.store.outbox() if m["status"] == "pending")

    async def settled(self, timeout: float = 15.0) -> None:
        """Wait until nothing is left to send in the outbox (every SMS reached the gateway)."""
        await wait_for(lambda: self.pending() == 0, timeout)

    def sent_to(self, number: str) -> list[str]:
        return [m["form"]["Body"] for m in list(self.gateway.messages) if m["to"] == number]


@dataclass
class Phone:
    """A family's phone: sends SMS to the bot, reads the SMS the bot sent it."""

    bot: SmsBot
    number: str
    seen: int = 0

    def form(self, text: str, sid: str | None = None) -> dict[str, str]:
        return {"From": self.number, "To": BOT_NUMBER, "Body": text, "MessageSid": sid or new_sid(),
                "AccountSid": self.bot.gateway.account_sid, "NumMedia": "0", "NumSegments": "1",
                "SmsStatus": "received", "ApiVersion": "2010-04-01"}

    async def send(self, text: str, sid: str | None = None) -> list[str]:
        """Text the bot; returns the SMS it answered (once the outbox has sent them)."""
        response = await self.bot.post(self.form(text, sid))
        assert response.status_code == 200, response.text
        return await self.received()

    async def received(self) -> list[str]:
        """The SMS that reached this phone since the last look."""
        await self.bot.settled()
        bodies = self.bot.sent_to(self.number)
        new, self.seen = bodies[self.seen:], len(bodies)
        return new

    async def text(self, text: str) -> str:
        """Text the bot; its answer, all SMS joined."""
        return "\n".join(await self.send(text))


async def wait_for(condition: Callable[[], bool], timeout: float = 15.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("timed out waiting for the condition")
        await asyncio.sleep(0.01)


@contextlib.asynccontextmanager
async def running_sms_bot(tmp: Path, clock: Clock | None = None, reply: str = "outbox",
                          webhook_url: str | None = None) -> AsyncIterator[SmsBot]:
    """The bot's SMS service on a loopback port, answering through the gateway double."""
    port = free_port()
    with SmsGatewayDouble() as gateway:
        app = build(sms_config(tmp, gateway, port, reply, webhook_url), light_hasher(),
                    clock or Clock(QUIET_NOW))
        stop = asyncio.Event()
        task = asyncio.create_task(serve_sms(app, stop))
        url = f"http://127.0.0.1:{port}/sms/inbound"
        async with httpx.AsyncClient(timeout=30) as client:
            await wait_for(lambda: _listening(port), 10)
            try:
                yield SmsBot(app, gateway, url, webhook_url or url, client)
            finally:
                stop.set()
                await asyncio.wait_for(task, timeout=30)
                app.store.close()


def _listening(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def code_in(texts: list[str]) -> str:
    """The 6-digit code in the activation SMS among `texts`."""
    codes = [m.group(1) for text in texts if (m := re.search(r"\b(\d{6})\b", text))]
    assert codes, texts
    return codes[-1]


class DirectPhone:
    """A phone talking to an `SmsChannel` directly (no HTTP), answers returned inline (TwiML)."""

    def __init__(self, channel, number: str) -> None:
        self.channel = channel
        self.number = number
        self.sids: list[str] = []

    async def send(self, text: str, sid: str | None = None, media: bool = False) -> list[str]:
        sid = sid or new_sid()
        self.sids.append(sid)
        return await self.channel.receive(self.number, text, sid, media=media)

    async def text(self, text: str, **options) -> str:
        return "\n".join(await self.send(text, **options))

    async def activate(self, nom: str, prenom: str, mobile: str, dates: list[str],
                       password: str) -> str:
        """The whole activation by SMS code from this phone, ending on the services menu."""
        await self.text("Bonjour")
        await self.text("2")
        await self.text("1")
        await self.text("1")
        await self.text(nom)
        await self.text(prenom)
        assert "Un code d'activation vous a été envoyé" in await self.text(mobile)
        await self.text(last_code(self.channel.store, normalize_mobile(mobile)))
        for day in dates:
            await self.text(day)
        await self.text(password)
        answer = await self.text(password)
        assert "Le compte est activé" in answer, answer
        return answer
