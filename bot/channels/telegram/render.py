"""A channel-neutral `Reply` as Bot API calls: inline keyboards, edits in place, deletions.

The same rendering serves both transports. Texts longer than Telegram's 4096 characters are split
on line breaks, the buttons going with the last part.
"""

from __future__ import annotations

from typing import Any

from flows.exchange import Reply
from flows.texts import t

MAX_TEXT = 4096
COMMANDS = ("start", "menu", "aide", "annuler", "deconnexion")

Call = tuple[str, dict[str, Any]]


def split_text(text: str, limit: int = MAX_TEXT) -> list[str]:
    parts: list[str] = []
    while len(text) > limit:
        cut = text.rfind("\n", 0, limit)
        cut = cut if cut > 0 else limit
        parts.append(text[:cut])
        text = text[cut:].lstrip("\n")
    return [*parts, text or "…"]


def inline_keyboard(reply: Reply) -> dict[str, Any] | None:
    if not reply.buttons:
        return None
    return {"inline_keyboard": [[{"text": b.label, "callback_data": b.data} for b in row]
                                for row in reply.buttons]}


def contact_keyboard() -> dict[str, Any]:
    return {"keyboard": [[{"text": t("btn.share_contact"), "request_contact": True}]],
            "resize_keyboard": True, "one_time_keyboard": True}


def render(reply: Reply, chat_id: int, edit_message_id: int | None = None) -> list[Call]:
    """The calls that show `reply` in `chat_id`; a screen reached by a button edits that message."""
    parts = split_text(reply.text)
    markup = inline_keyboard(reply)
    calls: list[Call] = []
    for index, part in enumerate(parts):
        params: dict[str, Any] = {"chat_id": chat_id, "text": part}
        if index == len(parts) - 1 and markup:
            params["reply_markup"] = markup
        if index == 0 and reply.replace_last and edit_message_id is not None and len(parts) == 1:
            calls.append(("editMessageText", {**params, "message_id": edit_message_id}))
        else:
            calls.append(("sendMessage", params))
    if reply.ask_contact:
        calls.append(("sendMessage", {"chat_id": chat_id, "text": t("telegram.share_contact_hint"),
                                      "reply_markup": contact_keyboard()}))
    return calls


def command_list() -> dict[str, Any]:
    """The parameters of setMyCommands: the bot's commands, described in French."""
    return {"commands": [{"command": name, "description": t(f"cmd.{name}")} for name in COMMANDS],
            "language_code": "fr"}


def default_command_list() -> dict[str, Any]:
    return {"commands": command_list()["commands"]}
