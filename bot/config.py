"""Configuration from the command line and the environment, checked once at start-up.

A mistake stops the program with one clear line (`ConfigError`), before anything runs.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

DEFAULT_DB = "data/orientation.sqlite3"


class ConfigError(Exception):
    """A configuration mistake; its message is the one line shown to the operator."""


@dataclass(frozen=True)
class Config:
    db_path: Path
    today: date | None  # moves the bot's clock to this date (keeping the time of day)
    synchronous: str
    demo: bool


def parse_today(raw: str | None, source: str) -> date | None:
    if raw is None or raw == "":
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise ConfigError(f"{source}: '{raw}' is not a date; expected YYYY-MM-DD") from None


def load(db: str | None, today: str | None, env: dict[str, str] | None = None) -> Config:
    env = os.environ if env is None else env
    db_path = Path(db or env.get("ORIENTATION_DB") or DEFAULT_DB)
    when = parse_today(today, "--today") if today else parse_today(
        env.get("ORIENTATION_TODAY"), "ORIENTATION_TODAY")
    synchronous = env.get("ORIENTATION_SQLITE_SYNCHRONOUS", "FULL").upper()
    if synchronous not in ("NORMAL", "FULL", "EXTRA"):
        raise ConfigError(
            f"ORIENTATION_SQLITE_SYNCHRONOUS: '{synchronous}' must be NORMAL, FULL or EXTRA")
    demo = env.get("ORIENTATION_DEMO", "1") not in ("0", "false", "no")
    return Config(db_path, when, synchronous, demo)


def make_clock(today: date | None):
    """The bot's clock: real time, or real time moved to `today` (the time of day keeps running)."""
    if today is None:
        return lambda: datetime.now(UTC)
    now = datetime.now(UTC)
    offset = datetime.combine(today, now.timetz()) - now
    offset = timedelta(days=offset.days)
    return lambda: datetime.now(UTC) + offset
