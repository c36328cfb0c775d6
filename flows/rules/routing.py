"""Which channel reaches a guardian: the chat they last logged in from (kept after the session
ends), else SMS when a mobile is known; otherwise none (they will see it at their next visit).
Used by the publication notices (`flows.school.results`) and the reminders."""

from __future__ import annotations


def route(chat: tuple[str, str] | None, mobile: str | None) -> tuple[str, str] | None:
    """(kind, recipient) of an outbox message: the chat the guardian uses, else SMS, else None."""
    if chat is not None:
        return "push", f"{chat[0]}:{chat[1]}"
    if mobile:
        return "sms", mobile
    return None

