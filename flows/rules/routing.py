"""Telling families that something was published for them, on the channel they use.

A guardian is told on the chat they last logged in from (kept after the session ends), else by SMS
when a mobile is known; otherwise not at all (they will see it at their next visit). Each
notification has a dedupe key, so publishing twice does not notify twice.
"""

from __future__ import annotations

from datetime import datetime

from ..ports import Store
from ..texts import t
from .model import AccountKind, Guardian, OutMessage, Student


def route(chat: tuple[str, str] | None, mobile: str | None) -> tuple[str, str] | None:
    """(kind, recipient) of an outbox message: the chat the guardian uses, else SMS, else None."""
    if chat is not None:
        return "push", f"{chat[0]}:{chat[1]}"
    if mobile:
        return "sms", mobile
    return None


def channels_of(store: Store, guardian: Guardian) -> list[tuple[str, str]]:
    """(kind, recipient) to reach a guardian: the chat they use, else the mobile by SMS."""
    account = store.account_of(AccountKind.GUARDIAN, guardian.id)
    chat = None
    if account is not None and account.id is not None and account.status == "active":
        chat = store.latest_chat(account.id)
    routed = route(chat, guardian.mobile)
    return [routed] if routed else []


def notify_published(store: Store, student: Student, what: str, published_at: datetime) -> int:
    """Queue "something is published for your child" (`what`: opinion, proposal or decision) for
    the student's guardians; returns how many messages were queued."""
    count = 0
    for guardian in store.guardians_of(student.id):
        if student.id in store.flagged_links(guardian.id):
            continue
        for kind, recipient in channels_of(store, guardian):
            store.enqueue(OutMessage(
                kind, recipient, t(f"notify.{what}", prenom=student.prenom),
                dedupe_key=f"notify:{what}:{student.id}:{published_at.isoformat()}:{recipient}"),
                published_at)
            count += 1
    return count

