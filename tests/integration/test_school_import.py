"""Loading the school base from CSV (`python -m bot import-base`), through the real command line.

Each test runs `bot.__main__.main` in-process on a real SQLite file in tmp_path, without the demo
base unless it needs one. A refused file must leave the database exactly as it was, and the
report must name the line (as a spreadsheet numbers it, header = 1) and the column of every
problem.
"""

from __future__ import annotations

import sqlite3
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.__main__ import main
from bot.school import csv_input as school_import
from flows.rules.identity import normalize_mobile

TODAY = "2026-11-29"
TABLES = ("schools", "students", "guardians", "guardian_links")

SCHOOLS = """uai;name;phone;email;timezone
0751234A;Collège Test;01 44 00 00 00;college.test@example.org;
9721234B;Collège Schœlcher;05 96 00 00 01;schoelcher@example.org;America/Martinique
"""
STUDENTS = """id;nom;prenom;birth_date;uai;class_name;level
E1;Dupont;Jean;14/05/2012;0751234A;3e B;3e
E2;Dupont;Anne;03/09/2016;0751234A;CM1;CM1
E3;Louis;Inès;2012-01-20;9721234B;3e 2;3e
"""
GUARDIANS = """id;nom;prenom;mobile;email;student_ids
R1;Dupont;Marie;06 11 22 33 44;marie.dupont@example.org;E1|E2
R2;Dupont;Paul;;;E1 E2
R3;Louis;Rose;0696 12 34 56;;E3
"""


@pytest.fixture
def db(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("ORIENTATION_DEMO", "0")
    return tmp_path / "base.sqlite3"


@pytest.fixture
def cli(db, capsys):
    """Run the command line on `db`: returns (exit status, stdout, stderr)."""

    def run(*args: str) -> tuple[int, str, str]:
        try:
            status = main(["--db", str(db), "--today", TODAY, *args])
        except SystemExit as exc:  # argparse's usage errors
            status = exc.code
        captured = capsys.readouterr()
        return status, captured.out, captured.err

    return run


def write(tmp_path: Path, name: str, text: str, bom: bool = False, encoding: str = "utf-8") -> str:
    path = tmp_path / name
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode(encoding))
    return str(path)


def dump(db: Path) -> dict[str, list[tuple]]:
    """Every row of the school base's tables, sorted: equal dumps mean an unchanged database."""
    conn = sqlite3.connect(db)
    try:
        return {table: sorted(conn.execute(f"SELECT * FROM {table}").fetchall(), key=repr)
                for table in TABLES}
    finally:
        conn.close()


def import_all(cli, tmp_path, schools=SCHOOLS, students=STUDENTS, guardians=GUARDIANS):
    return cli("import-base", "--schools", write(tmp_path, "schools.csv", schools),
               "--students", write(tmp_path, "students.csv", students),
               "--guardians", write(tmp_path, "guardians.csv", guardians))


# ---- good files -------------------------------------------------------------------------------

def test_a_whole_base_is_loaded_and_counted(cli, db, tmp_path):
    status, out, err = import_all(cli, tmp_path)
    assert (status, err) == (0, "")
    assert "schools: 2 new, 0 updated, 0 unchanged" in out
    assert "students: 3 new, 0 updated, 0 unchanged" in out
    assert "guardians: 3 new, 0 updated, 0 unchanged" in out
    assert "guardian links: 5 new, 0 unchanged" in out
    rows = dump(db)
    assert rows["schools"] == [
        ("0751234A", "Collège Test", "01 44 00 00 00", "college.test@example.org", "Europe/Paris"),
        ("9721234B", "Collège Schœlcher", "05 96 00 00 01", "schoelcher@example.org",
         "America/Martinique")]
    assert ("E3", "Louis", "Inès", "2012-01-20", "9721234B", "3e 2", "3e") in rows["students"]
    assert rows["guardians"] == [
        ("R1", "Dupont", "Marie", "+33611223344", "marie.dupont@example.org"),
        ("R2", "Dupont", "Paul", None, None),
        ("R3", "Louis", "Rose", "+596696123456", None)]
    assert rows["guardian_links"] == [("R1", "E1"), ("R1", "E2"), ("R2", "E1"), ("R2", "E2"),
                                      ("R3", "E3")]


