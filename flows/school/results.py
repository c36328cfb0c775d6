"""Recording the class councils' results and publishing them, for the CLI and the console alike.

- `record` — the provisional opinion on the intentions (one avis per intention,
  recommendation, motivation);
- `record_proposals` — the council's proposals answering the choix définitifs (step 3);
- `record_decision` — the head of school's decision after the family disagreed;
- `record_all` — every row of a results file, all or nothing;
- `publish_class` — publishes what a class has recorded and not yet published;
- `notify_published` — the families' notices of a publication, on the channel each guardian uses.

The rules are `flows.rules.council` and `flows.rules.decisions`; a refusal is `Refused`, carrying
the rules' keys. Recording publishes at once unless `publish=False` (the console records, then
publishes per class); publishing queues the families' notifications in the same transaction.
`school`, when given, is the UAI of the staff member acting: a student of another school is refused
as if unknown.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from flows.ports import Store
from flows.rules import council, decisions
from flows.rules.errors import DomainError
from flows.rules.model import (
    AccountKind,
    Avis,
    CouncilOpinion,
    Decision,
    DecisionSource,
    Guardian,
    OutMessage,
    Proposal,
    Step,
    Student,
    Voie,
)
from flows.rules.routing import route, texts_for

from .refusals import Problem, Refused


def channels_of(store: Store, guardian: Guardian) -> list[tuple[str, str]]:
    """(kind, recipient) to reach a guardian: the chat they use, else the mobile by SMS."""
    account = store.account_of(AccountKind.GUARDIAN, guardian.id)
    chat = None
    if account is not None and account.id is not None and account.status == "active":
        chat = store.latest_chat(account.id)
    routed = route(chat, guardian.mobile)
    return [routed] if routed else []


def notify_published(store: Store, student: Student, what: str, published_at: datetime) -> int:
    """Queue "something is published for your child" (`what`: opinion, proposal or decision) for
    the student's guardians; returns how many messages were queued. Each notice has a dedupe key,
    so publishing twice does not notify twice."""
    count = 0
    for guardian in store.guardians_of(student.id):
        if student.id in store.flagged_links(guardian.id):
            continue
        for kind, recipient in channels_of(store, guardian):
            text = texts_for(kind, recipient)  # an SMS takes the notice's SMS wording, if any
            store.enqueue(OutMessage(
                kind, recipient, text(f"notify.{what}", prenom=student.prenom),
                dedupe_key=f"notify:{what}:{student.id}:{published_at.isoformat()}:{recipient}"),
                published_at)
            count += 1
    return count


def _student(store: Store, student_id: str, school: str | None) -> Student:
    return council.check_student_of(store.student(student_id), student_id, school)


def record(store: Store, student_id: str, avis: Sequence[Avis],
                   recommendation: Voie | None, motivation: str, now: datetime, *,
                   publish: bool = True, school: str | None = None) -> CouncilOpinion:
    """Record (and publish) the opinion; one avis per validated intention, in rank order."""
    try:
        with store.transaction():
            student = _student(store, student_id, school)
            council.check_may_record_opinion(student_id, len(avis),
                                             store.requests(student_id, Step.INTENTIONS),
                                             store.acknowledgement(student_id, Step.INTENTIONS))
            before = store.opinion(student_id, Step.INTENTIONS)
            published_at = now if publish else (before.published_at if before else None)
            opinion = CouncilOpinion(student_id, Step.INTENTIONS, tuple(avis), recommendation,
                                     council.clean_text(motivation), published_at)
            store.save_opinion(opinion)
            if publish:
                notify_published(store, student, "opinion", now)
            store.audit(now, None, "school", student_id, "opinion_recorded",
                        {"avis": [a.value for a in avis], "published": publish,
                         "recommendation": recommendation.value if recommendation else None})
    except DomainError as error:
        raise Refused([error]) from None
    return opinion


def record_proposals(store: Store, student_id: str, proposals: Sequence[tuple[Voie, str]],
                     now: datetime, *, publish: bool = True,
                     school: str | None = None) -> list[Proposal]:
    """Record (and publish) the council's 1 to 3 ranked proposals; not once the family answered."""
    try:
        decisions.check_proposals([voie for voie, _ in proposals])
        with store.transaction():
            student = _student(store, student_id, school)
            decisions.check_may_record_proposals(student_id, store.answers(student_id),
                                                 store.decision(student_id))
            made = [Proposal(student_id, rank, voie, council.detail(text, rank),
                             now if publish else None)
                    for rank, (voie, text) in enumerate(proposals, start=1)]
            store.save_proposals(student_id, made)
            if publish:
                notify_published(store, student, "proposal", now)
            store.audit(now, None, "school", student_id, "proposals_recorded",
                        {"voies": [v.value for v, _ in proposals], "published": publish})
    except DomainError as error:
        raise Refused([error]) from None
    return made


def record_decision(store: Store, student_id: str, voie: Voie, detail: str, now: datetime,
                    *, school: str | None = None) -> Decision:
    """The head's decision after meeting a family that disagreed; published and notified at once."""
    try:
        with store.transaction():
            student = _student(store, student_id, school)
            try:
                decisions.check_may_record_decision(
                    school or student.uai, student.uai, store.decision(student_id),
                    store.proposals(student_id), store.answers(student_id),
                    store.calendar(student.uai), now)
            except DomainError as error:  # said of this student, in a file of many
                raise DomainError(error.key, student_id=student_id, **error.params) from None
            decision = Decision(student_id, voie, council.detail(detail), now,
                                DecisionSource.HEAD, published_at=now)
            store.save_decision(decision)
            notify_published(store, student, "decision", now)
            store.audit(now, None, "school", student_id, "decision_recorded",
                        {"voie": voie.value})
    except DomainError as error:
        raise Refused([error]) from None
    return decision


def record_all(store: Store, record_one: Callable[..., object], rows: Sequence[tuple[Any, ...]],
               now: datetime, **options: Any) -> int:
    """Record every row of a file in one transaction: all of it, or nothing and every refusal."""
    problems: list[Problem] = []
    with store.transaction():
        for row in rows:
            try:
                with store.transaction():  # a savepoint: a refused row leaves no trace
                    record_one(store, *row, now, **options)
            except Refused as refused:
                problems += refused.problems
        if problems:
            raise Refused(problems)  # inside: nothing of the file is kept
    return len(rows)


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
