"""A channel-neutral `Reply` as SMS: short texts, the GSM alphabet, numbered options, 2 segments.

1. **Shorter texts.** The catalogue may hold an SMS variant `sms.<key>` of any message `<key>`.
   The dialogues' replies already use them: the SMS channel asks the engine for the `sms` text
   profile, and `ctx.t` picks `sms.<key>` first. Messages composed outside a dialogue event (the
   recaps, reminders and notifications pushed to a conversation held by SMS, `push.py`) are
   shortened here instead (`sms_text`): each catalogue text that has a variant is found in the
   message, line-anchored, by a pattern built from its template (`{name}` fields become groups)
   and replaced by the variant, filled with the same values (themselves shortened the same way).
2. **The GSM 7-bit alphabet.** One character outside it makes the whole SMS UCS-2, where two
   segments hold 134 characters instead of 306. So, for SMS only, characters outside it are
   written with the nearest ones inside it: ’ as ', « » as ", — as -, ☐/☒ as [ ]/[x], and the
   accented letters the alphabet lacks (ê â î ô û ç ë ï…) without their accent; é è à ù ì ò É Ç
   are in the alphabet and kept. A character with no such spelling (a name in another script)
   is kept, and that SMS is then UCS-2.
3. **Numbered options.** Buttons become "1 label" lines, then "Répondez 1, 2 ou 3" (not on a
   screen that asks for free text, where the options are the way out, not the expected answer).
4. **At most 2 segments per SMS.** A reply that does not fit in one SMS of 2 segments is sent as
   several: the options stay with as many of the last paragraphs as fit, earlier paragraphs go
   first (split on lines, then words, if one alone is too long). Every screen of every dialogue
   fits in one SMS with the demo's data (tests/test_sms_screens.py).
"""

from __future__ import annotations

import re
import string
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

from flows.exchange import Reply
from flows.texts import catalogue, t

from ..options import french_list, numbered
from .segments import fits, is_gsm7

MAX_SEGMENTS = 2
VARIANT_PREFIX = "sms."
# Fields whose value may run over several lines (a list); any other field at the end of a
# template stops at the end of its line.
MULTILINE_FIELDS = frozenset({"listing", "recap", "calendar", "standing", "schools", "rules",
                              "proposals", "lines", "details"})

# ---- 1. SMS variants of catalogue texts ----------------------------------------------------------


@dataclass(frozen=True)
class Variant:
    key: str
    pattern: re.Pattern[str]
    template: str  # the SMS text, with the same fields (or fewer)
    weight: int  # literal characters of the original: the more, the more specific


def _field_pattern(name: str, seen: set[str], leading: bool, trailing: bool) -> str:
    if name in seen:
        return f"(?P={name})"
    seen.add(name)
    if leading:
        return f"(?P<{name}>[^\\n]*?)"
    if trailing:
        return (f"(?P<{name}>.*?)(?=\\n\\n|\\Z)" if name in MULTILINE_FIELDS
                else f"(?P<{name}>[^\\n]*)")
    return f"(?P<{name}>.*?)"


def compile_template(template: str) -> re.Pattern[str] | None:
    """A pattern finding the text `template` makes, on whole lines; None if it has no literal
    text to anchor on (or fields that are not plain names)."""
    pieces = list(string.Formatter().parse(template))
    parts: list[str] = []
    seen: set[str] = set()
    literal_chars = 0
    for index, (literal, name, _spec, _conversion) in enumerate(pieces):
        parts.append(re.escape(literal))
        literal_chars += len(literal.strip())
        if name is None:
            continue
        if not name.isidentifier():
            return None
        trailing = not any(p[0] or p[1] is not None for p in pieces[index + 1:])
        parts.append(_field_pattern(name, seen, leading=index == 0 and not literal,
                                    trailing=trailing))
    if literal_chars == 0:
        return None
    return re.compile("^" + "".join(parts) + "$", re.MULTILINE | re.DOTALL)


@cache
def variants() -> tuple[Variant, ...]:
    """Every `sms.<key>` of the catalogue whose `<key>` is a message too, most specific first."""
    texts = catalogue()
    found = []
    for key, template in texts.items():
        if key.startswith(VARIANT_PREFIX) or VARIANT_PREFIX + key not in texts:
            continue
        pattern = compile_template(template)
        if pattern is not None:
            weight = sum(len(p[0]) for p in string.Formatter().parse(template))
            found.append(Variant(key, pattern, texts[VARIANT_PREFIX + key], weight))
    return tuple(sorted(found, key=lambda v: (-v.weight, v.key)))


def shorten(text: str, depth: int = 0) -> str:
    """`text` with each catalogue text that has an SMS variant replaced by that variant."""
    if not text or depth > 3:
        return text
    taken: list[tuple[int, int, str]] = []
    for variant in variants():
        for match in variant.pattern.finditer(text):
            start, end = match.span()
            if start == end or any(start < e and s < end for s, e, _ in taken):
                continue
            values = {name: shorten(value, depth + 1) for name, value in match.groupdict().items()}
            try:
                replacement = variant.template.format(**values)
            except (KeyError, IndexError, ValueError):
                continue  # the variant names a field the text no longer has: keep the text
            taken.append((start, end, replacement))
    if not taken:
        return text
    out, position = [], 0
    for start, end, replacement in sorted(taken):
        out += [text[position:start], replacement]
        position = end
    out.append(text[position:])
    return "".join(out)


# ---- 2. the GSM 7-bit alphabet ---------------------------------------------------------------------

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


def sms_text(text: str) -> str:
    """A message composed outside a dialogue event, as an SMS: shortened, in the GSM alphabet."""
    return to_gsm(shorten(text))


def label(text: str) -> str:
    """A label composed without the SMS profile, as the SMS would show it."""
    return to_gsm(shorten(text))


# ---- 3 and 4. options, and SMS of at most 2 segments --------------------------------------------


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
