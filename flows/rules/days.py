"""Reading a day as people write it: the one day parser of the service.

Families type their children's birth dates; schools give birth dates in the base's CSV files and
calendar days on the command line, in the calendar's CSV file and in the console's forms. Each
input accepts its own set of written forms (`Form`), kept here side by side:

- a family's birth date: `BIRTH_FORMS` (14/05/2012, 3-9-2010, 03.09.2010, "1er mars 2011");
- a birth date in the school base: the same, and 2012-05-14 as spreadsheets export it;
- a calendar day: `CALENDAR_FORMS` (2027-05-03, 03/05/2027 or 3/5/2027), nothing looser, as a
  window's first and last day must not be misread.

Whether a birth date is plausible (not in the future, not more than 30 years ago) is a rule of
identity (`flows.rules.identity`), not of reading.
"""

from __future__ import annotations

import re
from collections.abc import Set as AbstractSet
from datetime import date
from enum import Enum

from .errors import DomainError
from .folding import fold


class Form(Enum):
    """A written form of a day."""

    ISO = "YYYY-MM-DD"
    SLASHED = "D/M/YYYY"  # one or two digits for the day and month
    NUMERIC = "D/M/YYYY, D-M-YYYY, D.M.YYYY or D M YYYY"  # SLASHED and its other separators
    WORDS = "D month YYYY"  # "3 septembre 2010", "1er Mars 2011", accents optional


BIRTH_FORMS = frozenset({Form.NUMERIC, Form.WORDS})
CALENDAR_FORMS = frozenset({Form.ISO, Form.SLASHED})

_MONTHS = {
    "janvier": 1, "fevrier": 2, "mars": 3, "avril": 4, "mai": 5, "juin": 6, "juillet": 7,
    "aout": 8, "septembre": 9, "octobre": 10, "novembre": 11, "decembre": 12,
}
_ISO = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_SLASHED = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
_NUMERIC = re.compile(r"^(\d{1,2})[/.\- ](\d{1,2})[/.\- ](\d{4})$")
_WORDS = re.compile(r"^(\d{1,2})(?:er)? ([a-z]+) (\d{4})$")


def parse_day(raw: str, forms: AbstractSet[Form]) -> date:
    """The day `raw` names in one of `forms`.

    Raises `DomainError("date.format")` when it is written in none of them, and
    `DomainError("date.impossible")` when it is, but names no day (31/02/2010, 12/13/2010).
    """
    parts = _year_month_day(raw, forms)
    if parts is None:
        raise DomainError("date.format")
    try:
        return date(*parts)
    except ValueError as exc:
        raise DomainError("date.impossible", date=raw.strip()[:20]) from exc


def _year_month_day(raw: str, forms: AbstractSet[Form]) -> tuple[int, int, int] | None:
    text = raw.strip()
    if Form.ISO in forms and (iso := _ISO.match(text)):
        return int(iso.group(1)), int(iso.group(2)), int(iso.group(3))
    if Form.SLASHED in forms and (slashed := _SLASHED.match(text)):
        return int(slashed.group(3)), int(slashed.group(2)), int(slashed.group(1))
    if Form.NUMERIC not in forms and Form.WORDS not in forms:
        return None
    folded = fold(raw)
    if Form.NUMERIC in forms and (numeric := _NUMERIC.match(text) or _NUMERIC.match(folded)):
        return int(numeric.group(3)), int(numeric.group(2)), int(numeric.group(1))
    words = _WORDS.match(folded) if Form.WORDS in forms else None
    if words and words.group(2) in _MONTHS:
        return int(words.group(3)), _MONTHS[words.group(2)], int(words.group(1))
    return None
