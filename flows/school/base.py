"""Importing a school base (schools, students, guardians): what is new, updated or unchanged.

The use case behind `python -m bot import-base` and the console's base import. It takes the
records of the given files, already decoded and checked line by line by the input front-end
(`bot/school/csv_input.py`), compares them with what is stored and writes only what changed.

A school base is 100,000 students or more, so nothing here goes row by row through the store's
`put_*` methods: each table is read once (`Store.base_rows`), the incoming rows are compared with
it in memory, and the new or changed rows are written in one bulk write per table
(`Store.write_base_rows`). Rows are plain tuples in the order of `COLUMNS`, the one row shape
the store and this module share. Re-importing the same files therefore writes nothing.

The rules of an import:

- an optional column left out of a file (a guardian's mobile or e-mail, a school's time zone)
  keeps the values already stored: an export without phone numbers must not erase them; an empty
  cell in a column that is there clears the value;
- guardian links are only added: a link missing from the file is kept, because cutting a guardian
  off from a child in the middle of a campaign must be a deliberate act, not the side effect of an
  incomplete export.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from typing import Any

from flows.ports import Store
from flows.rules.model import Guardian, School, Student

# Table → its columns, the primary key first (these tables have a one-column key).
COLUMNS: dict[str, tuple[str, ...]] = {
    "schools": ("uai", "name", "phone", "email", "timezone"),
    "students": ("id", "nom", "prenom", "birth_date", "uai", "class_name", "level"),
    "guardians": ("id", "nom", "prenom", "mobile", "email"),
}
Row = tuple[Any, ...]  # one row of a table, in the order of its COLUMNS


@dataclass
class Counts:
    new: int = 0
    updated: int = 0
    unchanged: int = 0

    @property
    def changed(self) -> int:
        return self.new + self.updated


@dataclass
class TablePlan:
    """The rows of one table to write (new or changed), and the counts for the report."""

    table: str
    rows: list[Row] = field(default_factory=list)
    counts: Counts = field(default_factory=Counts)


@dataclass
class Plan:
    tables: dict[str, TablePlan] = field(default_factory=dict)
    links: list[tuple[str, str]] = field(default_factory=list)  # (guardian_id, student_id) to add
    link_counts: Counts | None = None  # None: no guardians file

    @property
    def changed(self) -> int:
        links = self.link_counts.changed if self.link_counts else 0
        return sum(t.counts.changed for t in self.tables.values()) + links


@dataclass(frozen=True)
class Incoming:
    """The checked records of the given files; None means "that file was not given".

    `keep`: table → the optional columns its file left out, whose stored values are kept.
    """

    schools: Sequence[School] | None = None
    students: Sequence[Student] | None = None
    guardians: Sequence[tuple[Guardian, Sequence[str]]] | None = None
    keep: Mapping[str, Collection[str]] = field(default_factory=dict)


@dataclass
class Stored:
    """The rows already stored, read once per table: table → key → row; and the links."""

    rows: dict[str, dict[str, Row]]
    links: set[tuple[str, str]]

    def keys(self, table: str) -> AbstractSet[str]:
        return self.rows.get(table, {}).keys()


# Called with the stored schools' UAIs and students' ids, inside the import's transaction, before
# anything is planned: the front-end checks its references (and the console its school's scope)
# against the same state the writes will see, and raises to refuse the import.
Check = Callable[[AbstractSet[str], AbstractSet[str]], None]


def import_base(store: Store, incoming: Incoming, check: Check | None = None,
                dry_run: bool = False) -> Plan:
    """Read what is stored, check, plan and (unless `dry_run`) write, in one transaction."""
    with store.transaction():
        stored = read(store, incoming)
        if check is not None:
            check(stored.keys("schools"), stored.keys("students"))
        planned = plan(stored, incoming)
        if not dry_run:
            write(store, planned)
    return planned


def read(store: Store, incoming: Incoming) -> Stored:
    """The tables the import compares with, and those its references point into."""
    tables = {table for table in COLUMNS if getattr(incoming, table) is not None}
    # A student's school and a guardian's students may already be stored.
    if incoming.students is not None:
        tables.add("schools")
    if incoming.guardians is not None:
        tables.add("students")
    links = store.guardian_link_pairs() if incoming.guardians is not None else set()
    return Stored(store.base_rows(tables), links)


def plan(stored: Stored, incoming: Incoming) -> Plan:
    """Compare the incoming records with the stored ones."""
    result = Plan()
    keep = incoming.keep
    if incoming.schools is not None:
        result.tables["schools"] = _diff(stored, "schools", (
            (s.uai, s.name, s.phone, s.email, s.timezone) for s in incoming.schools),
            keep.get("schools"))
    if incoming.students is not None:
        result.tables["students"] = _diff(stored, "students", (
            (s.id, s.nom, s.prenom, s.birth_date.isoformat(), s.uai, s.class_name, s.level)
            for s in incoming.students), keep.get("students"))
    if incoming.guardians is not None:
        result.tables["guardians"] = _diff(stored, "guardians", (
            (g.id, g.nom, g.prenom, g.mobile, g.email) for g, _ in incoming.guardians),
            keep.get("guardians"))
        _plan_links(stored, incoming.guardians, result)
    return result


def _plan_links(stored: Stored, guardians: Sequence[tuple[Guardian, Sequence[str]]],
                result: Plan) -> None:
    # Only the links not stored yet are written; a stored link the file lacks stays.
    wanted = [(g.id, student_id) for g, student_ids in guardians for student_id in student_ids]
    result.links = [link for link in wanted if link not in stored.links]
    result.link_counts = Counts(new=len(result.links), unchanged=len(wanted) - len(result.links))


def _diff(stored: Stored, table: str, rows: Iterable[Row],
          keep: Collection[str] | None) -> TablePlan:
    kept = [i for i, column in enumerate(COLUMNS[table]) if column in (keep or ())]
    existing = stored.rows[table]
    out = TablePlan(table)
    for row in rows:
        old = existing.get(row[0])
        if old is not None and kept:
            row = tuple(old[i] if i in kept else value for i, value in enumerate(row))
        if old is None:
            out.counts.new += 1
        elif old != row:
            out.counts.updated += 1
        else:
            out.counts.unchanged += 1
            continue
        out.rows.append(row)
    return out


def write(store: Store, planned: Plan) -> None:
    """Upsert the new and changed rows, add the new links; inside the caller's transaction."""
    for table_plan in planned.tables.values():
        if table_plan.rows:
            store.write_base_rows(table_plan.table, table_plan.rows)
    if planned.links:
        store.add_guardian_links(planned.links)
