"""Reminders' rules as tables: when each reminder is sent, the sending hours, the due slot, who is
reminded of what, and the settings read from text. Pure functions: no storage, no clock."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from flows.rules.calendar import day_window
from flows.rules.reminders import (
    Offset,
    Rules,
    Settings,
    Slot,
    acknowledgement_reminded,
    due_slot,
    in_sending_hours,
    next_sending_moment,
    parse_hours,
    parse_offsets,
    reminds,
    schedule,
    send_time,
)
from flows.rules.routing import route

PARIS = ZoneInfo("Europe/Paris")
MARTINIQUE = ZoneInfo("America/Martinique")


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def paris(*args: int) -> datetime:
    return datetime(*args, tzinfo=PARIS)


def closes(last_day: tuple[int, int, int], tz: ZoneInfo = PARIS) -> datetime:
    first = datetime(*last_day).date() - timedelta(days=30)
    return day_window("k", first, datetime(*last_day).date(), tz.key).closes


DEFAULT = Rules()


@pytest.mark.parametrize(("last_day", "tz", "offset", "rules", "expected"), [
    # the defaults: 7 days, 2 days, the morning of the last day, 08:00 local
    ((2026, 12, 6), PARIS, Offset(7), DEFAULT, utc(2026, 11, 29, 7)),
    ((2026, 12, 6), PARIS, Offset(2), DEFAULT, utc(2026, 12, 4, 7)),
    ((2026, 12, 6), PARIS, Offset(0), DEFAULT, utc(2026, 12, 6, 7)),
    ((2026, 12, 6), MARTINIQUE, Offset(7), DEFAULT, utc(2026, 11, 29, 12)),
    ((2026, 12, 6), MARTINIQUE, Offset(0), DEFAULT, utc(2026, 12, 6, 12)),
    # Paris, summer time starts on Sunday 29 March 2026: 08:00 is 07:00Z before, 06:00Z after
    ((2026, 3, 31), PARIS, Offset(7), DEFAULT, utc(2026, 3, 24, 7)),
    ((2026, 3, 31), PARIS, Offset(2), DEFAULT, utc(2026, 3, 29, 6)),
    ((2026, 3, 31), PARIS, Offset(0), DEFAULT, utc(2026, 3, 31, 6)),
    # ... and ends on Sunday 25 October 2026
    ((2026, 10, 27), PARIS, Offset(7), DEFAULT, utc(2026, 10, 20, 6)),
    ((2026, 10, 27), PARIS, Offset(2), DEFAULT, utc(2026, 10, 25, 7)),
    ((2026, 10, 27), PARIS, Offset(0), DEFAULT, utc(2026, 10, 27, 7)),
    # a time of day in quiet hours moves to the next start of the sending hours
    ((2026, 12, 6), PARIS, Offset(2, time(21, 0)), DEFAULT, utc(2026, 12, 5, 7)),
    ((2026, 12, 6), PARIS, Offset(2, time(6, 30)), DEFAULT, utc(2026, 12, 4, 7)),
    ((2026, 12, 6), PARIS, Offset(2, time(19, 59)), DEFAULT, utc(2026, 12, 4, 18, 59)),
    ((2026, 12, 6), PARIS, Offset(2, time(20, 0)), DEFAULT, utc(2026, 12, 5, 7)),
    ((2026, 10, 27), PARIS, Offset(3, time(22, 0)), DEFAULT, utc(2026, 10, 25, 7)),  # over the change
    ((2026, 3, 31), PARIS, Offset(2, time(2, 30)), DEFAULT, utc(2026, 3, 29, 6)),  # 02:30 never was
    # ... but never after the deadline: dropped
    ((2026, 12, 6), PARIS, Offset(0, time(21, 0)), DEFAULT, None),
    # a school's own sending hours
    ((2026, 12, 6), PARIS, Offset(7), Rules(start=time(9, 30), end=time(18, 0)), utc(2026, 11, 29, 8, 30)),
    ((2026, 12, 6), MARTINIQUE, Offset(1, time(18, 0)), Rules(end=time(18, 0)), utc(2026, 12, 6, 12)),
])
def test_send_time(last_day, tz, offset, rules, expected):
    assert send_time(closes(last_day, tz), offset, rules, tz) == expected


@pytest.mark.parametrize(("moment", "tz", "inside"), [
    (paris(2026, 12, 1, 7, 59, 59), PARIS, False),
    (paris(2026, 12, 1, 8, 0), PARIS, True),
    (paris(2026, 12, 1, 19, 59, 59), PARIS, True),
    (paris(2026, 12, 1, 20, 0), PARIS, False),
    (utc(2026, 12, 1, 11, 59), MARTINIQUE, False),  # 07:59 in Fort-de-France
    (utc(2026, 12, 1, 12, 0), MARTINIQUE, True),
    (utc(2026, 12, 1, 23, 59), MARTINIQUE, True),  # 19:59 there, 00:59 in Paris
    (utc(2026, 12, 2, 0, 0), MARTINIQUE, False),
])
def test_sending_hours(moment, tz, inside):
    assert in_sending_hours(moment, DEFAULT, tz) is inside
    moved = next_sending_moment(moment, DEFAULT, tz)
    assert (moved == moment) is inside
    assert in_sending_hours(moved, DEFAULT, tz)


INTENTIONS_CLOSE = closes((2026, 12, 6))
SLOTS = schedule(INTENTIONS_CLOSE, DEFAULT, PARIS)


@pytest.mark.parametrize(("now", "expected"), [
    (utc(2026, 11, 29, 6, 59), None),  # before the first reminder
    (utc(2026, 11, 29, 7, 0), "d7"),
    (utc(2026, 12, 3, 18, 0), "d7"),  # still due (a missed one is sent), in the sending hours
    (utc(2026, 12, 3, 19, 0), None),  # 20:00 in Paris: quiet hours
    (utc(2026, 12, 4, 7, 0), "d2"),  # the 7-day one, if never sent, is skipped now
    (utc(2026, 12, 5, 9, 0), "d2"),  # the bot was down at d2's time: sent late, deadline ahead
    (utc(2026, 12, 5, 20, 0), None),  # quiet hours
    (utc(2026, 12, 6, 7, 0), "d0"),
    (utc(2026, 12, 6, 18, 59), "d0"),
    (utc(2026, 12, 6, 19, 0), None),
    (utc(2026, 12, 7, 7, 0), None),  # after the deadline
])
def test_due_slot(now, expected):
    slot = due_slot(SLOTS, INTENTIONS_CLOSE, now, DEFAULT, PARIS)
    assert (slot.offset.label if slot else None) == expected


def test_schedule_orders_the_offsets_and_drops_what_cannot_be_sent():
    rules = Rules(offsets=(Offset(0), Offset(7), Offset(2), Offset(0, time(21, 0))))
    assert [s.offset.label for s in schedule(INTENTIONS_CLOSE, rules, PARIS)] == ["d7", "d2", "d0"]
    assert schedule(INTENTIONS_CLOSE, Rules(offsets=()), PARIS) == ()


@pytest.mark.parametrize(("pending_since", "expected"), [
    (utc(2026, 11, 29, 6, 0), True), (utc(2026, 11, 29, 7, 0), True), (utc(2026, 11, 29, 8), False)])
def test_a_reminder_only_reminds_of_what_was_already_to_do(pending_since, expected):
    assert reminds(Slot(Offset(7), utc(2026, 11, 29, 7)), pending_since) is expected


@pytest.mark.parametrize(("guardian", "editor", "expected"), [
    ("R-CLAIRE", "R-CLAIRE", True), ("R-KARIM", "R-CLAIRE", False), ("R-KARIM", None, True)])
def test_acknowledgement_goes_to_the_editor_or_to_everyone(guardian, editor, expected):
    assert acknowledgement_reminded(guardian, editor) is expected


@pytest.mark.parametrize(("chat", "mobile", "expected"), [
    (("telegram", "1001"), "+33612345678", ("push", "telegram:1001")),
    (None, "+33612345678", ("sms", "+33612345678")),
    (None, None, None), (None, "", None)])
def test_route_prefers_the_bound_chat(chat, mobile, expected):
    assert route(chat, mobile) == expected


def test_settings_as_text():
    assert parse_offsets("7, 2,0") == (Offset(7), Offset(2), Offset(0))
    assert parse_offsets("3@18:30") == (Offset(3, time(18, 30)),)
    assert Offset(3, time(18, 30)).label == "d3-1830"
    assert parse_hours("09:00-19:30") == (time(9), time(19, 30))
    for bad in ("", "x", "-1", "7@25:00"):
        with pytest.raises(ValueError):
            parse_offsets(bad)
    with pytest.raises(ValueError):
        parse_hours("09:00")
    with pytest.raises(ValueError):
        Rules(start=time(20), end=time(8))
    rules = Rules(offsets=(Offset(1),))
    assert Settings(schools={"X": rules}).for_school("X") is rules
    assert Settings().for_school("X") == Rules()
