"""Shared fixtures: a real SQLite file with the demo base, a movable clock, an engine."""

from __future__ import annotations

import pytest

from bot.runtime import demo
from flows.engine import Engine
from storage import SqliteStore

from .support import Clock, Driver, light_hasher


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def hasher():
    return light_hasher()


@pytest.fixture
def store(tmp_path, clock, hasher):
    db = SqliteStore(tmp_path / "orientation.sqlite3", synchronous="NORMAL")
    demo.load(db, hasher, clock())
    yield db
    db.close()


@pytest.fixture
def engine(store, hasher, clock) -> Engine:
    return Engine(store, hasher, clock)


@pytest.fixture
def claire(engine) -> Driver:
    return Driver(engine, "claire")


@pytest.fixture
def karim(engine) -> Driver:
    return Driver(engine, "karim")
