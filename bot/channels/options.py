"""Buttons shown as numbered options, for the channels that have no buttons (the terminal, SMS).

A screen's buttons are shown as numbered lines; the person answers with a number, which picks the
button of that rank on the last screen shown (read by `flows.options`, the one way for every
channel). The French list wording of the numbers ("1 ou 2", "1, 2 ou 3") is here too.
"""

from __future__ import annotations

from collections.abc import Sequence

from flows.texts import t


def numbered(labels: Sequence[str]) -> list[str]:
    """One line per option: "1 label"."""
    return [f"{number} {label}" for number, label in enumerate(labels, start=1)]


def french_list(count: int) -> str:
    """The numbers 1 to `count` as a French list: "1", "1 ou 2", "1, 2 ou 3"."""
    numbers = [str(n) for n in range(1, count + 1)]
    if len(numbers) < 2:
        return "".join(numbers)
    return ", ".join(numbers[:-1]) + f" {t('options.or')} " + numbers[-1]
