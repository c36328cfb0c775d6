"""The school's follow-up: each student's state at every step, who has not acted, and the CSV export.

Read in a handful of queries per school (not per student), so a school of 2,000 students is one
page load. The rule of what is due now is `flows.rules.standing.pending`, shared with the families' home.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime

from flows.rules.model import Step
from flows.rules.standing import Progress, pending

from .sqlite import SqliteStore, _dt


@dataclass(frozen=True)
class StudentStatus:
    student_id: str
    nom: str
    prenom: str
    class_name: str
    intentions: str  # none | validated
    opinion: str  # none | recorded | published
    acknowledged: str  # none | acknowledged
    choix: str  # none | validated
    proposals: str  # none | recorded | published
    answer: str  # none | agreed | disagreed
    decision: str  # none | family | head
    pending: str | None  # intentions | avis | choix | reponse: what the family must do now
    deadline: datetime | None
    intentions_list: str = ""  # "gt > pro" in rank order
    choix_list: str = ""
    decision_voie: str = ""
    decided_at: datetime | None = None


def class_names(store: SqliteStore, uai: str) -> list[str]:
    rows = store.conn.execute("SELECT DISTINCT class_name FROM students WHERE uai = ? AND level = '3e' "
                              "ORDER BY class_name", (uai,))
    return [name for (name,) in rows]


_QUERY = """
SELECT s.id, s.nom, s.prenom, s.class_name,
  (SELECT group_concat(voie, ' > ') FROM (SELECT voie FROM request_items i
     WHERE i.student_id = s.id AND i.step = :intentions ORDER BY rank)) AS intentions_list,
  (SELECT group_concat(voie, ' > ') FROM (SELECT voie FROM request_items i
     WHERE i.student_id = s.id AND i.step = :choix ORDER BY rank)) AS choix_list,
  o.published_at AS opinion_published, o.student_id IS NOT NULL AS has_opinion,
  a.at AS acknowledged_at,
  (SELECT count(*) FROM proposals p WHERE p.student_id = s.id) AS proposals,
  (SELECT min(coalesce(p.published_at, '')) FROM proposals p WHERE p.student_id = s.id)
     AS proposals_published,
  (SELECT max(agree) FROM proposal_answers x WHERE x.student_id = s.id) AS agreed,
  (SELECT count(*) FROM proposal_answers x WHERE x.student_id = s.id AND NOT x.agree) AS refused,
  d.source AS decision_source, d.voie AS decision_voie, d.decided_at
FROM students s
LEFT JOIN council_opinions o ON o.student_id = s.id AND o.step = :intentions
LEFT JOIN acknowledgements a ON a.student_id = s.id AND a.step = :intentions
LEFT JOIN decisions d ON d.student_id = s.id
WHERE s.uai = :uai AND s.level = '3e' AND (:class IS NULL OR s.class_name = :class)
ORDER BY s.class_name, s.nom, s.prenom, s.id
"""


def statuses(store: SqliteStore, uai: str, class_name: str | None = None,
             now: datetime | None = None) -> list[StudentStatus]:
    """Every concerned student of the school (or of one class), with where the family stands."""
    now = now or datetime.now().astimezone()
    calendar = store.calendar(uai)
    cursor = store.conn.execute(_QUERY, {"uai": uai, "class": class_name,
                                         "intentions": Step.INTENTIONS.value,
                                         "choix": Step.CHOIX.value})
    names = [c[0] for c in cursor.description]
    out = []
    for values in cursor.fetchall():
        row = dict(zip(names, values, strict=True))
        published = row["opinion_published"] is not None and _dt(row["opinion_published"]) <= now
        proposals_published = bool(row["proposals"]) and row["proposals_published"] not in ("", None) \
            and _dt(row["proposals_published"]) <= now
        answered = bool(row["agreed"]) or (row["refused"] or 0) >= (row["proposals"] or 0) > 0
        progress = Progress(intentions=bool(row["intentions_list"]), opinion=published,
                            acknowledged=row["acknowledged_at"] is not None,
                            choix=bool(row["choix_list"]), proposals=proposals_published,
                            answered=answered, decided=row["decision_source"] is not None)
        due = pending(progress, calendar, now)
        out.append(StudentStatus(
            row["id"], row["nom"], row["prenom"], row["class_name"],
            "validated" if progress.intentions else "none",
            "published" if published else ("recorded" if row["has_opinion"] else "none"),
            "acknowledged" if progress.acknowledged else "none",
            "validated" if progress.choix else "none",
            "published" if proposals_published else ("recorded" if row["proposals"] else "none"),
            "agreed" if row["agreed"] else ("disagreed" if row["refused"] else "none"),
            row["decision_source"] or "none",
            due.action if due else None, due.deadline if due else None,
            row["intentions_list"] or "", row["choix_list"] or "", row["decision_voie"] or "",
            _dt(row["decided_at"])))
    return out


EXPORT_COLUMNS = ("student_id", "nom", "prenom", "classe", "intentions", "avis_publie",
                  "accuse_reception", "choix", "propositions", "reponse", "decision",
                  "decision_date", "a_faire", "date_limite")


def export_csv(store: SqliteStore, uai: str, class_name: str | None = None,
               now: datetime | None = None) -> str:
    """The follow-up as a spreadsheet opens it: `;`-separated, UTF-8 with a BOM, one row a student."""
    calendar = store.calendar(uai)
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(EXPORT_COLUMNS)
    for s in statuses(store, uai, class_name, now):
        writer.writerow([
            s.student_id, s.nom, s.prenom, s.class_name, s.intentions_list,
            "oui" if s.opinion == "published" else "non",
            "oui" if s.acknowledged == "acknowledged" else "non", s.choix_list,
            s.proposals, s.answer, s.decision_voie,
            calendar.local_date(s.decided_at) if s.decided_at else "",
            s.pending or "", calendar.local_date(s.deadline) if s.deadline else ""])
    return "\ufeff" + buffer.getvalue()
