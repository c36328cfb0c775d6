"""Recording the class councils' results and publishing them: the school's side, for the CLI and the
web console alike.

- `record` — the provisional opinion on the intentions (one avis per intention, recommendation,
  motivation);
- `record_proposals` — the council's proposals answering the choix définitifs (step 3);
- `record_decision` — the head of school's decision after the family disagreed;
- `publish_class` — publishes what a class has recorded and not yet published.

Recording publishes at once unless `publish=False` (the console records, then publishes per class).
Publishing queues the families' notifications in the same transaction. `school`, when given, is the
UAI of the staff member acting: a student of another school is refused as if unknown.

CSV files (UTF-8 with or without BOM, `;` or `,` separated, header on line 1) — a file with any bad
line is refused whole, with every bad line reported; a good file is recorded in one transaction:
    opinions:  student_id;avis_1;avis_2;avis_3;recommendation;motivation
    proposals: student_id;voie_1;detail_1;voie_2;detail_2;voie_3;detail_3
    decisions: student_id;voie;detail
An avis is favorable, réservé or défavorable (with or without "Avis "); a voie is gt, pro, cap, its
French label, or (recommendation only) empty for none.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime

from flows.ports import Store
from flows.rules import decisions as rules
from flows.rules.errors import DomainError
from flows.rules.identity import fold
from flows.rules.model import Avis, CouncilOpinion, Decision, DecisionSource, Proposal, Step, Student, Voie
from flows.rules.routing import notify_published
from flows.texts import t

_AVIS = {"favorable": Avis.FAVORABLE, "reserve": Avis.RESERVE, "defavorable": Avis.DEFAVORABLE}
DETAIL_MAX_LENGTH = 100


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


def required_voie(raw: str) -> Voie:
    voie = parse_voie(raw)
    if voie is None:
        raise CouncilInputError("a voie is required (gt, pro or cap)")
    return voie


def _clean(text: str) -> str:
    """One line, spaces folded; control characters refused (families read it in their chat)."""
    cleaned = " ".join(text.split())
    if any(unicodedata.category(c).startswith("C") for c in cleaned):
        raise CouncilInputError("the text holds control characters")
    return cleaned


def _detail(text: str) -> str:
    """A proposal's or decision's precision: one line of at most DETAIL_MAX_LENGTH characters."""
    cleaned = _clean(text)
    if len(cleaned) > DETAIL_MAX_LENGTH:
        raise CouncilInputError(f"the detail is longer than {DETAIL_MAX_LENGTH} characters")
    return cleaned


def _student(store: Store, student_id: str, school: str | None) -> Student:
    student = store.student(student_id)
    if student is None or (school is not None and student.uai != school):
        raise CouncilInputError(f"no student with id '{student_id}'"
                                + (" in this school" if school else ""))
    return student


# ---- the provisional opinion -------------------------------------------------------------------

def record(store: Store, student_id: str, avis: list[Avis], recommendation: Voie | None,
           motivation: str, now: datetime, *, publish: bool = True,
           school: str | None = None) -> CouncilOpinion:
    """Record (and publish) the opinion; one avis per validated intention, in rank order."""
    with store.transaction():
        student = _student(store, student_id, school)
        saved = store.requests(student_id, Step.INTENTIONS)
        expected = len(saved.items) if saved else None
        if expected is not None and len(avis) != expected:
            raise CouncilInputError(
                f"{student_id} has {expected} validated intention(s): give {expected} avis")
        if expected is None and not 1 <= len(avis) <= 3:
            raise CouncilInputError("give 1 to 3 avis")
        if store.acknowledgement(student_id, Step.INTENTIONS) is not None:
            raise CouncilInputError(f"{student_id}: the family already acknowledged the opinion")
        before = store.opinion(student_id, Step.INTENTIONS)
        published_at = now if publish else (before.published_at if before else None)
        opinion = CouncilOpinion(student_id, Step.INTENTIONS, tuple(avis), recommendation,
                                 _clean(motivation), published_at)
        store.save_opinion(opinion)
        if publish:
            notify_published(store, student, "opinion", now)
        store.audit(now, None, "school", student_id, "opinion_recorded",
                    {"avis": [a.value for a in avis], "published": publish,
                     "recommendation": recommendation.value if recommendation else None})
    return opinion


# ---- step 3 ------------------------------------------------------------------------------------

def record_proposals(store: Store, student_id: str, proposals: list[tuple[Voie, str]],
                     now: datetime, *, publish: bool = True,
                     school: str | None = None) -> list[Proposal]:
    """Record (and publish) the council's 1 to 3 ranked proposals; not once the family answered."""
    if not 1 <= len(proposals) <= 3:
        raise CouncilInputError("give 1 to 3 proposals")
    if len({voie for voie, _ in proposals}) != len(proposals):
        raise CouncilInputError("a voie is proposed twice")
    with store.transaction():
        student = _student(store, student_id, school)
        if store.answers(student_id) or store.decision(student_id) is not None:
            raise CouncilInputError(f"{student_id}: the family already answered the proposals")
        made = [Proposal(student_id, rank, voie, _detail(detail), now if publish else None)
                for rank, (voie, detail) in enumerate(proposals, start=1)]
        store.save_proposals(student_id, made)
        if publish:
            notify_published(store, student, "proposal", now)
        store.audit(now, None, "school", student_id, "proposals_recorded",
                    {"voies": [v.value for v, _ in proposals], "published": publish})
    return made


