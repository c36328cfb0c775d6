"""What a sending transport is, and how it reports a failure to the sender.

A transport raises `TemporaryFailure` when trying again later may succeed (network down, 5xx, 429:
the sender backs off and retries) and `PermanentFailure` when it cannot (the provider refused the
number, the address does not exist: the sender sets the message aside with the reason).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


class TemporaryFailure(Exception):
    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


class PermanentFailure(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Outgoing:
    """One outbox row, as a transport sees it."""

    id: int
    kind: str  # "sms" | "email" | "push"
    recipient: str  # E.164 number, e-mail address, or "channel:address"
    body: str
    subject: str = ""
    dedupe_key: str | None = None
    attempts: int = 0
    expires_at: datetime | None = None

    @classmethod
    def from_row(cls, row: dict) -> Outgoing:
        expires = row.get("expires_at")
        return cls(row["id"], row["kind"], row["recipient"], row["body"], row["subject"] or "",
                   row["dedupe_key"], row["attempts"] or 0,
                   datetime.fromisoformat(expires) if expires else None)


class Transport(Protocol):
    async def send(self, message: Outgoing) -> None: ...
