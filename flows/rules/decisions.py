"""Rules of step 3: the council's proposals, the family's answers, the decision and the appeal.

- The council records one or more ranked *propositions d'orientation*; families see them once the
  school has published them.
- The guardian who entered the choix définitifs answers them in rank order (when nobody entered
  choices, any guardian of the student may). *D'accord* makes that proposal the *décision
  d'orientation*, dated, and the remaining proposals need no answer. *Pas d'accord* moves to the
  next proposal; when every proposal is refused, the family must meet the head of school, who then
  records the decision. Answers are final.
- Answers are taken while the answer window (REPONSE) is open.
- A head's decision, taken after a disagreement, may be appealed to the *commission d'appel* within
  3 working days (Monday to Friday, public holidays of the school's region excluded).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta

import holidays

from .calendar import REPONSE, Calendar
from .council import is_published
from .errors import DomainError
from .model import (
    AccountKind,
    Decision,
    DecisionSource,
    Proposal,
    ProposalAnswer,
    RequestSet,
    Voie,
)

APPEAL_WORKING_DAYS = 3
PROPOSALS_MAX = 3

# Overseas regions have their own public holidays (e.g. the abolition of slavery).
_SUBDIVISION_OF_ZONE = {
    "America/Martinique": "MQ", "America/Guadeloupe": "GP", "America/Cayenne": "GF",
    "Indian/Reunion": "RE", "Indian/Mayotte": "YT",
}


def published(proposals: Sequence[Proposal], now: datetime) -> list[Proposal]:
    """The proposals families may see: published, in rank order."""
    return sorted((p for p in proposals if is_published(p.published_at, now)),
                  key=lambda p: p.rank)


def visible_decision(decision: Decision | None, now: datetime) -> Decision | None:
    if decision is None or not is_published(decision.published_at, now):
        return None
    return decision


def next_to_answer(proposals: Sequence[Proposal], answers: Sequence[ProposalAnswer],
                   now: datetime) -> Proposal | None:
    """The first published proposal without an answer, unless the family already agreed to one."""
    answered = {a.rank: a for a in answers}
    if any(a.agree for a in answers):
        return None
    return next((p for p in published(proposals, now) if p.rank not in answered), None)


def disagrees(proposals: Sequence[Proposal], answers: Sequence[ProposalAnswer],
              now: datetime) -> bool:
    """The family refused every published proposal: it must meet the head of school."""
    shown = published(proposals, now)
    refused = {a.rank for a in answers if not a.agree}
    return bool(shown) and all(p.rank in refused for p in shown)


def answerer_of(choices: RequestSet | None, intentions: RequestSet | None) -> str | None:
    """The guardian who answers: the one who entered the choices, else the intentions, else any."""
    for saved in (choices, intentions):
        if saved is not None:
            return saved.editor_guardian_id
    return None


def check_may_answer(kind: AccountKind, guardian_id: str | None, editor_id: str | None,
                     proposals: Sequence[Proposal], answers: Sequence[ProposalAnswer],
                     decision: Decision | None, rank: int, calendar: Calendar,
                     now: datetime) -> Proposal:
    """The proposal of `rank` if this account may answer it now; raises the refusal otherwise."""
    if kind is not AccountKind.GUARDIAN or guardian_id is None:
        raise DomainError("answer.read_only_student")
    if not published(proposals, now):
        raise DomainError("answer.no_proposal")
    if editor_id is not None and editor_id != guardian_id:
        raise DomainError("answer.not_editor")
    if decision is not None or any(a.rank == rank for a in answers) or any(a.agree for a in answers):
        raise DomainError("answer.already")
    target = next_to_answer(proposals, answers, now)
    if target is None or target.rank != rank:
        raise DomainError("answer.no_proposal")
    try:
        calendar.require_open(REPONSE, now)
    except DomainError as error:  # the answer window's own words, not step 1's
        raise DomainError(error.key.replace("window.", "answer."), **error.params) from None
    return target


def answer(proposal: Proposal, guardian_id: str, agree: bool,
           now: datetime) -> tuple[ProposalAnswer, Decision | None]:
    """The answer to record, and the decision it makes when the family agrees."""
    given = ProposalAnswer(proposal.student_id, proposal.rank, guardian_id, agree, now)
    if not agree:
        return given, None
    return given, Decision(proposal.student_id, proposal.voie, proposal.detail, now,
                           DecisionSource.FAMILY, published_at=now)


def check_may_record_decision(staff_uai: str, student_uai: str, existing: Decision | None,
                              proposals: Sequence[Proposal], answers: Sequence[ProposalAnswer],
                              calendar: Calendar, now: datetime) -> None:
    """The head of school records a decision for a student of their school, after the family
    refused every proposal, or once the answer window has closed without an agreement."""
    if staff_uai != student_uai:
        raise DomainError("decision.other_school")
    if existing is not None and existing.source is DecisionSource.FAMILY:
        raise DomainError("decision.family_agreed")
    window = calendar.window(REPONSE)
    closed = window is not None and now > window.closes
    if not (disagrees(proposals, answers, now) or closed):
        raise DomainError("decision.no_disagreement")


def check_proposals(voies: Sequence[Voie]) -> None:
    """The council proposes 1 to 3 ranked voies, each voie once."""
    if not voies:
        raise DomainError("council.no_proposal")
    if len(voies) > PROPOSALS_MAX:
        raise DomainError("council.too_many_proposals")
    for rank, voie in enumerate(voies, start=1):
        if voie in voies[:rank - 1]:
            raise DomainError("council.voie_twice", rank=rank)


def check_may_record_proposals(student_id: str, answers: Sequence[ProposalAnswer],
                               decision: Decision | None) -> None:
    """Proposals may change until the family answers one (or a decision is taken)."""
    if answers or decision is not None:
        raise DomainError("council.answered", student_id=student_id)


def working_days_after(start: date, count: int, timezone: str) -> date:
    """The `count`-th working day after `start`: weekends and the region's public holidays skipped."""
    subdivision = _SUBDIVISION_OF_ZONE.get(timezone)
    off = holidays.France(subdiv=subdivision, years=range(start.year, start.year + 2))
    day, left = start, count
    while left:
        day += timedelta(days=1)
        if day.weekday() < 5 and day not in off:
            left -= 1
    return day


def appeal_deadline(decision: Decision, calendar: Calendar) -> date | None:
    """The last day to ask the *commission d'appel*: only a head's decision may be appealed."""
    if decision.source is not DecisionSource.HEAD:
        return None
    decided = decision.decided_at.astimezone(calendar.tz).date()
    return working_days_after(decided, APPEAL_WORKING_DAYS, calendar.timezone)
