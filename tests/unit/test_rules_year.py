"""Steps 2 and 3 as tables of cases: who may enter the choices, answer a proposal, record a
decision; the appeal deadline in working days; what a family must do now."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest

from flows.rules import decisions, requests
from flows.rules.calendar import AVIS, CHOIX, INTENTIONS, REPONSE, Calendar, day_window
from flows.rules.errors import DomainError
from flows.rules.model import (
    AccountKind,
    Decision,
    DecisionSource,
    Intention,
    Proposal,
    ProposalAnswer,
    RequestSet,
    Step,
    Voie,
)
from flows.rules.standing import Progress, pending

TZ = "Europe/Paris"
CAL = Calendar(TZ, {
    INTENTIONS: day_window(INTENTIONS, date(2027, 1, 4), date(2027, 2, 26), TZ),
    AVIS: day_window(AVIS, date(2027, 3, 15), date(2027, 3, 26), TZ),
    CHOIX: day_window(CHOIX, date(2027, 4, 26), date(2027, 5, 21), TZ),
    REPONSE: day_window(REPONSE, date(2027, 6, 7), date(2027, 6, 18), TZ),
})
IN_CHOIX = datetime(2027, 5, 3, 10, tzinfo=UTC)
IN_REPONSE = datetime(2027, 6, 8, 10, tzinfo=UTC)
PUBLISHED = datetime(2027, 6, 7, 8, tzinfo=UTC)
CHOICES = RequestSet("E-1", Step.CHOIX, [Intention(Voie.PRO)], "R-A", IN_CHOIX)
INTENTIONS_SET = RequestSet("E-1", Step.INTENTIONS, [Intention(Voie.GT)], "R-B", IN_CHOIX)
P1 = Proposal("E-1", 1, Voie.PRO, "", PUBLISHED)
P2 = Proposal("E-1", 2, Voie.CAP, "", PUBLISHED)
UNPUBLISHED = Proposal("E-1", 1, Voie.PRO, "", None)
LATER = Proposal("E-1", 1, Voie.PRO, "", IN_REPONSE + timedelta(days=1))


def refused(key: str):
    return pytest.raises(DomainError, match="^" + re.escape(key) + "$")


def no(rank: int, guardian: str = "R-A") -> ProposalAnswer:
    return ProposalAnswer("E-1", rank, guardian, False, IN_REPONSE)


def yes(rank: int, guardian: str = "R-A") -> ProposalAnswer:
    return ProposalAnswer("E-1", rank, guardian, True, IN_REPONSE)


# ---- step 2: the choices follow step 1's rules, in their own window ------------------------------

@pytest.mark.parametrize(("kind", "guardian", "saved", "now", "error"), [
    (AccountKind.GUARDIAN, "R-A", None, IN_CHOIX, None),
    (AccountKind.GUARDIAN, "R-B", CHOICES, IN_CHOIX, "requests.not_editor"),  # the other guardian
    (AccountKind.GUARDIAN, "R-A", CHOICES, IN_CHOIX, None),  # the one who entered modifies
    (AccountKind.STUDENT, None, None, IN_CHOIX, "requests.read_only_student"),
    (AccountKind.GUARDIAN, "R-A", None, datetime(2027, 4, 25, 21, 59, tzinfo=UTC),
     "window.not_yet"),  # 23:59 in Paris the day before it opens
    (AccountKind.GUARDIAN, "R-A", None, datetime(2027, 5, 21, 21, 59, tzinfo=UTC), None),
    (AccountKind.GUARDIAN, "R-A", CHOICES, datetime(2027, 5, 21, 22, 0, tzinfo=UTC),
     "window.closed"),  # midnight in Paris after the last day
    (AccountKind.GUARDIAN, "R-A", None, IN_REPONSE, "window.closed"),
])
def test_who_may_enter_the_choices(kind, guardian, saved, now, error):
    def check():
        requests.check_may_edit(kind, guardian, True, saved, CAL, CHOIX, now)
    if error:
        with refused(error):
            check()
    else:
        check()


def test_the_choices_window_is_not_step_one_s():
    with refused("window.closed"):
        requests.check_may_edit(AccountKind.GUARDIAN, "R-A", True, None, CAL, INTENTIONS, IN_CHOIX)


# ---- step 3: answering the proposals ------------------------------------------------------------

@pytest.mark.parametrize(("case", "kind", "guardian", "editor", "proposals", "answers", "decision",
                          "rank", "now", "error"), [
    ("the editor answers the first", AccountKind.GUARDIAN, "R-A", "R-A", [P1, P2], [], None, 1,
     IN_REPONSE, None),
    ("then the second", AccountKind.GUARDIAN, "R-A", "R-A", [P1, P2], [no(1)], None, 2,
     IN_REPONSE, None),
    ("nobody entered: any guardian", AccountKind.GUARDIAN, "R-B", None, [P1], [], None, 1,
     IN_REPONSE, None),
    ("the other guardian", AccountKind.GUARDIAN, "R-B", "R-A", [P1], [], None, 1, IN_REPONSE,
     "answer.not_editor"),
    ("the student", AccountKind.STUDENT, None, "R-A", [P1], [], None, 1, IN_REPONSE,
     "answer.read_only_student"),
    ("twice", AccountKind.GUARDIAN, "R-A", "R-A", [P1, P2], [no(1)], None, 1, IN_REPONSE,
     "answer.already"),
    ("after agreeing", AccountKind.GUARDIAN, "R-A", "R-A", [P1, P2], [yes(1)], None, 2,
     IN_REPONSE, "answer.already"),
    ("after a decision", AccountKind.GUARDIAN, "R-A", "R-A", [P1], [], Decision(
        "E-1", Voie.GT, "", IN_REPONSE, DecisionSource.HEAD, IN_REPONSE), 1, IN_REPONSE,
     "answer.already"),
    ("before publication", AccountKind.GUARDIAN, "R-A", "R-A", [UNPUBLISHED], [], None, 1,
     IN_REPONSE, "answer.no_proposal"),
    ("published later", AccountKind.GUARDIAN, "R-A", "R-A", [LATER], [], None, 1, IN_REPONSE,
     "answer.no_proposal"),
    ("no proposal", AccountKind.GUARDIAN, "R-A", "R-A", [], [], None, 1, IN_REPONSE,
     "answer.no_proposal"),
    ("out of order", AccountKind.GUARDIAN, "R-A", "R-A", [P1, P2], [], None, 2, IN_REPONSE,
     "answer.no_proposal"),
    ("forged rank", AccountKind.GUARDIAN, "R-A", "R-A", [P1], [], None, 7, IN_REPONSE,
     "answer.no_proposal"),
    ("after the deadline", AccountKind.GUARDIAN, "R-A", "R-A", [P1], [], None, 1,
     datetime(2027, 6, 18, 22, 0, tzinfo=UTC), "answer.closed"),
])
def test_who_may_answer_a_proposal(case, kind, guardian, editor, proposals, answers, decision, rank,
                                   now, error):
    def check():
        return decisions.check_may_answer(kind, guardian, editor, proposals, answers, decision,
                                          rank, CAL, now)
    if error:
        with refused(error):
            check()
    else:
        assert check().rank == rank


def test_the_answerer_is_who_entered_the_choices_else_the_intentions():
    assert decisions.answerer_of(CHOICES, INTENTIONS_SET) == "R-A"
    assert decisions.answerer_of(None, INTENTIONS_SET) == "R-B"
    assert decisions.answerer_of(None, None) is None


def test_agreeing_makes_the_decision_dated_and_refusing_does_not():
    given, decision = decisions.answer(P1, "R-A", True, IN_REPONSE)
    assert given == yes(1)
    assert decision == Decision("E-1", Voie.PRO, "", IN_REPONSE, DecisionSource.FAMILY, IN_REPONSE)
    given, decision = decisions.answer(P2, "R-A", False, IN_REPONSE)
    assert not given.agree and decision is None


@pytest.mark.parametrize(("answers", "next_rank", "disagrees"), [
    ([], 1, False),
    ([no(1)], 2, False),
    ([no(1), no(2)], None, True),
    ([yes(1)], None, False),
    ([no(1), yes(2)], None, False),
])
def test_answers_in_rank_order(answers, next_rank, disagrees):
    target = decisions.next_to_answer([P2, P1], answers, IN_REPONSE)
    assert (target.rank if target else None) == next_rank
    assert decisions.disagrees([P1, P2], answers, IN_REPONSE) is disagrees


# ---- the head's decision -----------------------------------------------------------------------

@pytest.mark.parametrize(("staff", "existing", "answers", "now", "error"), [
    ("0699999Z", None, [no(1)], IN_REPONSE, None),  # after the family refused
    ("0751234A", None, [no(1)], IN_REPONSE, "decision.other_school"),
    ("0699999Z", Decision("E-1", Voie.PRO, "", IN_REPONSE, DecisionSource.FAMILY, IN_REPONSE),
     [yes(1)], IN_REPONSE, "decision.family_agreed"),
    ("0699999Z", None, [], IN_REPONSE, "decision.no_disagreement"),  # the family may still answer
    ("0699999Z", None, [], datetime(2027, 6, 19, 8, tzinfo=UTC), None),  # no answer in time
    ("0699999Z", Decision("E-1", Voie.GT, "", IN_REPONSE, DecisionSource.HEAD, IN_REPONSE),
     [no(1)], IN_REPONSE, None),  # the head corrects their own decision
])
def test_who_may_record_a_decision(staff, existing, answers, now, error):
    def check():
        decisions.check_may_record_decision(staff, "0699999Z", existing, [P1], answers, CAL, now)
    if error:
        with refused(error):
            check()
    else:
        check()


# ---- the appeal: 3 working days ----------------------------------------------------------------

@pytest.mark.parametrize(("decided", "zone", "deadline"), [
    (date(2027, 6, 8), "Europe/Paris", date(2027, 6, 11)),  # Tuesday → Friday
    (date(2027, 6, 10), "Europe/Paris", date(2027, 6, 15)),  # Thursday: the weekend skipped
    (date(2027, 5, 4), "Europe/Paris", date(2027, 5, 10)),  # 6 May is Ascension, 8 May a Saturday
    (date(2027, 7, 12), "Europe/Paris", date(2027, 7, 16)),  # 14 July skipped
    (date(2027, 5, 20), "America/Martinique", date(2027, 5, 25)),  # 22/05 is a Saturday anyway
    (date(2027, 12, 17), "Indian/Reunion", date(2027, 12, 23)),  # 20 December: abolition
    (date(2027, 12, 17), "Europe/Paris", date(2027, 12, 22)),  # ... a working day in Paris
    (date(2028, 5, 19), "America/Martinique", date(2028, 5, 26)),  # 22 May abolition, 25 Ascension
    (date(2028, 5, 19), "Europe/Paris", date(2028, 5, 24)),
])
def test_appeal_deadline_in_working_days(decided, zone, deadline):
    calendar = Calendar(zone, {})
    moment = datetime.combine(decided, datetime.min.time(), calendar.tz) + timedelta(hours=11)
    decision = Decision("E-1", Voie.GT, "", moment, DecisionSource.HEAD, moment)
    assert decisions.appeal_deadline(decision, calendar) == deadline


def test_only_a_head_s_decision_may_be_appealed():
    decision = Decision("E-1", Voie.PRO, "", IN_REPONSE, DecisionSource.FAMILY, IN_REPONSE)
    assert decisions.appeal_deadline(decision, CAL) is None


# ---- what a family must do now -----------------------------------------------------------------

@pytest.mark.parametrize(("progress", "now", "action"), [
    (Progress(), datetime(2027, 2, 1, tzinfo=UTC), "intentions"),
    (Progress(intentions=True), datetime(2027, 2, 1, tzinfo=UTC), None),
    (Progress(intentions=True), datetime(2027, 3, 16, tzinfo=UTC), None),  # opinion not published
    (Progress(intentions=True, opinion=True), datetime(2027, 3, 16, tzinfo=UTC), "avis"),
    (Progress(intentions=True, opinion=True, acknowledged=True), datetime(2027, 3, 16, tzinfo=UTC),
     None),
    (Progress(), datetime(2027, 4, 1, tzinfo=UTC), None),  # councils sit: read-only
    (Progress(), IN_CHOIX, "choix"),
    (Progress(choix=True), IN_CHOIX, None),
    (Progress(choix=True, proposals=True), IN_REPONSE, "reponse"),
    (Progress(choix=True, proposals=True, answered=True), IN_REPONSE, None),
    (Progress(choix=True, proposals=True, decided=True), IN_REPONSE, None),
    (Progress(), datetime(2027, 7, 1, tzinfo=UTC), None),  # the campaign is over
])
def test_what_is_due_now(progress, now, action):
    due = pending(progress, CAL, now)
    assert (due.action if due else None) == action
    if due:
        assert due.deadline == CAL.window({"intentions": INTENTIONS, "avis": AVIS, "choix": CHOIX,
                                           "reponse": REPONSE}[action]).closes
