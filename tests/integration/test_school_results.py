"""The school's use cases (`flows.school.results`) and the follow-up read model on a real SQLite
file with the demo base: refusals by key, files all or nothing, publishing per class."""

from __future__ import annotations

from datetime import date

import pytest

from bot.school import csv_input
from flows.rules.calendar import AVIS, INTENTIONS, day_window
from flows.rules.errors import DomainError
from flows.rules.model import CONCERNED_LEVEL, Avis, Step, Voie
from flows.school import calendar as school_calendar
from flows.school import followup, results
from flows.school.refusals import Refused


@pytest.mark.parametrize(("call", "key"), [
    (lambda s, now: results.record(s, "E-NOAH", [Avis.FAVORABLE], None, "", now,
                                   school="0699999Z"), "council.unknown_student_here"),
    (lambda s, now: results.record(s, "E-NOPE", [Avis.FAVORABLE], None, "", now),
     "council.unknown_student"),
    (lambda s, now: results.record_proposals(s, "E-LUCAS", [(Voie.PRO, ""), (Voie.PRO, "")], now),
     "council.voie_twice"),
    (lambda s, now: results.record_proposals(s, "E-LUCAS", [(Voie.PRO, "x" * 101)], now),
     "council.detail_too_long"),
    (lambda s, now: results.record_decision(s, "E-LUCAS", Voie.GT, "", now),
     "decision.no_disagreement"),
])
def test_a_refusal_carries_the_rule_key_and_records_nothing(store, clock, call, key):
    with pytest.raises(Refused) as caught:
        call(store, clock())
    assert caught.value.first.key == key
    assert store.proposals("E-LUCAS") == [] and store.outbox() == []


def test_a_file_is_recorded_whole_or_not_at_all(store, clock):
    rows = csv_input.proposal_rows("student_id;voie_1;voie_2\nE-LEA;pro;\nE-JADE;gt;gt\n"
                                   "E-HUGO;cap;\n")
    with pytest.raises(Refused) as caught:
        results.record_all(store, results.record_proposals, rows, clock(), publish=False)
    assert [p.error.key for p in caught.value.problems] == ["council.voie_twice"]
    assert store.proposals("E-LEA") == []
    good = [row for row in rows if row[0] != "E-JADE"]
    assert results.record_all(store, results.record_proposals, good, clock(), publish=False) == 2
    assert results.publish_class(store, "0699999Z", "3e A", clock()) == {"opinions": 0,
                                                                         "proposals": 2}


def test_the_read_model_fetches_what_the_store_holds(store, clock):
    results.record(store, "E-HUGO", [Avis.RESERVE], Voie.CAP, "", clock(), publish=False)
    results.record_proposals(store, "E-LEA", [(Voie.PRO, "Cuisine"), (Voie.CAP, "")], clock())
    rows = {r.student_id: r for r in store.followup_rows("0699999Z", None, CONCERNED_LEVEL)}
    assert list(rows) == ["E-LEA", "E-HUGO", "E-LUCAS", "E-JADE"]
    assert rows["E-HUGO"].opinion_recorded and rows["E-HUGO"].opinion_published_at is None
    assert list(rows["E-LEA"].proposals) == store.proposals("E-LEA")
    assert store.followup_rows("0699999Z", "3e A", CONCERNED_LEVEL)[0].student_id == "E-LEA"
    assert followup.class_names(store, "0699999Z") == ["3e A", "3e B", "3e C"]
    assert store.opinion("E-HUGO", Step.INTENTIONS) is not None


def test_the_calendar_keeps_the_campaign_order(store):
    before = store.calendar("0699999Z").windows
    early = day_window(AVIS, date(2026, 11, 1), date(2026, 11, 2), "Europe/Paris")
    with pytest.raises(DomainError) as caught:
        school_calendar.set_window(store, "0699999Z", early)
    assert caught.value.key == "calendar.order"
    assert store.calendar("0699999Z").windows == before  # nothing written
    only = {INTENTIONS: day_window(INTENTIONS, date(2027, 1, 5), date(2027, 2, 26),
                                   "Europe/Paris")}
    school_calendar.replace_windows(store, "0699999Z", only)
    assert store.calendar("0699999Z").windows == only
