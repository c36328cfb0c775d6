"""Reminders before a deadline: when each one is due, to whom, by which route. Pure rules, no I/O.

A deadline is the closing instant of a window of the school's calendar (inclusive, the end of its
last day in the school's time zone). The pending actions reminded so far:

- "intentions" (window INTENTIONS): the student's intentions are not validated; every guardian with
  a link the guardian has not flagged is reminded, since either may enter them;
- "avis" (window AVIS): the council's opinion is published and not acknowledged; the guardian who
  entered the requests is reminded, or every guardian of the student when nobody did.
- "choix" (window CHOIX): the choix définitifs are not validated; as for the intentions.
- "reponse" (window REPONSE): the council's proposals are published and the family has neither
  agreed to one nor refused them all, and no decision is recorded; the guardian who answers
  (who entered the choices, else the intentions, else every guardian) is reminded.

Choices, where the issue is silent:

- An offset is a number of days before the deadline's last day, at a time of day; without a time,
  when the sending hours start (08:00 by default). The defaults are 7 days, 2 days and the morning
  of the last day (0 days). Sending hours are [start, end) in the school's time zone, 08:00-20:00 by
  default; "quiet hours" are the rest of the day.
- A reminder whose time falls in quiet hours moves to the next start of the sending hours; if that
  is after the deadline, the reminder is dropped (never sent after the deadline).
- At a moment, at most one reminder per guardian, student and deadline is due: the latest offset
  whose time has come. A reminder missed while nothing ran (the bot was down) is still sent while
  it is the latest one and the deadline is ahead, but only within the sending hours; an earlier
  offset is skipped once a later one is due, so a family never gets two reminders at once.
- A reminder only reminds of what was already to be done at its time: an offset whose time is
  before the action became possible (the window's opening, the opinion's publication) is not sent,
  so a late publication does not trigger a "7 days" reminder at once; the next offset is sent.
- Route: the chat the guardian last logged in from (remembered after the session ends), else an
  SMS to the mobile on file, else nothing (e-mail is not a reminder channel).
- A queued reminder expires at the end of that day's sending hours (or at the deadline): a sender
  with a backlog sets it aside rather than send it at night.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from .calendar import AVIS, CHOIX, INTENTIONS, REPONSE
from .model import CONCERNED_LEVEL as CONCERNED_LEVEL  # for the reminders' queries

DEDUPE_PREFIX = "remind:"


@dataclass(frozen=True)
class Action:
    """A pending action that has a deadline: its key (in dedupe keys) and the calendar window."""

    key: str
    window: str


INTENTIONS_ACTION = Action("intentions", INTENTIONS)
ACKNOWLEDGEMENT_ACTION = Action("avis", AVIS)
CHOICES_ACTION = Action("choix", CHOIX)
ANSWER_ACTION = Action("reponse", REPONSE)
ACTIONS = (INTENTIONS_ACTION, ACKNOWLEDGEMENT_ACTION, CHOICES_ACTION, ANSWER_ACTION)
# Actions open to every guardian from the window's opening; the others wait for a publication and
# concern the guardian who entered.
OPEN_TO_ALL = (INTENTIONS_ACTION, CHOICES_ACTION)


@dataclass(frozen=True)
class Offset:
    """`days` before the deadline's last day, at `at` (None: when the sending hours start)."""

    days: int
    at: time | None = None

    def __post_init__(self) -> None:
        if self.days < 0:
            raise ValueError("an offset is 0 or more days before the last day")

    @property
    def label(self) -> str:
        """The offset in a dedupe key: d7, d2, d0, or d1-1800 with a time of day."""
        return f"d{self.days}" if self.at is None else f"d{self.days}-{self.at:%H%M}"


DEFAULT_OFFSETS = (Offset(7), Offset(2), Offset(0))
DEFAULT_START = time(8, 0)
DEFAULT_END = time(20, 0)


@dataclass(frozen=True)
class Rules:
    """One school's reminder rules: the offsets and the sending hours [start, end), local time."""

    offsets: tuple[Offset, ...] = DEFAULT_OFFSETS
    start: time = DEFAULT_START
    end: time = DEFAULT_END

    def __post_init__(self) -> None:
        if not self.start < self.end:
            raise ValueError("the sending hours must start before they end, on the same day")


@dataclass(frozen=True)
class Settings:
    """The rules of every school: a default, and the schools that set their own."""

    default: Rules = field(default_factory=Rules)
    schools: Mapping[str, Rules] = field(default_factory=dict)

    def for_school(self, uai: str) -> Rules:
        return self.schools.get(uai, self.default)


