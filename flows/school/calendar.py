"""Setting a school's campaign calendar: one window (the CLI's `calendar set`), all four at once
(the console's form), or the lines of a calendar file (`calendar import`), merged over what each
school has. The windows keep the campaign's order (`flows.rules.calendar.check_order`); a refusal
is that rule's `DomainError` (per line, for a file), and nothing is written."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from flows.ports import Store
from flows.rules.calendar import WINDOW_ORDER, Window, check_order, day_window
from flows.rules.errors import DomainError


def set_window(store: Store, uai: str, window: Window) -> dict[str, Window]:
    """Set one window among the school's others; returns the calendar's windows as set."""
    with store.transaction():
        windows = dict(store.calendar(uai).windows)
        windows[window.key] = window
        check_order(windows)
        store.put_window(uai, window)
    return windows


def replace_windows(store: Store, uai: str, windows: Mapping[str, Window]) -> None:
    """The school's windows become exactly `windows` (a window left out is removed)."""
    check_order(dict(windows))
    with store.transaction():
        for key in WINDOW_ORDER:
            if key in windows:
                store.put_window(uai, windows[key])
            else:
                store.delete_window(uai, key)


@dataclass(frozen=True)
class WindowLine:
    """One decoded line of a calendar file: a school's window, from its first to its last day."""

    number: int  # the file's line
    uai: str
    key: str
    first: date
    last: date


@dataclass(frozen=True)
class LineError:
    """Why a line is refused, and the column to point at ("uai", "from" or "to")."""

    number: int
    column: str
    error: DomainError


@dataclass(frozen=True)
class CalendarImport:
    changed: int = 0
    unchanged: int = 0
    errors: tuple[LineError, ...] = ()


def import_windows(store: Store, lines: Sequence[WindowLine], dry_run: bool) -> CalendarImport:
    """Merge the file's windows over each school's stored ones, in one transaction. Any refused
    line (an unknown school, windows out of the campaign's order) refuses the file whole."""
    with store.transaction():
        stored: dict[str, dict[str, Window]] = {}
        merged, origin, errors = _merge(store, lines, stored)
        errors += _order_errors(store, merged, origin)
        if errors:
            return CalendarImport(errors=tuple(errors))
        changed = [(line.uai, merged[line.uai][line.key]) for line in lines
                   if stored[line.uai].get(line.key) != merged[line.uai][line.key]]
        if not dry_run:
            for uai, window in changed:
                store.put_window(uai, window)
    return CalendarImport(len(changed), len(lines) - len(changed))


def _merge(store: Store, lines: Sequence[WindowLine], stored: dict[str, dict[str, Window]]
           ) -> tuple[dict[str, dict[str, Window]], dict[tuple[str, str], int], list[LineError]]:
    merged: dict[str, dict[str, Window]] = {}
    origin: dict[tuple[str, str], int] = {}  # (uai, window) → the line of the file that sets it
    errors: list[LineError] = []
    for line in lines:
        school = store.school(line.uai)
        if school is None:
            errors.append(LineError(line.number, "uai",
                                    DomainError("calendar.unknown_school", uai=line.uai)))
            continue
        if line.uai not in stored:
            stored[line.uai] = dict(store.calendar(line.uai).windows)
        windows = merged.setdefault(line.uai, dict(stored[line.uai]))
        windows[line.key] = day_window(line.key, line.first, line.last, school.timezone)
        origin[(line.uai, line.key)] = line.number
    return merged, origin, errors


def _order_errors(store: Store, merged: Mapping[str, Mapping[str, Window]],
                  origin: Mapping[tuple[str, str], int]) -> list[LineError]:
    """Two windows in a row that break the order, when the file set at least one of them."""
    errors = []
    for uai, windows in merged.items():
        ordered = [key for key in WINDOW_ORDER if key in windows]
        for earlier, later in zip(ordered, ordered[1:], strict=False):
            if (uai, earlier) not in origin and (uai, later) not in origin:
                continue  # both stored already: not this file's doing
            try:
                check_order({earlier: windows[earlier], later: windows[later]})
            except DomainError:
                closes = windows[earlier].closes.astimezone(store.calendar(uai).tz)
                errors.append(LineError(
                    origin.get((uai, later)) or origin[(uai, earlier)],
                    "from" if (uai, later) in origin else "to",
                    DomainError("calendar.out_of_order", uai=uai, earlier=earlier, later=later,
                                closes=f"{closes:%Y-%m-%d %H:%M}",
                                order=", ".join(WINDOW_ORDER))))
    return errors
