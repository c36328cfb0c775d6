"""Which channel reaches a guardian, and in which texts a message composed for it is read.

A guardian is reached on the chat they last logged in from (kept after the session ends), else by
SMS when a mobile is known; otherwise not at all (they will see it at their next visit). A message
read as an SMS (a plain SMS, or a push to a conversation held by SMS, "sms:+33…") is composed in
the catalogue's `sms` profile, so the SMS transport only spells it in the GSM alphabet. Used by the
publication notices (`flows.school.results`), the reminders and the end-of-session recaps.
"""

from __future__ import annotations

from flows.texts import PLAIN, SMS_TEXTS, Texts

SMS_CHANNEL = "sms"  # the channel of a conversation held by SMS: "sms:<E.164 number>"


def route(chat: tuple[str, str] | None, mobile: str | None) -> tuple[str, str] | None:
    """(kind, recipient) of an outbox message: the chat the guardian uses, else SMS, else None."""
    if chat is not None:
        return "push", f"{chat[0]}:{chat[1]}"
    if mobile:
        return "sms", mobile
    return None


def sms_number(kind: str, recipient: str) -> str | None:
    """The number an outbox message (kind, recipient) reaches by SMS: a plain SMS's mobile, or the
    number of a conversation held by SMS; None when it is read in another channel."""
    if kind == "sms":
        return recipient
    channel, _, address = recipient.partition(":")
    return address if kind == "push" and channel == SMS_CHANNEL else None


def texts_for(kind: str, recipient: str) -> Texts:
    """The texts to compose an outbox message (kind, recipient) in: the `sms` profile when it is
    read as an SMS (the guardian's language is French for now)."""
    return SMS_TEXTS if sms_number(kind, recipient) is not None else PLAIN
