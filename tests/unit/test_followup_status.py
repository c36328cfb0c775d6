"""The school's follow-up statuses, computed from plain rows with the rules (`flows.school.followup`):
a table of rows and what the school sees, no I/O."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from flows.rules.calendar import AVIS, INTENTIONS, REPONSE, Calendar, day_window
from flows.rules.model import Decision, DecisionSource, Proposal, ProposalAnswer, Voie
from flows.rules.standing import FollowupRow
from flows.school.followup import status

ZONE = "Europe/Paris"
CALENDAR = Calendar(ZONE, {
    INTENTIONS: day_window(INTENTIONS, date(2026, 12, 1), date(2026, 12, 10), ZONE),
    AVIS: day_window(AVIS, date(2027, 1, 4), date(2027, 1, 15), ZONE),
    REPONSE: day_window(REPONSE, date(2027, 2, 15), date(2027, 2, 28), ZONE),
})
IN_INTENTIONS = datetime(2026, 12, 5, 9, 0, tzinfo=UTC)
IN_AVIS = datetime(2027, 1, 8, 9, 0, tzinfo=UTC)
IN_REPONSE = datetime(2027, 2, 20, 9, 0, tzinfo=UTC)
EARLIER = IN_REPONSE - timedelta(days=1)
LATER = IN_REPONSE + timedelta(days=1)
ROW = FollowupRow("E-LUCAS", "Martin", "Lucas", "3e B")


def _proposals(published_at: datetime | None) -> tuple[Proposal, ...]:
    return (Proposal("E-LUCAS", 1, Voie.PRO, "", published_at),
            Proposal("E-LUCAS", 2, Voie.CAP, "", published_at))


def _answers(*agree: bool) -> tuple[ProposalAnswer, ...]:
    return tuple(ProposalAnswer("E-LUCAS", rank, "R-CLAIRE", a, EARLIER)
                 for rank, a in enumerate(agree, start=1))


@pytest.mark.parametrize(("row", "now", "expected"), [
    (ROW, IN_INTENTIONS, ("none", "none", "none", "intentions")),
    (replace(ROW, intentions=("gt", "pro")), IN_INTENTIONS, ("none", "none", "none", None)),
    (replace(ROW, opinion_recorded=True), IN_AVIS, ("recorded", "none", "none", None)),
    (replace(ROW, opinion_recorded=True, opinion_published_at=LATER + timedelta(days=60)),
     IN_AVIS, ("recorded", "none", "none", None)),  # published later: not yet
    (replace(ROW, opinion_recorded=True, opinion_published_at=IN_AVIS), IN_AVIS,
     ("published", "none", "none", "avis")),
    (replace(ROW, opinion_recorded=True, opinion_published_at=IN_AVIS, acknowledged_at=IN_AVIS),
     IN_AVIS, ("published", "none", "none", None)),
    (replace(ROW, proposals=_proposals(None)), IN_REPONSE, ("none", "recorded", "none", None)),
    (replace(ROW, proposals=_proposals(EARLIER)), IN_REPONSE,
     ("none", "published", "none", "reponse")),
    (replace(ROW, proposals=_proposals(EARLIER), answers=_answers(False)), IN_REPONSE,
     ("none", "published", "disagreed", "reponse")),  # one of two refused: still to answer
    (replace(ROW, proposals=_proposals(EARLIER), answers=_answers(False, False)), IN_REPONSE,
     ("none", "published", "disagreed", None)),  # all refused: the head's turn
    (replace(ROW, proposals=_proposals(EARLIER), answers=_answers(True)), IN_REPONSE,
     ("none", "published", "agreed", None)),
])
def test_what_the_school_sees(row, now, expected):
    s = status(row, CALENDAR, now)
    assert (s.opinion, s.proposals, s.answer, s.pending) == expected


def test_the_lists_the_decision_and_the_deadline():
    decision = Decision("E-LUCAS", Voie.GT, "", EARLIER, DecisionSource.HEAD, EARLIER)
    s = status(replace(ROW, intentions=("gt", "pro"), choix=("pro",), decision=decision,
                       proposals=_proposals(EARLIER)), CALENDAR, IN_REPONSE)
    assert (s.intentions, s.intentions_list, s.choix, s.choix_list) == \
        ("validated", "gt > pro", "validated", "pro")
    assert (s.decision, s.decision_voie, s.decided_at, s.pending) == ("head", "gt", EARLIER, None)
    due = status(ROW, CALENDAR, IN_INTENTIONS)
    assert due.deadline == CALENDAR.window(INTENTIONS).closes
