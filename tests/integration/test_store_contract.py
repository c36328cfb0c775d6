"""What every implementation of `flows.ports.Store` must do: SQLite on a real file and the
in-memory store run the same tests (a PostgreSQL store would join the parameters)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from bot.runtime import demo
from flows.ports import Store
from flows.rules.calendar import Window
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
from flows.rules.reminders import Rules
from storage import SqliteStore
from storage.memory import MemoryStore

from ..support import light_hasher

NOW = datetime(2026, 11, 29, 10, 0, tzinfo=UTC)
SCHOOL = School("0690001A", "Collège A", "04 72 00 00 10", "a@example.org")
OTHER = School("0690002B", "Collège B", "04 72 00 00 20", "b@example.org", "America/Martinique")


def _student(sid: str, born: date, class_name: str = "3e A", nom: str = "Durand",
             uai: str = SCHOOL.uai) -> Student:
    return Student(sid, nom, f"P-{sid}", born, uai, class_name, "3e")


LEA = _student("S-LEA", date(2012, 3, 1))
TOM = _student("S-TOM", date(2011, 3, 1), nom="Abel")
ZOE = _student("S-ZOE", date(2012, 3, 1), class_name="3e B", uai=OTHER.uai)
ANNE = Guardian("G-ANNE", "Durand", "Anne", "+33611111111", "anne@example.org")
BOB = Guardian("G-BOB", "Durand", "Bob", "+33622222222", None)


@pytest.fixture(params=["sqlite", "memory"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    made: Store = (SqliteStore(tmp_path / "contract.sqlite3", synchronous="OFF")
                   if request.param == "sqlite" else MemoryStore())
    yield made
    made.close()


@pytest.fixture
def base(store: Store) -> Store:
    with store.transaction():
        for school in (SCHOOL, OTHER):
            store.put_school(school)
        for student in (LEA, TOM, ZOE):
            store.put_student(student)
        store.put_guardian(ANNE, [LEA.id, TOM.id])
        store.put_guardian(BOB, [LEA.id])
    return store


def _account(store: Store, identifier: str = "a.durand1", person: str = ANNE.id) -> Account:
    return store.save_account(Account(None, identifier, AccountKind.GUARDIAN, person,
                                      status="active", password_hash="h"))


# ---- unit of work --------------------------------------------------------------------------------

def test_a_failed_transaction_leaves_nothing(base: Store) -> None:
    with pytest.raises(RuntimeError), base.transaction():
        base.enqueue(OutMessage("sms", "+33600000000", "x", dedupe_key="k"), NOW)
        base.bind("test", "chat", _account(base).id or 0, NOW)
        raise RuntimeError("boom")
    assert base.outbox() == []
    assert base.account_by_identifier("a.durand1") is None
    assert base.bound_account("test", "chat") is None


def test_a_failed_nested_transaction_undoes_only_its_own_part(base: Store) -> None:
    with base.transaction():
        base.enqueue(OutMessage("sms", "+33600000000", "outer"), NOW)
        with pytest.raises(RuntimeError), base.transaction():
            base.enqueue(OutMessage("sms", "+33600000000", "inner"), NOW)
            raise RuntimeError("boom")
    assert [m["body"] for m in base.outbox()] == ["outer"]


# ---- school base ---------------------------------------------------------------------------------

def test_school_base_reads_in_their_order(base: Store) -> None:
    assert base.school(SCHOOL.uai) == SCHOOL and base.school("nope") is None
    assert base.student(LEA.id) == LEA and base.guardian(BOB.id) == BOB
    assert base.children_of(ANNE.id) == [TOM, LEA]  # by birth date
    assert base.guardians_of(LEA.id) == [ANNE, BOB]
    assert base.guardians_by_mobile("+33622222222") == [BOB]
    assert base.students_of_class(SCHOOL.uai, "3e A") == [TOM, LEA]  # by name
    assert base.guardian_has_child_in(ANNE.id, SCHOOL.uai)
    assert not base.guardian_has_child_in(ANNE.id, OTHER.uai)


def test_put_is_an_upsert_and_links_are_only_added(base: Store) -> None:
    renamed = School(SCHOOL.uai, "Collège A bis", SCHOOL.phone, SCHOOL.email)
    base.put_school(renamed)
    base.put_guardian(BOB, [TOM.id])
    assert base.school(SCHOOL.uai) == renamed
    assert base.children_of(BOB.id) == [TOM, LEA]


def test_a_flagged_link_hides_the_child(base: Store) -> None:
    base.flag_link(ANNE.id, TOM.id, NOW)
    base.flag_link(ANNE.id, TOM.id, NOW + timedelta(days=1))
    assert base.flagged_links(ANNE.id) == {TOM.id}
    assert base.visible_children(ANNE.id) == [LEA]
    assert base.children_of(ANNE.id) == [TOM, LEA]


def test_calendar_windows_and_time_zone(base: Store) -> None:
    window = Window("intentions", NOW, NOW + timedelta(days=7))
    base.put_window(OTHER.uai, window)
    base.put_window(OTHER.uai, Window("avis", NOW + timedelta(days=8), NOW + timedelta(days=9)))
    base.delete_window(OTHER.uai, "avis")
    calendar = base.calendar(OTHER.uai)
    assert calendar.timezone == "America/Martinique"
    assert calendar.windows == {"intentions": window}
    assert base.calendar("0000000X").timezone == "Europe/Paris"
    assert base.calendar(SCHOOL.uai).windows == {}


# ---- accounts, bindings, codes -------------------------------------------------------------------

def test_accounts_are_saved_found_and_updated(base: Store) -> None:
    account = _account(base)
    assert account.id is not None
    assert base.account(account.id) == account
    assert base.account_of(AccountKind.GUARDIAN, ANNE.id) == account
    _account(base, "a.durand2", BOB.id)
    assert base.identifiers_like("a.durand") == {"a.durand1", "a.durand2"}
    account.failed_logins, account.locked_until = 2, NOW
    base.save_account(account)
    assert base.account_by_identifier("a.durand1") == account


def test_bindings_and_the_chat_last_logged_in_from(base: Store) -> None:
    account_id = _account(base).id or 0
    base.bind("telegram", "1", account_id, NOW)
    base.bind("sms", "+33611111111", account_id, NOW + timedelta(minutes=1))
    assert base.bound_account("telegram", "1") == account_id
    assert base.bindings_of(account_id) == [("sms", "+33611111111"), ("telegram", "1")]
    base.unbind("sms", "+33611111111")
    assert base.bindings_of(account_id) == [("telegram", "1")]
    assert base.latest_chat(account_id) == ("sms", "+33611111111")  # kept after the session
    base.forget_known_chat("sms", "+33611111111")
    assert base.latest_chat(account_id) == ("telegram", "1")


def test_a_deleted_activation_code_keeps_its_counters(base: Store) -> None:
    code = ActivationCode(ANNE.id, "hash", NOW, 1, NOW, 2, NOW.date())
    base.save_activation_code(code)
    assert base.activation_code(ANNE.id) == code
    base.delete_activation_code(ANNE.id)
    kept = base.activation_code(ANNE.id)
    assert kept is not None and kept.code_hash == "" and kept.sends_today == 2


# ---- conversations and inbound de-duplication ----------------------------------------------------

def test_conversations_round_trip_and_idle_ones(base: Store) -> None:
    base.save_conversation(Conversation("test", "a", "menu", {"seq": 3, "x": ["é"]}, NOW))
    base.save_conversation(Conversation("test", "a", "home", {"seq": 4}, NOW))
    base.save_conversation(Conversation("test", "b", "menu", {}, NOW - timedelta(hours=1)))
    assert base.conversation("test", "a") == Conversation("test", "a", "home", {"seq": 4}, NOW)
    assert base.conversation("test", "nobody") is None
    assert base.idle_conversations(NOW) == []  # b is not bound
    base.bind("test", "b", _account(base).id or 0, NOW)
    assert [c.address for c in base.idle_conversations(NOW)] == ["b"]


def test_an_inbound_message_is_delivered_once(store: Store) -> None:
    assert store.first_delivery("telegram", "41", NOW)
    assert not store.first_delivery("telegram", "41", NOW)
    assert store.first_delivery("sms", "41", NOW)


# ---- requests, opinions, step 3 ------------------------------------------------------------------

def _requests(editor: str, *voies: Voie) -> RequestSet:
    return RequestSet(LEA.id, Step.INTENTIONS, [Intention(v, "m", True) for v in voies], editor,
                      NOW)


def test_requests_have_one_editor(base: Store) -> None:
    base.save_requests(_requests(ANNE.id, Voie.CAP, Voie.GT))
    base.save_requests(_requests(ANNE.id, Voie.PRO))
    assert base.requests(LEA.id, Step.INTENTIONS) == _requests(ANNE.id, Voie.PRO)
    assert base.requests(LEA.id, Step.CHOIX) is None
    with pytest.raises(DomainError) as refused:
        base.save_requests(_requests(BOB.id, Voie.GT))
    assert refused.value.key == "requests.not_editor"


def test_opinions_acknowledgements_and_their_dates(base: Store) -> None:
    first = CouncilOpinion(LEA.id, Step.INTENTIONS, (Avis.FAVORABLE, Avis.RESERVE), Voie.GT,
                           "m", None)
    second = CouncilOpinion(LEA.id, Step.INTENTIONS, (Avis.RESERVE,), None, "", NOW)
    base.save_opinion(first)
    base.save_opinion(second)
    assert base.opinion(LEA.id, Step.INTENTIONS) == second
    ack = Acknowledgement(LEA.id, Step.INTENTIONS, ANNE.id, NOW)
    base.save_acknowledgement(ack)
    assert base.acknowledgement(LEA.id, Step.INTENTIONS) == ack
    assert base.acknowledgement_dates(SCHOOL.uai) == {LEA.id: NOW}
    assert base.acknowledgement_dates(OTHER.uai) == {}


def test_proposals_are_replaced_and_answers_are_final(base: Store) -> None:
    base.save_proposals(LEA.id, [Proposal(LEA.id, 1, Voie.GT)])
    proposals = [Proposal(LEA.id, 2, Voie.CAP, "d", NOW), Proposal(LEA.id, 1, Voie.PRO, "", NOW)]
    base.save_proposals(LEA.id, proposals)
    assert base.proposals(LEA.id) == sorted(proposals, key=lambda p: p.rank)
    second = ProposalAnswer(LEA.id, 2, ANNE.id, True, NOW)
    first = ProposalAnswer(LEA.id, 1, ANNE.id, False, NOW)
    base.save_answer(second)
    base.save_answer(first)
    assert base.answers(LEA.id) == [first, second]
    with pytest.raises(DomainError) as refused:
        base.save_answer(ProposalAnswer(LEA.id, 1, ANNE.id, True, NOW))
    assert refused.value.key == "answer.already"
    decision = Decision(LEA.id, Voie.CAP, "", NOW, DecisionSource.FAMILY)
    base.save_decision(decision)
    base.save_decision(decision)
    assert base.decision(LEA.id) == decision


def test_a_students_file_holds_what_each_read_gives(base: Store) -> None:
    assert base.student_file(LEA.id).requests == {}
    base.save_requests(_requests(ANNE.id, Voie.CAP, Voie.GT))
    base.save_opinion(CouncilOpinion(LEA.id, Step.INTENTIONS, (Avis.FAVORABLE,), None, "", NOW))
    base.save_acknowledgement(Acknowledgement(LEA.id, Step.INTENTIONS, ANNE.id, NOW))
    base.save_proposals(LEA.id, [Proposal(LEA.id, 1, Voie.GT, "", NOW)])
    base.save_answer(ProposalAnswer(LEA.id, 1, ANNE.id, True, NOW))
    base.save_decision(Decision(LEA.id, Voie.GT, "x", NOW, DecisionSource.HEAD, NOW))
    file = base.student_file(LEA.id)
    assert file.requests == {Step.INTENTIONS: base.requests(LEA.id, Step.INTENTIONS)}
    assert file.opinions == {Step.INTENTIONS: base.opinion(LEA.id, Step.INTENTIONS)}
    assert file.acknowledgements == {
        Step.INTENTIONS: base.acknowledgement(LEA.id, Step.INTENTIONS)}
    assert file.proposals == base.proposals(LEA.id)
    assert file.answers == base.answers(LEA.id)
    assert file.decision == base.decision(LEA.id)


# ---- outbox and audit ----------------------------------------------------------------------------

def test_the_outbox_keeps_order_keys_and_states(store: Store) -> None:
    later = NOW + timedelta(minutes=5)
    store.enqueue(OutMessage("sms", "+33600000001", "one", dedupe_key="k1"), NOW)
    store.enqueue(OutMessage("sms", "+33600000001", "again", dedupe_key="k1"), NOW)
    store.enqueue(OutMessage("email", "a@example.org", "two", "S"), later)
    store.enqueue(OutMessage("push", "test:1", "three", expires_at=later), NOW)
    rows = store.outbox()
    assert [r["body"] for r in rows] == ["one", "two", "three"]
    assert [r["status"] for r in rows] == ["pending"] * 3
    assert [r["body"] for r in store.due_messages(NOW)] == ["one", "three"]
    one, two, three = (r["id"] for r in rows)
    store.mark_sent(one, NOW)
    store.retry_later(three, later + timedelta(minutes=1), "timeout")
    assert [r["body"] for r in store.due_messages(later)] == ["two"]
    store.set_aside(two, "refused")
    by_body = {r["body"]: r for r in store.outbox()}
    assert (by_body["one"]["status"], by_body["one"]["attempts"]) == ("sent", 1)
    assert (by_body["two"]["status"], by_body["two"]["last_error"]) == ("failed", "refused")
    assert (by_body["three"]["status"], by_body["three"]["attempts"]) == ("pending", 1)
    assert [r["body"] for r in store.pending_messages()] == ["three"]
    assert store.already_queued(["k1", "k2"]) == {"k1"}


def test_audit_entries_by_student(store: Store) -> None:
    store.audit(NOW, None, "test", "S-1", "validate", {"voies": ["cap"], "é": 1})
    store.audit(NOW, 3, "test", None, "login", {})
    assert [e["action"] for e in store.audit_entries()] == ["validate", "login"]
    (entry,) = store.audit_entries("S-1")
    assert entry["detail"] == '{"voies":["cap"],"é":1}'


# ---- staff, SMS numbers --------------------------------------------------------------------------

def test_staff_accounts_and_sessions(base: Store) -> None:
    staff_id = base.add_staff(SCHOOL.uai, "head.a", "head", "h", NOW)
    base.add_staff(SCHOOL.uai, "deputy.a", "deputy", "h", NOW)
    assert [s["login"] for s in base.staff_of_school(SCHOOL.uai)] == ["deputy.a", "head.a"]
    member = base.staff_by_login("head.a")
    assert member is not None and member["id"] == staff_id
    base.set_staff_login_state(staff_id, 5, NOW)
    member = base.staff_member(staff_id)
    assert member is not None and member["failed_logins"] == 5
    base.add_staff_session("t1", staff_id, "csrf", NOW)
    base.add_staff_session("t2", staff_id, "csrf", NOW)
    base.touch_staff_session("t2", NOW + timedelta(hours=1))
    session = base.staff_session("t1")
    assert session is not None and (session["uai"], session["role"]) == (SCHOOL.uai, "head")
    base.delete_staff_sessions_idle_since(NOW + timedelta(minutes=1))
    assert base.staff_session("t1") is None and base.staff_session("t2") is not None
    base.delete_staff_session("t2")
    assert base.staff_session("t2") is None


def test_reminder_settings_per_school(base: Store) -> None:
    assert base.reminder_settings_of(SCHOOL.uai) is None
    base.put_reminder_settings(SCHOOL.uai, "7,1", None)
    base.put_reminder_settings(SCHOOL.uai, "3", "09:00-18:00")
    assert base.reminder_settings_of(SCHOOL.uai) == {"offsets": "3", "hours": "09:00-18:00"}
    rules = base.reminder_rules()
    assert rules.default == Rules() and set(rules.schools) == {SCHOOL.uai}


def test_sms_numbers(base: Store) -> None:
    account_id = _account(base).id or 0
    base.sms_opt_out("+33611111111", NOW)
    base.sms_opt_out("+33611111111", NOW)
    assert base.sms_opted_out("+33611111111")
    assert base.sms_opted_out_numbers() == {"+33611111111"}
    assert base.sms_opt_in("+33611111111") and not base.sms_opt_in("+33611111111")
    base.sms_trust("+33611111111", account_id, NOW)
    assert base.sms_trusted_account("+33611111111") == account_id
    base.sms_untrust("+33611111111")
    assert base.sms_trusted_account("+33611111111") is None
    assert base.sms_unknown_reply_due("hash", NOW.date())
    assert not base.sms_unknown_reply_due("hash", NOW.date())
    assert base.sms_unknown_reply_due("hash", NOW.date() + timedelta(days=1))


# ---- read models on the demo base ----------------------------------------------------------------

def test_reminder_read_models_on_the_demo_base(store: Store) -> None:
    demo.load(store, light_hasher(), NOW)
    uais = [uai for uai, _ in store.reminder_schools()]
    assert ("9720999X", "America/Martinique") in store.reminder_schools()
    assert set(store.reminder_windows("intentions")) <= set(uais)
    pending = sorted(store.intention_candidates(uais))
    assert pending and all(c.published_at is None for c in pending)
    student = pending[0].student_id
    guardian = pending[0].guardian_id
    store.save_requests(RequestSet(student, Step.INTENTIONS, [Intention(Voie.GT)], guardian, NOW))
    assert student not in {c.student_id for c in store.intention_candidates(uais)}
    store.save_opinion(CouncilOpinion(student, Step.INTENTIONS, (Avis.FAVORABLE,), None, "", NOW))
    (acks,) = {(c.student_id, c.published_at, c.editor_guardian_id)
               for c in store.acknowledgement_candidates(uais)}
    assert acks == (student, NOW.isoformat(), guardian)
    store.save_proposals(student, [Proposal(student, 1, Voie.GT, "", NOW)])
    assert {c.student_id for c in store.answer_candidates(uais)} == {student}
    store.save_answer(ProposalAnswer(student, 1, guardian, True, NOW))
    assert store.answer_candidates(uais) == []
    account = store.account_of(AccountKind.GUARDIAN, guardian) or _account(store, "x.demo",
                                                                           guardian)
    account.status = "active"
    store.save_account(account)
    store.bind("telegram", "9", account.id or 0, NOW)
    assert store.latest_chats() == {guardian: ("telegram", "9")}


def test_the_follow_up_rows_of_a_school(base: Store) -> None:
    # a pupil of another level is not concerned
    base.put_student(Student("S-CM1", "Durand", "P-CM1", date(2016, 3, 1), SCHOOL.uai, "CM1", "CM1"))
    base.save_requests(_requests(ANNE.id, Voie.CAP, Voie.GT))
    base.save_opinion(CouncilOpinion(LEA.id, Step.INTENTIONS, (Avis.FAVORABLE, Avis.RESERVE),
                                     Voie.GT, "m", NOW))
    base.save_acknowledgement(Acknowledgement(LEA.id, Step.INTENTIONS, ANNE.id, NOW))
    base.save_proposals(TOM.id, [Proposal(TOM.id, 1, Voie.PRO, "", None)])
    assert base.class_names(SCHOOL.uai, "3e") == ["3e A"]
    rows = base.followup_rows(SCHOOL.uai, None, "3e")
    assert [row.student_id for row in rows] == [TOM.id, LEA.id]  # class, then name order
    tom, lea = rows
    assert lea.intentions == ("cap", "gt") and lea.choix == ()
    assert lea.opinion_recorded and lea.opinion_published_at == NOW and lea.acknowledged_at == NOW
    assert not tom.opinion_recorded and tom.proposals == (Proposal(TOM.id, 1, Voie.PRO, "", None),)
    assert base.followup_rows(SCHOOL.uai, "3e B", "3e") == []
    assert base.followup_rows(OTHER.uai, None, "3e")[0].student_id == ZOE.id


def test_the_base_import_rows_are_read_and_written_whole(base: Store) -> None:
    rows = base.base_rows(["students", "guardians"])
    assert rows["students"][LEA.id] == (LEA.id, "Durand", "P-S-LEA", "2012-03-01", SCHOOL.uai,
                                        "3e A", "3e")
    assert rows["guardians"][BOB.id] == (BOB.id, "Durand", "Bob", "+33622222222", None)
    base.write_base_rows("students", [(LEA.id, "Durand", "Léa", "2012-03-01", SCHOOL.uai, "3e B",
                                       "3e")])
    assert base.student(LEA.id) == Student(LEA.id, "Durand", "Léa", date(2012, 3, 1), SCHOOL.uai,
                                           "3e B", "3e")
    base.add_guardian_links([(BOB.id, TOM.id), (ANNE.id, LEA.id)])  # the second is already there
    assert base.guardian_link_pairs() == {(ANNE.id, LEA.id), (ANNE.id, TOM.id), (BOB.id, LEA.id),
                                          (BOB.id, TOM.id)}
