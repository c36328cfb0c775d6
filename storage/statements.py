"""Counting the SQL statements a piece of work runs on a connection (tests and benchmarks)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager


class StatementCount:
    """The statements seen so far, in order (their text, as sqlite3 traces them)."""

    def __init__(self) -> None:
        self.statements: list[str] = []

    def __len__(self) -> int:
        return len(self.statements)

    def seen(self, statement: str) -> None:
        self.statements.append(statement)


@contextmanager
def count_statements(conn: sqlite3.Connection) -> Iterator[StatementCount]:
    """Count every statement `conn` runs inside the block (BEGIN and COMMIT included)."""
    count = StatementCount()
    conn.set_trace_callback(count.seen)
    try:
        yield count
    finally:
        conn.set_trace_callback(None)
