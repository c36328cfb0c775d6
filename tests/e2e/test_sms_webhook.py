"""`POST /sms/inbound` over real loopback HTTP: signatures, redeliveries, TwiML answers, the public
URL behind a proxy, malformed requests, the configuration, and `python -m bot run` serving it."""

from __future__ import annotations

import logging
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from xml.etree import ElementTree

import httpx
import pytest

from bot.channels.sms.segments import count
from bot.runtime.config import ConfigError, SmsInboundConfig, load

from ..sms_gateway_double import SmsGatewayDouble
from ..sms_support import (
    BOT_NUMBER,
    CLAIRE_PHONE,
    STRANGER_PHONE,
    new_sid,
    running_sms_bot,
)
from ..telegram_support import free_port

ROOT = Path(__file__).resolve().parents[2]


def effects(bot) -> tuple:
    """Everything a request could have changed."""
    store = bot.app.store
    return (store.outbox(), store.conn.execute("SELECT * FROM inbound_seen").fetchall(),
            store.conn.execute("SELECT * FROM conversations").fetchall(),
            store.conn.execute("SELECT * FROM sms_opt_outs").fetchall())


async def test_a_signed_request_is_answered_through_the_gateway(tmp_path):
    async with running_sms_bot(tmp_path) as bot:
        phone = bot.phone(CLAIRE_PHONE)
        response = await bot.post(phone.form("Bonjour"))
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("application/xml")
        assert ElementTree.fromstring(response.text).tag == "Response"
        assert list(ElementTree.fromstring(response.text)) == []  # the answer leaves by the outbox
        received = await phone.received()
        assert len(received) == 1 and "Avez-vous déjà un compte ÉduConnect ?" in received[0]
        sent = bot.gateway.messages[-1]["form"]
        assert (sent["To"], sent["From"]) == (CLAIRE_PHONE, BOT_NUMBER)


@pytest.mark.parametrize("forgery", ["missing", "empty", "wrong", "another body", "another sender",
                                     "another url", "another token", "sha256 claimed"])
async def test_unsigned_or_wrongly_signed_requests_are_refused_with_no_effect(tmp_path, forgery):
    async with running_sms_bot(tmp_path) as bot:
        phone = bot.phone(CLAIRE_PHONE)
        await phone.send("Bonjour")
        before = effects(bot)
        params = phone.form("2")
        good = bot.sign(params)
        headers = {"X-Twilio-Signature": good}
        if forgery == "missing":
            headers = {}
        elif forgery == "empty":
            headers["X-Twilio-Signature"] = ""
        elif forgery == "wrong":
            headers["X-Twilio-Signature"] = good[::-1]
        elif forgery == "another body":  # a captured signature replayed with another body
            params = {**params, "Body": "1"}
        elif forgery == "another sender":
            params = {**params, "From": "+33611223344"}
        elif forgery == "another url":
            headers["X-Twilio-Signature"] = bot.sign(params, "https://elsewhere.example/sms/inbound")
        elif forgery == "another token":
            from twilio.request_validator import RequestValidator

            headers["X-Twilio-Signature"] = RequestValidator("x" * 32).compute_signature(bot.url,
                                                                                        params)
        elif forgery == "sha256 claimed":  # the signature is SHA-1's, the header says SHA-256
            headers["X-Twilio-Webhooks-Signature-Settings"] = "key=k,algorithm=HMAC_SHA256"
        response = await bot.client.post(bot.url, data=params, headers=headers)
        assert response.status_code == 403
        await bot.settled()
        assert effects(bot) == before
        assert await phone.received() == []


async def test_a_redelivered_message_has_no_second_effect(tmp_path):
    async with running_sms_bot(tmp_path) as bot:
        phone = bot.phone(CLAIRE_PHONE)
        await phone.send("Bonjour")
        sid = new_sid()
        assert "Je suis représentant légal" in "\n".join(await phone.send("2", sid=sid))
        before = effects(bot)
        for _ in range(3):
            response = await bot.post(phone.form("2", sid))
            assert response.status_code == 200
        await bot.settled()
        assert effects(bot) == before
        assert await phone.received() == []


