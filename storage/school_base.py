"""Bulk reads and writes of the school base import, for `flows.school.base` (through the store).

A school base is 100,000 students or more: each table is read with one SELECT and written with
one `executemany`. The rows are plain tuples in the order of `flows.school.base.COLUMNS`; which
rows to write, and what a column left out keeps, is decided there, not here.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Collection, Sequence
from typing import Any

from flows.school.base import COLUMNS


def rows(conn: sqlite3.Connection, tables: Collection[str]) -> dict[str, dict[str, tuple[Any, ...]]]:
    """Table → key → row, one SELECT per table."""
    return {table: {row[0]: row for row in conn.execute(
        f"SELECT {', '.join(COLUMNS[table])} FROM {table}")} for table in tables}


def link_pairs(conn: sqlite3.Connection) -> set[tuple[str, str]]:
    """Every (guardian_id, student_id) link, one SELECT."""
    return set(conn.execute("SELECT guardian_id, student_id FROM guardian_links"))


def upsert(conn: sqlite3.Connection, table: str, new_rows: Sequence[tuple[Any, ...]]) -> None:
    """Insert or update `new_rows` of `table`, one statement for them all."""
    conn.executemany(_upsert_sql(table), new_rows)


def add_links(conn: sqlite3.Connection, links: Sequence[tuple[str, str]]) -> None:
    """Add the (guardian_id, student_id) links; a link already there stays as it is."""
    conn.executemany("INSERT OR IGNORE INTO guardian_links (guardian_id, student_id) "
                     "VALUES (?, ?)", links)


def _upsert_sql(table: str) -> str:
    # ON CONFLICT … DO UPDATE keeps the row (INSERT OR REPLACE would delete it first).
    key, *others = COLUMNS[table]
    columns = ", ".join(COLUMNS[table])
    marks = ", ".join("?" for _ in COLUMNS[table])
    updates = ", ".join(f"{c} = excluded.{c}" for c in others)
    return (f"INSERT INTO {table} ({columns}) VALUES ({marks}) "
            f"ON CONFLICT ({key}) DO UPDATE SET {updates}")
