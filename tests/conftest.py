"""Shared fixtures (a real SQLite file with the demo base, a movable clock, an engine) and the scopes.

Every test is marked with its scope from its folder: `tests/unit/`, `tests/integration/` or
`tests/e2e/` (see tests/README.md); a test file outside those folders is refused, so that
`make test-unit` and `-m unit` always see the whole scope.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.runtime import demo
from flows.engine import Engine
from storage import SqliteStore

from .support import Clock, Driver, light_hasher

TESTS = Path(__file__).resolve().parent
SCOPES = ("unit", "integration", "e2e")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        scope = item.path.resolve().relative_to(TESTS).parts[0]
        if scope not in SCOPES:
            raise pytest.UsageError(f"{item.nodeid}: a test lives in tests/unit/, tests/integration/ "
                                    f"or tests/e2e/ (see tests/README.md)")
        item.add_marker(getattr(pytest.mark, scope))


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