async def test_twiml_answers_inline(tmp_path):
    async with running_sms_bot(tmp_path, reply="twiml") as bot:
        phone = bot.phone(CLAIRE_PHONE)
        response = await bot.post(phone.form("Bonjour"))
        messages = [m.text for m in ElementTree.fromstring(response.text)]
        assert len(messages) == 1 and "Avez-vous déjà un compte ÉduConnect ?\n1 J'ai un compte" \
            in messages[0]
        for text in ("2", "1", "1", "Martin", "Claire"):
            await bot.post(phone.form(text))
        response = await bot.post(phone.form("06 12 34 56 78"))
        assert "Un code d'activation vous a été envoyé" in response.text
        await bot.settled()
        # Only the activation code went through the gateway: the answers were in the responses.
        assert len(bot.gateway.messages) == 1
        assert bot.gateway.messages[0]["form"]["Body"].startswith(
            "Scolarité Services : votre code d'activation ÉduConnect est ")
        assert not [m for m in bot.app.store.outbox() if (m["dedupe_key"] or "").startswith("sms:")]
        sid = new_sid()
        assert "<Message>" in (await bot.post(phone.form("000000", sid))).text
        assert (await bot.post(phone.form("000000", sid))).text.endswith("<Response></Response>")


async def test_behind_a_proxy_the_public_url_is_the_one_signed(tmp_path):
    public = "https://bot.example.org/orientation/sms"
    async with running_sms_bot(tmp_path, webhook_url=public) as bot:
        phone = bot.phone(CLAIRE_PHONE)
        assert "Avez-vous déjà un compte" in await phone.text("Bonjour")  # signed over `public`
        params = phone.form("2")
        for url in (bot.url, "http://bot.example.org/orientation/sms"):
            response = await bot.client.post(bot.url, data=params,
                                             headers={"X-Twilio-Signature": bot.sign(params, url)})
            assert response.status_code == 403
        # A query string the gateway was given is signed too.
        params = phone.form("2")
        response = await bot.client.post(
            bot.url + "?school=0699999Z", data=params,
            headers={"X-Twilio-Signature": bot.sign(params, public + "?school=0699999Z")})
        assert response.status_code == 200


async def test_malformed_requests(tmp_path):
    async with running_sms_bot(tmp_path) as bot:
        for params in ({"From": CLAIRE_PHONE, "Body": "x"}, {"MessageSid": new_sid(), "Body": "x"}):
            assert (await bot.post(params)).status_code == 400  # signed, but not an SMS
        big = {"From": CLAIRE_PHONE, "Body": "x" * 70_000, "MessageSid": new_sid()}
        assert (await bot.post(big)).status_code == 413
        assert (await bot.client.get(bot.url)).status_code == 405
        assert (await bot.post({}, signature=None, content=b"\xff\xfe%%%")).status_code == 403
        assert bot.app.store.conversation("sms", CLAIRE_PHONE) is None