def test_bom_commas_french_headers_quotes_and_crlf(cli, db, tmp_path):
    schools = ("\"Code UAI\",Dénomination,Téléphone,E-mail,Fuseau horaire\r\n"
               "0751234a,\"Collège Test, site Nord\",01 44 00 00 00,college.test@example.org,"
               "europe/paris\r\n")
    students = ("Identifiant,Nom,Prénom,Date de naissance,UAI,Classe,Niveau,INE\r\n"
                "E1,Dupont,Jean,14 mai 2012,0751234A,3e\u00a0B,3ème,123456789AB\r\n"
                "E2,Dupont,Anne,3/9/2016,0751234A,CM1,cm1,\r\n")
    guardians = ("ID;Nom;Prénom;Portable;Courriel;Élèves\n"
                 "R1;  Dupont ; Marie  Claire;+33 6 11 22 33 44;marie@example.org;E1 | E2\n")
    status, out, err = cli(
        "import-base", "--schools", write(tmp_path, "s.csv", schools, bom=True),
        "--students", write(tmp_path, "e.csv", students),
        "--guardians", write(tmp_path, "g.csv", guardians, bom=True))
    assert (status, err) == (0, ""), err
    assert "e.csv: ignored columns: INE" in out
    rows = dump(db)
    assert rows["schools"] == [("0751234A", "Collège Test, site Nord", "01 44 00 00 00",
                                "college.test@example.org", "Europe/Paris")]
    assert rows["students"] == [
        ("E1", "Dupont", "Jean", "2012-05-14", "0751234A", "3e B", "3e"),
        ("E2", "Dupont", "Anne", "2016-09-03", "0751234A", "CM1", "CM1")]
    assert rows["guardians"] == [("R1", "Dupont", "Marie Claire", "+33611223344",
                                  "marie@example.org")]
    assert rows["guardian_links"] == [("R1", "E1"), ("R1", "E2")]


def test_empty_lines_are_skipped_but_keep_the_numbering(cli, db, tmp_path):
    students = STUDENTS.replace("\nE2", "\n\n;;;;;;\nE2").replace("CM1;CM1", "CM1;")
    status, _, err = cli("import-base", "--schools", write(tmp_path, "schools.csv", SCHOOLS),
                         "--students", write(tmp_path, "students.csv", students))
    assert status == 1
    assert err.splitlines()[1:] == ["students.csv line 5, column level: empty, but required"]


def test_reimporting_the_same_files_changes_nothing(cli, db, tmp_path):
    import_all(cli, tmp_path)
    before = dump(db)
    status, out, err = import_all(cli, tmp_path)
    assert (status, err) == (0, "")
    assert "schools: 0 new, 0 updated, 2 unchanged" in out
    assert "students: 0 new, 0 updated, 3 unchanged" in out
    assert "guardians: 0 new, 0 updated, 3 unchanged" in out
    assert "guardian links: 0 new, 5 unchanged" in out
    assert dump(db) == before


def test_a_changed_phone_is_updated_in_place(cli, db, tmp_path):
    import_all(cli, tmp_path)
    before = dump(db)
    status, out, _ = import_all(cli, tmp_path, schools=SCHOOLS.replace("01 44 00 00 00",
                                                                       "01 44 99 99 99"),
                                guardians=GUARDIANS.replace("06 11 22 33 44", "07 55 66 77 88"))
    assert status == 0
    assert "schools: 0 new, 1 updated, 1 unchanged" in out
    assert "guardians: 0 new, 1 updated, 2 unchanged" in out
    after = dump(db)
    assert len(after["schools"]) == len(before["schools"])
    assert after["schools"][0][2] == "01 44 99 99 99"
    assert after["guardians"][0] == ("R1", "Dupont", "Marie", "+33755667788",
                                     "marie.dupont@example.org")
    assert after["students"] == before["students"]
    assert after["guardian_links"] == before["guardian_links"]


