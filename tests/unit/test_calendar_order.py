"""The campaign calendar's ordering rule: each window opens after the previous one closes, and no
window closes before it opens (flows/rules/calendar.py `check_order`)."""

from __future__ import annotations

from datetime import date

import pytest

from flows.rules.calendar import AVIS, CHOIX, INTENTIONS, REPONSE, Window, check_order, day_window
from flows.rules.errors import DomainError
from flows.texts import t


def _days(key: str, first: str, last: str) -> Window:
    return day_window(key, date.fromisoformat(first), date.fromisoformat(last), "Europe/Paris")


def test_check_order_accepts_following_windows_and_gaps():
    check_order({INTENTIONS: _days(INTENTIONS, "2027-01-04", "2027-02-05"),
                 AVIS: _days(AVIS, "2027-02-06", "2027-02-20"),  # the very next day
                 REPONSE: _days(REPONSE, "2027-06-01", "2027-06-20")})  # choix not set yet
    check_order({})


@pytest.mark.parametrize(("first", "second"), [
    (("2027-01-04", "2027-02-05"), ("2027-02-05", "2027-02-20")),  # same day: overlap
    (("2027-01-04", "2027-02-05"), ("2027-01-10", "2027-01-20")),  # inside
    (("2027-03-01", "2027-03-15"), ("2027-01-04", "2027-02-05")),  # avis before intentions
])
def test_check_order_refuses_overlaps_and_disorder(first, second):
    with pytest.raises(DomainError) as refused:
        check_order({INTENTIONS: _days(INTENTIONS, *first), AVIS: _days(AVIS, *second)})
    assert refused.value.key == "calendar.order"
    assert refused.value.params == {"earlier": INTENTIONS, "later": AVIS}
    assert "« avis » doit s'ouvrir après la fermeture de « intentions »" in t(
        refused.value.key, **refused.value.params)


def test_check_order_refuses_a_window_closing_before_it_opens():
    with pytest.raises(DomainError) as refused:
        check_order({CHOIX: _days(CHOIX, "2027-05-03", "2027-05-01")})
    assert (refused.value.key, refused.value.params) == ("calendar.range", {"window": CHOIX})
