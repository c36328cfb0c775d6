"""The SQLite implementation of `flows.ports.Store` (every port): one file in WAL mode.

One connection, used from one thread (the event loop's). Every inbound event runs in one
`BEGIN IMMEDIATE … COMMIT`, so the write lock is taken up front and another process (the CLI
recording council results) waits for it instead of failing half-way.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from flows.ports import StudentFile
from flows.rules.calendar import Calendar, Window
from flows.rules.errors import DomainError
from flows.rules.model import (
    Account,
    AccountKind,
    Acknowledgement,
    ActivationCode,
    Avis,
    Conversation,
    CouncilOpinion,
    Decision,
    DecisionSource,
    Guardian,
    Intention,
    OutMessage,
    Proposal,
    ProposalAnswer,
    RequestSet,
    School,
    Step,
    Student,
    Voie,
)
from flows.rules.standing import FollowupRow

from . import followup, migrations, school_base
from .reminders import ReminderReads
from .rows import _dt, _ts, _when, file_from_rows

SYNCHRONOUS_MODES = ("OFF", "NORMAL", "FULL", "EXTRA")


class StorageError(Exception):
    """The database cannot be opened or written; the message is one line for the operator."""


class SqliteStore(ReminderReads):
    def __init__(self, path: str | Path, synchronous: str = "FULL") -> None:
        if synchronous.upper() not in SYNCHRONOUS_MODES:
            raise StorageError(f"synchronous must be one of {', '.join(SYNCHRONOUS_MODES)}")
        self.path = Path(path)
        self.synchronous = synchronous.upper()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self.path, isolation_level=None)
            conn.execute("PRAGMA busy_timeout = 5000")
            self.db = Database(conn)
            self.db.enable_wal()
            conn.execute(f"PRAGMA synchronous = {synchronous.upper()}")
            conn.execute("PRAGMA foreign_keys = ON")
            migrations.apply(self.db)
        except (OSError, sqlite3.Error) as exc:
            raise StorageError(f"cannot use database file {self.path}: {exc}") from exc
        self.conn = conn

    def close(self) -> None:
        self.conn.close()

    def reopened(self) -> SqliteStore:
        """The same file through a connection of its own, for a worker thread."""
        return SqliteStore(self.path, synchronous=self.synchronous)

    @contextmanager
    def transaction(self) -> Iterator[None]:
        if self.conn.in_transaction:  # nested: join the outer transaction through a savepoint
            with self.db.atomic():
                yield
            return
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    def _one(self, sql: str, *params: object) -> dict | None:
        cursor = self.conn.execute(sql, params)
        row = cursor.fetchone()
        if row is None:
            return None
        return dict(zip([c[0] for c in cursor.description], row, strict=True))

    def _all(self, sql: str, *params: object) -> list[dict]:
        cursor = self.conn.execute(sql, params)
        names = [c[0] for c in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    # ---- school base ---------------------------------------------------------------------------

    def school(self, uai: str) -> School | None:
        row = self._one("SELECT * FROM schools WHERE uai = ?", uai)
        return School(**row) if row else None

    def student(self, student_id: str) -> Student | None:
        row = self._one("SELECT * FROM students WHERE id = ?", student_id)
        return self._student(row) if row else None

    @staticmethod
    def _student(row: dict) -> Student:
        return Student(**{**row, "birth_date": date.fromisoformat(row["birth_date"])})

    def guardian(self, guardian_id: str) -> Guardian | None:
        row = self._one("SELECT * FROM guardians WHERE id = ?", guardian_id)
        return Guardian(**row) if row else None

    def guardians_by_mobile(self, e164: str) -> list[Guardian]:
        return [Guardian(**r) for r in self._all("SELECT * FROM guardians WHERE mobile = ?", e164)]

    def children_of(self, guardian_id: str) -> list[Student]:
        rows = self._all(
            "SELECT s.* FROM students s JOIN guardian_links l ON l.student_id = s.id "
            "WHERE l.guardian_id = ? ORDER BY s.birth_date, s.id", guardian_id)
        return [self._student(r) for r in rows]

    def visible_children(self, guardian_id: str) -> list[Student]:
        """The guardian's children, less those whose link the guardian disowned."""
        rows = self._all(
            "SELECT s.* FROM students s JOIN guardian_links l ON l.student_id = s.id "
            "WHERE l.guardian_id = ?1 AND NOT EXISTS (SELECT 1 FROM link_flags f "
            "WHERE f.guardian_id = ?1 AND f.student_id = s.id) ORDER BY s.birth_date, s.id",
            guardian_id)
        return [self._student(r) for r in rows]

    def guardians_of(self, student_id: str) -> list[Guardian]:
        rows = self._all(
            "SELECT g.* FROM guardians g JOIN guardian_links l ON l.guardian_id = g.id "
            "WHERE l.student_id = ? ORDER BY g.id", student_id)
        return [Guardian(**r) for r in rows]

    def students_of_class(self, uai: str, class_name: str) -> list[Student]:
        rows = self._all("SELECT * FROM students WHERE uai = ? AND class_name = ? "
                         "ORDER BY nom, prenom, id", uai, class_name)
        return [self._student(r) for r in rows]

    def calendar(self, uai: str) -> Calendar:
        # One statement: the school's time zone beside each of its windows (or one empty row).
        rows = self.conn.execute(
            "SELECT s.uai, s.timezone, w.key, w.opens, w.closes FROM (SELECT ? AS uai) q "
            "LEFT JOIN schools s ON s.uai = q.uai "
            "LEFT JOIN calendar_windows w ON w.uai = q.uai", (uai,)).fetchall()
        timezone = rows[0][1] if rows[0][0] is not None else "Europe/Paris"
        windows = {key: Window(key, _when(opens), _when(closes))
                   for _, _, key, opens, closes in rows if key is not None}
        return Calendar(timezone, windows)

    def flag_link(self, guardian_id: str, student_id: str, at: datetime) -> None:
        self.conn.execute(
            "INSERT OR IGNORE INTO link_flags (guardian_id, student_id, flagged_at) "
            "VALUES (?, ?, ?)", (guardian_id, student_id, _ts(at)))

    def flagged_links(self, guardian_id: str) -> set[str]:
        rows = self._all("SELECT student_id FROM link_flags WHERE guardian_id = ?", guardian_id)
        return {r["student_id"] for r in rows}

    # loading the base (CLI, demo)
    def _upsert(self, table: str, key: tuple[str, ...], row: dict[str, object]) -> None:
        """Insert `row`, or update the given columns of the row with the same key."""
        columns = ", ".join(row)
        updates = ", ".join(f"{c} = excluded.{c}" for c in row if c not in key)
        self.conn.execute(
            f"INSERT INTO {table} ({columns}) VALUES ({', '.join('?' * len(row))}) "
            f"ON CONFLICT ({', '.join(key)}) DO UPDATE SET {updates}", tuple(row.values()))

    def put_school(self, school: School) -> None:
        self._upsert("schools", ("uai",), vars(school))

    def put_student(self, student: Student) -> None:
        self._upsert("students", ("id",),
                     {**vars(student), "birth_date": student.birth_date.isoformat()})

    def put_guardian(self, guardian: Guardian, student_ids: list[str]) -> None:
        self._upsert("guardians", ("id",), vars(guardian))
        for student_id in student_ids:
            self.conn.execute("INSERT OR IGNORE INTO guardian_links VALUES (?, ?)",
                              (guardian.id, student_id))

    def put_window(self, uai: str, window: Window) -> None:
        self._upsert("calendar_windows", ("uai", "key"),
                     {"uai": uai, "key": window.key, "opens": _ts(window.opens),
                      "closes": _ts(window.closes)})

    # ---- accounts and bindings -----------------------------------------------------------------

    @staticmethod
    def _account(row: dict | None) -> Account | None:
        if row is None:
            return None
        return Account(
            id=row["id"], identifier=row["identifier"], kind=AccountKind(row["kind"]),
            person_id=row["person_id"], status=row["status"],
            password_hash=row["password_hash"], temp_password_hash=row["temp_password_hash"],
            temp_expires_at=_dt(row["temp_expires_at"]), failed_logins=row["failed_logins"] or 0,
            locked_until=_dt(row["locked_until"]), activated_at=_dt(row["activated_at"]))

    def account(self, account_id: int) -> Account | None:
        return self._account(self._one("SELECT * FROM accounts WHERE id = ?", account_id))

    def account_by_identifier(self, identifier: str) -> Account | None:
        return self._account(
            self._one("SELECT * FROM accounts WHERE identifier = ?", identifier))

    def account_of(self, kind: AccountKind, person_id: str) -> Account | None:
        return self._account(self._one(
            "SELECT * FROM accounts WHERE kind = ? AND person_id = ?", kind.value, person_id))

    def identifiers_like(self, stem: str) -> set[str]:
        # A range on the unique index, where LIKE would scan the table.
        rows = self._all("SELECT identifier FROM accounts WHERE identifier >= ? AND identifier < ?",
                         stem, stem + "\U0010ffff")
        return {r["identifier"] for r in rows}

    def save_account(self, account: Account) -> Account:
        values = (account.identifier, account.kind.value, account.person_id, account.status,
                  account.password_hash, account.temp_password_hash,
                  _ts(account.temp_expires_at), account.failed_logins,
                  _ts(account.locked_until), _ts(account.activated_at))
        if account.id is None:
            cursor = self.conn.execute(
                "INSERT INTO accounts (identifier, kind, person_id, status, password_hash, "
                "temp_password_hash, temp_expires_at, failed_logins, locked_until, activated_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", values)
            account.id = cursor.lastrowid
        else:
            self.conn.execute(
                "UPDATE accounts SET identifier = ?, kind = ?, person_id = ?, status = ?, "
                "password_hash = ?, temp_password_hash = ?, temp_expires_at = ?, "
                "failed_logins = ?, locked_until = ?, activated_at = ? WHERE id = ?",
                (*values, account.id))
        return account

    def bind(self, channel: str, address: str, account_id: int, at: datetime) -> None:
        for table, column in (("bindings", "bound_at"), ("known_chats", "last_login_at")):
            self.conn.execute(
                f"INSERT INTO {table} (channel, address, account_id, {column}) VALUES (?, ?, ?, ?) "
                f"ON CONFLICT (channel, address) DO UPDATE SET account_id = excluded.account_id, "
                f"{column} = excluded.{column}", (channel, address, account_id, _ts(at)))

    def latest_chat(self, account_id: int) -> tuple[str, str] | None:
        """The chat the account last logged in from, even after that session ended."""
        row = self._one("SELECT channel, address FROM known_chats WHERE account_id = ? "
                        "ORDER BY last_login_at DESC LIMIT 1", account_id)
        return (row["channel"], row["address"]) if row else None

    def unbind(self, channel: str, address: str) -> None:
        self.conn.execute("DELETE FROM bindings WHERE channel = ? AND address = ?",
                          (channel, address))

    def bound_account(self, channel: str, address: str) -> int | None:
        row = self._one("SELECT account_id FROM bindings WHERE channel = ? AND address = ?",
                        channel, address)
        return row["account_id"] if row else None

    def bindings_of(self, account_id: int) -> list[tuple[str, str]]:
        rows = self._all("SELECT channel, address FROM bindings WHERE account_id = ? "
                         "ORDER BY channel, address", account_id)
        return [(r["channel"], r["address"]) for r in rows]

    # ---- conversations -------------------------------------------------------------------------

    def conversation(self, channel: str, address: str) -> Conversation | None:
        row = self._one("SELECT state, data, updated_at FROM conversations "
                        "WHERE channel = ? AND address = ?", channel, address)
        if row is None:
            return None
        return Conversation(channel, address, row["state"], json.loads(row["data"]),
                            _dt(row["updated_at"]))

    def save_conversation(self, conversation: Conversation) -> None:
        self.conn.execute(
            "INSERT INTO conversations (channel, address, state, data, updated_at) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT (channel, address) DO UPDATE SET "
            "state = excluded.state, data = excluded.data, updated_at = excluded.updated_at",
            (conversation.channel, conversation.address, conversation.state,
             json.dumps(conversation.data, separators=(",", ":")),
             _ts(conversation.updated_at)))

    def idle_conversations(self, before: datetime) -> list[Conversation]:
        rows = self._all(
            "SELECT c.channel, c.address FROM conversations c JOIN bindings b "
            "ON b.channel = c.channel AND b.address = c.address WHERE c.updated_at < ?",
            _ts(before))
        return [c for r in rows if (c := self.conversation(r["channel"], r["address"]))]

    def first_delivery(self, channel: str, message_id: str, at: datetime) -> bool:
        cursor = self.conn.execute(
            "INSERT OR IGNORE INTO inbound_seen (channel, message_id, seen_at) VALUES (?, ?, ?)",
            (channel, message_id, _ts(at)))
        return cursor.rowcount == 1

    # ---- activation codes ----------------------------------------------------------------------

    def activation_code(self, guardian_id: str) -> ActivationCode | None:
        row = self._one("SELECT * FROM activation_codes WHERE guardian_id = ?", guardian_id)
        if row is None:
            return None
        return ActivationCode(row["guardian_id"], row["code_hash"], _when(row["expires_at"]),
                              row["attempts"], _when(row["sent_at"]), row["sends_today"],
                              date.fromisoformat(row["send_day"]))

    def save_activation_code(self, code: ActivationCode) -> None:
        self.conn.execute(
            "INSERT OR REPLACE INTO activation_codes VALUES (?, ?, ?, ?, ?, ?, ?)",
            (code.guardian_id, code.code_hash, _ts(code.expires_at), code.attempts,
             _ts(code.sent_at), code.sends_today, code.send_day.isoformat()))

    def delete_activation_code(self, guardian_id: str) -> None:
        # Keep the send counters (the daily limit), drop the usable hash.
        self.conn.execute("UPDATE activation_codes SET code_hash = '' WHERE guardian_id = ?",
                          (guardian_id,))

    # ---- requests, opinions, acknowledgements --------------------------------------------------

    def requests(self, student_id: str, step: Step) -> RequestSet | None:
        head = self._one("SELECT * FROM request_sets WHERE student_id = ? AND step = ?",
                         student_id, step.value)
        if head is None:
            return None
        rows = self._all("SELECT * FROM request_items WHERE student_id = ? AND step = ? "
                         "ORDER BY rank", student_id, step.value)
        items = [Intention(Voie(r["voie"]), r["metier"] or "", bool(r["scolaire"]),
                           bool(r["apprenti"])) for r in rows]
        return RequestSet(student_id, step, items, head["editor_guardian_id"],
                          _when(head["validated_at"]))

    def save_requests(self, requests: RequestSet) -> None:
        """Save the validated list; the single-editor rule is checked here too, atomically."""
        key = (requests.student_id, requests.step.value)
        head = self._one("SELECT editor_guardian_id FROM request_sets "
                         "WHERE student_id = ? AND step = ?", *key)
        if head is not None and head["editor_guardian_id"] != requests.editor_guardian_id:
            raise DomainError("requests.not_editor")
        self.conn.execute(
            "INSERT INTO request_sets VALUES (?, ?, ?, ?) ON CONFLICT (student_id, step) "
            "DO UPDATE SET validated_at = excluded.validated_at",
            (*key, requests.editor_guardian_id, _ts(requests.validated_at)))
        self.conn.execute("DELETE FROM request_items WHERE student_id = ? AND step = ?", key)
        self.conn.executemany(
            "INSERT INTO request_items VALUES (?, ?, ?, ?, ?, ?, ?)",
            [(*key, rank, item.voie.value, item.metier, int(item.scolaire), int(item.apprenti))
             for rank, item in enumerate(requests.items, start=1)])

    def opinion(self, student_id: str, step: Step) -> CouncilOpinion | None:
        head = self._one("SELECT * FROM council_opinions WHERE student_id = ? AND step = ?",
                         student_id, step.value)
        if head is None:
            return None
        rows = self._all("SELECT avis FROM opinion_items WHERE student_id = ? AND step = ? "
                         "ORDER BY rank", student_id, step.value)
        recommendation = Voie(head["recommendation"]) if head["recommendation"] else None
        return CouncilOpinion(student_id, step, tuple(Avis(r["avis"]) for r in rows),
                              recommendation, head["motivation"] or "",
                              _dt(head["published_at"]))

    def save_opinion(self, opinion: CouncilOpinion) -> None:
        key = (opinion.student_id, opinion.step.value)
        self.conn.execute(
            "INSERT OR REPLACE INTO council_opinions VALUES (?, ?, ?, ?, ?)",
            (*key, opinion.recommendation.value if opinion.recommendation else None,
             opinion.motivation, _ts(opinion.published_at)))
        self.conn.execute("DELETE FROM opinion_items WHERE student_id = ? AND step = ?", key)
        self.conn.executemany("INSERT INTO opinion_items VALUES (?, ?, ?, ?)",
                              [(*key, rank, avis.value)
                               for rank, avis in enumerate(opinion.avis, start=1)])

    def acknowledgement(self, student_id: str, step: Step) -> Acknowledgement | None:
        row = self._one("SELECT * FROM acknowledgements WHERE student_id = ? AND step = ?",
                        student_id, step.value)
        if row is None:
            return None
        return Acknowledgement(row["student_id"], Step(row["step"]), row["guardian_id"],
                               _when(row["at"]))

    def save_acknowledgement(self, ack: Acknowledgement) -> None:
        self.conn.execute("INSERT INTO acknowledgements VALUES (?, ?, ?, ?)",
                          (ack.student_id, ack.step.value, ack.guardian_id, _ts(ack.at)))

    # One statement for everything a family's screens show of one student, so a screen costs one
    # read however many of these it shows. Every branch pads to the same seven columns.
    _FILE_SQL = (
        "SELECT 'r', step, editor_guardian_id, validated_at, NULL, NULL, NULL "
        "FROM request_sets WHERE student_id = ?1 "
        "UNION ALL SELECT 'i', step, rank, voie, metier, scolaire, apprenti "
        "FROM request_items WHERE student_id = ?1 "
        "UNION ALL SELECT 'o', step, recommendation, motivation, published_at, NULL, NULL "
        "FROM council_opinions WHERE student_id = ?1 "
        "UNION ALL SELECT 'v', step, rank, avis, NULL, NULL, NULL "
        "FROM opinion_items WHERE student_id = ?1 "
        "UNION ALL SELECT 'a', step, guardian_id, at, NULL, NULL, NULL "
        "FROM acknowledgements WHERE student_id = ?1 "
        "UNION ALL SELECT 'p', rank, voie, detail, published_at, NULL, NULL "
        "FROM proposals WHERE student_id = ?1 "
        "UNION ALL SELECT 'x', rank, guardian_id, agree, at, NULL, NULL "
        "FROM proposal_answers WHERE student_id = ?1 "
        "UNION ALL SELECT 'd', voie, detail, decided_at, source, published_at, NULL "
        "FROM decisions WHERE student_id = ?1")

    def student_file(self, student_id: str) -> StudentFile:
        rows = self.conn.execute(self._FILE_SQL, (student_id,)).fetchall()
        return file_from_rows(student_id, rows)

    # ---- step 3: proposals, answers, decisions -------------------------------------------------

    def proposals(self, student_id: str) -> list[Proposal]:
        rows = self._all("SELECT * FROM proposals WHERE student_id = ? ORDER BY rank", student_id)
        return [Proposal(r["student_id"], r["rank"], Voie(r["voie"]), r["detail"] or "",
                         _dt(r["published_at"])) for r in rows]

    def save_proposals(self, student_id: str, proposals: list[Proposal]) -> None:
        """Replace the student's proposals (the council may correct them before any answer)."""
        self.conn.execute("DELETE FROM proposals WHERE student_id = ?", (student_id,))
        self.conn.executemany(
            "INSERT INTO proposals VALUES (?, ?, ?, ?, ?)",
            [(student_id, p.rank, p.voie.value, p.detail, _ts(p.published_at)) for p in proposals])

    def answers(self, student_id: str) -> list[ProposalAnswer]:
        rows = self._all("SELECT * FROM proposal_answers WHERE student_id = ? ORDER BY rank",
                         student_id)
        return [ProposalAnswer(r["student_id"], r["rank"], r["guardian_id"], bool(r["agree"]),
                               _when(r["at"])) for r in rows]

    def save_answer(self, answer: ProposalAnswer) -> None:
        """An answer is final: a second answer to the same proposal is refused here too."""
        try:
            self.conn.execute("INSERT INTO proposal_answers VALUES (?, ?, ?, ?, ?)",
                              (answer.student_id, answer.rank, answer.guardian_id,
                               int(answer.agree), _ts(answer.at)))
        except sqlite3.IntegrityError:
            raise DomainError("answer.already") from None

    def decision(self, student_id: str) -> Decision | None:
        row = self._one("SELECT * FROM decisions WHERE student_id = ?", student_id)
        if row is None:
            return None
        return Decision(row["student_id"], Voie(row["voie"]), row["detail"] or "",
                        _when(row["decided_at"]), DecisionSource(row["source"]),
                        _dt(row["published_at"]))

    def save_decision(self, decision: Decision) -> None:
        self.conn.execute(
            "INSERT OR REPLACE INTO decisions VALUES (?, ?, ?, ?, ?, ?)",
            (decision.student_id, decision.voie.value, decision.detail, _ts(decision.decided_at),
             decision.source.value, _ts(decision.published_at)))

    # ---- outbox and audit ----------------------------------------------------------------------

    def enqueue(self, message: OutMessage, at: datetime) -> None:
        """Queue a message; one with a dedupe key already queued is not queued twice."""
        self.conn.execute(
            "INSERT INTO outbox (kind, recipient, subject, body, dedupe_key, created_at, status, "
            "attempts, next_attempt_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, 'pending', 0, ?, ?) "
            "ON CONFLICT (dedupe_key) DO NOTHING",
            (message.kind, message.recipient, message.subject, message.body, message.dedupe_key,
             _ts(at), _ts(at), _ts(message.expires_at)))

    def pending_messages(self, limit: int = 100) -> list[dict]:
        return self._all("SELECT * FROM outbox WHERE status = 'pending' ORDER BY id LIMIT ?",
                         limit)

    def mark_sent(self, message_id: int, at: datetime) -> None:
        self.conn.execute("UPDATE outbox SET status = 'sent', sent_at = ?, "
                          "attempts = attempts + 1 WHERE id = ?", (_ts(at), message_id))

    def due_messages(self, now: datetime, limit: int = 100) -> list[dict]:
        """Pending messages whose next attempt is due, oldest first."""
        return self._all("SELECT * FROM outbox WHERE status = 'pending' AND next_attempt_at <= ? "
                         "ORDER BY next_attempt_at, id LIMIT ?", _ts(now), limit)

    def retry_later(self, message_id: int, next_attempt_at: datetime, error: str) -> None:
        self.conn.execute("UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ?, "
                          "last_error = ? WHERE id = ?",
                          (_ts(next_attempt_at), error[:500], message_id))

    def set_aside(self, message_id: int, reason: str) -> None:
        """Give up on a message; it stays, with the reason, for an operator to see."""
        self.conn.execute("UPDATE outbox SET status = 'failed', attempts = attempts + 1, "
                          "last_error = ? WHERE id = ?", (reason[:500], message_id))

    def outbox(self) -> list[dict]:
        return self._all("SELECT * FROM outbox ORDER BY id")

    def audit(self, at: datetime, account_id: int | None, channel: str, student_id: str | None,
              action: str, detail: dict) -> None:
        self.conn.execute(
            "INSERT INTO audit_log (at, account_id, channel, student_id, action, detail) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (_ts(at), account_id, channel, student_id, action,
             json.dumps(detail, ensure_ascii=False, separators=(",", ":"))))

    def audit_entries(self, student_id: str | None = None) -> list[dict]:
        if student_id is None:
            return self._all("SELECT * FROM audit_log ORDER BY id")
        return self._all("SELECT * FROM audit_log WHERE student_id = ? ORDER BY id", student_id)

    # ==== the school's web console (bot/school/console): staff accounts, sessions, settings ============
    # Every query a staff member's request makes is scoped by the UAI of their session; these
    # methods only store and fetch. Rows are plain dicts.

    def staff_by_login(self, login: str) -> dict | None:
        return self._one("SELECT * FROM staff_accounts WHERE login = ?", login)

    def staff_member(self, staff_id: int) -> dict | None:
        return self._one("SELECT * FROM staff_accounts WHERE id = ?", staff_id)

    def staff_of_school(self, uai: str) -> list[dict]:
        return self._all("SELECT * FROM staff_accounts WHERE uai = ? ORDER BY login", uai)

    def add_staff(self, uai: str, login: str, role: str, password_hash: str, at: datetime) -> int:
        cursor = self.conn.execute(
            "INSERT INTO staff_accounts (uai, login, role, password_hash, failed_logins, created_at)"
            " VALUES (?, ?, ?, ?, 0, ?)", (uai, login, role, password_hash, _ts(at)))
        return int(cursor.lastrowid or 0)  # an INSERT into a rowid table always sets it

    def set_staff_login_state(self, staff_id: int, failed_logins: int,
                              locked_until: datetime | None) -> None:
        self.conn.execute("UPDATE staff_accounts SET failed_logins = ?, locked_until = ? "
                          "WHERE id = ?", (failed_logins, _ts(locked_until), staff_id))

    def add_staff_session(self, token_hash: str, staff_id: int, csrf_token: str,
                          at: datetime) -> None:
        self.conn.execute("INSERT INTO staff_sessions VALUES (?, ?, ?, ?, ?)",
                          (token_hash, staff_id, csrf_token, _ts(at), _ts(at)))

    def staff_session(self, token_hash: str) -> dict | None:
        """The session and its staff member (uai, login, role), or None."""
        return self._one(
            "SELECT s.token_hash, s.csrf_token, s.created_at, s.last_seen_at, a.id AS staff_id, "
            "a.uai, a.login, a.role FROM staff_sessions s JOIN staff_accounts a ON a.id = s.staff_id "
            "WHERE s.token_hash = ?", token_hash)

    def touch_staff_session(self, token_hash: str, at: datetime) -> None:
        self.conn.execute("UPDATE staff_sessions SET last_seen_at = ? WHERE token_hash = ?",
                          (_ts(at), token_hash))

    def delete_staff_session(self, token_hash: str) -> None:
        self.conn.execute("DELETE FROM staff_sessions WHERE token_hash = ?", (token_hash,))

    def delete_staff_sessions_idle_since(self, before: datetime) -> None:
        self.conn.execute("DELETE FROM staff_sessions WHERE last_seen_at < ?", (_ts(before),))

    def delete_window(self, uai: str, key: str) -> None:
        self.conn.execute("DELETE FROM calendar_windows WHERE uai = ? AND key = ?", (uai, key))

    def reminder_settings_of(self, uai: str) -> dict | None:
        """The school's row of `reminder_settings` (offsets, hours; NULL: the default), or None."""
        return self._one("SELECT offsets, hours FROM reminder_settings WHERE uai = ?", uai)

    def acknowledgement_dates(self, uai: str) -> dict[str, datetime]:
        """When each family of the school acknowledged the council's opinion, by student id."""
        rows = self._all("SELECT a.student_id, a.at FROM acknowledgements a JOIN students s "
                         "ON s.id = a.student_id WHERE s.uai = ? AND a.step = ?", uai,
                         Step.INTENTIONS.value)
        return {r["student_id"]: _when(r["at"]) for r in rows}

    def guardian_has_child_in(self, guardian_id: str, uai: str) -> bool:
        return self._one("SELECT 1 AS yes FROM guardian_links l JOIN students s ON s.id = "
                         "l.student_id WHERE l.guardian_id = ? AND s.uai = ? LIMIT 1",
                         guardian_id, uai) is not None

    def put_reminder_settings(self, uai: str, offsets: str | None, hours: str | None) -> None:
        self._upsert("reminder_settings", ("uai",),
                     {"uai": uai, "offsets": offsets, "hours": hours})

    # ---- SMS channel: STOP / START, numbers kept bound, unknown numbers ----------------------------

    def sms_opt_out(self, number: str, at: datetime) -> None:
        """STOP: no reminder by SMS to this E.164 number until START (the first STOP's date kept)."""
        self.conn.execute("INSERT OR IGNORE INTO sms_opt_outs (number, opted_out_at) VALUES (?, ?)",
                          (number, _ts(at)))

    def sms_opt_in(self, number: str) -> bool:
        """START: reminders by SMS again; True if the number had opted out."""
        return self.conn.execute("DELETE FROM sms_opt_outs WHERE number = ?", (number,)).rowcount > 0

    def sms_opted_out(self, number: str) -> bool:
        return self._one("SELECT 1 AS out FROM sms_opt_outs WHERE number = ?", number) is not None

    def sms_opted_out_numbers(self) -> set[str]:
        return {number for (number,) in self.conn.execute("SELECT number FROM sms_opt_outs")}

    def sms_trust(self, number: str, account_id: int, at: datetime) -> None:
        """Keep `number` bound to `account_id` after its sessions end (its guardian proved who
        they are from this number)."""
        self.conn.execute(
            "INSERT INTO sms_trusted (number, account_id, trusted_at) VALUES (?, ?, ?) "
            "ON CONFLICT (number) DO UPDATE SET account_id = excluded.account_id, "
            "trusted_at = excluded.trusted_at WHERE account_id <> excluded.account_id",
            (number, account_id, _ts(at)))

    def sms_untrust(self, number: str) -> None:
        self.conn.execute("DELETE FROM sms_trusted WHERE number = ?", (number,))

    def sms_trusted_account(self, number: str) -> int | None:
        row = self._one("SELECT account_id FROM sms_trusted WHERE number = ?", number)
        return row["account_id"] if row else None

    def sms_unknown_reply_due(self, number_hash: str, day: date) -> bool:
        """Record that an unknown number gets the neutral answer on `day`; False if it already got
        it that day (one answer a day: an automatic responder cannot start an endless exchange)."""
        cursor = self.conn.execute(
            "INSERT INTO sms_unknown_replies (number_hash, replied_on) VALUES (?, ?) "
            "ON CONFLICT (number_hash) DO UPDATE SET replied_on = excluded.replied_on "
            "WHERE replied_on <> excluded.replied_on", (number_hash, day.isoformat()))
        return cursor.rowcount > 0

    def forget_known_chat(self, channel: str, address: str) -> None:
        """This chat is not where its account is reached (notifications and reminders go elsewhere)."""
        self.conn.execute("DELETE FROM known_chats WHERE channel = ? AND address = ?",
                          (channel, address))

    # school side: the follow-up's read model (storage/followup.py), scoped by the concerned level
    def class_names(self, uai: str, level: str) -> list[str]:
        return followup.class_names(self.conn, uai, level)

    def followup_rows(self, uai: str, class_name: str | None, level: str) -> list[FollowupRow]:
        return followup.rows(self.conn, uai, class_name, level)

    # school side: the base import's bulk reads and writes (storage/school_base.py)
    def base_rows(self, tables: Collection[str]) -> dict[str, dict[str, tuple[Any, ...]]]:
        return school_base.rows(self.conn, tables)

    def guardian_link_pairs(self) -> set[tuple[str, str]]:
        return school_base.link_pairs(self.conn)

    def write_base_rows(self, table: str, rows: Sequence[tuple[Any, ...]]) -> None:
        school_base.upsert(self.conn, table, rows)

    def add_guardian_links(self, links: Sequence[tuple[str, str]]) -> None:
        school_base.add_links(self.conn, links)
