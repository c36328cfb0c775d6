"""How the embedded default shows what leaves the process: each outbox message as a marked line.

Nothing is sent anywhere; messages stay in the outbox, marked sent once printed. SMS show as
`[SMS → +33612345678] …`, e-mails as `[E-MAIL → address] subject` with the body indented, chat
pushes as `[MESSAGE → channel:address] …`. The printed transports of `bot.sending` use it.
"""

from __future__ import annotations

_LABELS = {"sms": "SMS", "email": "E-MAIL", "push": "MESSAGE"}


def format_message(message: dict) -> str:
    label = _LABELS.get(message["kind"], message["kind"].upper())
    head = f"[{label} → {message['recipient']}] "
    if message["kind"] == "email":
        body = "\n".join("    " + line for line in message["body"].splitlines())
        return f"{head}{message['subject']}\n{body}"
    return head + message["body"].replace("\n", "\n    ")

