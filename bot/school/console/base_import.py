"""Loading one school's base (students, guardians) from the console, with the CLI's checks.

The uploaded bytes are decoded here and handed, as texts, to `bot.school.cli.setup.import_decoded`,
the function `python -m bot import-base` ends in (no temporary file): the same checks and writes,
in one transaction that first checks that the files stay within the staff member's school:

- a student line must carry the school's UAI, and its id must not be another school's student;
- each student of a guardian line must be a student of this school (in the file or the database);
- a guardian already in the database must already be a guardian of a child of this school (a
  guardian of another school's family is not this school's to change: their mobile number is what
  account activation checks).

The schools file is not offered: schools are created by the deployment's administrator.
"""

from __future__ import annotations

from datetime import date

from flows.ports import Store

from .. import csv_input
from ..cli import setup as setup_cli

KINDS = ("students", "guardians")


def _scope_problems(store: Store, uai: str, base: csv_input.SchoolBase) -> list[str]:
    problems: list[str] = []
    ours: set[str] = set()
    students = base.tables.get("students")
    if students is not None:
        for line in students.lines:
            values = line.values
            if "uai" in values and values["uai"] != uai:
                problems.append(f"{students.name} line {line.number}, column uai: {values['uai']} "
                                f"is another school; this console loads the students of {uai}")
                continue
            if "id" in values:
                known = store.student(values["id"])
                if known is not None and known.uai != uai:
                    problems.append(f"{students.name} line {line.number}, column id: "
                                    f"{values['id']} is a student of another school")
                    continue
                ours.add(values["id"])
    guardians = base.tables.get("guardians")
    if guardians is not None:
        for line in guardians.lines:
            values = line.values
            for student_id in values.get("student_ids", ()):
                if student_id in ours:
                    continue
                known = store.student(student_id)
                if known is not None and known.uai != uai:
                    problems.append(f"{guardians.name} line {line.number}, column student_ids: "
                                    f"{student_id} is a student of another school")
            guardian_id = values.get("id")
            if guardian_id and store.guardian(guardian_id) is not None \
                    and not store.guardian_has_child_in(guardian_id, uai):
                problems.append(f"{guardians.name} line {line.number}, column id: {guardian_id} "
                                f"is a guardian of another school's students only")
    return problems


def import_base(store: Store, uai: str, uploads: dict[str, tuple[str, bytes]],
                today: date) -> tuple[setup_cli.ImportResult | None, list[str]]:
    """(the result, []) when written; (None, every problem) when refused: nothing written."""
    files, problems = {}, []
    for kind, (name, data) in uploads.items():
        try:
            files[kind] = (name, csv_input.decode(name, data))
        except csv_input.BadFile as exc:
            problems.append(str(exc.problem))
    if problems or not files:
        return None, problems or ["no file"]
    try:
        return setup_cli.import_decoded(store, files, today,
                                        scope=lambda base: _scope_problems(store, uai, base)), []
    except setup_cli.Refused as exc:
        return None, [str(p) for p in exc.problems]
