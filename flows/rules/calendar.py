"""The campaign calendar of a school: windows of each step, and where the campaign stands at a time.

Every function takes the time as an argument (an aware datetime), so tests and the demo move the clock.
A window's closing instant is inclusive: "Jusqu'au 26/02/2021" closes at the end of that day in the
school's time zone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from .errors import DomainError

# The windows a calendar may hold, in campaign order.
INTENTIONS = "intentions"  # step 1: the family enters its intentions
AVIS = "avis"  # council's provisional opinion published → acknowledgement deadline
CHOIX = "choix"  # step 2: the family enters its final choices
REPONSE = "reponse"  # step 3: the family answers the council's proposal
WINDOW_ORDER = (INTENTIONS, AVIS, CHOIX, REPONSE)


@dataclass(frozen=True)
class Window:
    key: str
    opens: datetime
    closes: datetime

    def contains(self, now: datetime) -> bool:
        return self.opens <= now <= self.closes


@dataclass(frozen=True)
class Phase:
    """Where the campaign stands: the open window (or None) and the next date that matters."""

    open_key: str | None
    until: datetime | None  # closing of the open window, or opening of the next one
    next_key: str | None


@dataclass(frozen=True)
class Calendar:
    timezone: str
    windows: dict[str, Window]

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def window(self, key: str) -> Window | None:
        return self.windows.get(key)

    def require_open(self, key: str, now: datetime) -> None:
        """Raise the right "read-only, and until when" error unless window `key` is open."""
        window = self.windows.get(key)
        if window is None:
            raise DomainError("window.not_scheduled")
        if now < window.opens:
            raise DomainError("window.not_yet", date=self.local_date(window.opens))
        if now > window.closes:
            raise DomainError("window.closed", date=self.local_date(window.closes))

    def phase(self, now: datetime) -> Phase:
        ordered = [self.windows[k] for k in WINDOW_ORDER if k in self.windows]
        for window in ordered:
            if window.contains(now):
                return Phase(window.key, window.closes, None)
        upcoming = [w for w in ordered if w.opens > now]
        if upcoming:
            nxt = min(upcoming, key=lambda w: w.opens)
            return Phase(None, nxt.opens, nxt.key)
        return Phase(None, None, None)

    def local_date(self, moment: datetime, pattern: str = "%d/%m/%Y") -> str:
        """A moment as the school's families read it: a date in the school's time zone."""
        return moment.astimezone(self.tz).strftime(pattern)


# The country's zone: where a day named without a school (`--today`, the demo's anchor) is counted.
HOME_TIMEZONE = "Europe/Paris"


def home_day(moment: datetime) -> date:
    """The day `moment` falls on in France (at 23:30 UTC it is already tomorrow there)."""
    return moment.astimezone(ZoneInfo(HOME_TIMEZONE)).date()


def day_window(key: str, first: date, last: date, timezone: str) -> Window:
    """A window open from the start of `first` to the end of `last`, in the school's time zone."""
    tz = ZoneInfo(timezone)
    opens = datetime.combine(first, time(0, 0), tz)
    closes = datetime.combine(last + timedelta(days=1), time(0, 0), tz) - timedelta(microseconds=1)
    return Window(key, opens, closes)


def check_order(windows: dict[str, Window]) -> None:
    """Refuse a calendar whose windows overlap or break the campaign order.

    Each window must close no earlier than it opens, and open strictly after the previous window
    (in `WINDOW_ORDER`) closes: the steps follow one another, so a family is never asked two
    things at once. Missing windows are skipped (a school sets its calendar step by step).
    """
    ordered = [windows[key] for key in WINDOW_ORDER if key in windows]
    for window in ordered:
        if window.closes < window.opens:
            raise DomainError("calendar.range", window=window.key)
    for earlier, later in zip(ordered, ordered[1:], strict=False):
        if later.opens <= earlier.closes:
            raise DomainError("calendar.order", earlier=earlier.key, later=later.key)
