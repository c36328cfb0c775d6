"""The configuration of every channel, read from the environment: mistakes stop the program with one
clear line; the defaults print and keep what they would send; the moved clock counts days in France."""

from __future__ import annotations

import re

import pytest

from bot.runtime.config import ConfigError, TelegramConfig, load


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
