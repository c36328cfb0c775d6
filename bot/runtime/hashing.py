"""Slow salted hashing of passwords and codes with argon2id (argon2-cffi)."""

from __future__ import annotations

import contextlib
import os
import threading
from concurrent.futures import ThreadPoolExecutor

from argon2 import DEFAULT_MEMORY_COST, DEFAULT_PARALLELISM, DEFAULT_TIME_COST, PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError


class Argon2Hasher:
    """argon2id with the library's production parameters unless told otherwise.

    Lighter parameters exist only for tests that hash hundreds of times; production never uses them.
    """

    def __init__(self, time_cost: int | None = None, memory_cost: int | None = None,
                 parallelism: int | None = None) -> None:
        self._hasher = PasswordHasher(
            time_cost=DEFAULT_TIME_COST if time_cost is None else time_cost,
            memory_cost=DEFAULT_MEMORY_COST if memory_cost is None else memory_cost,
            parallelism=DEFAULT_PARALLELISM if parallelism is None else parallelism)

    @property
    def parameters(self) -> dict[str, int]:
        h = self._hasher
        return {"time_cost": h.time_cost, "memory_cost": h.memory_cost,
                "parallelism": h.parallelism}

    def hash(self, secret: str) -> str:
        return self._hasher.hash(secret)

    def verify(self, stored: str, secret: str) -> bool:
        if not stored:
            return False
        try:
            return self._hasher.verify(stored, secret)
        except (VerificationError, InvalidHashError):
            return False


HASHING_NICENESS = 19  # the lowest priority: a hash takes the cores only the event loop leaves


def _lower_priority() -> None:
    # Linux keeps a nice value per thread, and the threads argon2 starts for its lanes inherit it.
    # At 19 the scheduler weighs a lane about 70 times less than the event loop (at 10, only
    # about 9 times), so an event that arrives while a hash runs waits less for a core; an idle
    # loop still leaves the hash every core.
    with contextlib.suppress(OSError, AttributeError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), HASHING_NICENESS)


def hashing_executor(workers: int = 1) -> ThreadPoolExecutor:
    """Where the engine hashes: one hash at a time, at a lower CPU priority than the event loop.

    argon2's production parameters use four lanes; two hashes at once already fill this machine's
    cores. Queueing hashes and lowering their priority keeps every other family's events fast
    while a password is being checked; the hashes themselves wait their turn.
    """
    return ThreadPoolExecutor(max_workers=workers, thread_name_prefix="hashing",
                              initializer=_lower_priority)
