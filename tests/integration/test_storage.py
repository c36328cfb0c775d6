"""Storage on a real SQLite file: migrations, re-opening, transactions, and each part of the contract."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta

import pytest

from flows.rules.errors import DomainError
from flows.rules.model import (
    Account,
    AccountKind,
    Acknowledgement,
    Avis,
    Conversation,
    CouncilOpinion,
    Intention,
    OutMessage,
    RequestSet,
    Step,
    Voie,
)
from storage import SqliteStore, StorageError
from storage.migrations import MIGRATIONS

NOW = datetime(2026, 11, 29, 10, 0, tzinfo=UTC)


def test_migrations_from_an_empty_file_and_reopening(tmp_path):
    path = tmp_path / "new.sqlite3"
    store = SqliteStore(path)
    assert store.conn.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
    assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    tables = set(store.db.table_names())
    assert {"schools", "students", "guardians", "accounts", "bindings", "conversations",
            "activation_codes", "request_sets", "request_items", "council_opinions",
            "acknowledgements", "outbox", "audit_log"} <= tables
    with store.transaction():
        store.save_conversation(Conversation("t", "1", "menu", {"k": "é"}, NOW))
    store.close()

    again = SqliteStore(path)  # re-opening applies nothing and keeps the data
    assert again.conn.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
    conv = again.conversation("t", "1")
    assert (conv.state, conv.data, conv.updated_at) == ("menu", {"k": "é"}, NOW)
    again.close()


def test_a_newer_schema_is_refused(tmp_path):
    path = tmp_path / "future.sqlite3"
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    conn.close()
    with pytest.raises(RuntimeError, match="newer than this program"):
        SqliteStore(path)


def test_unwritable_path_is_one_clear_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(StorageError, match="cannot use database file"):
        SqliteStore(blocker / "sub" / "db.sqlite3")


def test_synchronous_mode_is_applied(tmp_path):
    store = SqliteStore(tmp_path / "n.sqlite3", synchronous="NORMAL")
    assert store.conn.execute("PRAGMA synchronous").fetchone()[0] == 1
    with pytest.raises(StorageError):
        SqliteStore(tmp_path / "x.sqlite3", synchronous="SOMETIMES")


def test_transaction_rolls_back_everything_on_error(store):
    with pytest.raises(ZeroDivisionError), store.transaction():
        store.save_conversation(Conversation("t", "1", "menu", {}, NOW))
        store.enqueue(OutMessage("sms", "+33612345678", "x"), NOW)
        1 / 0  # noqa: B018
    assert store.conversation("t", "1") is None
    assert store.outbox() == []


def test_nested_transaction_joins_the_outer_one(store):
    with pytest.raises(ValueError), store.transaction():
        with store.transaction():
            store.save_conversation(Conversation("t", "1", "menu", {}, NOW))
        raise ValueError
    assert store.conversation("t", "1") is None


def test_school_base_queries(store):
    assert [s.prenom for s in store.children_of("R-CLAIRE")] == ["Lucas", "Emma"]
    assert [g.prenom for g in store.guardians_of("E-LUCAS")] == ["Claire", "Karim"]
    assert [g.id for g in store.guardians_by_mobile("+33612345678")] == ["R-CLAIRE"]
    assert store.school("0699999Z").phone == "04 72 00 00 00"
    assert store.calendar("9720999X").timezone == "America/Martinique"
    with store.transaction():
        store.flag_link("R-CLAIRE", "E-EMMA", NOW)
        store.flag_link("R-CLAIRE", "E-EMMA", NOW)  # idempotent
    assert store.flagged_links("R-CLAIRE") == {"E-EMMA"}


def test_accounts_identifiers_are_unique(store):
    with store.transaction():
        account = store.save_account(Account(None, "c.martin1", AccountKind.GUARDIAN, "R-CLAIRE"))
    assert store.account_by_identifier("c.martin1").id == account.id
    assert store.identifiers_like("c.martin") == {"c.martin1"}
    assert store.identifiers_like("c_martin") == set()  # LIKE wildcards are escaped
    with pytest.raises(sqlite3.IntegrityError), store.transaction():
        store.save_account(Account(None, "c.martin1", AccountKind.GUARDIAN, "R-KARIM"))


def test_bindings(store):
    with store.transaction():
        account = store.save_account(Account(None, "c.martin1", AccountKind.GUARDIAN, "R-CLAIRE"))
        store.bind("telegram", "42", account.id, NOW)
        store.bind("terminal", "local", account.id, NOW)
    assert store.bound_account("telegram", "42") == account.id
    assert store.bindings_of(account.id) == [("telegram", "42"), ("terminal", "local")]
    with store.transaction():
        store.unbind("telegram", "42")
    assert store.bound_account("telegram", "42") is None


def test_requests_keep_their_rank_and_editor_and_the_single_editor_rule(store):
    items = [Intention(Voie.CAP, "Ebéniste", scolaire=True),
             Intention(Voie.PRO, "Menuisier, charpentier", scolaire=True, apprenti=True)]
    with store.transaction():
        store.save_requests(RequestSet("E-LUCAS", Step.INTENTIONS, items, "R-CLAIRE", NOW))
    saved = store.requests("E-LUCAS", Step.INTENTIONS)
    assert (saved.items, saved.editor_guardian_id, saved.validated_at) == (items, "R-CLAIRE", NOW)
    with store.transaction():  # the editor shortens the list
        store.save_requests(RequestSet("E-LUCAS", Step.INTENTIONS, items[1:], "R-CLAIRE", NOW))
    assert store.requests("E-LUCAS", Step.INTENTIONS).items == items[1:]
    with pytest.raises(DomainError, match="requests.not_editor"), store.transaction():
        store.save_requests(RequestSet("E-LUCAS", Step.INTENTIONS, items, "R-KARIM", NOW))
    assert store.requests("E-LUCAS", Step.INTENTIONS).items == items[1:]
    assert store.requests("E-LUCAS", Step.CHOIX) is None


def test_opinions_and_acknowledgements(store):
    opinion = CouncilOpinion("E-LUCAS", Step.INTENTIONS, (Avis.FAVORABLE, Avis.RESERVE), None,
                             "Sans objet.", NOW)
    with store.transaction():
        store.save_opinion(opinion)
        store.save_acknowledgement(Acknowledgement("E-LUCAS", Step.INTENTIONS, "R-CLAIRE", NOW))
    assert store.opinion("E-LUCAS", Step.INTENTIONS) == opinion
    assert store.acknowledgement("E-LUCAS", Step.INTENTIONS).guardian_id == "R-CLAIRE"
    with pytest.raises(sqlite3.IntegrityError), store.transaction():  # once only
        store.save_acknowledgement(Acknowledgement("E-LUCAS", Step.INTENTIONS, "R-KARIM", NOW))


def test_outbox_deduplicates_by_key_and_marks_sent(store):
    with store.transaction():
        store.enqueue(OutMessage("email", "a@example.org", "corps", "objet", "k1"), NOW)
        store.enqueue(OutMessage("email", "a@example.org", "corps", "objet", "k1"), NOW)
        store.enqueue(OutMessage("sms", "+33612345678", "code"), NOW)
        store.enqueue(OutMessage("sms", "+33612345678", "code"), NOW)  # no key: both kept
    pending = store.pending_messages()
    assert [m["kind"] for m in pending] == ["email", "sms", "sms"]
    with store.transaction():
        store.mark_sent(pending[0]["id"], NOW + timedelta(seconds=1))
    assert len(store.pending_messages()) == 2
    assert store.outbox()[0]["status"] == "sent"


def test_inbound_redelivery_is_recognised(store):
    with store.transaction():
        assert store.first_delivery("telegram", "update-1", NOW)
        assert not store.first_delivery("telegram", "update-1", NOW)
        assert store.first_delivery("sms", "update-1", NOW)


def test_audit_log_keeps_who_what_when_and_channel(store):
    with store.transaction():
        store.audit(NOW, 7, "terminal", "E-LUCAS", "requests_validated", {"voie": "cap"})
    entry = store.audit_entries("E-LUCAS")[0]
    assert (entry["account_id"], entry["channel"], entry["action"]) == (
        7, "terminal", "requests_validated")
    assert entry["detail"] == '{"voie":"cap"}'


def test_idle_conversations_are_the_bound_ones_not_updated_since(store):
    with store.transaction():
        account = store.save_account(Account(None, "c.martin1", AccountKind.GUARDIAN, "R-CLAIRE"))
        store.bind("t", "bound", account.id, NOW)
        store.save_conversation(Conversation("t", "bound", "menu", {}, NOW))
        store.save_conversation(Conversation("t", "anonymous", "welcome", {}, NOW))
    idle = store.idle_conversations(NOW + timedelta(minutes=31))
    assert [(c.channel, c.address) for c in idle] == [("t", "bound")]
    assert store.idle_conversations(NOW) == []
