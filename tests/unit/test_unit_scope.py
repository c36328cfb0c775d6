"""The unit scope's guard holds: no database, no network from a unit test."""

from __future__ import annotations

import socket
import sqlite3

import pytest

from .conftest import IoInUnitTest


def test_a_unit_test_cannot_open_a_database():
    with pytest.raises(IoInUnitTest):
        sqlite3.connect(":memory:")


def test_a_unit_test_cannot_connect_a_socket():
    with socket.socket() as sock, pytest.raises(IoInUnitTest):
        sock.connect(("127.0.0.1", 9))


def test_a_unit_test_cannot_listen():
    with socket.socket() as sock, pytest.raises(IoInUnitTest):
        sock.bind(("127.0.0.1", 0))


def test_every_test_here_is_marked_unit(request: pytest.FixtureRequest):
    assert request.node.get_closest_marker("unit") is not None
