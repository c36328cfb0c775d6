"""A refused action of a school's staff or operator: one or more domain errors, each with its key
(and, for a file, its line); `str()` is the operator's English, line by line."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from flows.rules.errors import DomainError

from .texts import operator_text


@dataclass(frozen=True)
class Problem:
    """One reason: the rule's error, and where it was found when it came from a file's line."""

    error: DomainError
    line: int | None = None

    def __str__(self) -> str:
        text = operator_text(self.error)
        return f"line {self.line}: {text}" if self.line is not None else text


class Refused(Exception):
    """Nothing was recorded; `problems` says why (every bad line of a file)."""

    def __init__(self, problems: Sequence[Problem | DomainError]) -> None:
        self.problems = [p if isinstance(p, Problem) else Problem(p) for p in problems]
        super().__init__("\n".join(str(p) for p in self.problems))

    @property
    def first(self) -> DomainError:
        return self.problems[0].error
