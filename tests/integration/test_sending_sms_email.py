"""SMS and e-mail transports against real loopback servers: a Twilio-compatible gateway double and an
aiosmtpd SMTP server (plain, with AUTH, and with STARTTLS / implicit TLS when `openssl` can make a
self-signed certificate). Also the printed transports of the embedded default."""

from __future__ import annotations

import base64
import contextlib
import io
import shutil
import socket
import ssl
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import pytest

from bot.sending.base import Outgoing, PermanentFailure, TemporaryFailure
from bot.sending.email import PrintedEmail, SmtpEmail, render_email
from bot.sending.printed import format_message
from bot.sending.sms import PrintedSms, TwilioSms
from flows.texts import t

from ..mail_support import Mailbox, parse, smtp_server
from ..sms_gateway_double import SmsGatewayDouble

NUMBER = "+33612345678"
SENDER_NUMBER = "+33700000001"
SERVICE_SID = "MG" + "fedcba9876543210" * 2
CODE_SMS = "Scolarité Services : votre code d'activation ÉduConnect est 123456.\nIl expire dans 15 minutes."
MAIL_FROM = "Scolarité Services <orientation@ac-exemple.fr>"
PARENT = "claire.martin@example.org"


def sms(body: str = CODE_SMS, number: str = NUMBER) -> Outgoing:
    return Outgoing(7, "sms", number, body, dedupe_key="code:7")


def mail(recipient: str = PARENT, row_id: int = 42) -> Outgoing:
    recap = "1. 2de générale et technologique — Lycée Victor-Hugo\n2. 2de professionnelle <métiers>"
    body = t("mail.confirmation.body", prenom="Léa", nom="Martin", date="12 mai 2025", recap=recap)
    return Outgoing(row_id, "email", recipient, body, subject=t("mail.confirmation.subject", prenom="Léa"),
                    dedupe_key=f"confirm:S1:intentions:2025-05-12T10:00:00+00:00:{row_id}")


def free_port() -> int:
    """A loopback port nothing listens on (connections are refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def silent_listener() -> Iterator[int]:
    """A port that accepts TCP connections (in the kernel's backlog) and never says anything."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        yield sock.getsockname()[1]


# ---------------------------------------------------------------------------------------------------------
# SMS through the Twilio-compatible gateway.
# ---------------------------------------------------------------------------------------------------------


@pytest.fixture
def gateway() -> Iterator[SmsGatewayDouble]:
    with SmsGatewayDouble() as double:
        yield double


@pytest.fixture
async def twilio(gateway):
    transport = TwilioSms(gateway.base_url, gateway.account_sid, gateway.auth_token, SENDER_NUMBER, timeout=2)
    yield transport
    await transport.aclose()


async def test_sms_request_format_and_auth(gateway, twilio):
    await twilio.send(sms())
    [request] = gateway.requests
    assert request.method == "POST"
    assert request.path == f"/2010-04-01/Accounts/{gateway.account_sid}/Messages.json"
    credentials = base64.b64encode(f"{gateway.account_sid}:{gateway.auth_token}".encode()).decode()
    assert request.authorization == f"Basic {credentials}"
    assert request.content_type.startswith("application/x-www-form-urlencoded")
    assert request.form == {"To": NUMBER, "From": SENDER_NUMBER, "Body": CODE_SMS}
    [accepted] = gateway.messages
    assert accepted["status"] == "queued" and accepted["sid"].startswith("SM")


async def test_sms_messaging_service_sender(gateway):
    transport = TwilioSms(gateway.base_url + "/", gateway.account_sid, gateway.auth_token, SERVICE_SID)
    try:
        await transport.send(sms())
    finally:
        await transport.aclose()
    assert gateway.requests[0].form == {"To": NUMBER, "MessagingServiceSid": SERVICE_SID, "Body": CODE_SMS}
    assert gateway.messages[0]["status"] == "accepted"


def test_sms_short_sender_name_starting_with_mg_is_a_from():
    transport = TwilioSms("", "AC1", "token", "MGEN")
    assert transport.form(sms()) == {"To": NUMBER, "From": "MGEN", "Body": CODE_SMS}
    assert transport.url == "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages.json"


async def test_sms_refused_number_is_permanent_with_twilios_reason(gateway, twilio):
    message = "The 'To' number +3361234 is not a valid phone number."
    gateway.fail_next(400, body={"code": 21211, "message": message, "status": 400,
                                 "more_info": "https://www.twilio.com/docs/errors/21211"})
    with pytest.raises(PermanentFailure) as failure:
        await twilio.send(sms(number="+3361234"))
    assert f"21211: {message}" in failure.value.reason
    assert gateway.messages == []


@pytest.mark.parametrize("status", [500, 502, 503, 429])
async def test_sms_server_errors_and_rate_limits_are_temporary(gateway, twilio, status):
    gateway.fail_next(status)
    with pytest.raises(TemporaryFailure) as failure:
        await twilio.send(sms())
    assert failure.value.retry_after is None
    assert str(status) in failure.value.reason
    await twilio.send(sms())  # the next try goes through
    assert len(gateway.messages) == 1


@pytest.mark.parametrize("status", [503, 429])
async def test_sms_retry_after_is_honoured(gateway, twilio, status):
    gateway.fail_next(status, headers={"Retry-After": "7"})
    with pytest.raises(TemporaryFailure) as failure:
        await twilio.send(sms())
    assert failure.value.retry_after == 7.0


async def test_sms_retry_after_as_http_date(gateway, twilio):
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=120), usegmt=True)
    gateway.fail_next(503, headers={"Retry-After": later})
    with pytest.raises(TemporaryFailure) as failure:
        await twilio.send(sms())
    assert 110 <= failure.value.retry_after <= 120


