"""The unit scope does no I/O: a unit test that opens a network connection or a database fails.

Reading the project's own source files (the catalogue, the layer guards) is allowed; sockets and
SQLite are not. A test that needs them belongs in tests/integration/.
"""

from __future__ import annotations

import socket
import sqlite3
from typing import NoReturn

import pytest


class IoInUnitTest(AssertionError):
    """Raised when a unit test reaches for a socket or a database."""


def _refuse(what: str):
    def refuse(*args: object, **kwargs: object) -> NoReturn:
        raise IoInUnitTest(f"a unit test may not {what}: move it to tests/integration/")
    return refuse


@pytest.fixture(autouse=True)
def no_io(monkeypatch: pytest.MonkeyPatch) -> None:
    for method in ("connect", "connect_ex", "bind"):
        monkeypatch.setattr(socket.socket, method, _refuse(f"{method} a socket"))
    monkeypatch.setattr(sqlite3, "connect", _refuse("open an SQLite database"))
