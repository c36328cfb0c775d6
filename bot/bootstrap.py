"""The one place that wires the real adapters: configuration → store, hasher, clock, engine."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from flows.engine import Engine
from storage import SqliteStore, StorageError

from . import demo
from .config import Config, ConfigError, make_clock
from .security import Argon2Hasher, hashing_executor


@dataclass
class App:
    config: Config
    store: SqliteStore
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
