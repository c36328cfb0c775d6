"""The councils' results files through the input front-end (`bot.school.csv_input`): headers folded
as the base's, either separator, a BOM, and every bad line named with the rule's key."""

from __future__ import annotations

import pytest

from bot.school import csv_input
from flows.rules.model import Avis, Voie
from flows.school.refusals import Refused


@pytest.mark.parametrize("text", [
    "student_id;avis_1;avis_2;recommendation;motivation\nE-LUCAS;favorable;Avis réservé;pro;Bien.\n",
    "\ufeffStudent ID,AVIS-1,Avis 2,Recommendation,Motivation\nE-LUCAS,Favorable,réservé,"
    "2de professionnelle,Bien.\n",
])
def test_an_opinions_file_in_any_spelling(text):
    assert csv_input.opinion_rows(text) == [("E-LUCAS", [Avis.FAVORABLE, Avis.RESERVE], Voie.PRO,
                                             "Bien.")]


@pytest.mark.parametrize(("text", "problems"), [
    ("student_id;voie_1\n", ["the file has no line after the header"]),
    ("student_id;detail_1\nE-LUCAS;x\n", ["line 1: missing column(s) voie_1"]),
    ("student_id;voie_1;voie_2\nE-LUCAS;pro;lycée\n;cap;\nE-LEA;;\n",
     ["line 2: 'lycée' is not a voie (gt, pro, cap or its label)",
      "line 3: column student_id: empty",
      "line 4: column voie_1: a voie is required (gt, pro or cap)"]),
])
def test_a_bad_file_names_every_line(text, problems):
    with pytest.raises(Refused) as caught:
        csv_input.proposal_rows(text)
    assert [str(p) for p in caught.value.problems] == problems


def test_a_decisions_file_and_its_keys():
    assert csv_input.decision_rows("student_id;voie;detail\nE-LUCAS;cap;Ébéniste\n") == [
        ("E-LUCAS", Voie.CAP, "Ébéniste")]
    with pytest.raises(Refused) as caught:
        csv_input.decision_rows("student_id;voie\nE-LUCAS;\nE-LEA;bof\n")
    assert [(p.line, p.error.key) for p in caught.value.problems] == [
        (2, "input.voie_required"), (3, "input.not_voie")]
