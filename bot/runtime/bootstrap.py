"""The one place that wires the real adapters: configuration → store, hasher, clock, engine.

Only here is the concrete store built (SQLite); everything else types against `flows.ports`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TextIO

from flows.engine import Engine
from flows.ports import Store
from storage import SqliteStore, StorageError

from ..channels.sms.push import SmsPush
from ..channels.telegram.api import BotApi
from ..sending.base import Transport
from ..sending.email import PrintedEmail, SmtpEmail
from ..sending.push import PrintedPush, TelegramPush
from ..sending.sender import OutboxSender
from ..sending.sms import PrintedSms, TwilioSms
from . import demo
from .config import Config, ConfigError, make_clock
from .hashing import Argon2Hasher, hashing_executor


@dataclass
class App:
    config: Config
    store: Store
    engine: Engine
    clock: Callable[[], datetime]
    hasher: Argon2Hasher
    # Extra keyword arguments for the Telegram transport (request time-outs), for tests.
    transport_options: dict = field(default_factory=dict)


def build(config: Config, hasher: Argon2Hasher | None = None,
          clock: Callable[[], datetime] | None = None) -> App:
    """Open the database (migrations run), load the demo base on first use, build the engine."""
    try:
        store = SqliteStore(config.db_path, synchronous=config.synchronous)
    except StorageError as exc:
        raise ConfigError(str(exc)) from exc
    hasher = hasher or Argon2Hasher()
    clock = clock or make_clock(config.today)
    if config.demo and not demo.is_loaded(store):
        demo.load(store, hasher, clock())
    return App(config, store, Engine(store, hasher, clock, hashing_executor()), clock, hasher)


def make_sender(app: App, out: TextIO, telegram_api: BotApi | None = None) -> OutboxSender:
    """The outbox sender with the configured transports; unset ones print and keep (the default)."""
    config = app.config
    transports: dict[str, Transport] = {
        "sms": TwilioSms(config.sms.url, config.sms.account_sid, config.sms.auth_token,
                         config.sms.sender) if config.sms else PrintedSms(out),
        "email": SmtpEmail(config.smtp.host, config.smtp.port, config.smtp.security,
                           config.smtp.user, config.smtp.password, config.smtp.sender)
        if config.smtp else PrintedEmail(out),
        "push": PrintedPush(out),
    }
    # A conversation held by SMS ("sms:+33…") is reached by SMS, at the SMS rate.
    transports["push:sms"] = SmsPush(transports["sms"])
    rates = dict(config.rates or {})
    if "sms" in rates:
        rates.setdefault("push:sms", rates["sms"])
    if telegram_api is not None:
        transports["push:telegram"] = TelegramPush(telegram_api)
    return OutboxSender(app.store, transports, app.clock, rates)
