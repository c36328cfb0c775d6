"""One lock per key: events of one conversation (or chat, or number) run in order, others interleave.

asyncio only, no I/O. A key's lock lives while someone holds or waits for it, so the table holds
only the keys in use; asyncio locks are fair, so waiters run in the order they arrived.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Hashable
from contextlib import asynccontextmanager


class KeyedLock:
    """`async with locks.hold(key):` runs the block alone among the holders of the same key."""

    def __init__(self) -> None:
        self._locks: dict[Hashable, asyncio.Lock] = {}
        self._users: dict[Hashable, int] = {}

    @asynccontextmanager
    async def hold(self, key: Hashable) -> AsyncIterator[None]:
        # Taken before the first await, so the order of arrival is the order of running.
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._users[key] = self._users.get(key, 0) + 1
        try:
            async with lock:
                yield
        finally:
            self._users[key] -= 1
            if not self._users[key]:
                del self._users[key], self._locks[key]

    def __len__(self) -> int:
        """How many keys are in use (held or awaited)."""
        return len(self._locks)
