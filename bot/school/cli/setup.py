"""The school's command-line operations: load the school base from CSV, set and show the calendar.

    python -m bot import-base [--schools F] [--students F] [--guardians F] [--dry-run]
    python -m bot calendar show --school UAI
    python -m bot calendar set --school UAI --window KEY --from DAY --to DAY
    python -m bot calendar import FILE [--dry-run]

Every given file is checked whole before anything is written, then everything is applied in one
transaction: a file with any problem is refused, nothing is written, and every bad line is
reported on stderr. Exit status: 0 done, 1 refused (the report says why), 2 usage error (a
missing or unreadable file, a malformed argument). The columns are described in
`bot/school/csv_input.py` and the README.
"""

from __future__ import annotations

import argparse
import gc
import sqlite3
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from collections.abc import Set as AbstractSet
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TextIO
from zoneinfo import ZoneInfo

from flows.ports import Store
from flows.rules.calendar import (
    AVIS,
    CHOIX,
    INTENTIONS,
    REPONSE,
    WINDOW_ORDER,
    Window,
    day_window,
)
from flows.rules.errors import DomainError
from flows.school import base as school_base
from flows.school import calendar as school_calendar
from flows.school.texts import operator_text
from flows.texts import catalogue

from .. import csv_input
from ..csv_input import Bad, BadFile, Problem
from .report import failed

COMMANDS = ("import-base", "calendar")
WINDOW_LABELS = {
    INTENTIONS: "step 1, intentions provisoires",
    AVIS: "council's opinion published, acknowledgement",
    CHOIX: "step 2, choix définitifs",
    REPONSE: "step 3, answer to the council's proposal",
}
# What the service is between a window and the next one (read-only for families throughout).
GAP_LABELS = {INTENTIONS: "councils sit (read-only)", AVIS: "read-only",
              CHOIX: "councils sit (read-only)"}
IMPORT_HELP = """\
Files (UTF-8 with or without BOM, ';' or ',' separated, header on line 1, any column order):
  schools.csv    uai;name;phone;email;timezone          (timezone optional: Europe/Paris)
  students.csv   id;nom;prenom;birth_date;uai;class_name;level
  guardians.csv  id;nom;prenom;mobile;email;student_ids (mobile, email optional; student ids
                 separated by spaces or '|')
French header names are accepted too (prénom, date de naissance, classe, niveau, portable,
courriel...). Re-importing updates rows in place; an optional column left out of a file keeps
the stored values; guardian links are only added, never removed.
Exit status: 0 imported, 1 refused (every problem listed on stderr, nothing written), 2 usage."""


class UsageError(Exception):
    """A command-line mistake (exit status 2)."""


class Rejected(Exception):
    """A command refused for one reason, given in the message (exit status 1)."""


class Refused(Exception):
    """The input has problems: nothing was written (exit status 1)."""

    def __init__(self, problems: Sequence[Problem | str]) -> None:
        super().__init__(f"{len(problems)} problem(s)")
        self.problems = list(problems)


# ---- the command line ---------------------------------------------------------------------------