@dataclass(frozen=True)
class Slot:
    """One offset of one deadline, at the moment it is to be sent."""

    offset: Offset
    at: datetime


# ---- time ----------------------------------------------------------------------------------------

def in_sending_hours(moment: datetime, rules: Rules, tz: ZoneInfo) -> bool:
    local = moment.astimezone(tz).time()
    return rules.start <= local < rules.end


def next_sending_moment(moment: datetime, rules: Rules, tz: ZoneInfo) -> datetime:
    """`moment` itself within the sending hours, else the next start of the sending hours."""
    if in_sending_hours(moment, rules, tz):
        return moment
    local = moment.astimezone(tz)
    day = local.date() if local.time() < rules.start else local.date() + timedelta(days=1)
    return _at(day, rules.start, tz)


def _at(day: date, moment: time, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, moment, tz)


def send_time(deadline: datetime, offset: Offset, rules: Rules, tz: ZoneInfo) -> datetime | None:
    """When this offset's reminder is sent: moved out of quiet hours, None if after the deadline."""
    last_day = deadline.astimezone(tz).date()
    planned = _at(last_day - timedelta(days=offset.days), offset.at or rules.start, tz)
    moved = next_sending_moment(planned, rules, tz)
    return moved if moved <= deadline else None


def schedule(deadline: datetime, rules: Rules, tz: ZoneInfo) -> tuple[Slot, ...]:
    """Every reminder of a deadline, in time order (the nearer offset last when two coincide)."""
    slots = [Slot(offset, at) for offset in set(rules.offsets)
             if (at := send_time(deadline, offset, rules, tz)) is not None]
    return tuple(sorted(slots, key=lambda s: (s.at, -s.offset.days, s.offset.at or time.min)))


def due_slot(slots: Sequence[Slot], deadline: datetime, now: datetime, rules: Rules,
             tz: ZoneInfo) -> Slot | None:
    """The reminder due at `now`: the latest slot whose time has come, if the deadline is ahead
    and `now` is in the sending hours; earlier slots are superseded by it."""
    if now > deadline or not in_sending_hours(now, rules, tz):
        return None
    current = None
    for slot in slots:
        if slot.at <= now:
            current = slot
    return current


def reminds(slot: Slot, pending_since: datetime) -> bool:
    """A reminder only reminds of what was already to be done at its time."""
    return pending_since <= slot.at


# ---- who, and how ----------------------------------------------------------------------------------

def acknowledgement_reminded(guardian_id: str, editor_guardian_id: str | None) -> bool:
    """The editor of the requests acknowledges; when nobody entered them, any guardian may."""
    return editor_guardian_id is None or editor_guardian_id == guardian_id


def dedupe_key(guardian_id: str, student_id: str, action: Action, deadline: datetime,
               offset: Offset) -> str:
    """At most once per guardian, student, deadline (a moved deadline is a new one) and offset."""
    return (f"{DEDUPE_PREFIX}{guardian_id}:{student_id}:{action.key}:{deadline.isoformat()}:"
            f"{offset.label}")


# ---- settings as text (a school's settings row, a command-line option) ------------------------------

def parse_offsets(text: str) -> tuple[Offset, ...]:
    """"7,2,0" or "7@18:00, 2, 0": days before the last day, with an optional time of day."""
    offsets = []
    for part in text.split(","):
        days, _, moment = part.strip().partition("@")
        if not days.strip().isdigit():
            raise ValueError(f"'{part.strip()}' is not a number of days")
        offsets.append(Offset(int(days), time.fromisoformat(moment.strip()) if moment else None))
    return tuple(offsets)


def parse_hours(text: str) -> tuple[time, time]:
    """"08:00-20:00": the sending hours, start and end."""
    start, sep, end = text.partition("-")
    if not sep:
        raise ValueError(f"'{text}' is not HH:MM-HH:MM")
    return time.fromisoformat(start.strip()), time.fromisoformat(end.strip())


def send_by(now: datetime, deadline: datetime, rules: Rules, tz: ZoneInfo) -> datetime:
    """The last moment a reminder due `now` may leave: the end of today's sending hours in the
    school's time zone, and never after the deadline (a backlog must not send it at night)."""
    end_of_hours = datetime.combine(now.astimezone(tz).date(), rules.end, tz)
    return min(end_of_hours, deadline)
