"""Where a family stands in the campaign, and what, if anything, it must do now and by when.

One rule for the orientation home, the school's follow-up and its exports. `Progress` says what the
family has done; `pending` names the one action due now, with the closing instant of its window.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from .calendar import AVIS, CHOIX, INTENTIONS, REPONSE, Calendar
from .model import Decision, Proposal, ProposalAnswer


@dataclass(frozen=True)
class Progress:
    intentions: bool = False  # intentions validated
    opinion: bool = False  # the council's opinion published
    acknowledged: bool = False
    choix: bool = False  # choix définitifs validated
    proposals: bool = False  # the council's proposals published
    answered: bool = False  # agreed with a proposal, or refused them all
    decided: bool = False  # a decision is published


@dataclass(frozen=True)
class Pending:
    action: str  # intentions | avis | choix | reponse
    deadline: datetime


# (action, window, published-first?, done?) in campaign order.
_ACTIONS = (
    ("intentions", INTENTIONS, lambda p: True, lambda p: p.intentions),
    ("avis", AVIS, lambda p: p.opinion, lambda p: p.acknowledged),
    ("choix", CHOIX, lambda p: True, lambda p: p.choix),
    ("reponse", REPONSE, lambda p: p.proposals, lambda p: p.answered or p.decided),
)


def pending(progress: Progress, calendar: Calendar, now: datetime) -> Pending | None:
    """The action the family must do now (its window open, its object published, not done)."""
    for action, key, ready, done in _ACTIONS:
        window = calendar.window(key)
        if window is None or not window.contains(now):
            continue
        if ready(progress) and not done(progress):
            return Pending(action, window.closes)
    return None


@dataclass(frozen=True)
class FollowupRow:
    """What a school's read model fetches of one concerned student: plain facts, no status (the
    statuses are computed from them by `flows.school.followup`)."""

    student_id: str
    nom: str
    prenom: str
    class_name: str
    intentions: tuple[str, ...] = ()  # the validated intentions' voies, in rank order
    choix: tuple[str, ...] = ()
    opinion_recorded: bool = False
    opinion_published_at: datetime | None = None
    acknowledged_at: datetime | None = None
    proposals: tuple[Proposal, ...] = ()
    answers: tuple[ProposalAnswer, ...] = ()
    decision: Decision | None = None
