"""Telegram webhook mode and transport choice, and the configuration of every channel."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from bot.runtime.bootstrap import build
from bot.runtime.config import Config, ConfigError, TelegramConfig, load
from bot.runtime.run import telegram_transport

from ..botapi.double import BotApiDouble
from ..support import Clock, light_hasher
from ..telegram_support import CLAIRE, WEBHOOK_SECRET, free_port, running_bot

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def double():
    with BotApiDouble() as server:
        yield server


@pytest.mark.parametrize("transport", ["ptb", "httpx"])
async def test_webhook_mode(double, tmp_path, transport):
    port = free_port()
    async with running_bot(double, tmp_path, transport, Clock(), webhook_port=port) as app:
        await double.wait_for(lambda d: d.webhook()["url"])
        assert double.webhook()["url"] == f"http://127.0.0.1:{port}/telegram/webhook"
        double.send_text(CLAIRE, "/start")
        await double.wait_for(lambda d: d.last_bot_message(CLAIRE))
        assert "Avez-vous déjà un compte ?" in double.last_bot_message(CLAIRE)["text"]
        double.press(CLAIRE, label="J'ai un compte")
        await double.wait_for(lambda d: "identifiant" in d.last_bot_message(CLAIRE)["text"])

        url = f"http://127.0.0.1:{port}/telegram/webhook"
        forged = {"update_id": 999, "message": {
            "message_id": 1, "date": 0, "text": "/start",
            "chat": {"id": 77, "type": "private"}, "from": {"id": 77, "is_bot": False,
                                                            "first_name": "X"}}}
        async with httpx.AsyncClient() as client:
            for headers in ({}, {"X-Telegram-Bot-Api-Secret-Token": "wrong-secret-0123456"}):
                answer = await client.post(url, json=forged, headers=headers)
                assert answer.status_code == 403
            good = {"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET}
            assert (await client.post(url, content=b"{not json", headers=good)).status_code == 400
            assert (await client.post(url, json=[1, 2], headers=good)).status_code == 400
            assert (await client.get(url)).status_code == 405
        assert app.store.conversation("telegram", "77") is None  # refused: no effect
    double.assert_no_violations()


def _config(tmp_path, transport: str) -> Config:
    return Config(tmp_path / "db.sqlite3", None, "NORMAL", False,
                  TelegramConfig("1:x", "http://127.0.0.1:9/bot", transport, None, ""))


def test_transport_is_chosen_by_configuration(tmp_path):
    app = build(_config(tmp_path, "httpx"), light_hasher())
    assert type(telegram_transport(app, app.config.telegram)).__name__ == "HttpxTransport"
    app = build(_config(tmp_path, "ptb"), light_hasher())
    assert type(telegram_transport(app, app.config.telegram)).__name__ == "PtbTransport"


def test_httpx_is_used_when_python_telegram_bot_cannot_be_imported(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "telegram", None)  # makes `import telegram` fail
    monkeypatch.delitem(sys.modules, "bot.channels.telegram.via_ptb", raising=False)
    app = build(_config(tmp_path, "ptb"), light_hasher())
    assert type(telegram_transport(app, app.config.telegram)).__name__ == "HttpxTransport"


def test_the_httpx_path_imports_no_framework():
    code = ("import sys, bot.runtime.run, bot.channels.telegram.via_httpx; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in "
            "('telegram', 'aiogram', 'telebot', 'pyrogram')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
                         check=True).stdout
    assert out.strip() == "[]"


@pytest.mark.parametrize(("env", "message"), [
    ({"TELEGRAM_BOT_TOKEN": "not-a-token"}, "TELEGRAM_BOT_TOKEN does not look like a bot token"),
    ({"TELEGRAM_BOT_TOKEN": "1:abc", "TELEGRAM_TRANSPORT": "aiogram"}, "must be ptb or httpx"),
    ({"TELEGRAM_BOT_TOKEN": "1:abc", "TELEGRAM_API_BASE_URL": "ftp://x"}, "not an http(s) URL"),
    ({"TELEGRAM_BOT_TOKEN": "1:abc", "TELEGRAM_WEBHOOK_URL": "https://bot.example.org"},
     "TELEGRAM_WEBHOOK_SECRET must be set"),
    ({"HTTP_PORT": "eighty"}, "not a port number"),
])
def test_telegram_configuration_mistakes(env, message):
    with pytest.raises(ConfigError, match=re.escape(message)):
        load(None, None, env)


def test_telegram_configuration():
    config = load(None, None, {"TELEGRAM_BOT_TOKEN": "123:AbC-d_e", "TELEGRAM_TRANSPORT": "HTTPX",
                               "HTTP_PORT": "9000"})
    assert config.telegram == TelegramConfig("123:AbC-d_e", "https://api.telegram.org/bot",
                                             "httpx", None, "")
    assert config.http_port == 9000
    assert load(None, None, {}).telegram is None


@pytest.mark.parametrize("transport", ["ptb", "httpx"])
def test_a_refused_token_stops_with_one_line(double, tmp_path, transport):
    env = {"TELEGRAM_BOT_TOKEN": "999:refused-token", "TELEGRAM_TRANSPORT": transport,
           "TELEGRAM_API_BASE_URL": double.base_url, "PATH": ""}
    result = subprocess.run([sys.executable, "-m", "bot", "--db", str(tmp_path / "d.sqlite3"),
                             "run"], capture_output=True, text=True, cwd=ROOT, env=env,
                            timeout=60)
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip().splitlines()[-1] == (
        "error: Telegram refused TELEGRAM_BOT_TOKEN (check it with BotFather)")


@pytest.mark.parametrize(("env", "message"), [
    ({"SMTP_HOST": "smtp.example.org"}, "MAIL_FROM must be set"),
    ({"SMTP_HOST": "smtp.example.org", "MAIL_FROM": "x@example.org", "SMTP_SECURITY": "ssl"},
     "must be none, starttls or tls"),
    ({"SMTP_HOST": "smtp.example.org", "MAIL_FROM": "x@example.org", "SMTP_PORT": "abc"},
     "SMTP_PORT: 'abc' is not a port number"),
    ({"SMS_GATEWAY_URL": "https://api.twilio.com", "SMS_ACCOUNT_SID": "AC1"},
     "SMS_AUTH_TOKEN, SMS_FROM must be set with SMS_GATEWAY_URL"),
    ({"SMS_GATEWAY_URL": "api.twilio.com"}, "is not an http(s) URL"),
    ({"SMS_RATE_PER_S": "fast"}, "SMS_RATE_PER_S: 'fast' is not a number"),
])
def test_sending_configuration_mistakes(env, message):
    with pytest.raises(ConfigError, match=re.escape(message)):
        load(None, None, env)


def test_sending_configuration_and_defaults():
    config = load(None, None, {
        "SMTP_HOST": "smtp.example.org", "SMTP_SECURITY": "tls", "MAIL_FROM": "ecole@example.org",
        "SMTP_USER": "ecole", "SMTP_PASSWORD": "s3cret",
        "SMS_GATEWAY_URL": "https://api.twilio.com/", "SMS_ACCOUNT_SID": "AC1",
        "SMS_AUTH_TOKEN": "tok", "SMS_FROM": "+33700000000", "MAIL_RATE_PER_S": "2"})
    assert (config.smtp.port, config.smtp.security, config.smtp.user) == (465, "tls", "ecole")
    assert config.sms.url == "https://api.twilio.com" and config.sms.sender == "+33700000000"
    assert config.rates == {"push:telegram": 30.0, "sms": 5.0, "email": 2.0}
    default = load(None, None, {})
    assert default.smtp is None and default.sms is None  # printed and kept


@pytest.mark.parametrize("utc_now", ["2026-12-07T23:30:00", "2026-07-01T22:59:00", "2027-03-28T00:30:00"])
def test_today_is_the_day_in_france_whatever_the_utc_hour(monkeypatch, utc_now):
    # At 23:30 UTC it is already the next day in Paris: `--today D` must give D in France.
    import datetime as real

    from bot.runtime import config

    frozen = real.datetime.fromisoformat(utc_now).replace(tzinfo=real.UTC)

    class Frozen(real.datetime):
        @classmethod
        def now(cls, tz=None):
            return frozen.astimezone(tz) if tz else frozen.replace(tzinfo=None)

    monkeypatch.setattr(config, "datetime", Frozen)
    moved = config.make_clock(real.date(2027, 3, 30))()
    assert moved.astimezone(config.HOME_ZONE).date() == real.date(2027, 3, 30)
    assert moved.astimezone(config.HOME_ZONE).time() == frozen.astimezone(config.HOME_ZONE).time()