def record_decision(store: Store, student_id: str, voie: Voie, detail: str, now: datetime,
                    *, school: str | None = None) -> Decision:
    """The head's decision after meeting a family that disagreed; published and notified at once."""
    with store.transaction():
        student = _student(store, student_id, school)
        try:
            rules.check_may_record_decision(
                school or student.uai, student.uai, store.decision(student_id),
                store.proposals(student_id), store.answers(student_id),
                store.calendar(student.uai), now)
        except DomainError as error:
            raise CouncilInputError(f"{student_id}: {_DECISION_REFUSALS[error.key]}") from None
        decision = Decision(student_id, voie, _detail(detail), now, DecisionSource.HEAD,
                            published_at=now)
        store.save_decision(decision)
        notify_published(store, student, "decision", now)
        store.audit(now, None, "school", student_id, "decision_recorded", {"voie": voie.value})
    return decision


_DECISION_REFUSALS = {
    "decision.other_school": "not a student of this school",
    "decision.family_agreed": "the family agreed with a proposal; that is the decision",
    "decision.no_disagreement": "the family has not refused every proposal and the answer "
                                "window is still open",
}


def publish_class(store: Store, uai: str, class_name: str, now: datetime) -> dict[str, int]:
    """Publish every recorded, unpublished opinion and proposal of a class; notify the families."""
    counts = {"opinions": 0, "proposals": 0}
    with store.transaction():
        for student in store.students_of_class(uai, class_name):
            opinion = store.opinion(student.id, Step.INTENTIONS)
            if opinion is not None and opinion.published_at is None:
                store.save_opinion(replace(opinion, published_at=now))
                notify_published(store, student, "opinion", now)
                counts["opinions"] += 1
            proposals = store.proposals(student.id)
            if proposals and any(p.published_at is None for p in proposals):
                store.save_proposals(student.id, [replace(p, published_at=p.published_at or now)
                                                  for p in proposals])
                notify_published(store, student, "proposal", now)
                counts["proposals"] += 1
        store.audit(now, None, "school", None, "class_published",
                    {"uai": uai, "class": class_name, **counts})
    return counts


# ---- CSV ---------------------------------------------------------------------------------------

Row = dict[str, str]


def _rows(text: str) -> list[tuple[int, Row]]:
    text = text.lstrip("\ufeff")
    header = text.split("\n", 1)[0]
    dialect = ";" if header.count(";") >= header.count(",") else ","
    reader = csv.DictReader(io.StringIO(text), delimiter=dialect)
    reader.fieldnames = [fold(name or "").replace(" ", "_") for name in reader.fieldnames or []]
    return [(reader.line_num, {k: (v or "") for k, v in row.items() if k is not None})
            for row in reader]


def _parse_file(text: str, required: tuple[str, ...], parse: Callable[[Row], object]) -> list:
    """Every row parsed, or CouncilInputError listing every bad line."""
    parsed, errors = [], []
    rows = _rows(text)
    missing = [c for c in required if rows and c not in rows[0][1]]
    if missing:
        raise CouncilInputError(f"line 1: missing column(s) {', '.join(missing)}")
    for number, row in rows:
        try:
            if not row.get("student_id", "").strip():
                raise CouncilInputError("column student_id: empty")
            parsed.append(parse(row))
        except CouncilInputError as exc:
            errors.append(f"line {number}: {exc}")
    if errors:
        raise CouncilInputError("\n".join(errors))
    if not parsed:
        raise CouncilInputError("the file has no line after the header")
    return parsed


def _opinion_row(row: Row) -> tuple[str, list[Avis], Voie | None, str]:
    avis = [parse_avis(row[c]) for c in ("avis_1", "avis_2", "avis_3") if row.get(c, "").strip()]
    return (row["student_id"].strip(), avis, parse_voie(row.get("recommendation", "")),
            row.get("motivation", ""))


def _proposal_row(row: Row) -> tuple[str, list[tuple[Voie, str]]]:
    proposals = [(required_voie(row[f"voie_{n}"]), row.get(f"detail_{n}", ""))
                 for n in (1, 2, 3) if row.get(f"voie_{n}", "").strip()]
    if not proposals:
        raise CouncilInputError("column voie_1: a voie is required (gt, pro or cap)")
    return row["student_id"].strip(), proposals


def _decision_row(row: Row) -> tuple[str, Voie, str]:
    return row["student_id"].strip(), required_voie(row.get("voie", "")), row.get("detail", "")


def rows_from_csv(text: str) -> list[tuple[str, list[Avis], Voie | None, str]]:
    return _parse_file(text, ("student_id", "avis_1"), _opinion_row)


def proposal_rows_from_csv(text: str) -> list[tuple[str, list[tuple[Voie, str]]]]:
    return _parse_file(text, ("student_id", "voie_1"), _proposal_row)


def decision_rows_from_csv(text: str) -> list[tuple[str, Voie, str]]:
    return _parse_file(text, ("student_id", "voie"), _decision_row)


def record_all(store: Store, record_one: Callable[..., object], rows: list[tuple],
               now: datetime, **options: object) -> int:
    """Record every row of a file in one transaction: all of it, or nothing and every error."""
    errors = []
    with store.transaction():
        for row in rows:
            try:
                with store.transaction():  # a savepoint: a refused row leaves no trace
                    record_one(store, *row, now, **options)
            except CouncilInputError as exc:
                errors.append(str(exc))
        if errors:
            raise CouncilInputError("\n".join(errors))  # inside: nothing of the file is kept
    return len(rows)
