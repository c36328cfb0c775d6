"""Buttons as numbered options, for the channels that have no buttons (the terminal, SMS).

A screen's buttons are shown as numbered lines; the person answers with a number, which picks the
button of that rank on the last screen shown. The French list wording of the numbers ("1 ou 2",
"1, 2 ou 3") is here too.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from flows.texts import t

_NUMBER = re.compile(r"\s*(\d{1,3})\s*[.)]?\s*")


def by_number(text: str, count: int) -> int | None:
    """The 0-based index of the option `text` names by its number ("2", " 2 ", "2."), if any."""
    match = _NUMBER.fullmatch(text)
    if match is None:
        return None
    number = int(match.group(1))
    return number - 1 if 1 <= number <= count else None


def numbered(labels: Sequence[str]) -> list[str]:
    """One line per option: "1 label"."""
    return [f"{number} {label}" for number, label in enumerate(labels, start=1)]


def french_list(count: int) -> str:
    """The numbers 1 to `count` as a French list: "1", "1 ou 2", "1, 2 ou 3"."""
    numbers = [str(n) for n in range(1, count + 1)]
    if len(numbers) < 2:
        return "".join(numbers)
    return ", ".join(numbers[:-1]) + f" {t('options.or')} " + numbers[-1]
