"""GSM-7 and UCS-2 segment counting (bot/channels/sms/segments.py) on known examples."""

from __future__ import annotations

import doctest

import pytest

from bot.channels.sms import segments
from bot.channels.sms.segments import GSM7_BASIC, GSM7_EXTENSION, count, is_gsm7, non_gsm7


def test_the_alphabet_is_gsm_03_38():
    assert len(GSM7_BASIC) == 128
    assert [GSM7_BASIC.index(c) for c in "@£$èéùìòÇ\nØ"] == [0, 1, 2, 4, 5, 6, 7, 8, 9, 10, 11]
    assert (GSM7_BASIC.index(" "), GSM7_BASIC.index("A"), GSM7_BASIC.index("a")) == (0x20, 0x41, 0x61)
    assert (GSM7_BASIC.index("¡"), GSM7_BASIC.index("¿"), GSM7_BASIC.index("à")) == (0x40, 0x60, 0x7F)
    assert (GSM7_BASIC.index("É"), GSM7_BASIC.index("ß"), GSM7_BASIC.index("\x1b")) == (0x1F, 0x1E, 0x1B)
    assert set(GSM7_EXTENSION) == set("\f^{}\\[~]|€")


@pytest.mark.parametrize(("text", "gsm"), [
    ("é è à ù ì ò É Ç", True),  # the French letters the alphabet has
    ("Répondez 1, 2 ou 3", True),
    ("€ [ ] { } ~ ^ | \\", True),
    ("ê", False), ("â", False), ("î", False), ("ô", False), ("û", False), ("ç", False),
    ("À", False), ("È", False), ("’", False), ("«", False), ("—", False), ("☐", False), ("😀", False),
])
def test_what_is_in_the_alphabet(text, gsm):
    assert is_gsm7(text) is gsm


def test_non_gsm7_lists_each_culprit_once():
    assert non_gsm7("être, fenêtre — « ok »") == ["ê", "—", "«", "»"]


@pytest.mark.parametrize(("text", "expected"), [
    ("", ("GSM-7", 0, 1)),
    ("a" * 160, ("GSM-7", 160, 1)),
    ("a" * 161, ("GSM-7", 161, 2)),
    ("a" * 306, ("GSM-7", 306, 2)),
    ("a" * 307, ("GSM-7", 307, 3)),
    ("a" * 459, ("GSM-7", 459, 3)),
    ("é" * 160, ("GSM-7", 160, 1)),  # é is one septet
    ("€" * 80, ("GSM-7", 160, 1)),  # an extension character is two
    ("€" * 81, ("GSM-7", 162, 2)),
    ("a" * 159 + "€", ("GSM-7", 161, 2)),
    # An escape sequence is never split between two segments: 152 + 2 does not fit in 153.
    ("a" * 152 + "€" + "a" * 152, ("GSM-7", 306, 3)),
    ("a" * 151 + "€" + "a" * 153, ("GSM-7", 306, 2)),
    ("ê" * 70, ("UCS-2", 70, 1)),
    ("ê" * 71, ("UCS-2", 71, 2)),
    ("ê" * 134, ("UCS-2", 134, 2)),
    ("ê" * 135, ("UCS-2", 135, 3)),
    ("a" * 69 + "ê", ("UCS-2", 70, 1)),  # one character outside the alphabet: all of it is UCS-2
    ("😀" * 35, ("UCS-2", 70, 1)),  # an emoji is two UTF-16 code units
    ("😀" * 36, ("UCS-2", 72, 2)),
    # A surrogate pair is not split either: 66 + 2 does not fit in 67.
    ("a" * 66 + "😀" + "a" * 66, ("UCS-2", 134, 3)),
    ("a" * 65 + "😀" + "a" * 67, ("UCS-2", 134, 2)),
    ("Vous avez été déconnecté(e). Au revoir.", ("GSM-7", 39, 1)),
    ("Vous êtes déconnecté(e). À bientôt.", ("UCS-2", 35, 1)),
])
def test_known_counts(text, expected):
    measured = count(text)
    assert (measured.encoding, measured.units, measured.segments) == expected


def test_the_module_examples():
    assert doctest.testmod(segments).failed == 0
