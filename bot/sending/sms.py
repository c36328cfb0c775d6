"""SMS transports: the embedded default (printed) and an HTTP gateway speaking Twilio's Messages API.

`PrintedSms` prints each SMS as the terminal chat always has (`[SMS → +33612345678] …`); the message
stays in the outbox, marked sent. `TwilioSms` POSTs a form to
`{base_url}/2010-04-01/Accounts/{AccountSid}/Messages.json` with HTTP basic auth, the format of
Twilio and of the many gateways and relays that copy it. A 2xx is a success; 429, 5xx, 401 (the
credentials, not the message) and network errors are temporary; any other 4xx is the provider
refusing this message, reported with Twilio's error code and message.
"""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TextIO
from urllib.parse import quote

import httpx

from bot.sending.printed import format_message

from .base import Outgoing, PermanentFailure, TemporaryFailure

log = logging.getLogger(__name__)

TWILIO_BASE_URL = "https://api.twilio.com"
# Statuses that say nothing about the message itself: trying again later may succeed.
TEMPORARY_STATUSES = frozenset({401, 408, 425, 429})
# A Messaging Service SID; an alphanumeric sender name (at most 11 characters) never looks like one.
MESSAGING_SERVICE_SID = re.compile(r"MG[0-9a-fA-F]{32}")


class PrintedSms:
    """The embedded default: print the SMS as a marked line; nothing leaves the process."""

    def __init__(self, out: TextIO) -> None:
        self.out = out

    async def send(self, message: Outgoing) -> None:
        line = format_message({"kind": "sms", "recipient": message.recipient, "body": message.body})
        print(line, file=self.out, flush=True)

    async def aclose(self) -> None:
        return None


class TwilioSms:
    """Twilio's Messages REST API (or a compatible gateway at `base_url`)."""

    def __init__(self, base_url: str, account_sid: str, auth_token: str, sender: str,
                 timeout: float = 10.0) -> None:
        root = (base_url or TWILIO_BASE_URL).rstrip("/")
        self.url = f"{root}/2010-04-01/Accounts/{quote(account_sid, safe='')}/Messages.json"
        self.sender = sender
        self._client = httpx.AsyncClient(auth=httpx.BasicAuth(account_sid, auth_token), timeout=timeout)

    def form(self, message: Outgoing) -> dict[str, str]:
        """The form fields: a Messaging Service SID ("MG" + 32 hex digits) or a number / sender name."""
        origin = "MessagingServiceSid" if MESSAGING_SERVICE_SID.fullmatch(self.sender) else "From"
        return {"To": message.recipient, origin: self.sender, "Body": message.body}

    async def send(self, message: Outgoing) -> None:
        try:
            response = await self._client.post(self.url, data=self.form(message))
        except httpx.TimeoutException as exc:
            raise TemporaryFailure(f"SMS gateway time-out ({type(exc).__name__})") from exc
        except httpx.TransportError as exc:
            raise TemporaryFailure(f"SMS gateway unreachable ({type(exc).__name__}: {exc})") from exc
        if response.is_success:
            log.debug("SMS %s accepted by the gateway: %s", message.id, _json(response).get("sid"))
            return
        raise _failure(response)

    async def aclose(self) -> None:
        await self._client.aclose()


def _failure(response: httpx.Response) -> TemporaryFailure | PermanentFailure:
    status = response.status_code
    reason = f"{_error_text(response)} (HTTP {status})"
    if status >= 500 or status in TEMPORARY_STATUSES:
        return TemporaryFailure(reason, retry_after(response))
    return PermanentFailure(reason)


def _error_text(response: httpx.Response) -> str:
    """Twilio's "code: message" from a JSON error body, else the start of the body."""
    body = _json(response)
    if "message" in body:
        code = body.get("code")
        return f"{code}: {body['message']}" if code is not None else str(body["message"])
    return response.text.strip()[:200] or response.reason_phrase or "no details"


def _json(response: httpx.Response) -> dict:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def retry_after(response: httpx.Response) -> float | None:
    """The `Retry-After` header in seconds (delta-seconds or an HTTP date), if there is one."""
    value = response.headers.get("Retry-After", "").strip()
    if not value:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max((when - datetime.now(UTC)).total_seconds(), 0.0)
