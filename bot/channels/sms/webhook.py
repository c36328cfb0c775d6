"""`POST /sms/inbound`: incoming SMS from the gateway, in Twilio's webhook format.

The gateway posts a form (`From`, `To`, `Body`, `MessageSid`, and more) signed in
`X-Twilio-Signature` with the account's auth token over the URL it called. The URL checked is
`SMS_WEBHOOK_URL` when set (behind a reverse proxy, the URL the bot sees is not the one the gateway
called), else the request's own; a query string the request carries is appended to a configured
URL that has none. A request without a valid signature is refused with 403 and has no effect.

A signed request must also look like one Twilio sends: every field named as Twilio names them
(CamelCase, once each) and the message's id well formed (`SM`/`MM` and 32 hex digits, the same in
`MessageSid`, `SmsSid` and `SmsMessageSid`). The signature runs keys and values together, so a
forged request can fold the next field into `MessageSid` and keep it valid; a malformed id is
refused with 400, and a captured message cannot be replayed as a new one.

The answer is TwiML: empty when replies go through the outbox, else one `<Message>` per SMS.
"""

from __future__ import annotations

import logging
import re
from urllib.parse import parse_qsl, urlsplit
from xml.sax.saxutils import escape

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from . import signature
from .channel import SmsChannel

INBOUND_PATH = "/sms/inbound"
MAX_BODY_BYTES = 64 * 1024  # a Twilio SMS webhook is a few hundred bytes; 1,600 characters of text
log = logging.getLogger(__name__)

# How Twilio names its fields and its message ids (Twilio adds fields without notice: any name of
# that shape is accepted; the ids are checked exactly).
_FIELD_NAME = re.compile(r"[A-Z][A-Za-z0-9]{0,63}")
_MESSAGE_SID = re.compile(r"(SM|MM)[0-9a-f]{32}")
SID_FIELDS = ("MessageSid", "SmsSid", "SmsMessageSid")

# Characters XML 1.0 does not allow, even escaped.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def twiml(texts: list[str]) -> Response:
    messages = "".join(f"<Message>{escape(_NOT_XML.sub('', text))}</Message>" for text in texts)
    body = f'<?xml version="1.0" encoding="UTF-8"?><Response>{messages}</Response>'
    return Response(body, media_type="application/xml")


def message_id(params: list[tuple[str, str]]) -> str | None:
    """The message's id when the fields are shaped as Twilio sends them, else None."""
    names = [name for name, _ in params]
    if len(set(names)) != len(names) or not all(_FIELD_NAME.fullmatch(n) for n in names):
        return None
    form = dict(params)
    sids = {form[name] for name in SID_FIELDS if name in form}
    if len(sids) != 1:
        return None
    (sid,) = sids
    return sid if _MESSAGE_SID.fullmatch(sid) else None


def public_url(configured: str | None) -> str | None:
    """The URL the gateway is given: `/sms/inbound` is appended to a bare host."""
    if not configured:
        return None
    parts = urlsplit(configured)
    if parts.path in ("", "/"):
        return parts._replace(path=INBOUND_PATH).geturl()
    return configured


class SmsWebhook:
    def __init__(self, channel: SmsChannel, auth_token: str, webhook_url: str | None = None) -> None:
        self.channel = channel
        self.auth_token = auth_token
        self.webhook_url = public_url(webhook_url)

    def route(self) -> Route:
        return Route(INBOUND_PATH, self.handle, methods=["POST"])

    def signed_url(self, request: Request) -> str:
        """The URL the gateway signed."""
        if self.webhook_url is None:
            return str(request.url)
        query = request.url.query
        if query and not urlsplit(self.webhook_url).query:
            return f"{self.webhook_url}?{query}"
        return self.webhook_url

    async def handle(self, request: Request) -> Response:
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
            return Response(status_code=413)
        raw = await request.body()
        if len(raw) > MAX_BODY_BYTES:
            return Response(status_code=413)
        params = parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True)
        algorithm = signature.algorithm_of(request.headers.get(signature.SETTINGS_HEADER))
        if not signature.is_valid(self.auth_token, self.signed_url(request), params,
                                  request.headers.get(signature.SIGNATURE_HEADER), algorithm):
            log.warning("SMS webhook: request refused (missing or wrong signature)")
            return Response(status_code=403)
        form = dict(params)
        sid, sender = message_id(params), form.get("From", "")
        if not sender or sid is None:
            log.warning("SMS webhook: request refused (fields or message id not as Twilio sends)")
            return Response(status_code=400)
        media = form.get("NumMedia", "0").strip() not in ("", "0")
        texts = await self.channel.receive(sender, form.get("Body", ""), sid, media=media)
        return twiml(texts)
