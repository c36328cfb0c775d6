"""Setting a school's campaign calendar: one window (the CLI's `calendar set`) or all four at once
(the console's form). The windows keep the campaign's order (`flows.rules.calendar.check_order`);
a refusal is that rule's `DomainError`, and nothing is written."""

from __future__ import annotations

from collections.abc import Mapping

from flows.ports import Store
from flows.rules.calendar import WINDOW_ORDER, Window, check_order


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
