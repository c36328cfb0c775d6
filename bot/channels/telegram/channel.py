"""The Telegram channel's core: a Bot API update in, the engine's answer out as Bot API calls.

Both transports hand raw updates (dicts) to `TelegramChannel.submit`. Updates of one chat are
handled in order (a lock per chat, taken before the first `await`, and asyncio locks are fair);
different chats run concurrently. The engine drops an update delivered twice (its `update_id` is
the inbound's message id), so a redelivery after a crash has no second effect.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any

from flows.engine import Engine
from flows.exchange import Inbound
from flows.ordering import KeyedLock
from flows.texts import t

from .api import BotApi, BotApiError, deliver
from .render import command_list, default_command_list, render

CHANNEL = "telegram"
ALLOWED_UPDATES = ["message", "edited_message", "callback_query"]
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Incoming:
    """What an update means for the channel: which chat, what to hand the engine, what to answer."""

    chat_id: int
    private: bool
    inbound: Inbound | None
    callback_id: str | None = None
    button_message_id: int | None = None  # the message whose button was pressed: edited in place
    user_message_id: int | None = None  # the person's message: deleted if it held a secret


def _phone(raw: str) -> str:
    digits = raw.strip()
    return digits if digits.startswith("+") else "+" + digits  # Telegram often omits the "+"


def _message(update_id: str, message: dict, edited: bool) -> Incoming:
    chat = message.get("chat") or {}
    sender = message.get("from") or {}
    base = {"message_id": update_id, "language": sender.get("language_code")}
    if edited:
        inbound = Inbound(CHANNEL, str(chat.get("id")), media="edited", **base)
    elif isinstance(message.get("text"), str):
        inbound = Inbound(CHANNEL, str(chat.get("id")), text=message["text"], **base)
    elif contact := message.get("contact"):
        own = contact.get("user_id") is not None and contact.get("user_id") == sender.get("id")
        inbound = (Inbound(CHANNEL, str(chat.get("id")),
                           contact_phone=_phone(str(contact.get("phone_number", ""))), **base)
                   if own else Inbound(CHANNEL, str(chat.get("id")), media="foreign_contact", **base))
    else:  # stickers, photos, voice…
        inbound = Inbound(CHANNEL, str(chat.get("id")), media="unsupported", **base)
    return Incoming(chat["id"], chat.get("type") == "private", inbound,
                    user_message_id=message.get("message_id"))


def parse(update: dict[str, Any]) -> Incoming | None:
    """The meaning of a raw update, or None for kinds the bot does not handle."""
    update_id = str(update.get("update_id"))
    if query := update.get("callback_query"):
        message = query.get("message") or {}
        chat = message.get("chat")
        if not chat:
            return Incoming(0, False, None, callback_id=query.get("id"))
        return Incoming(chat["id"], chat.get("type") == "private",
                        Inbound(CHANNEL, str(chat["id"]), choice=str(query.get("data") or ""),
                                message_id=update_id,
                                language=(query.get("from") or {}).get("language_code")),
                        callback_id=query.get("id"), button_message_id=message.get("message_id"))
    for key, edited in (("message", False), ("edited_message", True)):
        message = update.get(key)
        if isinstance(message, dict) and isinstance(message.get("chat"), dict):
            return _message(update_id, message, edited)
    return None


class TelegramChannel:
    def __init__(self, engine: Engine, api: BotApi) -> None:
        self.engine = engine
        self.api = api
        self._chats = KeyedLock()
        self._tasks: set[asyncio.Task] = set()

    async def setup(self) -> None:
        """Publish the command list, in French and as the default."""
        await deliver(self.api, "setMyCommands", default_command_list())
        await deliver(self.api, "setMyCommands", command_list())

    def submit(self, update: dict[str, Any]) -> asyncio.Task:
        """Handle `update` in the background; call in the order updates arrive."""
        task = asyncio.create_task(self.process(update))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def drain(self) -> None:
        """Wait for every submitted update to be handled (a clean stop)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def process(self, update: dict[str, Any]) -> None:
        """Handle one update; nothing an update holds may stop the transport."""
        try:
            incoming = parse(update)
            if incoming is not None:
                await self._serialised(incoming)
        except Exception:
            log.exception("Telegram update %s could not be handled", update.get("update_id"))

    async def _serialised(self, incoming: Incoming) -> None:
        # Held from the engine's answer to the last call sent: one chat's screens stay in order.
        async with self._chats.hold(incoming.chat_id):
            await self._handle(incoming)

    async def _handle(self, incoming: Incoming) -> None:
        if incoming.inbound is None or not incoming.private:
            if incoming.callback_id:
                await self._quietly("answerCallbackQuery", {"callback_query_id": incoming.callback_id})
            elif incoming.inbound is not None:  # a message in a group: answer once, politely
                await self._send("sendMessage", {"chat_id": incoming.chat_id,
                                                 "text": t("telegram.private_only")})
            return
        replies = await self.engine.handle(incoming.inbound)
        if not replies:
            return  # the same update again: no second effect
        if incoming.callback_id:
            await self._quietly("answerCallbackQuery", {"callback_query_id": incoming.callback_id})
        for reply in replies:
            if reply.forget_inbound and incoming.user_message_id is not None:
                await self._quietly("deleteMessage", {"chat_id": incoming.chat_id,
                                                      "message_id": incoming.user_message_id})
            for method, params in render(reply, incoming.chat_id, incoming.button_message_id):
                await self._send(method, params)

    async def _send(self, method: str, params: dict[str, Any]) -> None:
        try:
            await deliver(self.api, method, params)
        except BotApiError as error:
            if method != "editMessageText":
                log.warning("Telegram %s failed: %s", method, error.description)
            elif "not modified" not in error.description:
                # Too old or gone: show the screen as a new message instead.
                params = {k: v for k, v in params.items() if k != "message_id"}
                await self._send("sendMessage", params)

    async def _quietly(self, method: str, params: dict[str, Any]) -> None:
        try:
            await deliver(self.api, method, params)
        except BotApiError as error:
            log.info("Telegram %s failed: %s", method, error.description)
