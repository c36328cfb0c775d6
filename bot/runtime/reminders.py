"""Reminders before deadlines: plan what is due now, queue it in the outbox, and the bot's loop.

`plan` reads the whole base in a few queries and applies `flows.rules.reminders`; `enqueue_due` writes
each due reminder to the outbox with a dedupe key per guardian, student, deadline and offset, so a
reminder is queued at most once, whether the bot's loop or `python -m bot remind` (cron) queued it,
and across restarts. Queuing is in transactions of `batch` reminders: the dedupe key, not the
transaction, makes a reminder happen once, and short transactions keep the write lock from the
families' events (a crash between two batches leaves the rest for the next pass).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import TextIO
from zoneinfo import ZoneInfo

from flows.ports import ReminderCandidate, Store
from flows.rules import reminders as rules
from flows.rules.calendar import Calendar, Window
from flows.rules.model import OutMessage, Step
from flows.rules.routing import route, sms_number, texts_for
from flows.texts import Texts

log = logging.getLogger(__name__)

REMIND_EVERY_SECONDS = 60.0
BATCH = 1000


@dataclass(frozen=True)
class PlannedReminder:
    guardian_id: str
    student_id: str
    uai: str
    deadline_key: str  # the action: "intentions", "avis"
    deadline: datetime
    offset: str  # d7, d2, d0
    send_at: datetime  # the offset's moment (it is queued at the first pass from then on)
    kind: str  # "push" | "sms"
    recipient: str
    body: str
    dedupe_key: str
    send_by: datetime | None = None  # the sender sets it aside after this moment

    def message(self) -> OutMessage:
        return OutMessage(self.kind, self.recipient, self.body, dedupe_key=self.dedupe_key,
                          expires_at=self.send_by)


@dataclass(frozen=True)
class _Due:
    """One school's deadline with a reminder due now, and its text parameters."""

    window: Window
    slot: rules.Slot
    date: str
    last_day: bool
    send_by: datetime  # not sent after this: end of today's sending hours, or the deadline


def _due_by_school(store: Store, action: rules.Action, now: datetime,
                   settings: rules.Settings, timezones: dict[str, str]) -> dict[str, _Due]:
    """Schools where a reminder of `action` is due at `now` (the same moment for all families)."""
    due = {}
    for uai, window in store.reminder_windows(action.window).items():
        school_rules = settings.for_school(uai)
        tz = ZoneInfo(timezones.get(uai, "Europe/Paris"))
        slot = rules.due_slot(rules.schedule(window.closes, school_rules, tz), window.closes, now,
                              school_rules, tz)
        if slot is None:
            continue
        if action in rules.OPEN_TO_ALL and not rules.reminds(slot, window.opens):
            continue  # the window was not open yet at the reminder's time
        calendar = Calendar(tz.key, {window.key: window})
        due[uai] = _Due(window, slot, calendar.local_date(window.closes),
                        calendar.local_date(now) == calendar.local_date(window.closes),
                        rules.send_by(now, window.closes, school_rules, tz))
    return due


def _body(action: rules.Action, prenom: str, due: _Due, texts: Texts) -> str:
    """The reminder's text, in the texts of its route (an SMS takes its SMS wording, if any)."""
    key = f"remind.{action.key}" + (".today" if due.last_day else "")
    return texts(key, prenom=prenom, date=due.date)


def _eligible(action: rules.Action, row: ReminderCandidate, due: _Due) -> bool:
    """Intentions, choices: every candidate row is pending. Acknowledgement, answer: published by
    the reminder's time (so it is visible now), and this guardian is the one to act."""
    if action in rules.OPEN_TO_ALL:
        return True
    return (row.published_at is not None
            and rules.reminds(due.slot, datetime.fromisoformat(row.published_at))
            and rules.acknowledgement_reminded(row.guardian_id, row.editor_guardian_id))


def _candidates(store: Store, action: rules.Action, uais: list[str]) -> list[ReminderCandidate]:
    if action is rules.INTENTIONS_ACTION:
        return store.intention_candidates(uais)
    if action is rules.CHOICES_ACTION:
        return store.intention_candidates(uais, Step.CHOIX)
    if action is rules.ANSWER_ACTION:
        return store.answer_candidates(uais)
    return store.acknowledgement_candidates(uais)


def _plan_action(store: Store, action: rules.Action, due_by_school: dict[str, _Due],
                 chats: dict[str, tuple[str, str]]) -> Iterator[PlannedReminder]:
    for row in _candidates(store, action, list(due_by_school)):
        due = due_by_school[row.uai]
        if not _eligible(action, row, due):
            continue
        routed = route(chats.get(row.guardian_id), row.mobile)
        if routed is None:
            continue
        key = rules.dedupe_key(row.guardian_id, row.student_id, action, due.window.closes,
                               due.slot.offset)
        yield PlannedReminder(row.guardian_id, row.student_id, row.uai, action.key,
                              due.window.closes, due.slot.offset.label, due.slot.at, *routed,
                              _body(action, row.prenom, due, texts_for(*routed)), key,
                              due.send_by)


