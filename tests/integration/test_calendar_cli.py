"""The campaign calendar from the command line: `python -m bot calendar show|set|import`.

Run in-process on a real SQLite file; every refusal must leave the stored calendar as it was. The
ordering rule itself is a unit test (tests/unit/test_calendar_order.py).
"""

from __future__ import annotations

import sqlite3
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.__main__ import main
from flows.rules.calendar import AVIS, CHOIX, INTENTIONS, Window, day_window
from flows.texts import t
from storage import SqliteStore

TODAY = "2026-11-29"
PARIS_UAI, MARTINIQUE_UAI = "0751234A", "9721234B"
SCHOOLS = f"""uai;name;phone;email;timezone
{PARIS_UAI};Collège Test;01 44 00 00 00;college.test@example.org;
{MARTINIQUE_UAI};Collège Schœlcher;05 96 00 00 01;schoelcher@example.org;America/Martinique
"""


@pytest.fixture
def db(tmp_path) -> Path:
    return tmp_path / "calendar.sqlite3"


@pytest.fixture
def cli(db, capsys):
    def run(*args: str) -> tuple[int, str, str]:
        try:
            status = main(["--db", str(db), "--today", TODAY, *args])
        except SystemExit as exc:
            status = exc.code
        captured = capsys.readouterr()
        return status, captured.out, captured.err

    return run


@pytest.fixture
def schools(cli, tmp_path, monkeypatch):
    """Two schools without any calendar (no demo data)."""
    monkeypatch.setenv("ORIENTATION_DEMO", "0")
    path = tmp_path / "schools.csv"
    path.write_text(SCHOOLS, encoding="utf-8")
    assert cli("import-base", "--schools", str(path))[0] == 0


def windows(db: Path, uai: str) -> dict[str, Window]:
    store = SqliteStore(db)
    try:
        return store.calendar(uai).windows
    finally:
        store.close()


def rows(db: Path) -> list[tuple]:
    conn = sqlite3.connect(db)
    try:
        return sorted(conn.execute("SELECT * FROM calendar_windows").fetchall())
    finally:
        conn.close()


# ---- show ---------------------------------------------------------------------------------------

def test_show_prints_the_windows_and_the_read_only_gaps(cli, monkeypatch):
    monkeypatch.setenv("ORIENTATION_DEMO", "1")  # the demo's calendar, placed around TODAY
    status, out, err = cli("calendar", "show", "--school", "0699999z")
    assert (status, err) == (0, "")
    assert out.splitlines() == [
        "Collège Jean Moulin (0699999Z), dates in Europe/Paris",
        "intentions  2026-10-30 00:00 to 2026-12-06 23:59  step 1, intentions provisoires",
        "            2026-12-07 00:00 to 2026-12-12 23:59  councils sit (read-only)",
        "avis        2026-12-13 00:00 to 2026-12-27 23:59  council's opinion published, "
        "acknowledgement",
        "            2026-12-28 00:00 to 2027-01-09 23:59  read-only",
        "choix       2027-01-10 00:00 to 2027-01-31 23:59  step 2, choix définitifs",
        "            2027-02-01 00:00 to 2027-02-13 23:59  councils sit (read-only)",
        "reponse     2027-02-14 00:00 to 2027-02-28 23:59  step 3, answer to the council's proposal",
    ]


def test_show_a_school_without_calendar(cli, schools):
    status, out, _ = cli("calendar", "show", "--school", MARTINIQUE_UAI)
    assert status == 0
    assert out.splitlines() == ["Collège Schœlcher (9721234B), dates in America/Martinique",
                                "intentions  not set", "avis        not set",
                                "choix       not set", "reponse     not set"]


def test_show_an_unknown_school_exits_1(cli, schools):
    assert cli("calendar", "show", "--school", "0759999Z") == (
        1, "", "error: no school with UAI 0759999Z\n")


# ---- set ----------------------------------------------------------------------------------------

