"""Transport 1: python-telegram-bot (22.x), in polling or webhook mode.

python-telegram-bot fetches updates (its `Updater` in polling mode; in webhook mode the bot's own
HTTP server puts them on the application's update queue, as its custom-webhook example does) and
sends the channel's Bot API calls with `Bot.do_api_request`, so the rendering is the same as the
httpx transport's. Its errors become `BotApiError`, so the same retry policy applies.
"""

from __future__ import annotations

import asyncio
import warnings
from datetime import timedelta
from typing import Any

from telegram import Bot, BotCommand, InlineKeyboardMarkup, ReplyKeyboardMarkup, Update
from telegram.error import (
    BadRequest,
    Conflict,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
)
from telegram.ext import Application, ContextTypes, TypeHandler, Updater
from telegram.warnings import PTBDeprecationWarning

from flows.engine import Engine

from .api import BotApiError
from .channel import ALLOWED_UPDATES, TelegramChannel

# The Bot API methods the channel uses, as python-telegram-bot's typed methods.
TYPED_METHODS = {
    "sendMessage": "send_message", "editMessageText": "edit_message_text",
    "answerCallbackQuery": "answer_callback_query", "deleteMessage": "delete_message",
    "setMyCommands": "set_my_commands", "setWebhook": "set_webhook",
    "deleteWebhook": "delete_webhook",
}


def _markup(raw: dict[str, Any]) -> InlineKeyboardMarkup | ReplyKeyboardMarkup:
    if "inline_keyboard" in raw:
        return InlineKeyboardMarkup.de_json(raw, None)
    return ReplyKeyboardMarkup.de_json(raw, None)


def typed_arguments(params: dict[str, Any]) -> dict[str, Any]:
    """The shared rendering's JSON parameters as python-telegram-bot's objects."""
    kwargs = dict(params)
    if "reply_markup" in kwargs:
        kwargs["reply_markup"] = _markup(kwargs["reply_markup"])
    if "commands" in kwargs:
        kwargs["commands"] = [BotCommand(c["command"], c["description"])
                              for c in kwargs["commands"]]
    return kwargs


class PtbBotApi:
    def __init__(self, bot: Bot) -> None:
        self.bot = bot

    async def call(self, method: str, params: dict[str, Any]) -> Any:
        try:
            if method in TYPED_METHODS:
                return await getattr(self.bot, TYPED_METHODS[method])(**typed_arguments(params))
            return await self.bot.do_api_request(method, api_kwargs=params)
        except RetryAfter as exc:
            with warnings.catch_warnings():  # int today, timedelta in the next major version
                warnings.simplefilter("ignore", PTBDeprecationWarning)
                wait = exc.retry_after
            seconds = wait.total_seconds() if isinstance(wait, timedelta) else float(wait)
            raise BotApiError(429, exc.message, retry_after=seconds) from exc
        except BadRequest as exc:  # before NetworkError, which it extends
            raise BotApiError(400, exc.message) from exc
        except Forbidden as exc:
            raise BotApiError(403, exc.message) from exc
        except InvalidToken as exc:
            raise BotApiError(401, exc.message) from exc
        except Conflict as exc:
            raise BotApiError(409, exc.message) from exc
        except NetworkError as exc:  # 5xx, time-outs, connection errors
            raise BotApiError(None, exc.message, temporary=True) from exc
        except TelegramError as exc:
            raise BotApiError(None, exc.message) from exc


REQUEST_TIMEOUT = 15.0


def build_application(token: str, base_url: str, with_updater: bool = True,
                      timeout: float = REQUEST_TIMEOUT) -> Application:
    builder = (Application.builder().token(token).base_url(base_url).concurrent_updates(True)
               .connect_timeout(timeout).read_timeout(timeout).write_timeout(timeout)
               .pool_timeout(timeout))
    if not with_updater:
        builder = builder.updater(None)
    return builder.build()


class PtbTransport:
    """One python-telegram-bot application feeding a `TelegramChannel`."""

    def __init__(self, engine: Engine, token: str, base_url: str, webhook: bool = False,
                 timeout: float = REQUEST_TIMEOUT, poll_timeout: int = 30) -> None:
        self.application = build_application(token, base_url, not webhook, timeout)
        self.poll_timeout = poll_timeout
        self.channel = TelegramChannel(engine, PtbBotApi(self.application.bot))
        self.application.add_handler(TypeHandler(Update, self._on_update))

    async def _on_update(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await self.channel.process(update.to_dict())

    async def feed(self, data: dict[str, Any]) -> None:
        """Webhook mode: an update received by the bot's HTTP server."""
        await self.application.update_queue.put(Update.de_json(data, self.application.bot))

    def _updater(self) -> Updater:
        """The application's poller: present unless the transport was built for a webhook."""
        if self.application.updater is None:
            raise RuntimeError("polling needs a transport built without webhook=True")
        return self.application.updater

    async def run(self, stop: asyncio.Event, webhook_params: dict[str, Any] | None = None) -> None:
        async with self.application:
            await self.channel.setup()
            if webhook_params is not None:
                await self.channel.api.call("setWebhook", webhook_params)
            await self.application.start()
            if webhook_params is None:
                await self._updater().start_polling(
                    allowed_updates=ALLOWED_UPDATES, timeout=self.poll_timeout)
            await stop.wait()
            if webhook_params is None:
                await self._updater().stop()
            await self.application.stop()
            await self.channel.drain()
