"""Recording the class council's provisional opinions (CLI): from arguments or a small CSV file.

CSV columns, `;` or `,` separated, UTF-8 with or without BOM:
    student_id;avis_1;avis_2;avis_3;recommendation;motivation
An avis is favorable, réservé or défavorable (with or without "Avis "); a recommendation is one of
gt, pro, cap, its French label, or empty for none.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime

from flows.errors import DomainError
from flows.identity import fold
from flows.model import Avis, CouncilOpinion, Step, Voie
from flows.notifications import notify_opinion_published
from flows.texts import t
from storage import SqliteStore

_AVIS = {"favorable": Avis.FAVORABLE, "reserve": Avis.RESERVE, "defavorable": Avis.DEFAVORABLE}


class CouncilInputError(ValueError):
    pass


def parse_avis(raw: str) -> Avis:
    key = fold(raw).removeprefix("avis ").strip()
    if key not in _AVIS:
        raise CouncilInputError(f"'{raw}' is not an avis (favorable, réservé, défavorable)")
    return _AVIS[key]


def parse_voie(raw: str) -> Voie | None:
    text = raw.strip()
    if not text or fold(text) in ("aucune", "none", "-"):
        return None
    for voie in Voie:
        if fold(text) in (voie.value, fold(t(f"voie.{voie.value}"))):
            return voie
    raise CouncilInputError(f"'{raw}' is not a voie (gt, pro, cap or its label)")


def record(store: SqliteStore, student_id: str, avis: list[Avis], recommendation: Voie | None,
           motivation: str, now: datetime) -> CouncilOpinion:
    """Record and publish the opinion; one avis per validated intention, in rank order."""
    student = store.student(student_id)
    if student is None:
        raise CouncilInputError(f"no student with id '{student_id}'")
    saved = store.requests(student_id, Step.INTENTIONS)
    expected = len(saved.items) if saved else None
    if expected is not None and len(avis) != expected:
        raise CouncilInputError(
            f"{student_id} has {expected} validated intention(s): give {expected} avis")
    if not 1 <= len(avis) <= 3 and expected is None:
        raise CouncilInputError("give 1 to 3 avis")
    opinion = CouncilOpinion(student_id, Step.INTENTIONS, tuple(avis), recommendation,
                             " ".join(motivation.split()), now)
    with store.transaction():
        if store.acknowledgement(student_id, Step.INTENTIONS) is not None:
            raise CouncilInputError(f"{student_id}: the family already acknowledged the opinion")
        store.save_opinion(opinion)
        notify_opinion_published(store, student, now)
        store.audit(now, None, "cli", student_id, "opinion_recorded",
                    {"avis": [a.value for a in avis],
                     "recommendation": recommendation.value if recommendation else None})
    return opinion


def rows_from_csv(text: str) -> list[tuple[str, list[Avis], Voie | None, str]]:
    text = text.lstrip("\ufeff")
    dialect = ";" if text.count(";") >= text.count(",") else ","
    rows = []
    reader = csv.DictReader(io.StringIO(text), delimiter=dialect)
    for number, row in enumerate(reader, start=2):
        try:
            avis = [parse_avis(row[c]) for c in ("avis_1", "avis_2", "avis_3")
                    if (row.get(c) or "").strip()]
            rows.append((row["student_id"].strip(), avis,
                         parse_voie(row.get("recommendation") or ""),
                         row.get("motivation") or ""))
        except (CouncilInputError, KeyError, AttributeError, DomainError) as exc:
            raise CouncilInputError(f"line {number}: {exc}") from None
    return rows
