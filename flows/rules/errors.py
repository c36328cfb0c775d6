"""Domain errors: a refused action carries a message key of the catalogue, never a channel string."""

from __future__ import annotations


class DomainError(Exception):
    """An action the rules refuse; `key` names the message that explains why."""

    def __init__(self, key: str, **params: object) -> None:
        super().__init__(key)
        self.key = key
        self.params = params
