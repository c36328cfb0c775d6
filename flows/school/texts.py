"""Refusals of the school's use cases in words: by the rule's key, for the console (French, the
families' catalogue, `staff.<key>` first) or the operator's command line (English `staff.po`)."""

from __future__ import annotations

from functools import cache

from babel.messages.pofile import read_po

from flows.rules.errors import DomainError
from flows.texts import LOCALE_DIR, catalogue, has

OPERATOR_LANGUAGE = "en"


@cache
def operator_catalogue() -> dict[str, str]:
    path = LOCALE_DIR / OPERATOR_LANGUAGE / "LC_MESSAGES" / "staff.po"
    with path.open("rb") as handle:
        po = read_po(handle, locale=OPERATOR_LANGUAGE)
    return {message.id: message.string for message in po
            if isinstance(message.id, str) and isinstance(message.string, str) and message.id
            and message.string}


def operator_text(error: DomainError) -> str:
    """The refusal as the command line prints it (English)."""
    return operator_catalogue()[error.key].format(**error.params)


def console_text(error: DomainError) -> str:
    """The refusal as the console shows it (French): the staff's wording where it differs."""
    key = f"staff.{error.key}" if has(f"staff.{error.key}") else error.key
    return catalogue()[key].format(**error.params)
