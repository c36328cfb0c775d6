"""Steps 2 and 3 in the dialogue and the school's side: who may do what, bad input, nothing lost.

The demo calendar is anchored on the loading day (DEMO_NOW): step 2 runs from day 42 to day 63,
the answers from day 77 to day 91.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.runtime import reminders as planner
from bot.school import csv_input
from flows.rules.model import Avis, DecisionSource, Step, Voie
from flows.school import followup
from flows.school import results as council
from flows.school.refusals import Refused

from ..support import (
    CLAIRE_PASSWORD,
    DEMO_NOW,
    KARIM_PASSWORD,
    activate_claire,
    activate_karim,
    enter_seed_intentions,
    log_in,
)

CHOICES = DEMO_NOW + timedelta(days=43)
ANSWERS = DEMO_NOW + timedelta(days=78)


async def _both_guardians_active(claire, karim, store) -> None:
    await activate_claire(claire, store)
    await enter_seed_intentions(claire)
    await activate_karim(karim, store)


async def _to_choices(driver, clock, identifier: str, password: str) -> None:
    clock.now = CHOICES
    await log_in(driver, identifier, password)
    await driver.press("Orientation")


async def test_choices_start_from_the_intentions_and_are_a_separate_record(claire, karim, store,
                                                                           clock):
    await _both_guardians_active(claire, karim, store)
    intentions = store.requests("E-LUCAS", Step.INTENTIONS)
    await _to_choices(claire, clock, "c.martin1", CLAIRE_PASSWORD)
    assert "Consulter les intentions" in claire.labels  # step 1 stays visible
    assert "Modifier les intentions" not in claire.labels  # its window is closed
    await claire.press("Saisir les choix définitifs")
    await claire.press("Reprendre mes intentions provisoires")
    assert "Choix 1 : 1re année de CAP" in claire.text
    assert "Reprendre mes intentions provisoires" not in claire.labels  # offered once, when empty
    await claire.press("Choix 2")
    await claire.press("Supprimer")
    await claire.press("Valider")
    assert "Vos choix définitifs ont bien été validés" in claire.text
    choices = store.requests("E-LUCAS", Step.CHOIX)
    assert [i.voie for i in choices.items] == [Voie.CAP]
    assert store.requests("E-LUCAS", Step.INTENTIONS) == intentions  # untouched

    # Karim sees the choices read-only: one editor per step.
    await _to_choices(karim, clock, "k.martin1", KARIM_PASSWORD)
    assert "Saisir les choix définitifs" not in karim.labels
    assert "Modifier les choix définitifs" not in karim.labels
    await karim.press("Consulter les choix définitifs")
    assert "Seul le représentant ayant saisi les choix définitifs peut apporter des " \
           "modifications." in karim.text


async def test_choices_outside_their_window_are_refused(claire, karim, store, clock):
    await _both_guardians_active(claire, karim, store)
    await claire.press("Retour à l'accueil Orientation")
    assert "Saisir les choix définitifs" not in claire.labels  # step 1's window: not yet
    forged = claire.last.flat_buttons[0].data.split(".")[0] + ".edit:choix"
    await claire.choose(forged)
    assert store.requests("E-LUCAS", Step.CHOIX) is None
    clock.now = datetime(2027, 1, 31, 22, 45, tzinfo=UTC)  # 23:45 in Paris, step 2's last day
    await log_in(claire, "c.martin1", CLAIRE_PASSWORD)
    await claire.press("Orientation")
    assert "Saisir les choix définitifs" in claire.labels
    clock.advance(minutes=20)  # past midnight: closed while the button is on screen
    await claire.press("Saisir les choix définitifs")
    assert "Le service est fermé depuis le 31/01/2027 : les choix définitifs sont en " \
           "consultation seule." in claire.text
    assert store.requests("E-LUCAS", Step.CHOIX) is None
    await claire.send("/menu")
    await claire.press("Orientation")
    assert "Saisir les choix définitifs" not in claire.labels


async def _proposal_published(claire, karim, store, clock, voies=(Voie.PRO,)) -> None:
    await _both_guardians_active(claire, karim, store)
    await _to_choices(claire, clock, "c.martin1", CLAIRE_PASSWORD)
    await claire.press("Saisir les choix définitifs")
    await claire.press("Reprendre mes intentions provisoires")
    await claire.press("Valider")
    clock.now = ANSWERS
    council.record_proposals(store, "E-LUCAS", [(v, "") for v in voies], clock())
    await log_in(claire, "c.martin1", CLAIRE_PASSWORD)
    await claire.press("Orientation")
    await claire.press("Proposition et décision")


async def test_the_other_guardian_cannot_answer(claire, karim, store, clock):
    await _proposal_published(claire, karim, store, clock)
    await log_in(karim, "k.martin1", KARIM_PASSWORD)
    await karim.press("Orientation")
    await karim.press("Proposition et décision")
    assert "Proposition 1 : 2de professionnelle" in karim.text
    assert "Seul le représentant légal ayant saisi les choix définitifs peut répondre" in karim.text
    assert "D'accord" not in karim.labels
    # A forged button with the current screen's number changes nothing.
    number = karim.last.flat_buttons[0].data.split(".")[0]
    await karim.choose(f"{number}.agree:1")
    assert store.answers("E-LUCAS") == [] and store.decision("E-LUCAS") is None


async def test_an_answer_is_final_and_old_buttons_do_nothing(claire, karim, store, clock):
    await _proposal_published(claire, karim, store, clock, voies=(Voie.PRO, Voie.CAP))
    await claire.press("Pas d'accord")
    confirm_screen = claire.last
    assert "votre réponse est définitive" in claire.text
    await claire.press("Annuler")  # nothing recorded yet
    assert store.answers("E-LUCAS") == []
    await claire.press("Pas d'accord")
    await claire.press("Confirmer")
    assert [(a.rank, a.agree) for a in store.answers("E-LUCAS")] == [(1, False)]
    assert "Répondez à la proposition 2" in claire.text  # the next proposal awaits
    # The old confirmation button again: refused as stale, the answer stays.
    await claire.choose(confirm_screen.flat_buttons[0].data)
    assert [(a.rank, a.agree) for a in store.answers("E-LUCAS")] == [(1, False)]
    await claire.press("D'accord")
    await claire.press("Confirmer")
    decision = store.decision("E-LUCAS")
    assert (decision.voie, decision.source) == (Voie.CAP, DecisionSource.FAMILY)
    assert "DÉCISION D'ORIENTATION : 1re année de CAP" in claire.text
    assert "D'accord" not in claire.labels and "Pas d'accord" not in claire.labels


async def test_answer_before_publication_and_unpublished_proposals(claire, karim, store, clock):
    await _both_guardians_active(claire, karim, store)
    clock.now = ANSWERS
    council.record_proposals(store, "E-LUCAS", [(Voie.PRO, "")], clock(), publish=False)
    await log_in(claire, "c.martin1", CLAIRE_PASSWORD)
    await claire.press("Orientation")
    assert "Proposition et décision d'orientation" not in claire.labels
    number = claire.last.flat_buttons[0].data.split(".")[0]
    await claire.choose(f"{number}.proposal")
    assert store.answers("E-LUCAS") == []
    counts = council.publish_class(store, "0699999Z", "3e B", clock())
    assert counts == {"opinions": 0, "proposals": 1}
    assert any("la proposition d'orientation du conseil de classe pour Lucas est publiée"
               in row["body"] for row in store.outbox())
    assert council.publish_class(store, "0699999Z", "3e B", clock()) == {"opinions": 0,
                                                                          "proposals": 0}


async def test_the_head_decides_after_a_disagreement(claire, karim, store, clock):
    await _proposal_published(claire, karim, store, clock)
    with pytest.raises(Refused, match="has not refused every proposal"):
        council.record_decision(store, "E-LUCAS", Voie.GT, "", clock())
    await claire.press("Pas d'accord")
    await claire.press("Confirmer")
    assert "Prenez contact avec le chef d'établissement" in claire.text
    with pytest.raises(Refused, match="no student with id 'E-LUCAS' in this"):
        council.record_decision(store, "E-LUCAS", Voie.GT, "", clock(), school="9720999X")
    council.record_decision(store, "E-LUCAS", Voie.GT, "", clock(), school="0699999Z")
    await claire.send("/menu")
    await claire.press("Orientation")
    assert "Décision d'orientation : 2de générale et technologique ou 2de STHR" in claire.text
    await claire.press("Proposition et décision")
    assert "commission d'appel" in claire.text


def test_results_files_are_refused_whole_with_every_bad_line(store, clock):
    text = ("student_id;voie_1;detail_1;voie_2\n"
            "E-LUCAS;pro;;\n"
            "E-LEA;lycée;;\n"  # not a voie
            ";pro;;\n"  # no student
            "E-HUGO;;;\n"  # no voie
            "E-JADE;gt;;gt\n")  # the same voie twice: refused when recording
    with pytest.raises(Refused) as caught:
        csv_input.proposal_rows(text)
    assert str(caught.value).splitlines() == [
        "line 3: 'lycée' is not a voie (gt, pro, cap or its label)",
        "line 4: column student_id: empty",
        "line 5: column voie_1: a voie is required (gt, pro or cap)"]
    rows = csv_input.proposal_rows("student_id,voie_1\nE-LUCAS,pro\nE-JADE,gt\nE-NOPE,cap\n")
    with pytest.raises(Refused) as caught:
        council.record_all(store, council.record_proposals, rows, clock())
    assert "no student with id 'E-NOPE'" in str(caught.value)
    assert store.proposals("E-LUCAS") == [] and store.proposals("E-JADE") == []  # nothing kept
    assert not any("proposition" in row["body"] for row in store.outbox())


def test_opinions_are_scoped_to_the_staff_school_and_may_be_drafts(store, clock):
    with pytest.raises(Refused, match="in this school"):
        council.record(store, "E-NOAH", [Avis.FAVORABLE], None, "", clock(), school="0699999Z")
    council.record(store, "E-HUGO", [Avis.RESERVE], Voie.CAP, "À confirmer.", clock(),
                   publish=False, school="0699999Z")
    assert store.opinion("E-HUGO", Step.INTENTIONS).published_at is None
    assert store.outbox() == []
    status = {s.student_id: s for s in followup.statuses(store, "0699999Z", now=clock())}
    assert status["E-HUGO"].opinion == "recorded"
    assert council.publish_class(store, "0699999Z", "3e A", clock())["opinions"] == 1
    status = {s.student_id: s for s in followup.statuses(store, "0699999Z", now=clock())}
    assert status["E-HUGO"].opinion == "published"


def test_followup_and_export(store, clock):
    rows = followup.statuses(store, "0699999Z", now=clock())
    assert [r.student_id for r in rows] == ["E-LEA", "E-HUGO", "E-LUCAS", "E-JADE"]
    assert {r.pending for r in rows} == {"intentions"}
    assert followup.class_names(store, "0699999Z") == ["3e A", "3e B", "3e C"]
    text = followup.export_csv(store, "0699999Z", "3e A", now=clock())
    assert text.startswith("\ufeffstudent_id;nom;prenom;classe;")
    assert text.count("\r\n") == 3  # header and two students
    assert "E-LEA;Bernard;Léa;3e A;;non;non;;none;none;;;intentions;06/12/2026" in text


# ---- reminders of steps 2 and 3 ----------------------------------------------------------------

def _reminded(store, now, action: str) -> set[tuple[str, str, str]]:
    return {(r.guardian_id, r.student_id, r.kind) for r in planner.plan(store, now)
            if r.deadline_key == action}


async def test_choices_and_answers_are_reminded_until_done(claire, karim, store, clock):
    await _both_guardians_active(claire, karim, store)
    # Step 2 closes on day 63 (31/01/2027); 7 days before, at 08:00 in Paris.
    week_before = datetime(2027, 1, 24, 7, 0, tzinfo=UTC)
    due = _reminded(store, week_before, "choix")
    assert ("R-CLAIRE", "E-LUCAS", "push") in due and ("R-KARIM", "E-LUCAS", "push") in due
    assert ("R-THI", "E-HUGO", "sms") in due  # never logged in: by SMS
    await _to_choices(claire, clock, "c.martin1", CLAIRE_PASSWORD)
    await claire.press("Saisir les choix définitifs")
    await claire.press("Reprendre mes intentions provisoires")
    await claire.press("Valider")
    due = _reminded(store, week_before, "choix")
    assert not any(student == "E-LUCAS" for _, student, _ in due)  # done: no more reminders
    assert [r.body for r in planner.plan(store, week_before) if r.guardian_id == "R-THI"][0] \
        .startswith("Rappel Scolarité Services : les choix définitifs d'orientation de")

    # Step 3: the answers close on day 91 (28/02/2027); proposals published on day 78.
    clock.now = ANSWERS
    council.record_proposals(store, "E-LUCAS", [(Voie.PRO, ""), (Voie.CAP, "")], clock())
    week_before = datetime(2027, 2, 21, 7, 0, tzinfo=UTC)
    assert _reminded(store, week_before, "reponse") == {("R-CLAIRE", "E-LUCAS", "push")}
    await log_in(claire, "c.martin1", CLAIRE_PASSWORD)
    await claire.press("Orientation")
    await claire.press("Proposition et décision")
    await claire.press("Pas d'accord")
    await claire.press("Confirmer")
    assert _reminded(store, week_before, "reponse") == {("R-CLAIRE", "E-LUCAS", "push")}
    await claire.press("Pas d'accord")
    await claire.press("Confirmer")  # every proposal refused: the head's turn, not the family's
    assert _reminded(store, week_before, "reponse") == set()
