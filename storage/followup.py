"""The school's follow-up read model: plain rows of what each concerned student's family and
council did, fetched in a handful of queries per school (not per student).

No status is decided here: `flows.school.followup` computes "published", "answered", what is due
now… from these rows with the rules. The concerned level is a parameter (`CONCERNED_LEVEL`).
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from datetime import datetime

from flows.rules.model import Decision, DecisionSource, Proposal, ProposalAnswer, Step, Voie
from flows.rules.standing import FollowupRow

# The students of the school (or one class) at the level; every query below is scoped by it.
_SCOPE = ("FROM students s WHERE s.uai = :uai AND s.level = :level "
          "AND (:class IS NULL OR s.class_name = :class)")
_OF_SCOPE = f"student_id IN (SELECT s.id {_SCOPE})"


def _dt(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def class_names(conn: sqlite3.Connection, uai: str, level: str) -> list[str]:
    rows = conn.execute("SELECT DISTINCT class_name FROM students WHERE uai = ? AND level = ? "
                        "ORDER BY class_name", (uai, level))
    return [name for (name,) in rows]


def rows(conn: sqlite3.Connection, uai: str, class_name: str | None,
         level: str) -> list[FollowupRow]:
    """Every student of the school (or of one class) at `level`, in class and name order."""
    scope = {"uai": uai, "class": class_name, "level": level}
    students = conn.execute(f"SELECT s.id, s.nom, s.prenom, s.class_name {_SCOPE} "
                            f"ORDER BY s.class_name, s.nom, s.prenom, s.id", scope).fetchall()
    items: dict[tuple[str, str], list[str]] = defaultdict(list)
    for student_id, step, voie in conn.execute(
            f"SELECT student_id, step, voie FROM request_items WHERE {_OF_SCOPE} "
            f"ORDER BY student_id, step, rank", scope):
        items[student_id, step].append(voie)
    opinions = {student_id: published_at for student_id, published_at in conn.execute(
        f"SELECT student_id, published_at FROM council_opinions WHERE step = :step "
        f"AND {_OF_SCOPE}", {**scope, "step": Step.INTENTIONS.value})}
    acks = dict(conn.execute(f"SELECT student_id, at FROM acknowledgements WHERE step = :step "
                             f"AND {_OF_SCOPE}", {**scope, "step": Step.INTENTIONS.value}))
    proposals: dict[str, list[Proposal]] = defaultdict(list)
    for student_id, rank, voie, detail, published_at in conn.execute(
            f"SELECT student_id, rank, voie, detail, published_at FROM proposals "
            f"WHERE {_OF_SCOPE} ORDER BY student_id, rank", scope):
        proposals[student_id].append(Proposal(student_id, rank, Voie(voie), detail or "",
                                              _dt(published_at)))
    answers: dict[str, list[ProposalAnswer]] = defaultdict(list)
    for student_id, rank, guardian_id, agree, at in conn.execute(
            f"SELECT student_id, rank, guardian_id, agree, at FROM proposal_answers "
            f"WHERE {_OF_SCOPE} ORDER BY student_id, rank", scope):
        answers[student_id].append(ProposalAnswer(student_id, rank, guardian_id, bool(agree),
                                                  datetime.fromisoformat(at)))
    decisions = {student_id: Decision(student_id, Voie(voie), detail or "",
                                      datetime.fromisoformat(decided_at),
                                      DecisionSource(source), _dt(published_at))
                 for student_id, voie, detail, decided_at, source, published_at in conn.execute(
                     f"SELECT student_id, voie, detail, decided_at, source, published_at "
                     f"FROM decisions WHERE {_OF_SCOPE}", scope)}
    return [FollowupRow(
        student_id, nom, prenom, klass,
        tuple(items[student_id, Step.INTENTIONS.value]), tuple(items[student_id, Step.CHOIX.value]),
        student_id in opinions, _dt(opinions.get(student_id)), _dt(acks.get(student_id)),
        tuple(proposals[student_id]), tuple(answers[student_id]), decisions.get(student_id))
        for student_id, nom, prenom, klass in students]