async def test_sms_proxy_error_page_is_temporary(gateway, twilio):
    gateway.fail_next(502, body="<html><body>Bad Gateway</body></html>")
    with pytest.raises(TemporaryFailure, match="Bad Gateway"):
        await twilio.send(sms())


async def test_sms_wrong_credentials_are_temporary(gateway):
    """A 401 is the configuration, not the message: retried (the sender gives up after its max tries)."""
    transport = TwilioSms(gateway.base_url, gateway.account_sid, "wrong-token", SENDER_NUMBER)
    try:
        with pytest.raises(TemporaryFailure, match="20003: Authenticate"):
            await transport.send(sms())
    finally:
        await transport.aclose()


async def test_sms_gateway_down_is_temporary_then_recovers(gateway, twilio):
    await twilio.send(sms())
    gateway.down()
    with pytest.raises(TemporaryFailure, match="unreachable"):
        await twilio.send(sms())
    gateway.up()
    await twilio.send(sms())
    assert len(gateway.messages) == 2


async def test_sms_nothing_listening_is_temporary():
    transport = TwilioSms(f"http://127.0.0.1:{free_port()}", "AC1", "token", SENDER_NUMBER)
    try:
        with pytest.raises(TemporaryFailure):
            await transport.send(sms())
    finally:
        await transport.aclose()


async def test_sms_time_out_is_temporary():
    with silent_listener() as port:
        transport = TwilioSms(f"http://127.0.0.1:{port}", "AC1", "token", SENDER_NUMBER, timeout=0.2)
        try:
            with pytest.raises(TemporaryFailure, match="time-out"):
                await transport.send(sms())
        finally:
            await transport.aclose()


# ---------------------------------------------------------------------------------------------------------
# E-mail: rendering.
# ---------------------------------------------------------------------------------------------------------


