"""How the school's commands end on an error: one line `error: …` on stderr, and the exit status
(1 refused, 2 wrong usage)."""

from __future__ import annotations

from typing import TextIO


def failed(err: TextIO, text: str, status: int = 1) -> int:
    print(f"error: {text}", file=err)
    return status
