"""The reads the reminder planner needs, in bulk: a few joined queries for the whole school base.

`ReminderReads` holds them as methods of the SQLite store (the `ReadModels` port); the functions
below keep the planner's older call style (`reminders.latest_chats(store)`) on any store. Rows
come back as plain tuples (the planner handles 100,000 guardians in well under two seconds); the
rules that decide on them live in `flows.rules.reminders`. Instants stay ISO text here: they carry
different UTC offsets, so they are compared as datetimes by the planner, never as strings in SQL.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from typing import NamedTuple

from flows.ports import ReminderCandidate
from flows.rules.calendar import Window
from flows.rules.model import AccountKind, Step
from flows.rules.reminders import CONCERNED_LEVEL, Rules, Settings, parse_hours, parse_offsets

from .rows import _when

SETTINGS_TABLE = "reminder_settings"
Candidate = ReminderCandidate


class School(NamedTuple):
    uai: str
    timezone: str


_LINKED = (
    "FROM students s "
    "JOIN guardian_links l ON l.student_id = s.id "
    "JOIN guardians g ON g.id = l.guardian_id "
    "WHERE s.level = ? AND s.uai IN (SELECT value FROM json_each(?)) "
    "AND NOT EXISTS (SELECT 1 FROM link_flags f "
    "                WHERE f.guardian_id = l.guardian_id AND f.student_id = s.id) ")


class ReminderReads:
    """The `ReadModels` port on SQLite; mixed into `SqliteStore`, which provides `conn`."""

    conn: sqlite3.Connection

    def reminder_schools(self) -> list[tuple[str, str]]:
        return [School(*row) for row in self.conn.execute(
            "SELECT uai, COALESCE(timezone, 'Europe/Paris') FROM schools ORDER BY uai")]

    def reminder_windows(self, key: str) -> dict[str, Window]:
        """Window `key` of every school that has one, by UAI."""
        rows = self.conn.execute("SELECT uai, opens, closes FROM calendar_windows WHERE key = ?",
                                 (key,))
        return {uai: Window(key, _when(opens), _when(closes)) for uai, opens, closes in rows}

    def intention_candidates(self, uais: Iterable[str],
                             step: Step = Step.INTENTIONS) -> list[ReminderCandidate]:
        """Every unflagged guardian link of a concerned student of these schools whose intentions
        (or choices, with `step`) are not validated."""
        rows = self.conn.execute(
            "SELECT l.guardian_id, s.id, s.prenom, s.uai, g.mobile " + _LINKED +
            "AND NOT EXISTS (SELECT 1 FROM request_sets r WHERE r.student_id = s.id "
            "AND r.step = ?)", (CONCERNED_LEVEL, json.dumps(sorted(uais)), step.value))
        return [ReminderCandidate(*row) for row in rows]

    def answer_candidates(self, uais: Iterable[str]) -> list[ReminderCandidate]:
        """Every unflagged guardian link of a concerned student of these schools whose proposals
        are recorded and still await the family: no agreement, at least one proposal unanswered,
        no decision; with the proposals' publication and the guardian who answers."""
        rows = self.conn.execute(
            "SELECT l.guardian_id, s.id, s.prenom, s.uai, g.mobile, "
            "  (SELECT max(p.published_at) FROM proposals p WHERE p.student_id = s.id), "
            "  COALESCE((SELECT r.editor_guardian_id FROM request_sets r "
            "            WHERE r.student_id = s.id AND r.step = ?), "
            "           (SELECT r.editor_guardian_id FROM request_sets r "
            "            WHERE r.student_id = s.id AND r.step = ?)) " + _LINKED +
            "AND EXISTS (SELECT 1 FROM proposals p WHERE p.student_id = s.id "
            "            AND p.published_at IS NOT NULL "
            "            AND NOT EXISTS (SELECT 1 FROM proposal_answers x "
            "                            WHERE x.student_id = p.student_id AND x.rank = p.rank)) "
            "AND NOT EXISTS (SELECT 1 FROM proposal_answers x WHERE x.student_id = s.id "
            "AND x.agree) "
            "AND NOT EXISTS (SELECT 1 FROM decisions d WHERE d.student_id = s.id)",
            (Step.CHOIX.value, Step.INTENTIONS.value, CONCERNED_LEVEL, json.dumps(sorted(uais))))
        return [ReminderCandidate(*row) for row in rows]

    def acknowledgement_candidates(self, uais: Iterable[str]) -> list[ReminderCandidate]:
        """Every unflagged guardian link of a concerned student of these schools whose council
        opinion is recorded and not acknowledged, with its publication and the requests' editor."""
        rows = self.conn.execute(
            "SELECT l.guardian_id, s.id, s.prenom, s.uai, g.mobile, o.published_at, "
            "r.editor_guardian_id "
            "FROM council_opinions o "
            "JOIN students s ON s.id = o.student_id "
            "JOIN guardian_links l ON l.student_id = s.id "
            "JOIN guardians g ON g.id = l.guardian_id "
            "LEFT JOIN request_sets r ON r.student_id = o.student_id AND r.step = o.step "
            "WHERE o.step = ? AND s.level = ? AND s.uai IN (SELECT value FROM json_each(?)) "
            "AND NOT EXISTS (SELECT 1 FROM acknowledgements a "
            "                WHERE a.student_id = o.student_id AND a.step = o.step) "
            "AND NOT EXISTS (SELECT 1 FROM link_flags f "
            "                WHERE f.guardian_id = l.guardian_id AND f.student_id = s.id)",
            (Step.INTENTIONS.value, CONCERNED_LEVEL, json.dumps(sorted(uais))))
        return [ReminderCandidate(*row) for row in rows]

    def latest_chats(self) -> dict[str, tuple[str, str]]:
        """The chat every active guardian account last logged in from (kept after the session
        ended), by guardian id."""
        rows = self.conn.execute(
            "SELECT a.person_id, k.channel, k.address FROM known_chats k "
            "JOIN accounts a ON a.id = k.account_id "
            "WHERE a.kind = ? AND a.status = 'active' "
            "ORDER BY a.person_id, k.last_login_at, k.channel, k.address",
            (AccountKind.GUARDIAN.value,))
        return {person: (channel, address) for person, channel, address in rows}  # last one wins

    def already_queued(self, keys: Iterable[str]) -> set[str]:
        """Those of `keys` already in the outbox: look-ups on its unique index, so the cost
        follows the candidates, not the outbox's history."""
        rows = self.conn.execute("SELECT dedupe_key FROM outbox "
                                 "WHERE dedupe_key IN (SELECT value FROM json_each(?))",
                                 (json.dumps(list(keys)),))
        return {key for (key,) in rows}

    def reminder_rules(self, default: Rules | None = None) -> Settings:
        """Per-school rules from table `reminder_settings` (uai, offsets "7,2,0", hours
        "08:00-20:00", either NULL for the default) when the schema has it, else the default
        for every school."""
        default = default or Rules()
        exists = self.conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?",
                                   (SETTINGS_TABLE,)).fetchone()
        if not exists:
            return Settings(default)
        return settings_from_rows(
            self.conn.execute(f"SELECT uai, offsets, hours FROM {SETTINGS_TABLE}"), default)


def settings_from_rows(rows: Iterable[tuple[str, str | None, str | None]],
                       default: Rules) -> Settings:
    """The rules of each school from its (uai, offsets, hours) row; NULL keeps the default."""
    schools_rules = {}
    for uai, offsets, hours in rows:
        start, end = parse_hours(hours) if hours else (default.start, default.end)
        schools_rules[uai] = Rules(parse_offsets(offsets) if offsets else default.offsets,
                                   start, end)
    return Settings(default, schools_rules)
