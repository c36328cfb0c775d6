"""Versioned schema migrations, applied in order at start-up; `PRAGMA user_version` holds the version.

Each migration is a function of the sqlite-utils `Database`; a migration and its version number are
committed together, so a crash leaves the schema at one version or the next, never between.
Column types stay portable (TEXT, INTEGER) for the planned PostgreSQL implementation.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlite_utils import Database


def _initial(db: Database) -> None:
    # The school base, loaded by the school before the campaign.
    db.table("schools").create({"uai": str, "name": str, "phone": str, "email": str,
                          "timezone": str}, pk="uai")
    db.table("calendar_windows").create({"uai": str, "key": str, "opens": str, "closes": str},
                                  pk=("uai", "key"))
    db.table("students").create({"id": str, "nom": str, "prenom": str, "birth_date": str, "uai": str,
                           "class_name": str, "level": str}, pk="id")
    db.table("guardians").create({"id": str, "nom": str, "prenom": str, "mobile": str, "email": str},
                           pk="id")
    db.table("guardians").create_index(["mobile"])
    db.table("guardian_links").create({"guardian_id": str, "student_id": str},
                                pk=("guardian_id", "student_id"))
    db.table("guardian_links").create_index(["student_id"])
    db.table("link_flags").create({"guardian_id": str, "student_id": str, "flagged_at": str},
                            pk=("guardian_id", "student_id"))
    # Accounts, their chat bindings and the dialogue position of each chat.
    db.table("accounts").create({
        "id": int, "identifier": str, "kind": str, "person_id": str, "status": str,
        "password_hash": str, "temp_password_hash": str, "temp_expires_at": str,
        "failed_logins": int, "locked_until": str, "activated_at": str}, pk="id",
        not_null={"identifier", "kind", "person_id", "status"})
    db.table("accounts").create_index(["identifier"], unique=True)
    db.table("accounts").create_index(["kind", "person_id"], unique=True)
    db.table("bindings").create({"channel": str, "address": str, "account_id": int, "bound_at": str},
                          pk=("channel", "address"), foreign_keys=[("account_id", "accounts")])
    db.table("bindings").create_index(["account_id"])
    db.table("conversations").create({"channel": str, "address": str, "state": str, "data": str,
                                "updated_at": str}, pk=("channel", "address"))
    db.table("conversations").create_index(["updated_at"])
    db.table("inbound_seen").create({"channel": str, "message_id": str, "seen_at": str},
                              pk=("channel", "message_id"))
    db.table("activation_codes").create({
        "guardian_id": str, "code_hash": str, "expires_at": str, "attempts": int,
        "sent_at": str, "sends_today": int, "send_day": str}, pk="guardian_id")
    # The family's requests, the council's opinions and their acknowledgement.
    db.table("request_sets").create({"student_id": str, "step": str, "editor_guardian_id": str,
                               "validated_at": str}, pk=("student_id", "step"))
    db.table("request_items").create({"student_id": str, "step": str, "rank": int, "voie": str,
                                "metier": str, "scolaire": int, "apprenti": int},
                               pk=("student_id", "step", "rank"))
    db.table("council_opinions").create({"student_id": str, "step": str, "recommendation": str,
                                   "motivation": str, "published_at": str},
                                  pk=("student_id", "step"))
    db.table("opinion_items").create({"student_id": str, "step": str, "rank": int, "avis": str},
                               pk=("student_id", "step", "rank"))
    db.table("acknowledgements").create({"student_id": str, "step": str, "guardian_id": str,
                                   "at": str}, pk=("student_id", "step"))
    # What leaves the process, and the trace of every change to a family's file.
    db.table("outbox").create({
        "id": int, "kind": str, "recipient": str, "subject": str, "body": str,
        "dedupe_key": str, "created_at": str, "status": str, "attempts": int,
        "next_attempt_at": str, "last_error": str, "sent_at": str}, pk="id",
        not_null={"kind", "recipient", "body", "status"}, defaults={"status": "pending",
                                                                    "attempts": 0})
    db.table("outbox").create_index(["dedupe_key"], unique=True)
    db.table("outbox").create_index(["status", "next_attempt_at"])
    db.table("audit_log").create({"id": int, "at": str, "account_id": int, "channel": str,
                            "student_id": str, "action": str, "detail": str}, pk="id")
    db.table("audit_log").create_index(["student_id"])


def _reminder_settings(db: Database) -> None:
    # Per-school reminder rules; no row or NULL: the defaults (7, 2, 0 days; 08:00-20:00).
    db.table("reminder_settings").create({"uai": str, "offsets": str, "hours": str}, pk="uai",
                                   foreign_keys=[("uai", "schools")])


def _known_chats(db: Database) -> None:
    # The chat each account last logged in from, kept after the session ends: reminders and
    # notifications reach families there. A chat belongs to the last account that logged in from it.
    db.table("known_chats").create({"channel": str, "address": str, "account_id": int,
                              "last_login_at": str}, pk=("channel", "address"),
                             foreign_keys=[("account_id", "accounts")])
    db.table("known_chats").create_index(["account_id", "last_login_at"])
    db.execute("INSERT INTO known_chats SELECT channel, address, account_id, bound_at FROM bindings")


def _outbox_expiry(db: Database) -> None:
    # A message that must not leave after a moment (a reminder outside the sending hours).
    db.table("outbox").add_column("expires_at", str)


def _step_three(db: Database) -> None:
    # Step 3: the council's proposals, the family's final answers, the decision d'orientation.
    db.table("proposals").create({"student_id": str, "rank": int, "voie": str, "detail": str,
                            "published_at": str}, pk=("student_id", "rank"))
    db.table("proposal_answers").create({"student_id": str, "rank": int, "guardian_id": str,
                                   "agree": int, "at": str}, pk=("student_id", "rank"))
    db.table("decisions").create({"student_id": str, "voie": str, "detail": str, "decided_at": str,
                            "source": str, "published_at": str}, pk="student_id")
    db.table("students").create_index(["uai", "class_name"])


def _staff_console(db: Database) -> None:
    # The school's web console: staff accounts of one school each (log-in names unique across
    # schools), and their sessions; a session's random token is stored only as its SHA-256.
    db.table("staff_accounts").create({
        "id": int, "uai": str, "login": str, "role": str, "password_hash": str,
        "failed_logins": int, "locked_until": str, "created_at": str}, pk="id",
        not_null={"uai", "login", "role", "password_hash"}, defaults={"failed_logins": 0},
        foreign_keys=[("uai", "schools")])
    db.table("staff_accounts").create_index(["login"], unique=True)
    db.table("staff_accounts").create_index(["uai"])
    db.table("staff_sessions").create({"token_hash": str, "staff_id": int, "csrf_token": str,
                                 "created_at": str, "last_seen_at": str}, pk="token_hash",
                                not_null={"staff_id", "csrf_token"},
                                foreign_keys=[("staff_id", "staff_accounts")])
    db.table("staff_sessions").create_index(["staff_id"])


def _sms_channel(db: Database) -> None:
    # The SMS channel, keyed by E.164 number: numbers that sent STOP (no reminders by SMS until
    # START), the account a number stays bound to once its guardian proved who they are, and the
    # day an unknown number (a SHA-256 of it, not the number) last got the neutral answer.
    db.table("sms_opt_outs").create({"number": str, "opted_out_at": str}, pk="number")
    db.table("sms_trusted").create({"number": str, "account_id": int, "trusted_at": str}, pk="number",
                             foreign_keys=[("account_id", "accounts")])
    db.table("sms_trusted").create_index(["account_id"])
    db.table("sms_unknown_replies").create({"number_hash": str, "replied_on": str}, pk="number_hash")


MIGRATIONS: list[Callable[[Database], None]] = [_initial, _reminder_settings, _known_chats,
                                                _outbox_expiry, _step_three, _staff_console,
                                                _sms_channel]


def apply(db: Database) -> int:
    """Bring the schema to the latest version; return the number of migrations applied."""
    current = db.execute("PRAGMA user_version").fetchone()[0]
    if current > len(MIGRATIONS):
        raise RuntimeError(f"database schema version {current} is newer than this program")
    for version, migration in enumerate(MIGRATIONS[current:], start=current + 1):
        with db.atomic():
            migration(db)
            db.execute(f"PRAGMA user_version = {version:d}")
    return len(MIGRATIONS) - current