def test_set_stores_whole_days_in_the_school_time_zone(cli, db, schools):
    status, out, err = cli("calendar", "set", "--school", MARTINIQUE_UAI, "--window", "choix",
                           "--from", "2027-05-03", "--to", "04/06/2027")
    assert (status, err) == (0, "")
    assert out.splitlines()[0] == "set choix of 9721234B: 2027-05-03 00:00 to 2027-06-04 23:59"
    assert "choix       2027-05-03 00:00 to 2027-06-04 23:59  step 2, choix définitifs" in out
    stored = windows(db, MARTINIQUE_UAI)[CHOIX]
    martinique = ZoneInfo("America/Martinique")
    assert stored.opens == datetime(2027, 5, 3, tzinfo=martinique)
    assert stored.closes == datetime(2027, 6, 4, 23, 59, 59, 999999, tzinfo=martinique)
    assert stored == day_window(CHOIX, date(2027, 5, 3), date(2027, 6, 4), "America/Martinique")


def test_set_a_whole_campaign_then_move_one_window(cli, db, schools):
    plan = [("intentions", "2027-01-04", "2027-02-05"), ("avis", "2027-02-15", "2027-03-01"),
            ("choix", "02/05/2027", "31/05/2027"), ("reponse", "2027-06-14", "2027-06-25")]
    for key, first, last in plan:
        assert cli("calendar", "set", "--school", PARIS_UAI, "--window", key, "--from", first,
                   "--to", last)[0] == 0
    status, out, _ = cli("calendar", "set", "--school", PARIS_UAI, "--window", "avis",
                         "--from", "2027-02-06", "--to", "2027-03-01")
    assert status == 0
    assert windows(db, PARIS_UAI)[AVIS].opens == datetime(2027, 2, 6, tzinfo=ZoneInfo("Europe/Paris"))
    # The very next day: no gap line between intentions and avis any more.
    lines = out.splitlines()
    assert lines[2].startswith("intentions  2027-01-04 00:00 to 2027-02-05 23:59")
    assert lines[3].startswith("avis        2027-02-06 00:00 to 2027-03-01 23:59")
    assert lines[4] == "            2027-03-02 00:00 to 2027-05-01 23:59  read-only"
    assert len(rows(db)) == 4


@pytest.mark.parametrize(("args", "status", "message"), [
    (("--school", "0759999Z", "--window", "avis", "--from", "2027-02-15", "--to", "2027-03-01"),
     1, "error: no school with UAI 0759999Z"),
    (("--school", PARIS_UAI, "--window", "avis", "--from", "2027-03-01", "--to", "2027-02-15"),
     1, "error: --to 2027-02-15 is before --from 2027-03-01"),
    (("--school", PARIS_UAI, "--window", "avis", "--from", "2027-02-05", "--to", "2027-02-20"),
     1, "error: " + t("calendar.order", earlier="intentions", later="avis")),
    (("--school", PARIS_UAI, "--window", "avis", "--from", "2026-12-01", "--to", "2026-12-20"),
     1, "error: " + t("calendar.order", earlier="intentions", later="avis")),
    (("--school", PARIS_UAI, "--window", "choix", "--from", "2027-01-20", "--to", "2027-02-20"),
     1, "error: " + t("calendar.order", earlier="intentions", later="choix")),
    (("--school", PARIS_UAI, "--window", "decision", "--from", "2027-02-15", "--to", "2027-03-01"),
     2, "invalid choice: 'decision'"),
    (("--school", PARIS_UAI, "--window", "avis", "--from", "31/02/2027", "--to", "2027-03-01"),
     2, "31/02/2027 is not a date (YYYY-MM-DD or DD/MM/YYYY)"),
    (("--school", "07512", "--window", "avis", "--from", "2027-02-15", "--to", "2027-03-01"),
     2, "07512 is not a UAI"),
    (("--school", PARIS_UAI, "--window", "avis", "--from", "2027-02-15"), 2,
     "the following arguments are required: --to"),
])
def test_set_refusals_change_nothing(cli, db, schools, args, status, message):
    assert cli("calendar", "set", "--school", PARIS_UAI, "--window", "intentions",
               "--from", "2027-01-04", "--to", "2027-02-05")[0] == 0
    before = rows(db)
    got, out, err = cli("calendar", "set", *args)
    assert got == status
    assert out == ""
    assert message in err
    assert rows(db) == before