async def test_logs_name_the_message_never_the_number_nor_the_text(tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    async with running_sms_bot(tmp_path) as bot:
        sid = new_sid()
        await bot.phone(CLAIRE_PHONE).send("Mon secret Ebéniste", sid=sid)
        await bot.phone(STRANGER_PHONE).send("Bonjour")
        await bot.client.post(bot.url, data=bot.phone(CLAIRE_PHONE).form("forged"))
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert sid in logged
    for private in ("612345678", "655555555", "Ebéniste", "secret", "forged"):
        assert private not in logged


# ---- configuration and `python -m bot run` -----------------------------------------------------

SMS_ENV = {"SMS_GATEWAY_URL": "https://api.twilio.com", "SMS_ACCOUNT_SID": "AC1",
           "SMS_AUTH_TOKEN": "tok", "SMS_FROM": "+33700000000"}


@pytest.mark.parametrize(("env", "message"), [
    ({"SMS_INBOUND": "oui"}, "SMS_INBOUND: 'oui' must be 1 or 0"),
    ({"SMS_INBOUND": "1"}, "SMS_AUTH_TOKEN must be set with SMS_INBOUND=1"),
    ({"SMS_INBOUND": "1", "SMS_AUTH_TOKEN": "tok"}, "set SMS_GATEWAY_URL"),
    ({**SMS_ENV, "SMS_INBOUND": "1", "SMS_REPLY": "both"}, "SMS_REPLY: 'both' must be outbox or twiml"),
    ({**SMS_ENV, "SMS_INBOUND": "1", "SMS_WEBHOOK_URL": "bot.example.org"}, "is not an http(s) URL"),
    ({**SMS_ENV, "SMS_INBOUND": "1", "SMS_WEBHOOK_URL": "https://u:p@bot.example.org/sms"},
     "without credentials"),
])
def test_configuration_mistakes(env, message):
    with pytest.raises(ConfigError, match=re.escape(message)):
        load(None, None, env)


def test_configuration():
    assert load(None, None, SMS_ENV).sms_inbound is None  # outbound only, as before
    assert load(None, None, {**SMS_ENV, "SMS_INBOUND": "1"}).sms_inbound == SmsInboundConfig(
        "tok", "outbox", None)
    config = load(None, None, {"SMS_INBOUND": "1", "SMS_AUTH_TOKEN": "tok", "SMS_REPLY": "TwiML",
                               "SMS_WEBHOOK_URL": "https://bot.example.org/sms/inbound"})
    assert config.sms_inbound == SmsInboundConfig("tok", "twiml", "https://bot.example.org/sms/inbound")


def test_a_configuration_mistake_stops_with_one_line(tmp_path):
    env = {"PATH": os.environ.get("PATH", ""), "SMS_INBOUND": "1"}
    result = subprocess.run([sys.executable, "-m", "bot", "--db", str(tmp_path / "d.sqlite3"), "run"],
                            capture_output=True, text=True, cwd=ROOT, env=env, timeout=60)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "error: SMS_AUTH_TOKEN must be set with SMS_INBOUND=1 (incoming SMS are signed with it)"]