def test_render_email_headers_text_and_html():
    message = mail()
    rendered = parse(render_email(message, MAIL_FROM).as_bytes())
    assert rendered.keys() == ["From", "To", "Subject", "Date", "Message-ID", "MIME-Version", "Content-Type"]
    for part in rendered.iter_parts():
        assert part.keys() == ["Content-Type", "Content-Transfer-Encoding"]
    assert rendered["From"].addresses[0].display_name == "Scolarité Services"
    assert rendered["Subject"] == "Orientation de Léa : vos intentions provisoires ont bien été validées"
    assert rendered.get_content_type() == "multipart/alternative"
    text = rendered.get_body(("plain",)).get_content()
    assert text.rstrip("\n") == message.body
    page = rendered.get_body(("html",)).get_content()
    assert '<html lang="fr">' in page and '<meta charset="utf-8">' in page
    assert "<p>Bonjour,</p>" in page
    assert ("<p>1. 2de générale et technologique — Lycée Victor-Hugo<br>\n"
            "2. 2de professionnelle &lt;métiers&gt;</p>") in page
    assert "<p>Vous pouvez modifier vos demandes d'orientation" in page
    assert "<métiers>" not in page


def test_message_id_is_stable_per_outbox_row_and_reveals_nothing():
    first = render_email(mail(), MAIL_FROM)["Message-ID"]
    again = render_email(mail(), MAIL_FROM, now=datetime(2030, 1, 1, tzinfo=UTC))["Message-ID"]
    other = render_email(mail(row_id=43), MAIL_FROM)["Message-ID"]
    assert first == again != other
    assert first.endswith("@ac-exemple.fr>") and "confirm" not in first and "42" not in first.split(".")[0]


# ---------------------------------------------------------------------------------------------------------
# E-mail through a real SMTP server (aiosmtpd) on loopback.
# ---------------------------------------------------------------------------------------------------------


@pytest.fixture
def mailbox() -> Mailbox:
    return Mailbox()


def smtp(port: int, security: str = "none", user: str = "", password: str = "", **options: Any) -> SmtpEmail:
    return SmtpEmail("127.0.0.1", port, security, user, password, MAIL_FROM, timeout=2, **options)


async def test_smtp_delivers_text_and_html_in_french(mailbox):
    with smtp_server(mailbox) as server:
        await smtp(server.port).send(mail())
    [received] = mailbox.received
    assert received["mail_from"] == "orientation@ac-exemple.fr" and received["rcpt_tos"] == [PARENT]
    assert not received["authenticated"] and not received["tls"]
    delivered = received["message"]
    assert delivered["To"] == PARENT
    assert delivered["From"].addresses[0].display_name == "Scolarité Services"
    assert delivered["Subject"] == mail().subject
    assert delivered["Message-ID"] == render_email(mail(), MAIL_FROM)["Message-ID"]
    assert delivered.get_body(("plain",)).get_content().rstrip("\n") == mail().body
    assert "Vos intentions provisoires pour Léa Martin ont bien été validées" in \
        delivered.get_body(("html",)).get_content()


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")
async def test_smtp_with_auth(mailbox):
    with smtp_server(mailbox, authenticator=mailbox.authenticate, auth_required=True,
                     auth_require_tls=False) as server:
        await smtp(server.port, user="ecole", password="s3cret").send(mail())
        with pytest.raises(TemporaryFailure, match="535"):
            await smtp(server.port, user="ecole", password="wrong").send(mail())
    assert mailbox.logins == [(b"ecole", b"s3cret")]
    assert [r["authenticated"] for r in mailbox.received] == [True]


async def test_smtp_unknown_recipient_is_permanent(mailbox):
    mailbox.replies["nobody@example.org"] = "550 5.1.1 <nobody@example.org>: Recipient address rejected"
    with smtp_server(mailbox) as server, pytest.raises(PermanentFailure) as failure:
        await smtp(server.port).send(mail("nobody@example.org"))
    assert "550 5.1.1" in failure.value.reason and "nobody@example.org" in failure.value.reason


