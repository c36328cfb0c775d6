"""Configuration from the command line and the environment, checked once at start-up.

A mistake stops the program with one clear line (`ConfigError`), before anything runs.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from flows.rules.calendar import HOME_TIMEZONE

# The process environment, or a test's dictionary in its place.
Env = Mapping[str, str]

DEFAULT_DB = "data/orientation.sqlite3"
DEFAULT_API_BASE_URL = "https://api.telegram.org/bot"


class ConfigError(Exception):
    """A configuration mistake; its message is the one line shown to the operator."""


@dataclass(frozen=True)
class TelegramConfig:
    token: str
    base_url: str  # python-telegram-bot's form: the token and the method are appended
    transport: str  # "ptb" or "httpx"
    webhook_url: str | None  # set: webhook mode; unset: long polling
    webhook_secret: str


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int
    security: str  # "none", "starttls" or "tls"
    user: str | None
    password: str | None
    sender: str


@dataclass(frozen=True)
class SmsConfig:
    url: str  # a Twilio-compatible Messages API base, e.g. https://api.twilio.com
    account_sid: str
    auth_token: str
    sender: str


@dataclass(frozen=True)
class SmsInboundConfig:
    """Incoming SMS on `POST /sms/inbound` (SMS_INBOUND=1)."""

    auth_token: str  # what the gateway signs requests with (SMS_AUTH_TOKEN)
    reply: str  # "outbox" (answers queued, sent through the gateway) or "twiml" (in the answer)
    webhook_url: str | None  # the public URL the gateway calls and signs; None: the request's


@dataclass(frozen=True)
class Config:
    db_path: Path
    today: date | None  # moves the bot's clock to this date (keeping the time of day)
    synchronous: str
    demo: bool
    telegram: TelegramConfig | None = None
    http_host: str = "127.0.0.1"
    http_port: int = 8080
    smtp: SmtpConfig | None = None  # None: e-mails are printed and kept
    sms: SmsConfig | None = None  # None: SMS are printed and kept
    rates: dict[str, float] | None = None  # messages per second per transport
    # The school console's session cookie is `Secure` unless this is set (CONSOLE_INSECURE_COOKIES=1)
    # or the console is reached over plain http at a loopback address (see bot/school/console/auth.py).
    console_insecure_cookies: bool = False
    sms_inbound: SmsInboundConfig | None = None  # None: no SMS webhook


def parse_today(raw: str | None, source: str) -> date | None:
    if raw is None or raw == "":
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise ConfigError(f"{source}: '{raw}' is not a date; expected YYYY-MM-DD") from None


def load(db: str | None, today: str | None, environ: Env | None = None) -> Config:
    env: Env = os.environ if environ is None else environ
    db_path = Path(db or env.get("ORIENTATION_DB") or DEFAULT_DB)
    when = parse_today(today, "--today") if today else parse_today(
        env.get("ORIENTATION_TODAY"), "ORIENTATION_TODAY")
    synchronous = env.get("ORIENTATION_SQLITE_SYNCHRONOUS", "FULL").upper()
    if synchronous not in ("NORMAL", "FULL", "EXTRA"):
        raise ConfigError(
            f"ORIENTATION_SQLITE_SYNCHRONOUS: '{synchronous}' must be NORMAL, FULL or EXTRA")
    demo = env.get("ORIENTATION_DEMO", "1") not in ("0", "false", "no")
    return Config(db_path, when, synchronous, demo, _telegram(env),
                  env.get("HTTP_HOST", "127.0.0.1"), _port(env.get("HTTP_PORT", "8080")),
                  _smtp(env), _sms(env), _rates(env), sms_inbound=_sms_inbound(env),
                  console_insecure_cookies=env.get("CONSOLE_INSECURE_COOKIES", "0").strip().lower()
                  in ("1", "true", "yes"))


SMTP_PORTS = {"none": 25, "starttls": 587, "tls": 465}


def _smtp(env: Env) -> SmtpConfig | None:
    host = env.get("SMTP_HOST", "").strip()
    if not host:
        return None
    security = env.get("SMTP_SECURITY", "starttls").strip().lower()
    if security not in SMTP_PORTS:
        raise ConfigError(f"SMTP_SECURITY: '{security}' must be none, starttls or tls")
    port = env.get("SMTP_PORT", "").strip()
    sender = env.get("MAIL_FROM", "").strip()
    if "@" not in sender:
        raise ConfigError("MAIL_FROM must be set to the sender's e-mail address with SMTP_HOST")
    return SmtpConfig(host, _port(port, "SMTP_PORT") if port else SMTP_PORTS[security], security,
                      env.get("SMTP_USER") or None, env.get("SMTP_PASSWORD") or None, sender)


def _sms(env: Env) -> SmsConfig | None:
    url = env.get("SMS_GATEWAY_URL", "").strip().rstrip("/")
    if not url:
        return None
    if not re.match(r"https?://[^/\s]+", url):
        raise ConfigError(f"SMS_GATEWAY_URL: '{url}' is not an http(s) URL")
    values = {name: env.get(name, "").strip() for name in
              ("SMS_ACCOUNT_SID", "SMS_AUTH_TOKEN", "SMS_FROM")}
    missing = [name for name, value in values.items() if not value]
    if missing:
        raise ConfigError(f"{', '.join(missing)} must be set with SMS_GATEWAY_URL")
    return SmsConfig(url, values["SMS_ACCOUNT_SID"], values["SMS_AUTH_TOKEN"], values["SMS_FROM"])


def _sms_inbound(env: Env) -> SmsInboundConfig | None:
    enabled = env.get("SMS_INBOUND", "0").strip().lower()
    if enabled not in ("0", "1", "false", "true", "no", "yes", ""):
        raise ConfigError(f"SMS_INBOUND: '{enabled}' must be 1 or 0")
    if enabled not in ("1", "true", "yes"):
        return None
    reply = env.get("SMS_REPLY", "outbox").strip().lower()
    if reply not in ("outbox", "twiml"):
        raise ConfigError(f"SMS_REPLY: '{reply}' must be outbox or twiml")
    token = env.get("SMS_AUTH_TOKEN", "").strip()
    if not token:
        raise ConfigError("SMS_AUTH_TOKEN must be set with SMS_INBOUND=1 (incoming SMS are signed "
                          "with it)")
    if reply == "outbox" and not env.get("SMS_GATEWAY_URL", "").strip():
        raise ConfigError("SMS_INBOUND=1 answers through the SMS gateway: set SMS_GATEWAY_URL "
                          "(with SMS_ACCOUNT_SID and SMS_FROM), or SMS_REPLY=twiml")
    url = env.get("SMS_WEBHOOK_URL", "").strip() or None
    if url is not None and not re.fullmatch(r"https?://[^/\s@]+(/\S*)?", url):
        raise ConfigError(f"SMS_WEBHOOK_URL: '{url}' is not an http(s) URL (without credentials)")
    return SmsInboundConfig(token, reply, url)


def _rates(env: Env) -> dict[str, float]:
    rates = {"push:telegram": 30.0}  # Telegram: about 30 messages per second in all
    for kind, name, default in (("sms", "SMS_RATE_PER_S", "5"), ("email", "MAIL_RATE_PER_S", "5")):
        raw = env.get(name, default)
        try:
            rates[kind] = float(raw)
        except ValueError:
            raise ConfigError(f"{name}: '{raw}' is not a number of messages per second") from None
        if rates[kind] <= 0:
            raise ConfigError(f"{name}: must be above 0")
    return rates


def _port(raw: str, name: str = "HTTP_PORT") -> int:
    if not raw.isdigit() or not 0 < int(raw) < 65536:
        raise ConfigError(f"{name}: '{raw}' is not a port number (1-65535)")
    return int(raw)


def _telegram(env: Env) -> TelegramConfig | None:
    token = env.get("TELEGRAM_BOT_TOKEN", "").strip()
    if not token:
        return None
    if not re.fullmatch(r"\d+:[A-Za-z0-9_-]{1,100}", token):
        raise ConfigError("TELEGRAM_BOT_TOKEN does not look like a bot token (digits:letters, "
                          "as BotFather gives it)")
    base_url = env.get("TELEGRAM_API_BASE_URL", DEFAULT_API_BASE_URL)
    if not re.match(r"https?://[^/\s]+", base_url):
        raise ConfigError(f"TELEGRAM_API_BASE_URL: '{base_url}' is not an http(s) URL")
    transport = env.get("TELEGRAM_TRANSPORT", "ptb").strip().lower()
    if transport not in ("ptb", "httpx"):
        raise ConfigError(f"TELEGRAM_TRANSPORT: '{transport}' must be ptb or httpx")
    webhook_url = env.get("TELEGRAM_WEBHOOK_URL", "").strip() or None
    secret = env.get("TELEGRAM_WEBHOOK_SECRET", "")
    if webhook_url is not None:
        if not re.match(r"https?://[^/\s]+", webhook_url):
            raise ConfigError(f"TELEGRAM_WEBHOOK_URL: '{webhook_url}' is not an http(s) URL")
        if not re.fullmatch(r"[A-Za-z0-9_-]{16,256}", secret):
            raise ConfigError("TELEGRAM_WEBHOOK_SECRET must be set with the webhook: 16 to 256 "
                              "characters among A-Z, a-z, 0-9, _ and -")
    return TelegramConfig(token, base_url, transport, webhook_url, secret)


# `--today` names a day as the families and schools live it, in France's time zone: at 23:30 UTC
# it is already tomorrow in Paris, and moving by whole UTC days would land on the wrong local day.
HOME_ZONE = ZoneInfo(HOME_TIMEZONE)


def make_clock(today: date | None) -> Callable[[], datetime]:
    """The bot's clock: real time, or real time moved so that it is `today` in France (the time of
    day keeps running)."""
    if today is None:
        return lambda: datetime.now(UTC)
    now = datetime.now(HOME_ZONE)
    # Subtract in UTC: two datetimes of one zone subtract as wall clocks, ignoring summer time.
    offset = datetime.combine(today, now.time(), tzinfo=HOME_ZONE).astimezone(UTC) - now.astimezone(UTC)
    return lambda: datetime.now(UTC) + offset
