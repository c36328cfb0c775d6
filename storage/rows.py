"""Conversions between SQL rows and the domain's objects shared by the SQLite modules: instants
as ISO text, and the rows of one bulk read of a student's file."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from flows.ports import StudentFile
from flows.rules.model import (
    Acknowledgement,
    Avis,
    CouncilOpinion,
    Decision,
    DecisionSource,
    Intention,
    Proposal,
    ProposalAnswer,
    RequestSet,
    Step,
    Voie,
)


def _ts(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def _dt(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def _when(text: str) -> datetime:
    """A stored instant that the schema requires (NOT NULL)."""
    return datetime.fromisoformat(text)


def file_from_rows(student_id: str, rows: Sequence[Sequence[Any]]) -> StudentFile:
    """Assemble a `StudentFile` from rows tagged by kind: r/i requests and their items, o/v
    opinions and their avis, a acknowledgements, p proposals, x answers, d the decision."""
    by_kind: dict[str, list[Sequence[Any]]] = {}
    for row in rows:
        by_kind.setdefault(row[0], []).append(row)
    items: dict[str, list[tuple[int, Intention]]] = {}
    for _, step, rank, voie, metier, scolaire, apprenti in by_kind.get("i", []):
        items.setdefault(step, []).append(
            (rank, Intention(Voie(voie), metier or "", bool(scolaire), bool(apprenti))))
    requests = {
        Step(step): RequestSet(student_id, Step(step),
                               [item for _, item in sorted(items.get(step, []),
                                                           key=lambda pair: pair[0])],
                               editor, _when(validated_at))
        for _, step, editor, validated_at, *_ in by_kind.get("r", [])}
    avis: dict[str, list[tuple[int, Avis]]] = {}
    for _, step, rank, value, *_ in by_kind.get("v", []):
        avis.setdefault(step, []).append((rank, Avis(value)))
    opinions = {
        Step(step): CouncilOpinion(student_id, Step(step),
                                   tuple(a for _, a in sorted(avis.get(step, []),
                                                              key=lambda pair: pair[0])),
                                   Voie(recommendation) if recommendation else None,
                                   motivation or "", _dt(published_at))
        for _, step, recommendation, motivation, published_at, *_ in by_kind.get("o", [])}
    acknowledgements = {
        Step(step): Acknowledgement(student_id, Step(step), guardian_id, _when(at))
        for _, step, guardian_id, at, *_ in by_kind.get("a", [])}
    proposals = sorted((Proposal(student_id, rank, Voie(voie), detail or "", _dt(published_at))
                        for _, rank, voie, detail, published_at, *_ in by_kind.get("p", [])),
                       key=lambda p: p.rank)
    answers = sorted((ProposalAnswer(student_id, rank, guardian_id, bool(agree), _when(at))
                      for _, rank, guardian_id, agree, at, *_ in by_kind.get("x", [])),
                     key=lambda a: a.rank)
    decision = next((Decision(student_id, Voie(voie), detail or "", _when(decided_at),
                              DecisionSource(source), _dt(published_at))
                     for _, voie, detail, decided_at, source, published_at, _ in
                     by_kind.get("d", [])), None)
    return StudentFile(student_id, requests, opinions, acknowledgements, proposals, answers,
                       decision)
