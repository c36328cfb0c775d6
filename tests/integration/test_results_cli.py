"""The school's results commands: help, exit codes, files refused whole, drafts and publishing."""

from __future__ import annotations

import pytest

from bot.__main__ import main
from flows.rules.model import Step
from storage import SqliteStore


@pytest.fixture
def db(tmp_path, monkeypatch):
    monkeypatch.setenv("ORIENTATION_TODAY", "2026-11-29")
    return str(tmp_path / "orientation.sqlite3")


def run(db: str, *args: str) -> int:
    return main(["--db", db, *args])


@pytest.mark.parametrize("command", ["council", "proposals", "decision", "publish", "followup",
                                     "export"])
def test_every_command_has_help(command, capsys):
    with pytest.raises(SystemExit) as done:
        main([command, "--help"])
    assert done.value.code == 0
    assert "usage: python -m bot " + command in capsys.readouterr().out


def test_usage_mistakes_exit_2_and_refusals_exit_1(db, capsys):
    assert run(db, "proposals", "--student", "E-LUCAS") == 2
    assert "give --student and --voie, or --csv" in capsys.readouterr().err
    assert run(db, "proposals", "--student", "E-NOPE", "--voie", "pro") == 1
    assert "error: no student with id 'E-NOPE'" in capsys.readouterr().err
    assert run(db, "proposals", "--student", "E-LUCAS", "--voie", "lycée") == 1
    assert run(db, "followup", "--school", "0000000A") == 1
    assert "no school with UAI" in capsys.readouterr().err
    assert run(db, "publish", "--school", "0699999Z", "--class", "6e Z") == 1
    assert "no class '6e Z'" in capsys.readouterr().err
    assert run(db, "decision", "--student", "E-LUCAS", "--voie", "gt") == 1
    assert "has not refused every proposal" in capsys.readouterr().err
    assert run(db, "council", "--csv", "/nonexistent/avis.csv") == 1


def test_a_bad_file_records_nothing_and_names_every_line(db, tmp_path, capsys):
    path = tmp_path / "avis.csv"
    path.write_text("student_id,avis_1,recommendation\nE-LEA,favorable,\nE-HUGO,bof,\n"
                    "E-JADE,favorable,lycée\n", encoding="utf-8")
    assert run(db, "council", "--csv", str(path)) == 1
    err = capsys.readouterr().err
    assert "line 3: 'bof' is not an avis" in err and "line 4: 'lycée' is not a voie" in err
    store = SqliteStore(db)
    assert store.opinion("E-LEA", Step.INTENTIONS) is None
    store.close()


def test_drafts_then_publish_then_followup_and_export(db, tmp_path, capsys):
    assert run(db, "council", "--student", "E-LEA", "--avis", "favorable", "--draft") == 0
    assert "recorded: E-LEA (1 avis)" in capsys.readouterr().out
    assert run(db, "outbox") == 0
    assert "avis provisoire" not in capsys.readouterr().out
    assert run(db, "publish", "--school", "0699999Z", "--class", "3e A") == 0
    assert "published in 3e A: 1 opinion(s)" in capsys.readouterr().out
    assert run(db, "followup", "--school", "0699999Z", "--class", "3e A") == 0
    out = capsys.readouterr().out
    assert out.startswith("3e A: 2 famille(s) n'ont pas encore agi\n")
    assert "E-LEA" in out and "avis published" in out
    target = tmp_path / "suivi.csv"
    assert run(db, "export", "--school", "0699999Z", "--out", str(target)) == 0
    assert "exported 4 student(s)" in capsys.readouterr().out
    assert target.read_bytes().startswith(b"\xef\xbb\xbfstudent_id;")
