"""Persistence behind the ports of `flows.ports`: SQLite (the embedded default) and, for unit
tests, an in-memory store (`storage.memory`)."""

from .sqlite import SqliteStore, StorageError

__all__ = ["SqliteStore", "StorageError"]
