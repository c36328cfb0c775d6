"""Bulk writes of the school base (`python -m bot import-base`): compare, then upsert what changed.

A school base is 100,000 students or more, so nothing here goes row by row through the store's
`put_*` methods: each table is read once into a dict, the incoming rows are compared with it in
memory (to count new, updated and unchanged rows), and only new or changed rows are written, with
one `executemany` per table. Re-importing the same files therefore writes nothing.

An optional column left out of a file (a guardian's mobile or e-mail, a school's time zone) keeps
the values already in the database: an export without phone numbers must not erase them. An empty
cell in a column that is there clears the value.

Guardian links are only added: a link missing from the file is kept, because cutting a guardian
off from a child in the middle of a campaign must be a deliberate act, not the side effect of an
incomplete export.

The caller runs `read`, `plan` and `write` inside one `store.transaction()`.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field

from flows.rules.model import Guardian, School, Student

from .sqlite import SqliteStore

# Table → its columns, the primary key first (these tables have a one-column key).
COLUMNS = {
    "schools": ("uai", "name", "phone", "email", "timezone"),
    "students": ("id", "nom", "prenom", "birth_date", "uai", "class_name", "level"),
    "guardians": ("id", "nom", "prenom", "mobile", "email"),
}


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
    rows: list[tuple] = field(default_factory=list)
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


@dataclass
class Stored:
    """The rows already in the database, read once per table: table → key → row."""

    rows: dict[str, dict[str, tuple]]
    links: set[tuple[str, str]]

    def keys(self, table: str) -> AbstractSet[str]:
        return self.rows.get(table, {}).keys()


def read(store: SqliteStore, tables: Collection[str], links: bool = False) -> Stored:
    """One SELECT per table (and one for the links), for the references and the comparison."""
    rows = {table: {row[0]: row for row in store.conn.execute(
        f"SELECT {', '.join(COLUMNS[table])} FROM {table}")} for table in tables}
    pairs = set(store.conn.execute("SELECT guardian_id, student_id FROM guardian_links")) \
        if links else set()
    return Stored(rows, pairs)


def plan(stored: Stored, schools: Sequence[School] | None = None,
         students: Sequence[Student] | None = None,
         guardians: Sequence[tuple[Guardian, Sequence[str]]] | None = None,
         keep: Mapping[str, Collection[str]] | None = None) -> Plan:
    """Compare the incoming records with the stored ones; None means "that file was not given".

    `keep`: table → columns the file did not have, whose stored values are kept.
    """
    keep = keep or {}
    result = Plan()
    if schools is not None:
        result.tables["schools"] = _diff(stored, "schools", (
            (s.uai, s.name, s.phone, s.email, s.timezone) for s in schools), keep.get("schools"))
    if students is not None:
        result.tables["students"] = _diff(stored, "students", (
            (s.id, s.nom, s.prenom, s.birth_date.isoformat(), s.uai, s.class_name, s.level)
            for s in students), keep.get("students"))
    if guardians is not None:
        result.tables["guardians"] = _diff(stored, "guardians", (
            (g.id, g.nom, g.prenom, g.mobile, g.email) for g, _ in guardians),
            keep.get("guardians"))
        wanted = [(g.id, student_id) for g, student_ids in guardians for student_id in student_ids]
        result.links = [link for link in wanted if link not in stored.links]
        result.link_counts = Counts(new=len(result.links), unchanged=len(wanted) - len(result.links))
    return result


def _diff(stored: Stored, table: str, rows: Iterable[tuple],
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


def write(store: SqliteStore, planned: Plan) -> None:
    """Upsert the new and changed rows, add the new links; inside the caller's transaction."""
    for table_plan in planned.tables.values():
        if table_plan.rows:
            store.conn.executemany(_upsert_sql(table_plan.table), table_plan.rows)
    if planned.links:
        store.conn.executemany("INSERT OR IGNORE INTO guardian_links (guardian_id, student_id) "
                               "VALUES (?, ?)", planned.links)


def _upsert_sql(table: str) -> str:
    # ON CONFLICT … DO UPDATE keeps the row (INSERT OR REPLACE would delete it first).
    key, *others = COLUMNS[table]
    columns = ", ".join(COLUMNS[table])
    marks = ", ".join("?" for _ in COLUMNS[table])
    updates = ", ".join(f"{c} = excluded.{c}" for c in others)
    return (f"INSERT INTO {table} ({columns}) VALUES ({marks}) "
            f"ON CONFLICT ({key}) DO UPDATE SET {updates}")