def _sms_number(reminder: PlannedReminder) -> str | None:
    """The number a reminder goes to by SMS: to the mobile, or to a conversation held by SMS."""
    return sms_number(reminder.kind, reminder.recipient)


def plan(store: Store, now: datetime,
         settings: rules.Settings | None = None) -> list[PlannedReminder]:
    """Every reminder due at `now` and not queued yet, in a stable order.

    The schools' calendars are read first; the families are read only for the schools where a
    reminder is due at this moment, so most passes cost a few small queries.
    """
    settings = settings or store.reminder_rules()
    timezones = dict(store.reminder_schools())
    due = {action: d for action in rules.ACTIONS
           if (d := _due_by_school(store, action, now, settings, timezones))}
    if not due:
        return []
    chats = store.latest_chats()
    candidates = [reminder for action, due_by_school in due.items()
                  for reminder in _plan_action(store, action, due_by_school, chats)]
    opted_out = store.sms_opted_out_numbers()  # STOP by SMS: no reminder by SMS to that number
    candidates = [r for r in candidates if _sms_number(r) not in opted_out]
    queued = store.already_queued(r.dedupe_key for r in candidates)
    planned = [reminder for reminder in candidates if reminder.dedupe_key not in queued]
    planned.sort(key=lambda r: (r.uai, r.deadline_key, r.student_id, r.guardian_id))
    return planned


def enqueue_due(store: Store, now: datetime, settings: rules.Settings | None = None,
                dry_run: bool = False, batch: int = BATCH) -> list[PlannedReminder]:
    """Queue every reminder due at `now` (or only list them, with `dry_run`); returns them."""
    planned = plan(store, now, settings)
    if not dry_run:
        for first in range(0, len(planned), batch):
            with store.transaction():
                for reminder in planned[first:first + batch]:
                    store.enqueue(reminder.message(), now)
    return planned


def describe(reminder: PlannedReminder, tz: str = "Europe/Paris") -> str:
    """One line for the command line: when, what, to whom, and the text."""
    since = reminder.send_at.astimezone(ZoneInfo(tz)).strftime("%Y-%m-%d %H:%M")
    return (f"{reminder.kind} {reminder.recipient} {reminder.deadline_key} {reminder.offset} "
            f"(due since {since}) {reminder.guardian_id}/{reminder.student_id}: {reminder.body}")


def command(store: Store, now: datetime, dry_run: bool, out: TextIO = sys.stdout) -> int:
    """`python -m bot remind [--dry-run]`: queue (or list) what is due now; exit status 0."""
    planned = enqueue_due(store, now, dry_run=dry_run)
    timezones = dict(store.reminder_schools())
    for reminder in planned:
        print(describe(reminder, timezones.get(reminder.uai, "Europe/Paris")), file=out)
    verb = "due (dry run: nothing queued)" if dry_run else "queued"
    print(f"{len(planned)} reminder(s) {verb}", file=out)
    return 0


class _Worker:
    """Runs the passes in one thread, on its own connection to the same data (SQLite's WAL lets
    it read while the event loop's connection serves the families)."""

    def __init__(self, store: Store, settings: rules.Settings | None) -> None:
        self.origin, self.settings = store, settings
        self.store: Store | None = None

    def run_pass(self, now: datetime) -> int:
        if self.store is None:
            self.store = self.origin.reopened()
        return len(enqueue_due(self.store, now, self.settings))

    def close(self) -> None:
        if self.store is not None:
            self.store.close()
            self.store = None


async def run_reminders(store: Store, clock: Callable[[], datetime], stop: asyncio.Event,
                        every: float = REMIND_EVERY_SECONDS,
                        settings: rules.Settings | None = None) -> None:
    """Queue due reminders every `every` seconds until `stop` is set (the bot process's loop).

    Each pass runs in a worker thread, so planning a large base does not hold the event loop; a
    failing pass is logged and the next one tries again.
    """
    loop = asyncio.get_running_loop()
    worker = _Worker(store, settings)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="reminders") as pool:
        try:
            while not stop.is_set():
                try:
                    queued = await loop.run_in_executor(pool, worker.run_pass, clock())
                    if queued:
                        log.info("queued %d reminder(s)", queued)
                except Exception:
                    log.exception("reminder pass failed")
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=every)
        finally:
            await loop.run_in_executor(pool, worker.close)
