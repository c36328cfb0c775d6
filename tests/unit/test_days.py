"""The one day parser (flows/rules/days.py) and the forms each input accepts: a family's birth
date, a birth date in the school base's CSV file, a calendar day (command line, calendar file,
console forms)."""

from __future__ import annotations

import re
from datetime import date

import pytest

from bot.school.csv_input import Bad, _birth_date, parse_day
from flows.rules.days import BIRTH_FORMS, CALENDAR_FORMS, Form
from flows.rules.days import parse_day as read_day
from flows.rules.errors import DomainError

TODAY = date(2026, 11, 29)


@pytest.mark.parametrize(("raw", "birth", "calendar"), [
    ("14/05/2012", date(2012, 5, 14), date(2012, 5, 14)),
    ("3/9/2010", date(2010, 9, 3), date(2010, 9, 3)),
    (" 03/09/2010 ", date(2010, 9, 3), date(2010, 9, 3)),
    ("03-09-2010", date(2010, 9, 3), "date.format"),
    ("03.09.2010", date(2010, 9, 3), "date.format"),
    ("03 09 2010", date(2010, 9, 3), "date.format"),
    ("03_09_2010", date(2010, 9, 3), "date.format"),  # folded as a space
    ("3 septembre 2010", date(2010, 9, 3), "date.format"),
    ("1er Mars 2011", date(2011, 3, 1), "date.format"),
    ("2 AOÛT 2016", date(2016, 8, 2), "date.format"),
    ("2010-09-03", "date.format", date(2010, 9, 3)),
    ("2010-9-3", "date.format", "date.format"),
    ("3 brumaire 2010", "date.format", "date.format"),
    ("31/02/2010", "date.impossible", "date.impossible"),
    ("12/13/2010", "date.impossible", "date.impossible"),
])
def test_each_input_reads_its_own_forms(raw, birth, calendar):
    for forms, expected in ((BIRTH_FORMS, birth), (CALENDAR_FORMS, calendar)):
        if isinstance(expected, date):
            assert read_day(raw, forms) == expected
        else:
            with pytest.raises(DomainError) as refused:
                read_day(raw, forms)
            assert refused.value.key == expected


def test_no_form_reads_nothing():
    with pytest.raises(DomainError):
        read_day("2010-09-03", frozenset())
    assert read_day("2010-09-03", {Form.ISO}) == date(2010, 9, 3)


@pytest.mark.parametrize(("raw", "expected"), [
    ("14/05/2012", date(2012, 5, 14)), ("14-05-2012", date(2012, 5, 14)),
    ("14.05.2012", date(2012, 5, 14)), ("14 mai 2012", date(2012, 5, 14)),
    ("2012-05-14", date(2012, 5, 14)),
])
def test_a_birth_date_in_the_base_takes_the_families_forms_and_iso(raw, expected):
    assert _birth_date(raw, TODAY) == expected


@pytest.mark.parametrize(("raw", "message"), [
    ("2012-02-30", "2012-02-30 is not a date"),
    ("hier", "hier is not a date"),
    ("2030-05-14", "2030-05-14 is not a plausible birth date (in the future or more than 30 "
                   "years ago)"),
    ("14/05/1990", "14/05/1990 is not a plausible birth date (in the future or more than 30 "
                   "years ago)"),
])
def test_a_birth_date_in_the_base_says_why_it_is_refused(raw, message):
    with pytest.raises(Bad, match=f"^{re.escape(message)}$"):
        _birth_date(raw, TODAY)


def test_a_calendar_day_refused_names_its_forms():
    assert parse_day("2027-05-03") == date(2027, 5, 3)
    with pytest.raises(Bad, match=r"^03\.05\.2027 is not a date \(YYYY-MM-DD or DD/MM/YYYY\)$"):
        parse_day("03.05.2027")
