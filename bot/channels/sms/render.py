"""A channel-neutral `Reply` as SMS: the GSM alphabet, numbered options, at most 2 segments per SMS.

Shorter texts are the catalogue's business, not this module's: a text read as an SMS is composed
in the `sms` text profile (`sms.<key>` first, then `<key>`), the dialogues' replies through `ctx.t`,
the messages composed outside an event (recaps, reminders, notices) through the texts of their
route (`flows.rules.routing.texts_for`). Nothing here matches or rewrites the wording.

1. **The GSM 7-bit alphabet.** One character outside it makes the whole SMS UCS-2, where two
   segments hold 134 characters instead of 306. So, for SMS only, characters outside it are
   written with the nearest ones inside it: ’ as ', « » as ", — as -, ☐/☒ as [ ]/[x], and the
   accented letters the alphabet lacks (ê â î ô û ç ë ï…) without their accent; é è à ù ì ò É Ç
   are in the alphabet and kept. A character with no such spelling (a name in another script)
   is kept, and that SMS is then UCS-2.
2. **Numbered options.** Buttons become "1 label" lines, then "Répondez 1, 2 ou 3" (not on a
   screen that asks for free text, where the options are the way out, not the expected answer).
3. **At most 2 segments per SMS.** A reply that does not fit in one SMS of 2 segments is sent as
   several: the options stay with as many of the last paragraphs as fit, earlier paragraphs go
   first (split on lines, then words, if one alone is too long). Every screen of every dialogue
   fits in one SMS with the demo's data (tests/integration/test_sms_screens.py).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

from flows.exchange import Reply
from flows.texts import t

from ..options import french_list, numbered
from .segments import fits, is_gsm7

MAX_SEGMENTS = 2

# ---- 1. the GSM 7-bit alphabet ---------------------------------------------------------------------

_SPELLINGS = {
    "’": "'", "‘": "'", "ʼ": "'", "´": "'", "`": "'", "“": '"', "”": '"', "„": '"',
    "«": '"', "»": '"', "—": "-", "–": "-", "‑": "-", "‐": "-", "−": "-", "…": "...",
    "·": "-", "•": "-", "☐": "[ ]", "☒": "[x]", "☑": "[x]", "✓": "x", "✔": "x",
    "\u00a0": " ", "\u202f": " ", "\u2009": " ", "\u2007": " ", "\t": " ",
    "°": "o", "œ": "oe", "Œ": "OE", "→": "->", "←": "<-", "≥": ">=", "≤": "<=", "×": "x",
}
_QUOTES = re.compile(r"«\s*|\s*»")


def _spell(char: str) -> str:
    if is_gsm7(char):
        return char
    if char in _SPELLINGS:
        return _SPELLINGS[char]
    bare = "".join(c for c in unicodedata.normalize("NFD", char) if not unicodedata.combining(c))
    return bare if bare and is_gsm7(bare) else char


def to_gsm(text: str) -> str:
    """`text` in the GSM 7-bit alphabet where it can be (see the module's docstring)."""
    if is_gsm7(text):
        return text
    text = _QUOTES.sub('"', text).replace("••", "**").replace("*•", "**")
    return "".join(_spell(c) for c in text)


# ---- 2 and 3. options, and SMS of at most 2 segments --------------------------------------------


def _fits(text: str) -> bool:
    return fits(text, MAX_SEGMENTS)


def split(text: str, separators: Sequence[str] = ("\n\n", "\n", " ")) -> list[str]:
    """`text` in as few SMS of at most 2 segments as the separators allow, in order."""
    if not text.strip():
        return []
    if _fits(text):
        return [text]
    if not separators:
        parts, chunk = [], ""
        for char in text:
            if chunk and not _fits(chunk + char):
                parts.append(chunk)
                chunk = ""
            chunk += char
        return [*parts, chunk] if chunk else parts
    separator, finer = separators[0], separators[1:]
    out: list[str] = []
    current: str | None = None
    for piece in text.split(separator):
        if not _fits(piece):
            if current is not None:
                out.append(current)
            *first, current = split(piece, finer)
            out += first
            continue
        candidate = piece if current is None else current + separator + piece
        if current is None or _fits(candidate):  # a piece that fits alone starts a part
            current = candidate
        else:
            out.append(current)
            current = piece
    if current is not None:
        out.append(current)
    return [part for part in out if part.strip()]


def pack(body: str, tail: str) -> list[str]:
    """The SMS of a reply: `body`, then the options (`tail`) with as much of the end of the body
    as fits; one SMS whenever the whole fits."""
    body, tail = body.strip(), tail.strip()
    if not tail:
        return split(body) if body else []
    if not body:
        return split(tail)
    whole = body + "\n" + tail
    if _fits(whole):
        return [whole]
    for separator in ("\n\n", "\n"):  # paragraphs first, else lines
        pieces = body.split(separator)
        for first in range(1, len(pieces)):
            last = separator.join(pieces[first:]) + "\n" + tail
            if _fits(last):
                return [*split(separator.join(pieces[:first])), last]
    return [*split(body), *split(tail, ("\n", " "))]


def options_block(labels: Sequence[str], takes_text: bool) -> str:
    """The numbered options, and "Répondez 1, 2 ou 3" unless the screen asks for free text."""
    if not labels:
        return ""
    lines = numbered(labels)
    if not takes_text:
        lines.append(to_gsm(t("sms.channel.answer", numbers=french_list(len(labels)))))
    return "\n".join(lines)


def render(reply: Reply, takes_text: bool | None = None) -> list[str]:
    """The SMS that show `reply` (its texts in the SMS profile already), in order: one, unless it
    does not fit in 2 segments. `takes_text` defaults to the reply's own."""
    labels = [to_gsm(button.label) for button in reply.flat_buttons]
    free_text = reply.takes_text if takes_text is None else takes_text
    return pack(to_gsm(reply.text), options_block(labels, free_text))
