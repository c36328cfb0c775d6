"""E-mail transports: the embedded default (printed) and SMTP through aiosmtplib.

`render_email` turns an outbox row into the message sent: From, To, Subject, Date, a Message-ID that
is the same each time the same row is rendered (a resend after a crash is recognisably the same
mail), the French plain text and an HTML alternative made from it. Nothing else is added: no
tracking, no images, no data beyond what the text itself holds.

`SmtpEmail` sends it to the configured server (`none`, `starttls` or implicit `tls`; login only when
a user is given). A failure about this message (5xx to MAIL, RCPT or DATA: the address does not
exist, the message is refused) is permanent; anything else (server unreachable, time-out,
disconnection, a 4xx, a failing login or TLS set-up, which concern the configuration rather than the
message) is temporary and retried.
"""

from __future__ import annotations

import email.policy
import hashlib
import html
import io
import re
import ssl
from datetime import UTC, datetime
from email.generator import BytesGenerator
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from typing import TextIO

import aiosmtplib

from bot.sending.printed import format_message

from .base import Outgoing, PermanentFailure, TemporaryFailure

SECURITY_MODES = ("none", "starttls", "tls")
# Failures of one message's envelope or content; the other SMTP replies concern the session.
_MESSAGE_ERRORS = (aiosmtplib.SMTPSenderRefused, aiosmtplib.SMTPRecipientRefused, aiosmtplib.SMTPDataError)


def message_id(message: Outgoing, sender: str) -> str:
    """`<hash.orientation@domain>` from the outbox id and dedupe key: stable, revealing neither."""
    seed = f"{message.id}:{message.dedupe_key or ''}".encode()
    digest = hashlib.sha256(seed).hexdigest()[:32]
    return f"<{digest}.orientation@{_domain(sender)}>"


def _domain(sender: str) -> str:
    domain = parseaddr(sender)[1].rpartition("@")[2] or "localhost"
    try:
        return domain.encode("idna").decode("ascii")
    except UnicodeError:
        return "localhost"


def html_body(text: str, title: str) -> str:
    """The text as HTML: escaped, a paragraph per blank-line-separated block, `<br>` at line breaks."""
    blocks = [block for block in re.split(r"\n[ \t]*\n", text.strip()) if block.strip()]
    paragraphs = "\n".join(
        "<p>" + "<br>\n".join(_escape(line) for line in block.splitlines()) + "</p>" for block in blocks
    )
    return (
        '<!DOCTYPE html>\n<html lang="fr">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{_escape(title)}</title>\n</head>\n<body>\n{paragraphs}\n</body>\n</html>\n"
    )


def _escape(text: str) -> str:
    """Element content only needs &, < and > escaped; apostrophes stay readable in the source."""
    return html.escape(text, quote=False)


# Headers fold only past RFC 5322's 998 characters: Python's folding of a line around encoded
# words drops the space between them ("été validées" arrived as "étévalidées").
SEND_POLICY = email.policy.SMTP.clone(max_line_length=998)


def flatten(mail: EmailMessage) -> bytes:
    """The message as sent over SMTP (CRLF line ends), without the folding bug."""
    buffer = io.BytesIO()
    BytesGenerator(buffer, policy=SEND_POLICY).flatten(mail)
    return buffer.getvalue()


def render_email(message: Outgoing, sender: str, now: datetime | None = None) -> EmailMessage:
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = message.recipient
    mail["Subject"] = message.subject
    mail["Date"] = format_datetime(now or datetime.now(UTC))
    mail["Message-ID"] = message_id(message, sender)
    # Quoted-printable keeps accents intact through relays that do not announce 8BITMIME.
    mail.set_content(message.body, cte="quoted-printable")
    mail.add_alternative(html_body(message.body, message.subject), subtype="html", cte="quoted-printable")
    for part in mail.iter_parts():
        del part["MIME-Version"]  # add_alternative repeats it on the HTML part; it belongs at the top only
    return mail


class PrintedEmail:
    """The embedded default: print the e-mail (subject line, body indented); nothing leaves the process."""

    def __init__(self, out: TextIO) -> None:
        self.out = out

    async def send(self, message: Outgoing) -> None:
        printed = format_message({"kind": "email", "recipient": message.recipient,
                                  "subject": message.subject, "body": message.body})
        print(printed, file=self.out, flush=True)

    async def aclose(self) -> None:
        return None


class SmtpEmail:
    """SMTP submission with aiosmtplib, one connection per message."""

    def __init__(self, host: str, port: int | None, security: str, user: str | None, password: str | None,
                 sender: str, timeout: float = 10.0, *, tls_context: ssl.SSLContext | None = None) -> None:
        if security not in SECURITY_MODES:
            raise ValueError(f"SMTP security must be one of {', '.join(SECURITY_MODES)}, not {security!r}")
        self.host = host
        self.port = port or None  # aiosmtplib's default: 25, 587 with STARTTLS, 465 with TLS
        self.security = security
        self.user = user or None
        self.password = password or ""
        self.sender = sender
        self.timeout = timeout
        self.tls_context = tls_context

    async def send(self, message: Outgoing) -> None:
        mail = flatten(render_email(message, self.sender))
        try:
            await aiosmtplib.send(
                mail, sender=parseaddr(self.sender)[1], recipients=[message.recipient],
                hostname=self.host, port=self.port, timeout=self.timeout,
                username=self.user, password=self.password if self.user else None,
                use_tls=self.security == "tls", start_tls=self.security == "starttls",
                tls_context=self.tls_context,
            )
        except (aiosmtplib.SMTPException, OSError) as exc:
            raise classify(exc) from exc

    async def aclose(self) -> None:
        return None


def classify(exc: Exception) -> TemporaryFailure | PermanentFailure:
    """Permanent for a 5xx about this message; temporary for everything else."""
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused) and exc.recipients:
        refusals = exc.recipients
        reason = "; ".join(f"{r.code} {r.message} ({r.recipient})" for r in refusals)
        permanent = all(r.code >= 500 for r in refusals)
        return PermanentFailure(reason) if permanent else TemporaryFailure(reason)
    if isinstance(exc, _MESSAGE_ERRORS):
        reason = f"{exc.code} {exc.message}"
        return PermanentFailure(reason) if exc.code >= 500 else TemporaryFailure(reason)
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        return TemporaryFailure(f"SMTP server: {exc.code} {exc.message}")
    return TemporaryFailure(f"SMTP server unreachable or failing ({type(exc).__name__}: {exc})")
