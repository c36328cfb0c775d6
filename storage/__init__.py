"""Persistence behind the interface `flows.ports.Store`: SQLite through sqlite-utils by default."""

from .sqlite import SqliteStore, StorageError

__all__ = ["SqliteStore", "StorageError"]
