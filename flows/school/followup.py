"""The school's follow-up: each concerned student's state at every step, who has not acted, and
the CSV export — for the console's pages and the `followup` / `export` commands alike.

The statuses are computed here, with the rules, from the plain rows a read model fetches
(`Store.followup_rows`): published is `flows.rules.council.is_published`, an answer is over when
the family agreed or refused every published proposal (`flows.rules.decisions.disagrees`), and what
is due now is `flows.rules.standing.pending`, shared with the families' home.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime

from flows.ports import Store
from flows.rules import decisions
from flows.rules.calendar import Calendar
from flows.rules.council import is_published
from flows.rules.model import CONCERNED_LEVEL
from flows.rules.standing import FollowupRow, Progress, pending


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


def class_names(store: Store, uai: str) -> list[str]:
    """The school's classes of the concerned level, in order."""
    return store.class_names(uai, CONCERNED_LEVEL)


def _recorded(recorded: bool, published: bool) -> str:
    return "published" if published else ("recorded" if recorded else "none")


def status(row: FollowupRow, calendar: Calendar, now: datetime) -> StudentStatus:
    """Where one family stands, and what it must do now."""
    opinion_published = is_published(row.opinion_published_at, now)
    proposals_published = bool(decisions.published(row.proposals, now))
    agreed = any(a.agree for a in row.answers)
    progress = Progress(intentions=bool(row.intentions), opinion=opinion_published,
                        acknowledged=row.acknowledged_at is not None, choix=bool(row.choix),
                        proposals=proposals_published,
                        answered=agreed or decisions.disagrees(row.proposals, row.answers, now),
                        decided=row.decision is not None)
    due = pending(progress, calendar, now)
    # "disagreed" from the first refusal on: the school sees the family said no to a proposal.
    answer = "agreed" if agreed else ("disagreed" if row.answers else "none")
    return StudentStatus(
        row.student_id, row.nom, row.prenom, row.class_name,
        "validated" if progress.intentions else "none",
        _recorded(row.opinion_recorded, opinion_published),
        "acknowledged" if progress.acknowledged else "none",
        "validated" if progress.choix else "none",
        _recorded(bool(row.proposals), proposals_published), answer,
        row.decision.source.value if row.decision else "none",
        due.action if due else None, due.deadline if due else None,
        " > ".join(row.intentions), " > ".join(row.choix),
        row.decision.voie.value if row.decision else "",
        row.decision.decided_at if row.decision else None)


def statuses(store: Store, uai: str, class_name: str | None = None, *,
             now: datetime) -> list[StudentStatus]:
    """Every concerned student of the school (or of one class), with where the family stands."""
    calendar = store.calendar(uai)
    return [status(row, calendar, now)
            for row in store.followup_rows(uai, class_name, CONCERNED_LEVEL)]


EXPORT_COLUMNS = ("student_id", "nom", "prenom", "classe", "intentions", "avis_publie",
                  "accuse_reception", "choix", "propositions", "reponse", "decision",
                  "decision_date", "a_faire", "date_limite")


# A cell a spreadsheet would run as a formula (OWASP's CSV injection rule): what schools and
# families typed (names, details) is exported behind an apostrophe, which the sheet shows as text.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(cell: str) -> str:
    """`cell` as a spreadsheet shows it without running it."""
    return "'" + cell if cell.startswith(FORMULA_STARTS) else cell


def export_csv(store: Store, uai: str, class_name: str | None = None, *, now: datetime) -> str:
    """The follow-up as a spreadsheet opens it: `;`-separated, UTF-8 with a BOM, one row a student."""
    calendar = store.calendar(uai)
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(EXPORT_COLUMNS)
    for s in statuses(store, uai, class_name, now=now):
        writer.writerow([spreadsheet_safe(str(cell)) for cell in (
            s.student_id, s.nom, s.prenom, s.class_name, s.intentions_list,
            "oui" if s.opinion == "published" else "non",
            "oui" if s.acknowledged == "acknowledged" else "non", s.choix_list,
            s.proposals, s.answer, s.decision_voie,
            calendar.local_date(s.decided_at) if s.decided_at else "",
            s.pending or "", calendar.local_date(s.deadline) if s.deadline else "")])
    return "\ufeff" + buffer.getvalue()
