"""An in-memory implementation of every port of `flows.ports`, for fast unit tests.

Plain dicts with the SQLite store's semantics (the contract tests run both): upserts, ordering,
de-duplication of inbound messages and outbox keys, the single-editor rule and final answers.
Rows the console and the sender read (outbox, audit, staff) are dicts with instants as ISO text,
as SQLite gives them. A transaction snapshots the tables and restores them on an exception; a
nested one restores only its own part. Not thread-safe: `reopened()` returns the same store.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Collection, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

from flows.ports import ReminderCandidate, StudentFile
from flows.rules.calendar import Calendar, Window
from flows.rules.errors import DomainError
from flows.rules.model import (
    Account,
    AccountKind,
    Acknowledgement,
    ActivationCode,
    Conversation,
    CouncilOpinion,
    Decision,
    Guardian,
    OutMessage,
    Proposal,
    ProposalAnswer,
    RequestSet,
    School,
    Step,
    Student,
)
from flows.rules.reminders import CONCERNED_LEVEL, Rules, Settings
from flows.rules.standing import FollowupRow
from flows.school.base import COLUMNS

from .reminders import settings_from_rows
from .rows import _ts

Chat = tuple[str, str]


@dataclass
class Tables:
    """Everything the store holds; a transaction copies it whole."""

    schools: dict[str, School] = field(default_factory=dict)
    windows: dict[str, dict[str, Window]] = field(default_factory=dict)
    students: dict[str, Student] = field(default_factory=dict)
    guardians: dict[str, Guardian] = field(default_factory=dict)
    links: dict[tuple[str, str], None] = field(default_factory=dict)  # (guardian, student)
    flags: dict[tuple[str, str], datetime] = field(default_factory=dict)
    accounts: dict[int, Account] = field(default_factory=dict)
    bindings: dict[Chat, tuple[int, str | None]] = field(default_factory=dict)
    known_chats: dict[Chat, tuple[int, str | None]] = field(default_factory=dict)
    conversations: dict[Chat, tuple[str, str, datetime | None]] = field(default_factory=dict)
    inbound: dict[Chat, datetime] = field(default_factory=dict)  # (channel, message id)
    codes: dict[str, ActivationCode] = field(default_factory=dict)
    requests: dict[tuple[str, Step], RequestSet] = field(default_factory=dict)
    opinions: dict[tuple[str, Step], CouncilOpinion] = field(default_factory=dict)
    acks: dict[tuple[str, Step], Acknowledgement] = field(default_factory=dict)
    proposals: dict[str, list[Proposal]] = field(default_factory=dict)
    answers: dict[tuple[str, int], ProposalAnswer] = field(default_factory=dict)
    decisions: dict[str, Decision] = field(default_factory=dict)
    outbox: dict[int, dict] = field(default_factory=dict)
    audit: dict[int, dict] = field(default_factory=dict)
    staff: dict[int, dict] = field(default_factory=dict)
    sessions: dict[str, dict] = field(default_factory=dict)
    reminder_settings: dict[str, tuple[str | None, str | None]] = field(default_factory=dict)
    opt_outs: dict[str, str | None] = field(default_factory=dict)
    trusted: dict[str, tuple[int, str | None]] = field(default_factory=dict)
    unknown_replies: dict[str, str] = field(default_factory=dict)
    ids: dict[str, int] = field(default_factory=dict)  # the last id given, per table


class MemoryStore:
    """Every port of `flows.ports.Store`, in memory."""

    def __init__(self) -> None:
        self.t = Tables()
        self._depth = 0

    def close(self) -> None:
        """Nothing to release."""

    def reopened(self) -> MemoryStore:
        return self

    @contextmanager
    def transaction(self) -> Iterator[None]:
        saved = copy.deepcopy(self.t)
        self._depth += 1
        try:
            yield
        except BaseException:
            self.t = saved
            raise
        finally:
            self._depth -= 1

    def _next_id(self, table: str) -> int:
        self.t.ids[table] = self.t.ids.get(table, 0) + 1
        return self.t.ids[table]

    # ---- school base ---------------------------------------------------------------------------

    def school(self, uai: str) -> School | None:
        return self.t.schools.get(uai)

    def student(self, student_id: str) -> Student | None:
        return self.t.students.get(student_id)

    def guardian(self, guardian_id: str) -> Guardian | None:
        return self.t.guardians.get(guardian_id)

    def guardians_by_mobile(self, e164: str) -> list[Guardian]:
        return [g for g in self.t.guardians.values() if g.mobile == e164]

    def children_of(self, guardian_id: str) -> list[Student]:
        children = [self.t.students[s] for g, s in self.t.links if g == guardian_id]
        return sorted(children, key=lambda s: (s.birth_date, s.id))

    def visible_children(self, guardian_id: str) -> list[Student]:
        return [s for s in self.children_of(guardian_id)
                if (guardian_id, s.id) not in self.t.flags]

    def guardians_of(self, student_id: str) -> list[Guardian]:
        return sorted((self.t.guardians[g] for g, s in self.t.links if s == student_id),
                      key=lambda g: g.id)

    def students_of_class(self, uai: str, class_name: str) -> list[Student]:
        return sorted((s for s in self.t.students.values()
                       if s.uai == uai and s.class_name == class_name),
                      key=lambda s: (s.nom, s.prenom, s.id))

    def guardian_has_child_in(self, guardian_id: str, uai: str) -> bool:
        return any(g == guardian_id and self.t.students[s].uai == uai for g, s in self.t.links)

    def calendar(self, uai: str) -> Calendar:
        school = self.t.schools.get(uai)
        return Calendar(school.timezone if school else "Europe/Paris",
                        dict(self.t.windows.get(uai, {})))

    def flag_link(self, guardian_id: str, student_id: str, at: datetime) -> None:
        self.t.flags.setdefault((guardian_id, student_id), at)

    def flagged_links(self, guardian_id: str) -> set[str]:
        return {s for g, s in self.t.flags if g == guardian_id}

    def put_school(self, school: School) -> None:
        self.t.schools[school.uai] = school

    def put_student(self, student: Student) -> None:
        self.t.students[student.id] = student

    def put_guardian(self, guardian: Guardian, student_ids: list[str]) -> None:
        self.t.guardians[guardian.id] = guardian
        for student_id in student_ids:
            self.t.links[(guardian.id, student_id)] = None

    # the base import's rows: tuples in the order of flows.school.base.COLUMNS (days as ISO text)
    def base_rows(self, tables: Collection[str]) -> dict[str, dict[str, tuple[Any, ...]]]:
        made: dict[str, dict[str, tuple[Any, ...]]] = {}
        for table in tables:
            kept: dict[str, Any] = getattr(self.t, table)
            made[table] = {key: _row_of(table, value) for key, value in kept.items()}
        return made

    def guardian_link_pairs(self) -> set[tuple[str, str]]:
        return set(self.t.links)

    def write_base_rows(self, table: str, rows: Sequence[tuple[Any, ...]]) -> None:
        kept: dict[str, Any] = getattr(self.t, table)
        for row in rows:
            kept[row[0]] = _value_of(table, row)

    def add_guardian_links(self, links: Sequence[tuple[str, str]]) -> None:
        for link in links:
            self.t.links.setdefault(link, None)

    def put_window(self, uai: str, window: Window) -> None:
        self.t.windows.setdefault(uai, {})[window.key] = window

    def delete_window(self, uai: str, key: str) -> None:
        self.t.windows.get(uai, {}).pop(key, None)

    # ---- accounts, bindings, activation codes --------------------------------------------------

    def account(self, account_id: int) -> Account | None:
        account = self.t.accounts.get(account_id)
        return replace(account) if account else None

    def account_by_identifier(self, identifier: str) -> Account | None:
        found = next((a for a in self.t.accounts.values() if a.identifier == identifier), None)
        return replace(found) if found else None

    def account_of(self, kind: AccountKind, person_id: str) -> Account | None:
        found = next((a for a in self.t.accounts.values()
                      if a.kind is kind and a.person_id == person_id), None)
        return replace(found) if found else None

    def identifiers_like(self, stem: str) -> set[str]:
        return {a.identifier for a in self.t.accounts.values()
                if stem <= a.identifier < stem + "\U0010ffff"}

    def save_account(self, account: Account) -> Account:
        if account.id is None:
            account.id = self._next_id("accounts")
        self.t.accounts[account.id] = replace(account)
        return account

    def bind(self, channel: str, address: str, account_id: int, at: datetime) -> None:
        self.t.bindings[(channel, address)] = (account_id, _ts(at))
        self.t.known_chats[(channel, address)] = (account_id, _ts(at))

    def unbind(self, channel: str, address: str) -> None:
        self.t.bindings.pop((channel, address), None)

    def bound_account(self, channel: str, address: str) -> int | None:
        bound = self.t.bindings.get((channel, address))
        return bound[0] if bound else None

    def bindings_of(self, account_id: int) -> list[tuple[str, str]]:
        return sorted(chat for chat, (bound, _) in self.t.bindings.items() if bound == account_id)

    def latest_chat(self, account_id: int) -> tuple[str, str] | None:
        chats = [(at or "", chat) for chat, (owner, at) in self.t.known_chats.items()
                 if owner == account_id]
        return max(chats, key=lambda pair: pair[0])[1] if chats else None

    def forget_known_chat(self, channel: str, address: str) -> None:
        self.t.known_chats.pop((channel, address), None)

    def activation_code(self, guardian_id: str) -> ActivationCode | None:
        code = self.t.codes.get(guardian_id)
        return replace(code) if code else None

    def save_activation_code(self, code: ActivationCode) -> None:
        self.t.codes[code.guardian_id] = replace(code)

    def delete_activation_code(self, guardian_id: str) -> None:
        code = self.t.codes.get(guardian_id)
        if code is not None:  # keep the send counters (the daily limit), drop the usable hash
            self.t.codes[guardian_id] = replace(code, code_hash="")

    # ---- conversations and inbound de-duplication ----------------------------------------------

    def conversation(self, channel: str, address: str) -> Conversation | None:
        row = self.t.conversations.get((channel, address))
        if row is None:
            return None
        state, data, updated_at = row
        return Conversation(channel, address, state, json.loads(data), updated_at)

    def save_conversation(self, conversation: Conversation) -> None:
        self.t.conversations[(conversation.channel, conversation.address)] = (
            conversation.state, json.dumps(conversation.data, separators=(",", ":")),
            conversation.updated_at)

    def idle_conversations(self, before: datetime) -> list[Conversation]:
        idle = [chat for chat, (_, _, updated_at) in self.t.conversations.items()
                if chat in self.t.bindings and updated_at is not None and updated_at < before]
        return [c for chat in idle if (c := self.conversation(*chat))]

    def first_delivery(self, channel: str, message_id: str, at: datetime) -> bool:
        if (channel, message_id) in self.t.inbound:
            return False
        self.t.inbound[(channel, message_id)] = at
        return True


    # ---- requests, opinions, acknowledgements, proposals, answers, decisions -------------------

    def requests(self, student_id: str, step: Step) -> RequestSet | None:
        saved = self.t.requests.get((student_id, step))
        return replace(saved, items=list(saved.items)) if saved else None

    def save_requests(self, requests: RequestSet) -> None:
        """The single-editor rule is checked here too; a new validation keeps the editor."""
        key = (requests.student_id, requests.step)
        saved = self.t.requests.get(key)
        if saved is not None and saved.editor_guardian_id != requests.editor_guardian_id:
            raise DomainError("requests.not_editor")
        self.t.requests[key] = replace(requests, items=list(requests.items))

    def opinion(self, student_id: str, step: Step) -> CouncilOpinion | None:
        return self.t.opinions.get((student_id, step))

    def save_opinion(self, opinion: CouncilOpinion) -> None:
        self.t.opinions[(opinion.student_id, opinion.step)] = opinion

    def acknowledgement(self, student_id: str, step: Step) -> Acknowledgement | None:
        return self.t.acks.get((student_id, step))

    def save_acknowledgement(self, ack: Acknowledgement) -> None:
        key = (ack.student_id, ack.step)
        if key in self.t.acks:
            raise ValueError(f"already acknowledged: {key}")  # SQLite: a primary key conflict
        self.t.acks[key] = ack

    def acknowledgement_dates(self, uai: str) -> dict[str, datetime]:
        return {s: ack.at for (s, step), ack in self.t.acks.items()
                if step is Step.INTENTIONS and s in self.t.students
                and self.t.students[s].uai == uai}

    def proposals(self, student_id: str) -> list[Proposal]:
        return sorted(self.t.proposals.get(student_id, []), key=lambda p: p.rank)

    def save_proposals(self, student_id: str, proposals: list[Proposal]) -> None:
        self.t.proposals[student_id] = list(proposals)

    def answers(self, student_id: str) -> list[ProposalAnswer]:
        return sorted((a for (s, _), a in self.t.answers.items() if s == student_id),
                      key=lambda a: a.rank)

    def save_answer(self, answer: ProposalAnswer) -> None:
        key = (answer.student_id, answer.rank)
        if key in self.t.answers:
            raise DomainError("answer.already")
        self.t.answers[key] = answer

    def decision(self, student_id: str) -> Decision | None:
        return self.t.decisions.get(student_id)

    def save_decision(self, decision: Decision) -> None:
        self.t.decisions[decision.student_id] = decision

    def student_file(self, student_id: str) -> StudentFile:
        return StudentFile(
            student_id,
            {step: r for step in Step if (r := self.requests(student_id, step))},
            {step: o for step in Step if (o := self.opinion(student_id, step))},
            {step: a for step in Step if (a := self.acknowledgement(student_id, step))},
            self.proposals(student_id), self.answers(student_id), self.decision(student_id))

    # ---- outbox and audit ----------------------------------------------------------------------

    def enqueue(self, message: OutMessage, at: datetime) -> None:
        """Queue a message; one with a dedupe key already queued is not queued twice."""
        if message.dedupe_key is not None and message.dedupe_key in self._queued_keys():
            return
        message_id = self._next_id("outbox")
        self.t.outbox[message_id] = {
            "id": message_id, "kind": message.kind, "recipient": message.recipient,
            "subject": message.subject, "body": message.body, "dedupe_key": message.dedupe_key,
            "created_at": _ts(at), "status": "pending", "attempts": 0,
            "next_attempt_at": _ts(at), "last_error": None, "sent_at": None,
            "expires_at": _ts(message.expires_at)}

    def _queued_keys(self) -> set[str]:
        return {row["dedupe_key"] for row in self.t.outbox.values() if row["dedupe_key"]}

    def pending_messages(self, limit: int = 100) -> list[dict]:
        return [dict(r) for r in self.t.outbox.values() if r["status"] == "pending"][:limit]

    def due_messages(self, now: datetime, limit: int = 100) -> list[dict]:
        """Pending messages whose next attempt is due, oldest first."""
        moment = _ts(now) or ""
        due = [r for r in self.t.outbox.values()
               if r["status"] == "pending" and r["next_attempt_at"] <= moment]
        return [dict(r) for r in sorted(due, key=lambda r: (r["next_attempt_at"], r["id"]))][:limit]

    def mark_sent(self, message_id: int, at: datetime) -> None:
        row = self.t.outbox[message_id]
        row.update(status="sent", sent_at=_ts(at), attempts=row["attempts"] + 1)

    def retry_later(self, message_id: int, next_attempt_at: datetime, error: str) -> None:
        row = self.t.outbox[message_id]
        row.update(attempts=row["attempts"] + 1, next_attempt_at=_ts(next_attempt_at),
                   last_error=error[:500])

    def set_aside(self, message_id: int, reason: str) -> None:
        row = self.t.outbox[message_id]
        row.update(status="failed", attempts=row["attempts"] + 1, last_error=reason[:500])

    def outbox(self) -> list[dict]:
        return [dict(r) for r in self.t.outbox.values()]

    def audit(self, at: datetime, account_id: int | None, channel: str, student_id: str | None,
              action: str, detail: dict) -> None:
        entry_id = self._next_id("audit")
        self.t.audit[entry_id] = {
            "id": entry_id, "at": _ts(at), "account_id": account_id, "channel": channel,
            "student_id": student_id, "action": action,
            "detail": json.dumps(detail, ensure_ascii=False, separators=(",", ":"))}

    def audit_entries(self, student_id: str | None = None) -> list[dict]:
        return [dict(e) for e in self.t.audit.values()
                if student_id is None or e["student_id"] == student_id]

    # ---- staff of the school console -----------------------------------------------------------

    def staff_by_login(self, login: str) -> dict | None:
        return next((dict(s) for s in self.t.staff.values() if s["login"] == login), None)

    def staff_member(self, staff_id: int) -> dict | None:
        member = self.t.staff.get(staff_id)
        return dict(member) if member else None

    def staff_of_school(self, uai: str) -> list[dict]:
        return sorted((dict(s) for s in self.t.staff.values() if s["uai"] == uai),
                      key=lambda s: s["login"])

    def add_staff(self, uai: str, login: str, role: str, password_hash: str, at: datetime) -> int:
        if self.staff_by_login(login) is not None:
            raise ValueError(f"login taken: {login}")  # SQLite: the unique index refuses it
        staff_id = self._next_id("staff")
        self.t.staff[staff_id] = {"id": staff_id, "uai": uai, "login": login, "role": role,
                                  "password_hash": password_hash, "failed_logins": 0,
                                  "locked_until": None, "created_at": _ts(at)}
        return staff_id

    def set_staff_login_state(self, staff_id: int, failed_logins: int,
                              locked_until: datetime | None) -> None:
        if staff_id in self.t.staff:
            self.t.staff[staff_id].update(failed_logins=failed_logins,
                                          locked_until=_ts(locked_until))

    def add_staff_session(self, token_hash: str, staff_id: int, csrf_token: str,
                          at: datetime) -> None:
        self.t.sessions[token_hash] = {"token_hash": token_hash, "staff_id": staff_id,
                                       "csrf_token": csrf_token, "created_at": _ts(at),
                                       "last_seen_at": _ts(at)}

    def staff_session(self, token_hash: str) -> dict | None:
        """The session and its staff member (uai, login, role), or None."""
        session = self.t.sessions.get(token_hash)
        member = self.t.staff.get(session["staff_id"]) if session else None
        if session is None or member is None:
            return None
        return {"token_hash": token_hash, "csrf_token": session["csrf_token"],
                "created_at": session["created_at"], "last_seen_at": session["last_seen_at"],
                "staff_id": member["id"], "uai": member["uai"], "login": member["login"],
                "role": member["role"]}

    def touch_staff_session(self, token_hash: str, at: datetime) -> None:
        if token_hash in self.t.sessions:
            self.t.sessions[token_hash]["last_seen_at"] = _ts(at)

    def delete_staff_session(self, token_hash: str) -> None:
        self.t.sessions.pop(token_hash, None)

    def delete_staff_sessions_idle_since(self, before: datetime) -> None:
        moment = _ts(before) or ""
        self.t.sessions = {k: s for k, s in self.t.sessions.items()
                           if not s["last_seen_at"] < moment}

    def reminder_settings_of(self, uai: str) -> dict | None:
        row = self.t.reminder_settings.get(uai)
        return {"offsets": row[0], "hours": row[1]} if row else None

    def put_reminder_settings(self, uai: str, offsets: str | None, hours: str | None) -> None:
        self.t.reminder_settings[uai] = (offsets, hours)

    # ---- SMS numbers ---------------------------------------------------------------------------

    def sms_opt_out(self, number: str, at: datetime) -> None:
        self.t.opt_outs.setdefault(number, _ts(at))  # the first STOP's date is kept

    def sms_opt_in(self, number: str) -> bool:
        return self.t.opt_outs.pop(number, False) is not False

    def sms_opted_out(self, number: str) -> bool:
        return number in self.t.opt_outs

    def sms_opted_out_numbers(self) -> set[str]:
        return set(self.t.opt_outs)

    def sms_trust(self, number: str, account_id: int, at: datetime) -> None:
        kept = self.t.trusted.get(number)
        if kept is None or kept[0] != account_id:  # the same account keeps its first date
            self.t.trusted[number] = (account_id, _ts(at))

    def sms_untrust(self, number: str) -> None:
        self.t.trusted.pop(number, None)

    def sms_trusted_account(self, number: str) -> int | None:
        kept = self.t.trusted.get(number)
        return kept[0] if kept else None

    def sms_unknown_reply_due(self, number_hash: str, day: date) -> bool:
        if self.t.unknown_replies.get(number_hash) == day.isoformat():
            return False
        self.t.unknown_replies[number_hash] = day.isoformat()
        return True

    # ---- read models of the reminder planner ---------------------------------------------------

    # the school's follow-up: the same plain rows as storage/followup.py
    def _concerned(self, uai: str, class_name: str | None, level: str) -> list[Student]:
        return sorted((s for s in self.t.students.values() if s.uai == uai and s.level == level
                       and (class_name is None or s.class_name == class_name)),
                      key=lambda s: (s.class_name, s.nom, s.prenom, s.id))

    def class_names(self, uai: str, level: str) -> list[str]:
        return sorted({s.class_name for s in self._concerned(uai, None, level)})

    def followup_rows(self, uai: str, class_name: str | None, level: str) -> list[FollowupRow]:
        rows = []
        for s in self._concerned(uai, class_name, level):
            def voies(step: Step, student_id: str = s.id) -> tuple[str, ...]:
                saved = self.t.requests.get((student_id, step))
                return tuple(item.voie.value for item in saved.items) if saved else ()
            opinion = self.t.opinions.get((s.id, Step.INTENTIONS))
            ack = self.t.acks.get((s.id, Step.INTENTIONS))
            rows.append(FollowupRow(
                s.id, s.nom, s.prenom, s.class_name, voies(Step.INTENTIONS), voies(Step.CHOIX),
                opinion is not None, opinion.published_at if opinion else None,
                ack.at if ack else None, tuple(self.proposals(s.id)), tuple(self.answers(s.id)),
                self.t.decisions.get(s.id)))
        return rows

    def reminder_schools(self) -> list[tuple[str, str]]:
        return [(uai, s.timezone or "Europe/Paris") for uai, s in sorted(self.t.schools.items())]

    def reminder_windows(self, key: str) -> dict[str, Window]:
        return {uai: windows[key] for uai, windows in self.t.windows.items() if key in windows}

    def _linked(self, uais: Iterable[str]) -> Iterator[tuple[str, Student, Guardian]]:
        """Unflagged (guardian, concerned student of these schools) links."""
        schools = set(uais)
        for guardian_id, student_id in self.t.links:
            student = self.t.students[student_id]
            if (student.level == CONCERNED_LEVEL and student.uai in schools
                    and (guardian_id, student_id) not in self.t.flags):
                yield guardian_id, student, self.t.guardians[guardian_id]

    def intention_candidates(self, uais: Iterable[str],
                             step: Step = Step.INTENTIONS) -> list[ReminderCandidate]:
        return [ReminderCandidate(g, s.id, s.prenom, s.uai, guardian.mobile)
                for g, s, guardian in self._linked(uais) if (s.id, step) not in self.t.requests]

    def _editor(self, student_id: str, *steps: Step) -> str | None:
        return next((r.editor_guardian_id for step in steps
                     if (r := self.t.requests.get((student_id, step)))), None)

    def _awaits_answer(self, student_id: str) -> bool:
        answers = self.answers(student_id)
        answered = {a.rank for a in answers}
        return (any(p.published_at is not None and p.rank not in answered
                    for p in self.proposals(student_id))
                and not any(a.agree for a in answers) and student_id not in self.t.decisions)

    def answer_candidates(self, uais: Iterable[str]) -> list[ReminderCandidate]:
        rows = []
        for g, s, guardian in self._linked(uais):
            if self._awaits_answer(s.id):
                published = max((p for p in self.proposals(s.id) if p.published_at),
                                key=lambda p: _ts(p.published_at) or "")
                rows.append(ReminderCandidate(
                    g, s.id, s.prenom, s.uai, guardian.mobile, _ts(published.published_at),
                    self._editor(s.id, Step.CHOIX, Step.INTENTIONS)))
        return rows

    def acknowledgement_candidates(self, uais: Iterable[str]) -> list[ReminderCandidate]:
        return [ReminderCandidate(g, s.id, s.prenom, s.uai, guardian.mobile,
                                  _ts(opinion.published_at),
                                  self._editor(s.id, Step.INTENTIONS))
                for g, s, guardian in self._linked(uais)
                if (opinion := self.t.opinions.get((s.id, Step.INTENTIONS)))
                and (s.id, Step.INTENTIONS) not in self.t.acks]

    def latest_chats(self) -> dict[str, tuple[str, str]]:
        chats = sorted((account.person_id, at or "", chat)
                       for chat, (account_id, at) in self.t.known_chats.items()
                       if (account := self.t.accounts.get(account_id))
                       and account.kind is AccountKind.GUARDIAN and account.status == "active")
        return {person: chat for person, _, chat in chats}  # the last one wins

    def already_queued(self, keys: Iterable[str]) -> set[str]:
        return set(keys) & self._queued_keys()

    def reminder_rules(self, default: Rules | None = None) -> Settings:
        rows = [(uai, offsets, hours)
                for uai, (offsets, hours) in self.t.reminder_settings.items()]
        return settings_from_rows(rows, default or Rules())


def _row_of(table: str, value: School | Student | Guardian) -> tuple[Any, ...]:
    row = tuple(getattr(value, column) for column in COLUMNS[table])
    return tuple(v.isoformat() if isinstance(v, date) else v for v in row)


def _value_of(table: str, row: tuple[Any, ...]) -> School | Student | Guardian:
    if table == "schools":
        return School(*row)
    if table == "students":
        return Student(row[0], row[1], row[2], date.fromisoformat(row[3]), row[4], row[5], row[6])
    return Guardian(*row)
