"""How many SMS segments a text takes: GSM 03.38 (3GPP TS 23.038) 7-bit alphabet, or UCS-2.

A text whose every character is in the GSM 7-bit default alphabet (the basic set below, plus the
extension table, whose characters take two septets: an escape and the character) is sent in
GSM-7; one character outside it makes the whole message UCS-2 (16-bit code units, as UTF-16).

- one segment holds 160 septets in GSM-7, or 70 UCS-2 code units;
- a longer text is sent as a concatenated SMS, whose segments each lose room to the header:
  153 septets, or 67 code units, per segment.

In a concatenated SMS an escape sequence (an extension character) is not split between two
segments, nor is a UTF-16 surrogate pair (an emoji counts as two code units): segments are filled
character by character, as the carriers and Twilio do, so a text can take one segment more than
the bare division says.

Examples::

    >>> count("a" * 160)
    SegmentCount(encoding='GSM-7', units=160, segments=1)
    >>> count("a" * 161).segments
    2
    >>> count("être").encoding  # ê is not in the GSM alphabet
    'UCS-2'
    >>> count("€").units  # an extension character: two septets
    2
"""

from __future__ import annotations

from dataclasses import dataclass

# The basic character set, in code order (0x00 to 0x7F); 0x1B is the escape to the extension table.
GSM7_BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# The default extension table: each is sent as the escape and the character, two septets.
GSM7_EXTENSION = "\f^{}\\[~]|€"

_BASIC = frozenset(GSM7_BASIC) - {"\x1b"}
_EXTENSION = frozenset(GSM7_EXTENSION)

GSM7 = "GSM-7"
UCS2 = "UCS-2"
SINGLE = {GSM7: 160, UCS2: 70}
MULTIPART = {GSM7: 153, UCS2: 67}


@dataclass(frozen=True)
class SegmentCount:
    encoding: str  # "GSM-7" or "UCS-2"
    units: int  # septets (GSM-7) or UTF-16 code units (UCS-2)
    segments: int


def is_gsm7(text: str) -> bool:
    """Whether every character of `text` is in the GSM 7-bit alphabet (basic set or extension)."""
    return all(c in _BASIC or c in _EXTENSION for c in text)


def non_gsm7(text: str) -> list[str]:
    """The characters of `text` that force UCS-2, each once, in order of appearance."""
    return list(dict.fromkeys(c for c in text if c not in _BASIC and c not in _EXTENSION))


def _unit_sizes(text: str, encoding: str) -> list[int]:
    if encoding == GSM7:
        return [2 if c in _EXTENSION else 1 for c in text]
    return [2 if ord(c) > 0xFFFF else 1 for c in text]  # a surrogate pair is two code units


def count(text: str) -> SegmentCount:
    """The encoding of `text`, its length in that encoding's units, and its number of segments."""
    encoding = GSM7 if is_gsm7(text) else UCS2
    sizes = _unit_sizes(text, encoding)
    units = sum(sizes)
    if units <= SINGLE[encoding]:
        return SegmentCount(encoding, units, 1)
    room = MULTIPART[encoding]
    segments, used = 1, 0
    for size in sizes:  # never split an escape sequence or a surrogate pair
        if used + size > room:
            segments, used = segments + 1, 0
        used += size
    return SegmentCount(encoding, units, segments)


def segments(text: str) -> int:
    return count(text).segments


def fits(text: str, max_segments: int) -> bool:
    return count(text).segments <= max_segments
