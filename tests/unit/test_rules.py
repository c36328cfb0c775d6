"""The rule core as tables of cases: requests, rights, calendar, opinions, activation, identity."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest

from flows.rules import accounts as activation
from flows.rules import requests
from flows.rules.calendar import AVIS, INTENTIONS, Calendar, day_window
from flows.rules.council import check_may_acknowledge, visible
from flows.rules.errors import DomainError
from flows.rules.identity import (
    fold,
    identifier_stem,
    mask_mobile,
    normalize_mobile,
    parse_birth_date,
    password_problems,
)
from flows.rules.model import (
    Account,
    AccountKind,
    Acknowledgement,
    ActivationCode,
    Avis,
    CouncilOpinion,
    Intention,
    RequestSet,
    Step,
    Voie,
)

NOW = datetime(2021, 2, 20, 10, 0, tzinfo=UTC)
CAL = Calendar("Europe/Paris", {
    INTENTIONS: day_window(INTENTIONS, date(2021, 1, 11), date(2021, 2, 26), "Europe/Paris"),
    AVIS: day_window(AVIS, date(2021, 3, 19), date(2021, 4, 2), "Europe/Paris"),
})
CAP, PRO, GT = Intention(Voie.CAP), Intention(Voie.PRO), Intention(Voie.GT)


def refused(key: str):
    return pytest.raises(DomainError, match="^" + re.escape(key) + "$")


# ---- the list of intentions ----------------------------------------------------------------------

@pytest.mark.parametrize(("draft", "voie", "error"), [
    ([], Voie.GT, None),
    ([CAP], Voie.PRO, None),
    ([CAP, PRO], Voie.GT, None),
    ([CAP, PRO, GT], Voie.GT, "requests.max"),  # a 4th intention
    ([CAP], Voie.CAP, "requests.voie_twice"),  # the same voie twice
    ([GT, CAP], Voie.GT, "requests.voie_twice"),
])
def test_add(draft, voie, error):
    if error:
        with refused(error):
            requests.add(draft, voie)
    else:
        assert requests.add(draft, voie)[-1] == Intention(voie)


@pytest.mark.parametrize(("draft", "rank", "text", "result", "error"), [
    ([CAP], 0, "  Ebéniste  ", "Ebéniste", None),
    ([CAP], 0, "Menuisier,   charpentier", "Menuisier, charpentier", None),
    ([PRO], 0, "x" * 100, "x" * 100, None),
    ([PRO], 0, "x" * 101, None, "metier.too_long"),
    ([PRO], 0, "Cuisinier\x00", None, "metier.invalid"),
    ([PRO], 0, "Pâtissier 🎂", "Pâtissier 🎂", None),
    ([GT], 0, "Ingénieur", None, "requests.metier_not_allowed"),  # métier on 2de GT
    ([CAP], 3, "Ebéniste", None, "requests.no_such_rank"),
])
def test_set_metier(draft, rank, text, result, error):
    if error:
        with refused(error):
            requests.set_metier(draft, rank, text)
    else:
        assert requests.set_metier(draft, rank, text)[rank].metier == result


@pytest.mark.parametrize(("item", "statut", "expected", "error"), [
    (CAP, "scolaire", (True, False), None),
    (CAP, "apprenti", (False, True), None),
    (Intention(Voie.PRO, scolaire=True), "scolaire", (False, False), None),
    (Intention(Voie.PRO, scolaire=True), "apprenti", (True, True), None),  # both statuts
    (GT, "scolaire", None, "requests.statut_not_allowed"),
    (CAP, "salarié", None, "requests.statut_not_allowed"),
])
def test_toggle_statut(item, statut, expected, error):
    if error:
        with refused(error):
            requests.toggle_statut([item], 0, statut)
    else:
        out = requests.toggle_statut([item], 0, statut)[0]
        assert (out.scolaire, out.apprenti) == expected


@pytest.mark.parametrize(("rank", "delta", "expected", "error"), [
    (1, -1, [PRO, CAP, GT], None),
    (0, +1, [PRO, CAP, GT], None),
    (2, -1, [CAP, GT, PRO], None),
    (0, -1, None, "requests.cannot_move"),
    (2, +1, None, "requests.cannot_move"),
    (5, -1, None, "requests.no_such_rank"),
])
def test_move(rank, delta, expected, error):
    if error:
        with refused(error):
            requests.move([CAP, PRO, GT], rank, delta)
    else:
        assert requests.move([CAP, PRO, GT], rank, delta) == expected


def test_remove_keeps_the_order_of_the_others():
    assert requests.remove([CAP, PRO, GT], 1) == [CAP, GT]
    with refused("requests.no_such_rank"):
        requests.remove([CAP], 1)


@pytest.mark.parametrize(("draft", "error"), [
    ([], "requests.min"),  # at least one intention
    ([CAP], None),
    ([CAP, PRO, GT], None),
    ([CAP, PRO, GT, GT], "requests.max"),
    ([CAP, CAP], "requests.voie_twice"),
    ([Intention(Voie.GT, metier="Ingénieur")], "requests.metier_not_allowed"),
    ([Intention(Voie.GT, apprenti=True)], "requests.metier_not_allowed"),
    ([Intention(Voie.CAP, metier="x" * 101)], "metier.too_long"),
])
def test_check_valid(draft, error):
    if error:
        with refused(error):
            requests.check_valid(draft)
    else:
        assert requests.check_valid(draft) == draft


SAVED_BY_CLAIRE = RequestSet("E-LUCAS", Step.INTENTIONS, [CAP], "R-CLAIRE", NOW)
BEFORE = datetime(2021, 1, 5, 12, 0, tzinfo=UTC)
LAST_EVENING = datetime(2021, 2, 26, 22, 30, tzinfo=UTC)  # 23:30 in Paris, still 26/02
AFTER = datetime(2021, 2, 26, 23, 30, tzinfo=UTC)  # 00:30 on 27/02 in Paris


@pytest.mark.parametrize(("kind", "guardian", "saved", "now", "error"), [
    (AccountKind.GUARDIAN, "R-CLAIRE", None, NOW, None),  # first to enter
    (AccountKind.GUARDIAN, "R-KARIM", None, NOW, None),
    (AccountKind.GUARDIAN, "R-CLAIRE", SAVED_BY_CLAIRE, NOW, None),  # the editor modifies
    (AccountKind.GUARDIAN, "R-KARIM", SAVED_BY_CLAIRE, NOW, "requests.not_editor"),
    (AccountKind.STUDENT, None, None, NOW, "requests.read_only_student"),
    (AccountKind.GUARDIAN, "R-CLAIRE", SAVED_BY_CLAIRE, LAST_EVENING, None),
    (AccountKind.GUARDIAN, "R-CLAIRE", SAVED_BY_CLAIRE, AFTER, "window.closed"),  # after closing
    (AccountKind.GUARDIAN, "R-CLAIRE", None, BEFORE, "window.not_yet"),
])
def test_who_may_edit(kind, guardian, saved, now, error):
    def check():
        requests.check_may_edit(kind, guardian, True, saved, CAL, INTENTIONS, now)

    if error:
        with refused(error):
            check()
    else:
        check()


def test_edit_refused_to_a_guardian_not_linked_and_without_a_calendar():
    with refused("requests.not_guardian"):
        requests.check_may_edit(AccountKind.GUARDIAN, "R-X", False, None, CAL, INTENTIONS, NOW)
    with refused("window.not_scheduled"):
        requests.check_may_edit(AccountKind.GUARDIAN, "R-CLAIRE", True, None,
                                Calendar("Europe/Paris", {}), INTENTIONS, NOW)


# ---- calendar --------------------------------------------------------------------------------------

@pytest.mark.parametrize(("now", "open_key", "until", "next_key"), [
    (BEFORE, None, "11/01/2021", INTENTIONS),
    (NOW, INTENTIONS, "26/02/2021", None),
    (datetime(2021, 3, 1, tzinfo=UTC), None, "19/03/2021", AVIS),  # councils sit: read-only
    (datetime(2021, 3, 20, tzinfo=UTC), AVIS, "02/04/2021", None),
    (datetime(2021, 5, 1, tzinfo=UTC), None, None, None),
])
def test_phase(now, open_key, until, next_key):
    phase = CAL.phase(now)
    assert phase.open_key == open_key
    assert phase.next_key == next_key
    assert (CAL.local_date(phase.until) if phase.until else None) == until


def test_windows_follow_the_school_time_zone():
    martinique = day_window(INTENTIONS, date(2021, 1, 11), date(2021, 2, 26), "America/Martinique")
    # 26/02 at 23:00 in Martinique is 27/02 03:00 UTC: still open there, closed in Paris.
    moment = datetime(2021, 2, 27, 3, 0, tzinfo=UTC)
    assert martinique.contains(moment)
    assert not CAL.window(INTENTIONS).contains(moment)


# ---- opinions and acknowledgement ----------------------------------------------------------------

OPINION = CouncilOpinion("E-LUCAS", Step.INTENTIONS, (Avis.FAVORABLE,), Voie.GT, "Sans objet.",
                         datetime(2021, 3, 19, 8, 0, tzinfo=UTC))
ACK_TIME = datetime(2021, 3, 20, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(("guardian", "saved", "opinion", "ack", "now", "error"), [
    ("R-CLAIRE", SAVED_BY_CLAIRE, OPINION, None, ACK_TIME, None),
    ("R-KARIM", SAVED_BY_CLAIRE, OPINION, None, ACK_TIME, "ack.not_editor"),  # not the one who entered
    (None, SAVED_BY_CLAIRE, OPINION, None, ACK_TIME, "ack.not_editor"),  # the student
    ("R-CLAIRE", SAVED_BY_CLAIRE, None, None, ACK_TIME, "ack.no_opinion"),  # before the opinion exists
    ("R-CLAIRE", SAVED_BY_CLAIRE, OPINION, None, datetime(2021, 3, 18, tzinfo=UTC),
     "ack.no_opinion"),  # recorded, not yet published
    ("R-CLAIRE", SAVED_BY_CLAIRE, OPINION,
     Acknowledgement("E-LUCAS", Step.INTENTIONS, "R-CLAIRE", ACK_TIME), ACK_TIME, "ack.already"),
    ("R-KARIM", None, OPINION, None, ACK_TIME, None),  # nobody entered: any guardian
])
def test_who_may_acknowledge(guardian, saved, opinion, ack, now, error):
    def check():
        check_may_acknowledge(guardian, saved, opinion, ack, now)

    if error:
        with refused(error):
            check()
    else:
        check()


def test_opinion_visible_only_once_published():
    assert visible(OPINION, OPINION.published_at - timedelta(seconds=1)) is None
    assert visible(OPINION, OPINION.published_at) is OPINION


# ---- activation codes and log-in ---------------------------------------------------------------------

def code(**changes) -> ActivationCode:
    base = dict(guardian_id="R", code_hash="h", expires_at=NOW + timedelta(minutes=30),
                attempts=0, sent_at=NOW, sends_today=1, send_day=NOW.date())
    return ActivationCode(**{**base, **changes})


@pytest.mark.parametrize(("existing", "now", "error"), [
    (None, NOW, None),
    (code(), NOW + timedelta(seconds=30), "code.wait"),  # re-sent only after 60 s
    (code(), NOW + timedelta(seconds=61), None),
    (code(sends_today=5), NOW + timedelta(minutes=5), "code.daily_limit"),  # 5 a day
    (code(sends_today=5), NOW + timedelta(days=1), None),
])
def test_code_sending_limits(existing, now, error):
    if error:
        with refused(error):
            activation.check_may_send(existing, now)
    else:
        activation.check_may_send(existing, now)


def test_issue_counts_sends_per_day():
    first = activation.issue("R", "h1", None, NOW)
    assert (first.sends_today, first.attempts, first.expires_at) == (1, 0, NOW + timedelta(minutes=30))
    second = activation.issue("R", "h2", first, NOW + timedelta(minutes=2))
    assert second.sends_today == 2 and second.code_hash == "h2"
    next_day = activation.issue("R", "h3", second, NOW + timedelta(days=1))
    assert next_day.sends_today == 1


@pytest.mark.parametrize(("record", "now", "error"), [
    (code(), NOW, None),
    (None, NOW, "code.none"),
    (code(code_hash=""), NOW, "code.none"),  # already used
    (code(), NOW + timedelta(minutes=31), "code.expired"),
    (code(attempts=5), NOW, "code.locked"),  # 5 wrong tries
    (code(attempts=4), NOW, None),
])
def test_code_usable(record, now, error):
    if error:
        with refused(error):
            activation.check_usable(record, now)
    else:
        assert activation.check_usable(record, now) is record


def test_five_failed_logins_lock_for_fifteen_minutes():
    account = Account(1, "c.martin1", AccountKind.GUARDIAN, "R-CLAIRE", status="active")
    for _ in range(4):
        activation.record_login_failure(account, NOW)
        assert activation.login_lock_until(account, NOW) is None
    activation.record_login_failure(account, NOW)
    assert activation.login_lock_until(account, NOW) == NOW + timedelta(minutes=15)
    assert activation.login_lock_until(account, NOW + timedelta(minutes=15, seconds=1)) is None


def test_temporary_password_valid_three_months_and_only_until_activation():
    account = Account(1, "s.bernard1", AccountKind.GUARDIAN, "R-SOPHIE", temp_password_hash="h",
                      temp_expires_at=NOW + activation.TEMP_PASSWORD_VALIDITY)
    assert activation.temp_password_usable(account, NOW + timedelta(days=90))
    assert not activation.temp_password_usable(account, NOW + timedelta(days=92))
    account.status = "active"
    assert not activation.temp_password_usable(account, NOW)


# ---- identity --------------------------------------------------------------------------------------

@pytest.mark.parametrize(("raw", "e164"), [
    ("06 12 34 56 78", "+33612345678"),
    ("0612345678", "+33612345678"),
    ("06.12.34.56.78", "+33612345678"),
    ("+33 6 12 34 56 78", "+33612345678"),
    ("0033612345678", "+33612345678"),
    ("+33 (0)6 12 34 56 78", "+33612345678"),
    ("0690 12 34 56", "+590690123456"),  # Guadeloupe, written nationally
    ("+596 696 12 34 56", "+596696123456"),  # Martinique
    ("+594 694 12 34 56", "+594694123456"),  # Guyane
    ("+262 692 12 34 56", "+262692123456"),  # La Réunion
    ("+687 75 12 34", "+687751234"),  # Nouvelle-Calédonie
    ("+689 87 12 34 56", "+68987123456"),  # Polynésie française
])
def test_mobile_numbers_are_normalised(raw, e164):
    assert normalize_mobile(raw) == e164


@pytest.mark.parametrize("raw", ["06 12 AB 56 78", "", "12", "06 12 34 56 78 99 99", "😀",
                                 "+33 6 12 34 56 7x", "0612345678\x00"])
def test_bad_mobile_numbers_are_refused(raw):
    with refused("phone.invalid"):
        normalize_mobile(raw)


def test_mask_shows_only_the_last_two_digits():
    assert mask_mobile("+33612345678") == "•• •• •• •• 78"


@pytest.mark.parametrize(("raw", "expected"), [
    ("14/05/2012", date(2012, 5, 14)),
    ("3/9/2010", date(2010, 9, 3)),
    ("03-09-2010", date(2010, 9, 3)),
    ("03.09.2010", date(2010, 9, 3)),
    ("3 septembre 2010", date(2010, 9, 3)),
    ("1er Mars 2011", date(2011, 3, 1)),
    ("2 août 2016", date(2016, 8, 2)),
])
def test_birth_dates_in_the_usual_forms(raw, expected):
    assert parse_birth_date(raw, date(2026, 11, 29)) == expected


@pytest.mark.parametrize(("raw", "error"), [
    ("31/02/2010", "date.impossible"),
    ("29/02/2011", "date.impossible"),
    ("12/13/2010", "date.impossible"),
    ("01/01/2030", "date.impossible"),  # in the future
    ("2010-09-03x", "date.format"),
    ("demain", "date.format"),
    ("3 brumaire 2010", "date.format"),
])
def test_impossible_or_unreadable_dates(raw, error):
    with refused(error):
        parse_birth_date(raw, date(2026, 11, 29))


@pytest.mark.parametrize(("a", "b"), [
    ("Martin", "MARTIN"), ("Hélène", "helene"), ("Jean-Marc", "jean marc"),
    ("  Marie   José ", "marie-josé"), ("D'Arc", "d arc"),
])
def test_names_compare_without_case_accents_hyphens_or_spaces(a, b):
    assert fold(a) == fold(b)


@pytest.mark.parametrize(("password", "missing"), [
    ("TresSolide-2026!", []),
    ("Court-1!", ["password.rule.length"]),
    ("toutenminuscule-2026!", ["password.rule.upper"]),
    ("TOUTENMAJUSCULE-2026!", ["password.rule.lower"]),
    ("SansChiffre-Aucun!", ["password.rule.digit"]),
    ("SansSpecial2026Abc", ["password.rule.special"]),
    ("", ["password.rule.length", "password.rule.upper", "password.rule.lower",
          "password.rule.digit", "password.rule.special"]),
])
def test_password_policy(password, missing):
    assert password_problems(password) == missing


def test_identifier_stem():
    assert identifier_stem("Claire", "Martin") == "c.martin"
    assert identifier_stem("Élodie", "Le Gall-Durand") == "e.legalldurand"
