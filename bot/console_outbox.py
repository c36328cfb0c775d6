"""The embedded default for what leaves the process: print each outbox message as a marked line.

Nothing is sent anywhere; messages stay in the outbox, marked sent once printed. SMS show as
`[SMS → +33612345678] …`, e-mails as `[E-MAIL → address] subject` with the body indented, chat
pushes as `[MESSAGE → channel:address] …`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TextIO

from storage import SqliteStore

_LABELS = {"sms": "SMS", "email": "E-MAIL", "push": "MESSAGE"}


def format_message(message: dict) -> str:
    label = _LABELS.get(message["kind"], message["kind"].upper())
    head = f"[{label} → {message['recipient']}] "
    if message["kind"] == "email":
        body = "\n".join("    " + line for line in message["body"].splitlines())
        return f"{head}{message['subject']}\n{body}"
    return head + message["body"].replace("\n", "\n    ")


def drain(store: SqliteStore, out: TextIO, clock: Callable[[], datetime]) -> int:
    """Print every pending message and mark it sent; returns how many were printed."""
    count = 0
    while batch := store.pending_messages():
        for message in batch:
            print(format_message(message), file=out, flush=True)
            with store.transaction():
                store.mark_sent(message["id"], clock())
            count += 1
    return count