def test_guardian_links_are_added_never_removed(cli, db, tmp_path):
    import_all(cli, tmp_path)
    guardians = "id;nom;prenom;student_ids\nR2;Dupont;Paul;E1\nR3;Louis;Rose;E3 E1\n"
    status, out, _ = cli("import-base", "--guardians", write(tmp_path, "g2.csv", guardians))
    assert status == 0
    assert "guardians: 0 new, 0 updated, 2 unchanged" in out
    assert "guardian links: 1 new, 2 unchanged" in out
    links = dump(db)["guardian_links"]
    assert ("R2", "E2") in links  # not in this file, kept
    assert ("R3", "E1") in links


def test_references_may_point_into_the_database(cli, db, tmp_path):
    assert import_all(cli, tmp_path, guardians="id;nom;prenom;student_ids\n")[0] == 0
    students = "id;nom;prenom;birth_date;uai;class_name;level\nE4;Louis;Noé;01/02/2013;9721234B;4e 1;4e\n"
    guardians = "id;nom;prenom;mobile;email;student_ids\nR9;Louis;Rose;;;E3 E4\n"
    status, out, err = cli("import-base", "--students", write(tmp_path, "e2.csv", students),
                           "--guardians", write(tmp_path, "g2.csv", guardians))
    assert (status, err) == (0, "")
    assert "students: 1 new, 0 updated, 0 unchanged" in out
    assert {("R9", "E3"), ("R9", "E4")} <= set(dump(db)["guardian_links"])


def test_dry_run_counts_but_writes_nothing(cli, db, tmp_path):
    status, out, _ = cli("import-base", "--dry-run",
                         "--schools", write(tmp_path, "schools.csv", SCHOOLS),
                         "--students", write(tmp_path, "students.csv", STUDENTS))
    assert status == 0
    assert "dry run: nothing was written" in out
    assert "students: 3 new, 0 updated, 0 unchanged" in out
    assert all(rows == [] for rows in dump(db).values())


@settings(max_examples=500, deadline=None)
@given(st.sampled_from(["0", "+33", "0033", "+33 ", "00", "+596 ", "0"]),
       st.text(alphabet="0123456789 .-", min_size=8, max_size=14))
def test_the_fast_mobile_path_agrees_with_the_activation_normaliser(prefix, rest):
    text = prefix + rest
    fast = school_import.fast_mobile(text)
    if fast is not None:
        assert fast == normalize_mobile(text)


@pytest.mark.parametrize("text", ["06 12 34 56 78", "0750000001", "+33 6 12 34 56 78",
                                  "0033612345678", "06.12.34.56.78", "0695 12 34 56"])
def test_the_fast_mobile_path_takes_the_usual_forms(text):
    assert school_import.fast_mobile(text) == normalize_mobile(text)


def test_levels_are_normalised_so_3e_students_are_concerned():
    assert [school_import._level(v, date.today()) for v in
            ("3ème", "3EME", "troisième", "3e", "4e", "seconde", "cm2", "ULIS")] == \
        ["3e", "3e", "3e", "3e", "4e", "2de", "CM2", "ULIS"]


# ---- bad lines: one kind per case; the file is refused whole ------------------------------------

