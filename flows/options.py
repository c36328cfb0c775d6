"""How a typed answer names one of the offered options, for channels without buttons.

One way for every channel that shows options as numbered lines (the terminal, SMS): a number picks
the option of that rank; SMS also takes an option's words typed in full, or, on a screen that asks
for no free text, the first words of exactly one option. Pure functions, no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from .rules.identity import fold

_NUMBER = re.compile(r"\s*(\d{1,3})\s*[.)]?\s*")
PREFIX_MIN_LENGTH = 3  # shorter starts ("va", "re") name too many options to mean one


def by_number(text: str, count: int) -> int | None:
    """The 0-based index of the option `text` names by its number ("2", " 2 ", "2."), if any."""
    match = _NUMBER.fullmatch(text)
    if match is None:
        return None
    number = int(match.group(1))
    return number - 1 if 1 <= number <= count else None


def words(text: str) -> str:
    """Text as compared with an option: folded (case, accents), letters and digits only."""
    return " ".join(re.sub(r"[^\w ]+", " ", fold(text)).split())


def by_words(text: str, names: Sequence[set[str]], prefix: bool) -> int | None:
    """The index of the option whose words (any of its `names`, already folded by `words`) `text`
    types in full; with `prefix`, else the one option they start, if exactly one."""
    typed = words(text)
    if not typed:
        return None
    exact = [index for index, forms in enumerate(names) if typed in forms]
    if len(exact) == 1:
        return exact[0]
    if not prefix or len(typed) < PREFIX_MIN_LENGTH:
        return None
    starting = [index for index, forms in enumerate(names)
                if any((form + " ").startswith(typed + " ") for form in forms)]
    return starting[0] if len(starting) == 1 else None
