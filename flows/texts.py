"""The message catalogue: every text the bot says, keyed by message id, read from gettext `.po` files.

French is the default and only language so far; another language is another `.po` file beside it.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from babel.messages.pofile import read_po

LOCALE_DIR = Path(__file__).parent / "locale"
DEFAULT_LANGUAGE = "fr"


@cache
def catalogue(language: str = DEFAULT_LANGUAGE) -> dict[str, str]:
    path = LOCALE_DIR / language / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as handle:
        po = read_po(handle, locale=language)
    return {message.id: message.string for message in po if message.id and message.string}


def t(key: str, language: str = DEFAULT_LANGUAGE, **params: object) -> str:
    """The text of message `key`, with `{name}` placeholders filled from `params`."""
    template = catalogue(language)[key]
    return template.format(**params) if params else template


def has(key: str, language: str = DEFAULT_LANGUAGE) -> bool:
    return key in catalogue(language)