def _day_argument(text: str) -> date:
    try:
        return csv_input.parse_day(text)
    except Bad as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _uai_argument(text: str) -> str:
    try:
        return csv_input.parse_uai(text.strip())
    except Bad as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def add_parsers(commands: argparse._SubParsersAction) -> None:
    """Register `import-base` and `calendar` on the main parser's subcommands."""
    base = commands.add_parser(
        "import-base", help="load the school base from CSV files (schools, students, guardians)",
        description="Check the given CSV files whole, then load them in one transaction.",
        epilog=IMPORT_HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    base.add_argument("--schools", metavar="FILE", help="schools: uai;name;phone;email;timezone")
    base.add_argument("--students", metavar="FILE",
                      help="students: id;nom;prenom;birth_date;uai;class_name;level")
    base.add_argument("--guardians", metavar="FILE",
                      help="guardians: id;nom;prenom;mobile;email;student_ids")
    base.add_argument("--dry-run", action="store_true", help="check and count only; write nothing")

    calendar = commands.add_parser(
        "calendar", help="show or set a school's campaign calendar",
        description=f"The windows of the campaign, in order: {', '.join(WINDOW_ORDER)}. Dates "
                    f"are days in the school's time zone: a window opens at 00:00 on its first "
                    f"day and closes at the end of its last day. Exit status: 0 done, 1 refused "
                    f"(unknown school, windows overlapping or out of order: nothing written), "
                    f"2 usage error.")
    actions = calendar.add_subparsers(dest="calendar_command", required=True)
    show = actions.add_parser("show", help="print the windows and the read-only gaps")
    show.add_argument("--school", required=True, type=_uai_argument, metavar="UAI",
                      help="the school's UAI, e.g. 0751234A")
    put = actions.add_parser("set", help="set one window's first and last day")
    put.add_argument("--school", required=True, type=_uai_argument, metavar="UAI",
                     help="the school's UAI, e.g. 0751234A")
    put.add_argument("--window", required=True, choices=WINDOW_ORDER)
    put.add_argument("--from", dest="first", required=True, type=_day_argument, metavar="DAY",
                     help="first day, YYYY-MM-DD or DD/MM/YYYY")
    put.add_argument("--to", dest="last", required=True, type=_day_argument, metavar="DAY",
                     help="last day (inclusive), YYYY-MM-DD or DD/MM/YYYY")
    load = actions.add_parser(
        "import", help="set windows from a CSV file: uai;window;from;to",
        description="Set windows from a CSV file with columns uai;window;from;to (one line per "
                    "school and window). The whole file is refused on any problem.")
    load.add_argument("file", metavar="FILE")
    load.add_argument("--dry-run", action="store_true", help="check only; write nothing")


def command(store: Store, args: argparse.Namespace, today: date,
            out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Run `import-base` or `calendar …`; returns the exit status."""
    out, err = out or sys.stdout, err or sys.stderr
    try:
        if args.command == "import-base":
            paths = {kind: getattr(args, kind) for kind in csv_input.KINDS
                     if getattr(args, kind)}
            result = import_base(store, paths, today, args.dry_run)
            print_import(result, args.dry_run, out)
        elif args.calendar_command == "show":
            show_calendar(store, args.school, out)
        elif args.calendar_command == "set":
            set_window(store, args.school, args.window, args.first, args.last, out)
        else:
            import_calendar(store, args.file, args.dry_run, out)
    except UsageError as exc:
        return failed(err, str(exc), 2)
    except Rejected as exc:
        return failed(err, str(exc))
    except Refused as exc:
        print(f"error: refused, nothing was written ({len(exc.problems)} problem"
              f"{'s' if len(exc.problems) > 1 else ''}):", file=err)
        for problem in exc.problems:
            print(problem, file=err)
        return 1
    except sqlite3.OperationalError as exc:  # the bot held the write lock past the busy timeout
        print(f"error: database: {exc}; nothing was written, try again", file=err)
        return 1
    return 0


def _read(path: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror or exc}") from None


# ---- import-base ------------------------------------------------------------------------------

@dataclass
class ImportResult:
    plan: school_base.Plan
    lines: dict[str, int]  # file name → data lines read
    ignored: dict[str, list[str]] = field(default_factory=dict)  # file name → ignored columns


def import_base(store: Store, paths: Mapping[str, str], today: date,
                dry_run: bool = False) -> ImportResult:
    """Check the files (kind → path) whole, then apply them in one transaction.

    Raises `UsageError` (no file, unreadable file) or `Refused` with every problem found.
    """
    if not paths:
        raise UsageError("give at least one of --schools, --students, --guardians")
    return _import_base(store, paths, today, dry_run)


@contextmanager
def _without_cyclic_gc() -> Iterator[None]:
    # Reading a base makes millions of small objects and no reference cycles; the cyclic
    # collector would walk them all again and again (about 1.8 s of 5 for 100,000 students).
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _import_base(store: Store, paths: Mapping[str, str], today: date,
                 dry_run: bool) -> ImportResult:
    files, unreadable = {}, []
    for kind, path in paths.items():
        name = Path(path).name
        try:
            files[kind] = (name, csv_input.decode(name, _read(path)))
        except BadFile as exc:
            unreadable.append(exc.problem)
    if unreadable:  # references into a file that could not be read would be noise
        raise Refused(unreadable + csv_input.parse_base(files, today).problems)
    return import_decoded(store, files, today, dry_run)


ScopeCheck = Callable[[csv_input.SchoolBase], list[str]]


def import_decoded(store: Store, files: Mapping[str, tuple[str, str]], today: date,
                   dry_run: bool = False, scope: ScopeCheck | None = None) -> ImportResult:
    """Check decoded files (kind → (display name, text)) whole, then apply them in one transaction.

    `scope`, when given, lists what falls outside the caller's reach (the console: one school); it
    runs in the same transaction, after the lines' own checks. Raises `Refused` with every problem.
    """
    with _without_cyclic_gc():
        return _import_decoded(store, files, today, dry_run, scope)


def _import_decoded(store: Store, files: Mapping[str, tuple[str, str]], today: date,
                    dry_run: bool, scope: ScopeCheck | None) -> ImportResult:
    parsed = csv_input.parse_base(files, today)
    incoming = school_base.Incoming(
        parsed.schools if "schools" in files else None,
        parsed.students if "students" in files else None,
        parsed.guardians if "guardians" in files else None, parsed.absent_columns())
    planned = school_base.import_base(store, incoming, _checks(parsed, scope), dry_run)
    return ImportResult(planned, {t.name: len(t.lines) for t in parsed.tables.values()},
                        {t.name: t.ignored for t in parsed.tables.values() if t.ignored})


def _checks(parsed: csv_input.SchoolBase, scope: ScopeCheck | None) -> school_base.Check:
    """The front-end's checks against the stored base, run in the import's transaction."""
    def check(known_uais: AbstractSet[str], known_students: AbstractSet[str]) -> None:
        if scope is not None:  # the lines' own problems and the caller's reach, together
            problems: list[Problem | str] = [*parsed.problems, *scope(parsed)]
            if problems:
                raise Refused(problems)
        csv_input.check_references(parsed, known_uais, known_students)
        if parsed.problems:
            raise Refused(list(parsed.problems))
    return check


def print_import(result: ImportResult, dry_run: bool, out: TextIO) -> None:
    read = ", ".join(f"{name} ({count} lines)" for name, count in result.lines.items())
    print(f"checked: {read}", file=out)
    for name, ignored in result.ignored.items():
        print(f"{name}: ignored columns: {', '.join(ignored)}", file=out)
    if dry_run:
        print("dry run: nothing was written; the import would give:", file=out)
    for table, planned in result.plan.tables.items():
        c = planned.counts
        print(f"{table}: {c.new} new, {c.updated} updated, {c.unchanged} unchanged", file=out)
    if result.plan.link_counts is not None:
        c = result.plan.link_counts
        print(f"guardian links: {c.new} new, {c.unchanged} unchanged", file=out)


# ---- calendar ---------------------------------------------------------------------------------

def _local(moment: datetime, tz: ZoneInfo) -> str:
    return f"{moment.astimezone(tz):%Y-%m-%d %H:%M}"


def calendar_lines(name: str, uai: str, timezone: str, windows: Mapping[str, Window]) -> list[str]:
    """The windows in campaign order, with the read-only gaps between them, in the school's zone."""
    tz = ZoneInfo(timezone)
    lines = [f"{name} ({uai}), dates in {timezone}"]
    previous: Window | None = None
    for key in WINDOW_ORDER:
        window = windows.get(key)
        if window is None:
            lines.append(f"{key:<11} not set")
            continue
        if previous is not None:
            gap_first = previous.closes + timedelta(microseconds=1)
            if window.opens <= previous.closes:
                lines.append(f"{'':<11} overlaps {previous.key}: to be corrected")
            elif window.opens > gap_first:
                label = GAP_LABELS.get(previous.key, "read-only") \
                    if WINDOW_ORDER.index(key) == WINDOW_ORDER.index(previous.key) + 1 \
                    else "read-only"
                lines.append(f"{'':<11} {_local(gap_first, tz)} to "
                             f"{_local(window.opens - timedelta(microseconds=1), tz)}  {label}")
        lines.append(f"{key:<11} {_local(window.opens, tz)} to {_local(window.closes, tz)}  "
                     f"{WINDOW_LABELS[key]}")
        previous = window
    return lines


def _school(store: Store, uai: str):
    school = store.school(uai)
    if school is None:
        raise Rejected(f"no school with UAI {uai}")
    return school


def show_calendar(store: Store, uai: str, out: TextIO) -> None:
    school = _school(store, uai)
    calendar = store.calendar(uai)
    print("\n".join(calendar_lines(school.name, uai, school.timezone, calendar.windows)), file=out)


def set_window(store: Store, uai: str, key: str, first: date, last: date,
               out: TextIO) -> None:
    """Set one window from its first to its last day, keeping the campaign's order."""
    school = _school(store, uai)
    if last < first:
        raise Rejected(f"--to {last:%Y-%m-%d} is before --from {first:%Y-%m-%d}")
    window = day_window(key, first, last, school.timezone)
    try:
        windows = school_calendar.set_window(store, uai, window)
    except DomainError as exc:
        windows = {**store.calendar(uai).windows, key: window}
        raise Rejected(_order_message(exc, windows, ZoneInfo(school.timezone))) from None
    tz = ZoneInfo(school.timezone)
    print(f"set {key} of {uai}: {_local(window.opens, tz)} to {_local(window.closes, tz)}", file=out)
    print("\n".join(calendar_lines(school.name, uai, school.timezone, windows)), file=out)


def _order_message(exc: DomainError, windows: Mapping[str, Window], tz: ZoneInfo) -> str:
    # The catalogue's sentence for the school's staff, then the dates that collide.
    earlier, later = windows[str(exc.params["earlier"])], windows[str(exc.params["later"])]
    sentence = catalogue()[exc.key].format(**exc.params)
    return (f"{sentence}\n  {earlier.key} closes {_local(earlier.closes, tz)}, "
            f"{later.key} would open {_local(later.opens, tz)}")


def import_calendar(store: Store, path: str, dry_run: bool, out: TextIO) -> None:
    """Set windows from a `uai;window;from;to` file: every line checked, then one transaction."""
    name = Path(path).name
    try:
        text = csv_input.decode(name, _read(path))
    except BadFile as exc:
        raise Refused([exc.problem]) from None
    table = csv_input.parse_calendar(name, text)
    lines = [school_calendar.WindowLine(line.number, str(line.values["uai"]),
                                        str(line.values["window"]), line.values["from"],
                                        line.values["to"])
             for line in table.lines if line.ok and len(line.values) == len(csv_input.CALENDAR_COLUMNS)]
    # a file with a bad line writes nothing: its good lines are only checked
    done = school_calendar.import_windows(store, lines, dry_run or bool(table.problems))
    for refused in done.errors:
        table.problem(refused.number, refused.column, operator_text(refused.error))
    if table.problems:
        raise Refused(csv_input.sorted_problems([table]))
    if dry_run:
        print("dry run: nothing was written; the import would give:", file=out)
    print(f"calendar windows: {done.changed} set, {done.unchanged} unchanged", file=out)
