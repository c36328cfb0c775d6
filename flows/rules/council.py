"""Rules of the class council's provisional opinion and of its acknowledgement."""

from __future__ import annotations

from datetime import datetime

from .errors import DomainError
from .model import Acknowledgement, CouncilOpinion, RequestSet


def visible(opinion: CouncilOpinion | None, now: datetime) -> CouncilOpinion | None:
    """An opinion is shown to families only once the school has published it."""
    if opinion is None or opinion.published_at is None or opinion.published_at > now:
        return None
    return opinion


def check_may_acknowledge(guardian_id: str | None, saved: RequestSet | None,
                          opinion: CouncilOpinion | None, ack: Acknowledgement | None,
                          now: datetime) -> None:
    """Only the guardian who entered the requests acknowledges, once, after publication.

    `guardian_id` is the acting guardian of this student, None for a student's own account. When no
    guardian validated any request, any guardian of the student may acknowledge.
    """
    if visible(opinion, now) is None:
        raise DomainError("ack.no_opinion")
    if guardian_id is None or (saved is not None and saved.editor_guardian_id != guardian_id):
        raise DomainError("ack.not_editor")
    if ack is not None:
        raise DomainError("ack.already")
