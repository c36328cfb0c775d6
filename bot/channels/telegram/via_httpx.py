"""Transport 2: the Bot API spoken directly with httpx — no python-telegram-bot, no framework.

Long polling with `getUpdates`: the offset moves past a batch only once every update of that batch
has been handled (committed by the engine), so a crash re-fetches what was not finished and the
engine's de-duplication drops what was. Network errors and 5xx back off exponentially; a 429
waits `retry_after`; a wrong token stops the transport with one clear error.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

import httpx

from .api import BACKOFF_MAX, BACKOFF_START, BotApiError, deliver
from .channel import ALLOWED_UPDATES, TelegramChannel

POLL_TIMEOUT = 30  # seconds Telegram holds a getUpdates request open
REQUEST_TIMEOUT = 15.0
log = logging.getLogger(__name__)


class HttpxBotApi:
    def __init__(self, token: str, base_url: str, timeout: float = REQUEST_TIMEOUT) -> None:
        self._url = f"{base_url}{token}/"
        self.timeout = timeout
        self._client = httpx.AsyncClient(timeout=timeout)

    async def call(self, method: str, params: dict[str, Any], timeout: float | None = None) -> Any:
        try:
            response = await self._client.post(self._url + method, json=params,
                                               timeout=timeout or self.timeout)
        except httpx.HTTPError as exc:  # connection refused, reset, time-out…
            raise BotApiError(None, type(exc).__name__, temporary=True) from exc
        try:
            body = response.json()
        except ValueError:
            raise BotApiError(response.status_code, "not a Bot API answer",
                              temporary=response.status_code >= 500) from None
        if body.get("ok"):
            return body.get("result")
        parameters = body.get("parameters") or {}
        raise BotApiError(body.get("error_code", response.status_code),
                          str(body.get("description", "")), parameters.get("retry_after"))

    async def aclose(self) -> None:
        await self._client.aclose()


async def poll(channel: TelegramChannel, api: HttpxBotApi, stop: asyncio.Event,
               timeout: int = POLL_TIMEOUT) -> None:
    """Fetch updates until `stop` is set; each batch is handled before the offset moves on."""
    await deliver(api, "deleteWebhook", {"drop_pending_updates": False})
    offset: int | None = None
    delay = BACKOFF_START
    while not stop.is_set():
        params: dict[str, Any] = {"timeout": timeout, "allowed_updates": ALLOWED_UPDATES}
        if offset is not None:
            params["offset"] = offset
        try:
            updates = await api.call("getUpdates", params, timeout=timeout + api.timeout)
        except BotApiError as error:
            if error.code in (401, 404):
                raise
            wait = error.retry_after if error.retry_after is not None else delay
            log.warning("getUpdates failed (%s); retrying in %.1fs", error.description, wait)
            await _sleep_or_stop(wait, stop)
            delay = min(delay * 2, BACKOFF_MAX)
            continue
        delay = BACKOFF_START
        tasks = [channel.submit(update) for update in updates]
        if tasks:
            await asyncio.gather(*tasks)
            offset = max(update["update_id"] for update in updates) + 1


async def _sleep_or_stop(seconds: float, stop: asyncio.Event) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)


class HttpxTransport:
    """The httpx transport feeding a `TelegramChannel`: long polling, or webhook updates fed in."""

    def __init__(self, engine, token: str, base_url: str, timeout: float = REQUEST_TIMEOUT,
                 poll_timeout: int = POLL_TIMEOUT) -> None:
        self.api = HttpxBotApi(token, base_url, timeout)
        self.channel = TelegramChannel(engine, self.api)
        self.poll_timeout = poll_timeout

    async def feed(self, data: dict[str, Any]) -> None:
        """Webhook mode: handled before the HTTP answer, so Telegram redelivers what failed."""
        await self.channel.process(data)

    async def run(self, stop: asyncio.Event, webhook_params: dict[str, Any] | None = None) -> None:
        try:
            me = await deliver(self.api, "getMe", {})  # also checks the token before anything else
            log.info("connected to Telegram as @%s", me.get("username"))
            await self.channel.setup()
            if webhook_params is None:
                await poll(self.channel, self.api, stop, self.poll_timeout)
            else:
                await deliver(self.api, "setWebhook", webhook_params)
                await stop.wait()
            await self.channel.drain()
        finally:
            await self.api.aclose()
