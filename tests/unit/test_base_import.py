"""The school base import's decisions (flows/school/base.py), against an in-memory store: what is
new, updated or unchanged; a column left out keeps the stored values; guardian links only added;
the front-end's check refuses inside the transaction, before anything is written."""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from typing import Any, cast

import pytest

from flows.ports import Store
from flows.rules.model import Guardian, School, Student
from flows.school.base import COLUMNS, Counts, Incoming, Plan, import_base

PARIS = School("0751234A", "Collège Test", "01 44 00 00 00", "ce@ac-test.fr", "Europe/Paris")
LEA = Student("E1", "Martin", "Léa", date(2012, 5, 14), "0751234A", "3e A", "3e")
MARIE = Guardian("R1", "Martin", "Marie", "+33612345678", "marie@example.org")


class MemoryStore:
    """The base import's part of the store: tables as dicts of rows, the links as a set."""

    def __init__(self) -> None:
        self.tables: dict[str, dict[str, tuple[Any, ...]]] = {table: {} for table in COLUMNS}
        self.links: set[tuple[str, str]] = set()
        self.writes: list[str] = []
        self.in_transaction = False

    @contextmanager
    def transaction(self) -> Iterator[None]:
        self.in_transaction = True
        try:
            yield
        finally:
            self.in_transaction = False

    def base_rows(self, tables: Collection[str]) -> dict[str, dict[str, tuple[Any, ...]]]:
        return {table: dict(self.tables[table]) for table in tables}

    def guardian_link_pairs(self) -> set[tuple[str, str]]:
        return set(self.links)

    def write_base_rows(self, table: str, rows: Sequence[tuple[Any, ...]]) -> None:
        self.writes.append(table)
        self.tables[table].update((row[0], row) for row in rows)

    def add_guardian_links(self, links: Sequence[tuple[str, str]]) -> None:
        self.writes.append("guardian_links")
        self.links.update(links)


def _port(store: MemoryStore) -> Store:
    # The double implements only the base import's part of the Store protocol.
    return cast(Store, store)


def _load(store: MemoryStore, incoming: Incoming, dry_run: bool = False) -> Plan:
    return import_base(_port(store), incoming, dry_run=dry_run)


def test_new_then_unchanged_then_updated():
    store = MemoryStore()
    first = _load(store, Incoming([PARIS], [LEA], [(MARIE, ["E1"])]))
    assert [(t, p.counts.new) for t, p in first.tables.items()] == [
        ("schools", 1), ("students", 1), ("guardians", 1)]
    assert first.links == [("R1", "E1")] and store.links == {("R1", "E1")}
    assert store.tables["students"]["E1"] == ("E1", "Martin", "Léa", "2012-05-14", "0751234A",
                                              "3e A", "3e")
    store.writes.clear()
    again = _load(store, Incoming([PARIS], [LEA], [(MARIE, ["E1"])]))
    assert again.changed == 0 and store.writes == []
    moved = Student(**{**LEA.__dict__, "class_name": "3e B"})
    changed = _load(store, Incoming(students=[moved]))
    assert (changed.tables["students"].counts.updated, changed.link_counts) == (1, None)
    assert store.tables["students"]["E1"][5] == "3e B"


def test_a_column_left_out_keeps_the_stored_value_and_an_empty_one_clears_it():
    store = MemoryStore()
    _load(store, Incoming(guardians=[(MARIE, ["E1"])]))
    without_mobile = Guardian("R1", "Martin", "Marie", None, "marie@example.org")
    kept = _load(store, Incoming(guardians=[(without_mobile, ["E1"])],
                                 keep={"guardians": {"mobile"}}))
    assert kept.changed == 0 and store.tables["guardians"]["R1"][3] == "+33612345678"
    cleared = _load(store, Incoming(guardians=[(without_mobile, ["E1"])]))
    assert cleared.tables["guardians"].counts.updated == 1
    assert store.tables["guardians"]["R1"][3] is None


def test_guardian_links_are_only_added():
    store = MemoryStore()
    _load(store, Incoming(guardians=[(MARIE, ["E1", "E2"])]))
    planned = _load(store, Incoming(guardians=[(MARIE, ["E2", "E3"])]))
    assert planned.link_counts == Counts(new=1, unchanged=1)
    assert store.links == {("R1", "E1"), ("R1", "E2"), ("R1", "E3")}


def test_a_dry_run_counts_and_writes_nothing():
    store = MemoryStore()
    planned = _load(store, Incoming([PARIS]), dry_run=True)
    assert planned.tables["schools"].counts.new == 1
    assert store.writes == [] and store.tables["schools"] == {}


def test_the_check_sees_the_stored_keys_and_refuses_before_any_write():
    store = MemoryStore()
    _load(store, Incoming([PARIS], [LEA]))
    seen: list[tuple[set[str], set[str], bool]] = []

    def refuse(uais: Collection[str], students: Collection[str]) -> None:
        seen.append((set(uais), set(students), store.in_transaction))
        raise ValueError("refused")

    store.writes.clear()
    with pytest.raises(ValueError, match="refused"):
        import_base(_port(store), Incoming(guardians=[(MARIE, ["E1"])]), refuse)
    # A guardians file reads the students, not the schools; the check runs in the transaction.
    assert seen == [(set(), {"E1"}, True)]
    assert store.writes == [] and store.links == set()
