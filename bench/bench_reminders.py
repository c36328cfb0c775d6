"""Benchmark of the reminder planner: the reminders due at one moment, for 100,000 guardians.

Why: the issue asks that planning the due reminders for 100,000 guardians take under 2 s, so that
the bot's pass every minute (and `python -m bot remind` from cron) stays cheap at a large scale.

Run it from the project root:

    python -m bench.bench_reminders                      # 100,000 guardians, median of 5 runs
    python -m bench.bench_reminders --guardians 20000 --runs 3

On a fresh SQLite file in a temporary directory it loads 20 collèges (two in Martinique), one
student in 3e for every two guardians, and a family state spread over the base: 30 % of the
students have validated intentions (the council's opinion is then published, and half of those are
acknowledged), 30 % of the guardians have an active account with a bound chat, 60 % only a mobile,
10 % neither. Every school's 7-day reminder of step 1 is due at the measured moment (14:00 in Paris,
09:00 in Martinique), the worst moment: every family still to act is due at once.

It prints, as `key=value` lines:

- `bench reminders guardians=… plan_s=… due=…`: `bot.runtime.reminders.plan` at that moment (median);
- `bench reminders_enqueue … enqueue_s=…`: queuing them all in the outbox, once;
- `bench reminders_again … plan_s=… due=0`: the next pass, when everything is already queued (what
  the bot's loop costs each minute until the next offset);
- `bench reminders_avis … plan_s=… due=…`: the 7-day reminder of the acknowledgement.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path

from bot.runtime import reminders
from flows.rules.calendar import AVIS, INTENTIONS, day_window
from flows.rules.model import School
from storage import SqliteStore

SCHOOLS = [School(f"06{n:05d}A", f"Collège {n}", "04 72 00 00 00", f"college{n}@example.org",
                  "America/Martinique" if n >= 18 else "Europe/Paris") for n in range(20)]
INTENTIONS_DAYS = (date(2026, 11, 1), date(2026, 12, 6))
AVIS_DAYS = (date(2026, 12, 13), date(2026, 12, 27))
PUBLISHED = datetime(2026, 12, 14, 10, tzinfo=UTC)
INTENTIONS_MOMENT = datetime(2026, 11, 29, 13, tzinfo=UTC)  # 7 days before, in every school
AVIS_MOMENT = datetime(2026, 12, 20, 13, tzinfo=UTC)


def load(store: SqliteStore, guardians: int) -> None:
    """The base, written in bulk (the store's own methods would take minutes at this size)."""
    conn = store.conn
    with store.transaction():
        for school in SCHOOLS:
            store.put_school(school)
            for key, (first, last) in ((INTENTIONS, INTENTIONS_DAYS), (AVIS, AVIS_DAYS)):
                store.put_window(school.uai, day_window(key, first, last, school.timezone))
        students = (guardians + 1) // 2
        conn.executemany("INSERT INTO students VALUES (?, ?, ?, ?, ?, ?, ?)", (
            (f"E{s:06d}", "Nom", f"Prénom{s}", "2012-05-14", SCHOOLS[s % len(SCHOOLS)].uai,
             "3e A", "3e") for s in range(students)))
        conn.executemany("INSERT INTO guardians VALUES (?, ?, ?, ?, ?)", (
            (f"R{g:06d}", "Nom", "Prénom", f"+336{g:08d}" if g % 10 < 9 else None, None)
            for g in range(guardians)))
        conn.executemany("INSERT INTO guardian_links VALUES (?, ?)",
                         ((f"R{g:06d}", f"E{g // 2:06d}") for g in range(guardians)))
        conn.executemany("INSERT INTO accounts (identifier, kind, person_id, status) "
                         "VALUES (?, 'guardian', ?, 'active')",
                         ((f"g{g}", f"R{g:06d}") for g in range(guardians) if g % 10 < 3))
        conn.execute("INSERT INTO bindings (channel, address, account_id, bound_at) "
                     "SELECT 'telegram', CAST(1000000 + id AS TEXT), id, ? FROM accounts",
                     (PUBLISHED.isoformat(),))
        validated = [s for s in range(students) if s % 10 < 3]
        conn.executemany("INSERT INTO request_sets VALUES (?, 'intentions', ?, ?)", (
            (f"E{s:06d}", f"R{2 * s:06d}", "2026-11-20T10:00:00+00:00") for s in validated))
        conn.executemany("INSERT INTO council_opinions VALUES (?, 'intentions', 'gt', '', ?)", (
            (f"E{s:06d}", PUBLISHED.isoformat()) for s in validated))
        conn.executemany("INSERT INTO acknowledgements VALUES (?, 'intentions', ?, ?)", (
            (f"E{s:06d}", f"R{2 * s:06d}", "2026-12-15T10:00:00+00:00")
            for s in validated if s % 2))


def median_time(run: Callable[[], object], runs: int) -> tuple[float, object]:
    timings, result = [], None
    for _ in range(runs):
        started = time.perf_counter()
        result = run()
        timings.append(time.perf_counter() - started)
    return statistics.median(timings), result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.bench_reminders",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--guardians", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as directory:
        store = SqliteStore(Path(directory) / "bench.sqlite3", synchronous="FULL")
        started = time.perf_counter()
        load(store, args.guardians)
        print(f"loaded {args.guardians} guardians in {time.perf_counter() - started:.1f} s",
              file=sys.stderr)
        n = args.guardians
        plan_s, planned = median_time(lambda: reminders.plan(store, INTENTIONS_MOMENT), args.runs)
        print(f"bench reminders guardians={n} plan_s={plan_s:.3f} due={len(planned)}")
        started = time.perf_counter()
        queued = reminders.enqueue_due(store, INTENTIONS_MOMENT)
        enqueue_s = time.perf_counter() - started
        print(f"bench reminders_enqueue guardians={n} enqueue_s={enqueue_s:.3f} queued={len(queued)}")
        again_s, again = median_time(lambda: reminders.plan(store, INTENTIONS_MOMENT), args.runs)
        print(f"bench reminders_again guardians={n} plan_s={again_s:.3f} due={len(again)}")
        avis_s, avis = median_time(lambda: reminders.plan(store, AVIS_MOMENT), args.runs)
        print(f"bench reminders_avis guardians={n} plan_s={avis_s:.3f} due={len(avis)}")
        store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
