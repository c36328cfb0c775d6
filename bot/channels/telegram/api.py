"""What both transports offer the channel: `call(method, params)`, and one delivery policy.

A transport raises `BotApiError` for every failure, with the Bot API's error code, its
description, `retry_after` for 429 and `temporary` for network errors, time-outs and 5xx.
`deliver` then retries as Telegram asks: it waits `retry_after` on 429, backs off exponentially on
temporary failures, and gives up on other errors (a 400 does not get better by retrying).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Protocol

log = logging.getLogger(__name__)

MAX_TRIES = 6
BACKOFF_START = 0.5
BACKOFF_MAX = 30.0


class BotApiError(Exception):
    def __init__(self, code: int | None, description: str, retry_after: float | None = None,
                 temporary: bool = False) -> None:
        super().__init__(f"{code}: {description}")
        self.code = code
        self.description = description
        self.retry_after = retry_after
        self.temporary = temporary or (code is not None and code >= 500)


class BotApi(Protocol):
    async def call(self, method: str, params: dict[str, Any]) -> Any: ...


async def deliver(api: BotApi, method: str, params: dict[str, Any],
                  sleep=asyncio.sleep) -> Any:
    """Call `method`, waiting and retrying on 429, 5xx and network failures; raise otherwise."""
    delay = BACKOFF_START
    for attempt in range(1, MAX_TRIES + 1):
        try:
            return await api.call(method, params)
        except BotApiError as error:
            if error.retry_after is not None:
                log.info("Bot API asks to wait %ss before %s", error.retry_after, method)
                await sleep(error.retry_after)
            elif error.temporary and attempt < MAX_TRIES:
                log.warning("Bot API %s failed (%s), retrying in %.1fs", method, error.code, delay)
                await sleep(delay)
                delay = min(delay * 2, BACKOFF_MAX)
            else:
                raise
    raise BotApiError(None, f"{method}: gave up after {MAX_TRIES} tries", temporary=True)