async def test_smtp_message_refused_is_permanent(mailbox):
    mailbox.data_reply = "554 5.7.1 Message rejected"
    with smtp_server(mailbox) as server, pytest.raises(PermanentFailure, match="554 5.7.1"):
        await smtp(server.port).send(mail())


async def test_smtp_temporary_reply_is_temporary(mailbox):
    mailbox.replies[PARENT] = "451 4.3.0 Mailbox temporarily unavailable"
    with smtp_server(mailbox) as server, pytest.raises(TemporaryFailure, match="451 4.3.0"):
        await smtp(server.port).send(mail())


async def test_smtp_server_down_is_temporary():
    with pytest.raises(TemporaryFailure, match="unreachable"):
        await smtp(free_port()).send(mail())


async def test_smtp_silent_server_times_out_as_temporary():
    with silent_listener() as port:
        transport = SmtpEmail("127.0.0.1", port, "none", "", "", MAIL_FROM, timeout=0.2)
        with pytest.raises(TemporaryFailure):
            await transport.send(mail())


async def test_smtp_starttls_requested_but_not_offered_is_temporary(mailbox):
    with smtp_server(mailbox) as server, pytest.raises(TemporaryFailure, match="STARTTLS"):
        await smtp(server.port, "starttls").send(mail())
    assert mailbox.received == []


def test_smtp_security_is_checked():
    with pytest.raises(ValueError, match="starttls"):
        SmtpEmail("127.0.0.1", 25, "ssl", "", "", MAIL_FROM)


# STARTTLS and implicit TLS, with a self-signed certificate made at test time by the openssl command.


@pytest.fixture(scope="module")
def certificate(tmp_path_factory) -> tuple[Path, Path]:
    if shutil.which("openssl") is None:
        pytest.skip("the openssl command is needed to make a test certificate")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                    "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "1", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
                   check=True, capture_output=True, timeout=30)
    return cert, key


@pytest.fixture
def contexts(certificate) -> tuple[ssl.SSLContext, ssl.SSLContext]:
    cert, key = certificate
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server.load_cert_chain(cert, key)
    return server, ssl.create_default_context(cafile=str(cert))


async def test_smtp_starttls_with_auth(mailbox, contexts):
    server_context, client_context = contexts
    with smtp_server(mailbox, tls_context=server_context, require_starttls=True,
                     authenticator=mailbox.authenticate, auth_required=True) as server:
        await smtp(server.port, "starttls", "ecole", "s3cret", tls_context=client_context).send(mail())
    [received] = mailbox.received
    assert received["tls"] and received["authenticated"]


async def test_smtp_implicit_tls(mailbox, contexts):
    server_context, client_context = contexts
    with smtp_server(mailbox, ssl_context=server_context) as server:
        await smtp(server.port, "tls", tls_context=client_context).send(mail())
        with pytest.raises(TemporaryFailure):  # an unknown certificate is not trusted
            await smtp(server.port, "tls").send(mail())
    [received] = mailbox.received
    assert received["tls"] and received["message"]["Subject"] == mail().subject


# ---------------------------------------------------------------------------------------------------------
# The embedded default.
# ---------------------------------------------------------------------------------------------------------


async def test_console_sms_prints_the_marked_line():
    out = io.StringIO()
    await PrintedSms(out).send(sms())
    assert out.getvalue() == (
        "[SMS → +33612345678] Scolarité Services : votre code d'activation ÉduConnect est 123456.\n"
        "    Il expire dans 15 minutes.\n"
    )


async def test_console_email_prints_subject_and_indented_body():
    out = io.StringIO()
    message = mail()
    await PrintedEmail(out).send(message)
    printed = out.getvalue()
    assert printed.startswith(f"[E-MAIL → {PARENT}] Orientation de Léa : vos intentions provisoires ont bien")
    assert "\n    Bonjour,\n" in printed
    expected = format_message({"kind": "email", "recipient": PARENT, "subject": message.subject,
                               "body": message.body})
    assert printed == expected + "\n"
