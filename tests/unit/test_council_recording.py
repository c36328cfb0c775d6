"""The council's recording rules (`flows.rules.council`, `flows.rules.decisions`) and their words
for the console (French) and the command line (English): tables of cases, no I/O."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from flows.rules import council, decisions
from flows.rules.errors import DomainError
from flows.rules.model import (
    Acknowledgement,
    Decision,
    DecisionSource,
    Intention,
    ProposalAnswer,
    RequestSet,
    Step,
    Student,
    Voie,
)
from flows.school.refusals import Problem, Refused
from flows.school.texts import console_text, operator_catalogue, operator_text
from flows.texts import has

NOW = datetime(2027, 2, 20, 9, 0, tzinfo=UTC)
LUCAS = Student("E-LUCAS", "Martin", "Lucas", date(2012, 5, 14), "0699999Z", "3e B", "3e")


def _requests(count: int) -> RequestSet:
    items = [Intention(Voie.GT) for _ in range(count)]
    return RequestSet("E-LUCAS", Step.INTENTIONS, items, "R-CLAIRE", NOW)


def _key(call) -> str | None:
    try:
        call()
    except DomainError as error:
        return error.key
    return None


@pytest.mark.parametrize(("avis", "saved", "ack", "key"), [
    (2, _requests(2), None, None),
    (1, _requests(2), None, "council.avis_count"),
    (3, None, None, None),  # nothing validated: 1 to 3 avis
    (0, None, None, "council.avis_range"),
    (4, None, None, "council.avis_range"),
    (1, _requests(1), Acknowledgement("E-LUCAS", Step.INTENTIONS, "R-CLAIRE", NOW),
     "council.acknowledged"),
])
def test_one_avis_per_validated_intention_and_none_after_acknowledgement(avis, saved, ack, key):
    assert _key(lambda: council.check_may_record_opinion("E-LUCAS", avis, saved, ack)) == key


@pytest.mark.parametrize(("voies", "key", "rank"), [
    ([Voie.PRO], None, None),
    ([Voie.PRO, Voie.CAP, Voie.GT], None, None),
    ([], "council.no_proposal", None),
    ([Voie.PRO, Voie.CAP, Voie.GT, Voie.PRO], "council.too_many_proposals", None),
    ([Voie.PRO, Voie.CAP, Voie.PRO], "council.voie_twice", 3),
])
def test_one_to_three_proposals_each_voie_once(voies, key, rank):
    try:
        decisions.check_proposals(voies)
    except DomainError as error:
        assert (error.key, error.params.get("rank")) == (key, rank)
    else:
        assert key is None


@pytest.mark.parametrize(("answers", "decision", "key"), [
    ([], None, None),
    ([ProposalAnswer("E-LUCAS", 1, "R-CLAIRE", False, NOW)], None, "council.answered"),
    ([], Decision("E-LUCAS", Voie.GT, "", NOW, DecisionSource.HEAD, NOW), "council.answered"),
])
def test_proposals_change_until_the_family_answers(answers, decision, key):
    assert _key(lambda: decisions.check_may_record_proposals("E-LUCAS", answers, decision)) == key


@pytest.mark.parametrize(("text", "rank", "expected"), [
    ("  Ébéniste \n en  apprentissage ", 1, "Ébéniste en apprentissage"),
    ("x" * 100, 2, "x" * 100),
    ("x" * 101, 2, "council.detail_too_long"),
    ("x" * 101, None, "decision.detail_too_long"),
    ("a\u200bb", 1, "council.control_characters"),
])
def test_a_detail_is_one_clean_line_of_100_characters(text, rank, expected):
    try:
        assert council.detail(text, rank) == expected
    except DomainError as error:
        assert error.key == expected


@pytest.mark.parametrize(("student", "school", "key"), [
    (LUCAS, None, None),
    (LUCAS, "0699999Z", None),
    (LUCAS, "9720999X", "council.unknown_student_here"),  # another school's: as if unknown
    (None, None, "council.unknown_student"),
])
def test_a_student_of_another_school_is_unknown(student, school, key):
    assert _key(lambda: council.check_student_of(student, "E-LUCAS", school)) == key


@pytest.mark.parametrize(("published_at", "expected"), [
    (None, False), (NOW, True), (datetime(2027, 2, 21, tzinfo=UTC), False)])
def test_published_from_the_publication_on(published_at, expected):
    assert council.is_published(published_at, NOW) is expected


def test_every_refusal_has_words_for_the_operator_and_the_console():
    for key in operator_catalogue():
        assert has(key), key
    error = DomainError("council.voie_twice", rank=2)
    assert console_text(error) == "La voie de la proposition 2 est déjà proposée."
    assert operator_text(error) == "a voie is proposed twice"
    agreed = DomainError("decision.family_agreed", student_id="E-LUCAS")
    assert console_text(agreed).startswith("La famille a accepté une proposition")  # staff words
    assert operator_text(agreed) == ("E-LUCAS: the family agreed with a proposal; that is the "
                                     "decision")


def test_a_refusal_lists_every_problem_with_its_line():
    refused = Refused([Problem(DomainError("input.not_avis", raw="bof"), line=3),
                       DomainError("council.avis_range")])
    assert str(refused).splitlines() == ["line 3: 'bof' is not an avis (favorable, réservé, "
                                         "défavorable)", "give 1 to 3 avis"]
    assert refused.first.key == "input.not_avis"