def test_an_order_refusal_names_the_dates(cli, schools):
    cli("calendar", "set", "--school", PARIS_UAI, "--window", "intentions",
        "--from", "2027-01-04", "--to", "2027-02-05")
    _, _, err = cli("calendar", "set", "--school", PARIS_UAI, "--window", "avis",
                    "--from", "2027-02-05", "--to", "2027-02-20")
    assert err.splitlines()[1] == "  intentions closes 2027-02-05 23:59, avis would open 2027-02-05 00:00"


# ---- import -------------------------------------------------------------------------------------

def test_import_sets_windows_from_a_file_and_reimport_changes_nothing(cli, db, schools, tmp_path):
    path = tmp_path / "calendrier.csv"
    path.write_bytes("\ufeffUAI,Fenêtre,Du,Au\n"
                     f"{PARIS_UAI},intentions,04/01/2027,05/02/2027\n"
                     f"{PARIS_UAI},avis,2027-02-15,2027-03-01\n"
                     f"{MARTINIQUE_UAI},Choix,2027-05-03,2027-06-04\n".encode())
    status, out, err = cli("calendar", "import", str(path))
    assert (status, err, out) == (0, "", "calendar windows: 3 set, 0 unchanged\n")
    assert windows(db, PARIS_UAI)[INTENTIONS] == day_window(
        INTENTIONS, date(2027, 1, 4), date(2027, 2, 5), "Europe/Paris")
    assert windows(db, MARTINIQUE_UAI)[CHOIX].opens == datetime(
        2027, 5, 3, tzinfo=ZoneInfo("America/Martinique"))
    before = rows(db)
    assert cli("calendar", "import", str(path))[1] == "calendar windows: 0 set, 3 unchanged\n"
    assert rows(db) == before


def test_import_dry_run_writes_nothing(cli, db, schools, tmp_path):
    path = tmp_path / "calendar.csv"
    path.write_text(f"uai;window;from;to\n{PARIS_UAI};avis;2027-02-15;2027-03-01\n")
    status, out, _ = cli("calendar", "import", "--dry-run", str(path))
    assert status == 0
    assert "calendar windows: 1 set, 0 unchanged" in out
    assert rows(db) == []


def test_import_refuses_the_whole_file_and_reports_every_bad_line(cli, db, schools, tmp_path):
    cli("calendar", "set", "--school", PARIS_UAI, "--window", "choix",
        "--from", "2027-05-03", "--to", "2027-06-04")
    before = rows(db)
    path = tmp_path / "calendar.csv"
    path.write_text("uai;window;from;to\n"
                    f"{PARIS_UAI};intentions;2027-01-04;2027-02-05\n"  # good
                    f"{PARIS_UAI};avis;2027-05-10;2027-05-20\n"  # overlaps choix in the database
                    f"{PARIS_UAI};intentions;2027-01-04;2027-02-05\n"  # twice
                    "0759999Z;avis;2027-02-15;2027-03-01\n"  # unknown school
                    f"{MARTINIQUE_UAI};decision;2027-02-15;2027-03-01\n"  # unknown window
                    f"{MARTINIQUE_UAI};avis;2027-03-15;2027-03-01\n"  # to before from
                    f"{MARTINIQUE_UAI};choix;30/02/2027;2027-06-01\n")  # not a date
    status, out, err = cli("calendar", "import", str(path))
    assert status == 1
    assert out == ""
    assert err.splitlines() == [
        "error: refused, nothing was written (6 problems):",
        "calendar.csv line 3, column to: choix of 0751234A must open after avis closes "
        "(2027-05-20 23:59): the windows follow one another, intentions, avis, choix, reponse",
        "calendar.csv line 4, column window: intentions of 0751234A is already on line 2",
        "calendar.csv line 5, column uai: 0759999Z is not a known school",
        "calendar.csv line 6, column window: decision is not a window "
        "(intentions, avis, choix, reponse)",
        "calendar.csv line 7, column to: 2027-03-01 is before the opening day 2027-03-15",
        "calendar.csv line 8, column from: 30/02/2027 is not a date (YYYY-MM-DD or DD/MM/YYYY)",
    ]
    assert rows(db) == before


def test_import_of_a_missing_file_is_a_usage_error(cli, db, schools, tmp_path):
    status, _, err = cli("calendar", "import", str(tmp_path / "missing.csv"))
    assert status == 2
    assert err.startswith("error: cannot read ")
