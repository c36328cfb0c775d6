"""The follow-up export never hands a spreadsheet a formula: a cell that starts like one (OWASP's
CSV injection characters) is exported behind an apostrophe, its text otherwise unchanged."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime

import pytest

from flows.rules.calendar import day_window
from flows.rules.model import School, Student
from flows.school.followup import export_csv, spreadsheet_safe
from storage.memory import MemoryStore

SCHOOL = School("0751234A", "Collège Test", "01 44 00 00 00", "ce@ac-test.fr")


@pytest.mark.parametrize(("typed", "exported"), [
    ('=HYPERLINK("http://x.example","clic")', '\'=HYPERLINK("http://x.example","clic")'),
    ("@SUM(1+1)", "'@SUM(1+1)"),
    ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
    ("-2+3", "'-2+3"),
    ("\tTab", "'\tTab"),
    ("Martin", "Martin"),
    ("Jean-Pierre", "Jean-Pierre"),
    ("", ""),
])
def test_a_cell_that_would_run_is_kept_as_text(typed: str, exported: str) -> None:
    assert spreadsheet_safe(typed) == exported


def test_names_are_exported_as_text() -> None:
    store = MemoryStore()
    with store.transaction():
        store.put_school(SCHOOL)
        store.put_window(SCHOOL.uai, day_window("intentions", date(2027, 1, 4), date(2027, 1, 18),
                                                SCHOOL.timezone))
        store.put_student(Student("E1", "=HYPERLINK(\"http://x.example\")", "@Léa",
                                  date(2012, 5, 14), SCHOOL.uai, "3e A", "3e"))
    text = export_csv(store, SCHOOL.uai, now=datetime(2027, 1, 10, 10, tzinfo=UTC))
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=";"))
    assert rows[1][:4] == ["E1", "'=HYPERLINK(\"http://x.example\")", "'@Léa", "3e A"]