HEADERS = {kind: school_import.COLUMNS[kind] for kind in school_import.KINDS}
GOOD_LINE = {
    "schools": "0751234A;Collège Test;01 44 00 00 00;college.test@example.org;",
    "students": "E1;Dupont;Jean;14/05/2012;0751234A;3e B;3e",
    "guardians": "R1;Dupont;Marie;06 11 22 33 44;marie.dupont@example.org;E1",
}
BAD_LINES = [
    # (file, line 3 of the file, column, message)
    ("schools", "075123A;Collège;01 44 00 00 00;c@example.org;", "uai",
     "075123A is not a UAI (7 digits and a letter, e.g. 0751234A)"),
    ("schools", "0751235A;Collège;01 44 00 00 00;c@example.org;Europe/Pariss", "timezone",
     "Europe/Pariss is not a known time zone (e.g. Europe/Paris, America/Martinique)"),
    ("schools", "0751235A;Collège;12;c@example.org;", "phone", "12 is not a phone number"),
    ("schools", "0751235A;Collège;01 44 00 00 00;c.example.org;", "email",
     "c.example.org is not an e-mail address"),
    ("schools", "0751235A; ;01 44 00 00 00;c@example.org;", "name", "empty, but required"),
    ("schools", "0751234A;Collège;01 44 00 00 00;c@example.org;", "uai",
     "0751234A is already on line 2"),
    ("schools", "0751235A;" + "x" * 101 + ";01 44 00 00 00;c@example.org;", "name",
     "too long (101 characters, at most 100)"),
    ("schools", "0751235A;Coll\x07ège;01 44 00 00 00;c@example.org;", "name",
     "contains a control or invisible character (U+0007)"),
    ("students", "E2;Dupont;Anne;31/02/2010;0751234A;3e B;3e", "birth_date",
     "31/02/2010 is not a date"),
    ("students", "E2;Dupont;Anne;hier;0751234A;3e B;3e", "birth_date", "hier is not a date"),
    ("students", "E2;Dupont;Anne;14/05/2030;0751234A;3e B;3e", "birth_date",
     "14/05/2030 is not a plausible birth date (in the future or more than 30 years ago)"),
    ("students", "E2;Dupont;Anne;14/05/2012;0759999Z;3e B;3e", "uai",
     "0759999Z is not a known school (not in the schools file nor in the database)"),
    ("students", "E2;Dupont;Anne;14/05/2012;0751234A;3e B;", "level", "empty, but required"),
    ("students", "E2;Dupont;Anne;14/05/2012;0751234A;;3e", "class_name", "empty, but required"),
    ("students", "E1;Dupont;Anne;14/05/2012;0751234A;3e B;3e", "id", "E1 is already on line 2"),
    ("students", "E 2;Dupont;Anne;14/05/2012;0751234A;3e B;3e", "id",
     "E 2 is not an id (no spaces, '|', ';' or ',')"),
    ("students", "E2;Dupont;Anne;14/05/2012;0751234A;3e B;3e;surplus", "",
     "8 values, but the header has 7 columns"),
    ("guardians", "R2;Dupont;Paul;06 12;;E1", "mobile", "06 12 is not a mobile number"),
    ("guardians", "R2;Dupont;Paul;;paul@;E1", "email", "paul@ is not an e-mail address"),
    ("guardians", "R2;Dupont;Paul;;;E1 E77", "student_ids",
     "E77 is not a known student (not in the students file nor in the database)"),
    ("guardians", "R2;Dupont;Paul;;;", "student_ids", "empty, but required"),
    ("guardians", "R1;Dupont;Paul;;;E1", "id", "R1 is already on line 2"),
    ("guardians", "R2;;Paul;;;E1", "nom", "empty, but required"),
]


@pytest.mark.parametrize(("kind", "line", "column", "message"), BAD_LINES,
                         ids=[f"{case[0]}-{case[2] or 'line'}-{n}" for n, case in enumerate(BAD_LINES)])
def test_a_bad_line_refuses_the_whole_file(cli, db, tmp_path, kind, line, column, message):
    import_all(cli, tmp_path, guardians="id;nom;prenom;student_ids\n")  # schools and students
    before = dump(db)
    header = ";".join(c.name for c in HEADERS[kind])
    path = write(tmp_path, f"{kind}.csv", f"{header}\n{GOOD_LINE[kind]}\n{line}\n")
    status, out, err = cli("import-base", f"--{kind}", path)
    where = f"{kind}.csv line 3" + (f", column {column}" if column else "")
    assert status == 1
    assert out == ""
    assert err.splitlines() == ["error: refused, nothing was written (1 problem):",
                                f"{where}: {message}"]
    assert dump(db) == before


@pytest.mark.parametrize(("text", "expected"), [
    ("", "students.csv line 1: no header line (the file is empty)"),
    ("id;nom;prenom;uai;class_name;level\n",
     "students.csv line 1: missing column birth_date (accepted names: birth_date, date naissance, "
     "date de naissance, naissance, date of birth)"),
    ("id;nom;Nom de famille;prenom;birth_date;uai;class_name;level\n",
     "students.csv line 1: columns nom and Nom de famille are both nom"),
    ('id;nom;prenom;birth_date;uai;class_name;level\nE1;"Dupont;Jean;14/05/2012;0751234A;3e;3e\n',
     "students.csv line 2: unreadable CSV (unexpected end of data); check the quotes"),
])
def test_a_bad_header_or_structure_is_reported(cli, db, tmp_path, text, expected):
    status, _, err = cli("import-base", "--students", write(tmp_path, "students.csv", text))
    assert status == 1
    assert err.splitlines()[1:] == [expected]
    assert all(rows == [] for rows in dump(db).values())