def test_run_serves_the_webhook_beside_the_other_channels(tmp_path):
    """`python -m bot run` with SMS configured and no Telegram token: the HTTP server with the SMS
    webhook (and the school console), until SIGTERM."""
    from twilio.request_validator import RequestValidator

    port = free_port()
    with SmsGatewayDouble() as gateway:
        env = {"PATH": os.environ.get("PATH", ""), "HTTP_PORT": str(port), "SMS_INBOUND": "1",
               "SMS_GATEWAY_URL": gateway.base_url, "SMS_ACCOUNT_SID": gateway.account_sid,
               "SMS_AUTH_TOKEN": gateway.auth_token, "SMS_FROM": BOT_NUMBER}
        process = subprocess.Popen([sys.executable, "-m", "bot", "--db", str(tmp_path / "d.sqlite3"),
                                    "run"], cwd=ROOT, env=env, stdin=subprocess.DEVNULL,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            url = f"http://127.0.0.1:{port}/sms/inbound"
            deadline = time.monotonic() + 60
            while True:
                try:
                    httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
                    break
                except httpx.TransportError:
                    assert process.poll() is None and time.monotonic() < deadline, process.stderr.read()
                    time.sleep(0.1)
            params = {"From": CLAIRE_PHONE, "To": BOT_NUMBER, "Body": "Bonjour", "MessageSid": new_sid()}
            signed = RequestValidator(gateway.auth_token).compute_signature(url, params)
            response = httpx.post(url, data=params, headers={"X-Twilio-Signature": signed}, timeout=10)
            assert response.status_code == 200
            deadline = time.monotonic() + 30

            def answered() -> bool:  # reminders due at this hour may go out too
                return any("Avez-vous déjà un compte" in m["form"]["Body"]
                           for m in list(gateway.messages) if m["to"] == CLAIRE_PHONE)
            while not answered() and time.monotonic() < deadline:
                time.sleep(0.05)
            assert answered()
        finally:
            process.send_signal(signal.SIGTERM)
            _, stderr = process.communicate(timeout=30)
        assert process.returncode == 0, stderr
        assert f"SMS webhook: http://127.0.0.1:{port}/sms/inbound" in stderr


async def test_bad_input_by_sms_through_the_webhook(tmp_path):
    """Empty, 1,000 characters, 1,001, emoji, an unknown number, another family's number, STOP in
    the middle of a dialogue: each gets a clear answer within 2 segments, and nothing breaks."""
    async with running_sms_bot(tmp_path) as bot:
        claire = bot.phone(CLAIRE_PHONE)
        for text in ("Bonjour", "2", "1", "1"):
            await claire.send(text)
        assert bot.app.store.conversation("sms", CLAIRE_PHONE).state == "act_nom"
        assert "Votre message est vide" in await claire.text("")
        assert "Ce nom ne semble pas valide" in await claire.text("x" * 1000)
        assert "Message trop long (1000 caractères au plus)" in await claire.text("x" * 1001)
        assert "Ce nom ne semble pas valide" in await claire.text("🙂🙂")
        stop = await claire.send("STOP")
        assert stop == ["Scolarité Services : vous ne recevrez plus de rappels par SMS. Envoyez START "
                        "pour les recevoir à nouveau. Pour continuer, répondez à la dernière question "
                        "ou envoyez MENU."]
        assert "Prénom ?" in await claire.text("Martin")  # the dialogue goes on
        assert bot.app.store.sms_opted_out(CLAIRE_PHONE)

        stranger = bot.phone(STRANGER_PHONE)
        assert await stranger.send("Bonjour") == [
            "Scolarité Services : ce numéro n'est pas connu du service Orientation par SMS. Pour "
            "l'utiliser, contactez l'établissement de votre enfant."]
        assert await stranger.send("MENU") == []

        thi = bot.phone("+33611223344")  # on file, for the Nguyen family
        for text in ("Bonjour", "2", "1", "1", "Martin", "Claire"):
            await thi.send(text)
        answer = await thi.text("06 12 34 56 78")
        assert "Un code d'activation vous a été envoyé par SMS au ** ** ** ** 78" in answer
        assert "votre code d'activation" not in answer  # the code went to Claire's phone
        assert any("votre code d'activation" in text for text in await claire.received())
        for text in bot.sent_to("+33611223344") + bot.sent_to(STRANGER_PHONE) + bot.sent_to(CLAIRE_PHONE):
            measured = count(text)
            assert measured.segments <= 2 and measured.encoding == "GSM-7", text
        assert bot.app.engine.internal_errors == 0


async def test_a_captured_request_cannot_be_replayed_under_a_forged_message_id(tmp_path):
    # The signature runs keys and values together: folding the next field into MessageSid keeps a
    # captured STOP's signature valid. Only well-formed ids (and Twilio-shaped fields) are taken.
    async with running_sms_bot(tmp_path) as bot:
        phone = bot.phone(CLAIRE_PHONE)
        await phone.send("Bonjour")
        captured = phone.form("STOP")
        assert (await bot.post(captured)).status_code == 200
        await phone.send("START")
        await bot.settled()
        before = effects(bot)
        sid = captured["MessageSid"]
        folded = {k: v for k, v in captured.items() if k != "NumMedia"}
        folded["MessageSid"] = f"{sid}NumMedia{captured['NumMedia']}"
        assert bot.sign(folded) == bot.sign(captured)  # a new id, still validly signed
        forged = [folded, {**captured, "MessageSid": "SM" + "AB" * 16},  # upper-case hex
                  {**captured, "SmsSid": new_sid()}, {**captured, "messagesid": sid},
                  {**captured, "MessageSid": "SM" + "0" * 31}]
        for params in forged:
            assert (await bot.post(params)).status_code == 400, params
        await bot.settled()
        assert effects(bot) == before
        assert not bot.app.store.sms_opted_out(CLAIRE_PHONE)
