"""The message catalogue: every text the bot says, keyed by message id, read from gettext `.po` files.

French is the default and only language so far; another language is another `.po` file beside it,
and a language without one falls back to French. A text **profile** names a family of variants:
the `sms` profile looks for `sms.<key>` first (a shorter text for SMS), then `<key>`. A dialogue
event's texts are `ctx.t` (the event's language and profile); a message composed outside an event
takes the texts of its route (`flows.rules.routing.texts_for`). A message that depends on a count
is a gettext plural entry: its `msgid_plural` names the value that counts (e.g. `seconds`), and the
catalogue's `Plural-Forms` picks the form for that value.
"""

from __future__ import annotations

import gettext
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

from babel.messages.pofile import read_po

LOCALE_DIR = Path(__file__).parent / "locale"
DEFAULT_LANGUAGE = "fr"
SMS_PROFILE = "sms"


@dataclass(frozen=True)
class Plural:
    """A message with one form per plural category, chosen by the value named `counts`."""

    counts: str
    forms: tuple[str, ...]
    form_of: Callable[[int], int]

    def form(self, values: dict[str, object]) -> str:
        count = values.get(self.counts)
        index = self.form_of(count) if isinstance(count, int) else len(self.forms) - 1
        return self.forms[min(index, len(self.forms) - 1)]


@dataclass(frozen=True)
class Catalogue:
    simple: dict[str, str]
    plurals: dict[str, Plural]


def _path(language: str) -> Path:
    return LOCALE_DIR / language / "LC_MESSAGES" / "messages.po"


@cache
def _load(language: str) -> Catalogue:
    if not _path(language).exists():
        return _load(DEFAULT_LANGUAGE)  # French is the only catalogue so far
    with _path(language).open("rb") as handle:
        po = read_po(handle, locale=language)
    form_of = gettext.c2py(po.plural_expr)
    simple: dict[str, str] = {}
    plurals: dict[str, Plural] = {}
    for message in po:
        ids, strings = message.id, message.string
        if isinstance(ids, tuple) and isinstance(strings, tuple | list) and all(strings):
            key, counts = ids
            plurals[key] = Plural(counts, tuple(strings), form_of)
        elif isinstance(ids, str) and ids and isinstance(strings, str) and strings:
            simple[ids] = strings
    return Catalogue(simple, plurals)


@lru_cache(maxsize=256)  # a few codes in practice; bounded, since they come from the outside
def language_of(code: str | None) -> str:
    """The catalogue for a channel's language code ("fr", "fr-CA", "en"): French when none fits."""
    base = (code or DEFAULT_LANGUAGE).split("-")[0].split("_")[0].lower()
    return base if _path(base).exists() else DEFAULT_LANGUAGE


@cache
def catalogue(language: str = DEFAULT_LANGUAGE) -> dict[str, str]:
    """Every message as one template (a plural entry as its most general form)."""
    loaded = _load(language)
    return {**loaded.simple, **{key: p.forms[-1] for key, p in loaded.plurals.items()}}


def template(key: str, language: str, values: dict[str, object]) -> str:
    loaded = _load(language)
    plural = loaded.plurals.get(key)
    return plural.form(values) if plural is not None else loaded.simple[key]


def t(key: str, language: str = DEFAULT_LANGUAGE, **params: object) -> str:
    """The text of message `key`, with `{name}` placeholders filled from `params`."""
    text = template(key, language, params)
    return text.format(**params) if params else text


def has(key: str, language: str = DEFAULT_LANGUAGE) -> bool:
    return key in catalogue(language)


@dataclass(frozen=True)
class Texts:
    """`t(key, **values)` bound to one event's language and text profile (see the module)."""

    language: str = DEFAULT_LANGUAGE
    profile: str | None = None

    def key(self, key: str) -> str:
        """The message shown for `key` under this profile: its variant when it has one."""
        if self.profile is not None and has(f"{self.profile}.{key}", self.language):
            return f"{self.profile}.{key}"
        return key

    def __call__(self, key: str, **values: object) -> str:
        text = template(self.key(key), self.language, values)  # as `t`, one call fewer
        return text.format(**values) if values else text

    def alternatives(self, shown: str) -> set[str]:
        """The texts a label shown under this profile may be named by: itself, the message it is
        a variant of, or the variant of the message it is (an answer may type either)."""
        if self.profile is None:
            return {shown}
        return {shown, *_related(self.language, self.profile).get(shown, ())}


@cache
def _related(language: str, profile: str) -> dict[str, tuple[str, ...]]:
    """Each message of `profile`'s variants ↔ the message it is a variant of, both ways."""
    texts, prefix = catalogue(language), profile + "."
    found: dict[str, tuple[str, ...]] = {}
    for key, text in texts.items():
        variant = texts.get(prefix + key)
        if variant is not None and not key.startswith(prefix):
            found[variant] = (*found.get(variant, ()), text)
            found[text] = (*found.get(text, ()), variant)
    return found


PLAIN = Texts()  # French, no profile: e-mails and messages read in a chat
SMS_TEXTS = Texts(profile=SMS_PROFILE)  # French, read as an SMS