def test_a_file_that_is_not_utf8_is_refused_with_its_line(cli, db, tmp_path):
    path = write(tmp_path, "schools.csv", SCHOOLS, encoding="cp1252")
    status, _, err = cli("import-base", "--schools", path)
    assert status == 1
    assert err.splitlines()[1:] == [
        'schools.csv line 2: not UTF-8 text (byte 0xe8); save the file as "CSV UTF-8"']
    assert all(rows == [] for rows in dump(db).values())


def test_every_bad_line_of_every_file_is_reported_and_nothing_written(cli, db, tmp_path):
    import_all(cli, tmp_path)
    before = dump(db)
    schools = SCHOOLS + "0751235A;Collège Neuf;01 44 00 00 02;neuf@example.org;Mars/Olympus\n"
    students = (STUDENTS.replace("14/05/2012", "31/02/2010")
                + "E4;Durand;Léo;01/01/2013;0751235A;4e A;4e\n"  # its school's line is bad
                + "E5;Durand;;01/01/2013;0751999Z;4e A;4e\n")
    guardians = GUARDIANS.replace("06 11 22 33 44", "06 11") + "R4;Durand;Luc;;;E5 E404\n"
    status, out, err = import_all(cli, tmp_path, schools, students, guardians)
    assert status == 1
    assert out == ""
    assert err.splitlines() == [
        "error: refused, nothing was written (6 problems):",
        "schools.csv line 4, column timezone: Mars/Olympus is not a known time zone "
        "(e.g. Europe/Paris, America/Martinique)",
        "students.csv line 2, column birth_date: 31/02/2010 is not a date",
        "students.csv line 6, column prenom: empty, but required",
        "students.csv line 6, column uai: 0751999Z is not a known school (not in the schools "
        "file nor in the database)",
        "guardians.csv line 2, column mobile: 06 11 is not a mobile number",
        "guardians.csv line 5, column student_ids: E404 is not a known student (not in the "
        "students file nor in the database)",
    ]
    assert dump(db) == before


# ---- usage ------------------------------------------------------------------------------------

def test_usage_errors_exit_2(cli, tmp_path):
    assert cli("import-base")[0:3:2] == (2, "error: give at least one of --schools, --students, "
                                            "--guardians\n")
    status, _, err = cli("import-base", "--students", str(tmp_path / "missing.csv"))
    assert status == 2
    assert err.startswith("error: cannot read ")
    assert cli("import-base", "--bogus", "x")[0] == 2


def test_help_documents_the_columns(cli):
    status, out, _ = cli("import-base", "--help")
    assert status == 0
    assert "id;nom;prenom;birth_date;uai;class_name;level" in out
    assert "guardian links are only added" in out


def test_a_column_left_out_keeps_the_stored_values_an_empty_cell_clears_them(cli, db, tmp_path):
    import_all(cli, tmp_path)
    without_contacts = "id;nom;prenom;student_ids\nR1;Dupont;Marie;E1\n"
    assert cli("import-base", "--guardians", write(tmp_path, "g2.csv", without_contacts))[0] == 0
    assert dump(db)["guardians"][0] == ("R1", "Dupont", "Marie", "+33611223344",
                                        "marie.dupont@example.org")
    emptied = "id;nom;prenom;mobile;email;student_ids\nR1;Dupont;Marie;;marie.dupont@example.org;E1\n"
    status, out, _ = cli("import-base", "--guardians", write(tmp_path, "g3.csv", emptied))
    assert status == 0
    assert "guardians: 0 new, 1 updated, 0 unchanged" in out
    assert dump(db)["guardians"][0] == ("R1", "Dupont", "Marie", None, "marie.dupont@example.org")
