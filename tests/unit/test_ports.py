"""The ports cover what the outside world asks of storage, and only the wiring builds a store."""

from __future__ import annotations

import re
from pathlib import Path

from flows.ports import Store
from storage.memory import MemoryStore

ROOT = Path(__file__).resolve().parents[2]
WIRING = {Path("bot/runtime/bootstrap.py")}
STORE_CALL = re.compile(r"\bstore\.([a-z_]+)\(")
CONCRETE = re.compile(r"^\s*(from storage(\.sqlite)? import .*SqliteStore|from storage\.sqlite "
                      r"import|import storage\.sqlite)", re.MULTILINE)


def _sources(*folders: str) -> list[Path]:
    return sorted(p for folder in folders for p in (ROOT / folder).rglob("*.py"))


def test_every_store_method_called_by_bot_and_flows_is_in_a_port() -> None:
    called = {name for path in _sources("bot", "flows")
              for name in STORE_CALL.findall(path.read_text(encoding="utf-8"))}
    missing = sorted(name for name in called if not hasattr(Store, name))
    assert called and missing == []


def test_only_the_wiring_imports_the_sqlite_store() -> None:
    importing = {path.relative_to(ROOT) for path in _sources("bot")
                 if CONCRETE.search(path.read_text(encoding="utf-8"))}
    assert importing <= WIRING


def test_the_memory_store_has_every_port_method() -> None:
    declared = {name for name in dir(Store) if not name.startswith("_")}
    assert declared and declared <= set(dir(MemoryStore))
