"""Rules of the class council's provisional opinion, of its recording by the school and of its
acknowledgement; the texts the council writes (motivation, details) follow `clean_text`."""

from __future__ import annotations

from datetime import datetime

from .errors import DomainError
from .folding import one_line
from .model import Acknowledgement, CouncilOpinion, RequestSet, Student


def is_published(published_at: datetime | None, now: datetime) -> bool:
    """What the school records (opinion, proposals, decision) is public from its publication on."""
    return published_at is not None and published_at <= now


def visible(opinion: CouncilOpinion | None, now: datetime) -> CouncilOpinion | None:
    """An opinion is shown to families only once the school has published it."""
    if opinion is None or not is_published(opinion.published_at, now):
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


# ---- recording the opinion (the school's side) ---------------------------------------------------

AVIS_MAX = 3
DETAIL_MAX_LENGTH = 100


def clean_text(text: str) -> str:
    """One line, spaces folded; control characters refused (families read it in their chat)."""
    return one_line(text, "council.control_characters")


def detail(text: str, rank: int | None = None) -> str:
    """A proposal's (`rank`) or the decision's (None) precision: one line, at most 100 characters."""
    cleaned = clean_text(text)
    if len(cleaned) > DETAIL_MAX_LENGTH:
        key = "decision.detail_too_long" if rank is None else "council.detail_too_long"
        raise DomainError(key, rank=rank, limit=DETAIL_MAX_LENGTH, length=len(cleaned))
    return cleaned


def check_student_of(student: Student | None, student_id: str, school: str | None) -> Student:
    """The student, if known and of the acting staff's school (`school`; None: the operator's CLI);
    another school's student is refused as unknown."""
    if student is None or (school is not None and student.uai != school):
        if school is None:
            raise DomainError("council.unknown_student", student_id=student_id)
        raise DomainError("council.unknown_student_here", student_id=student_id)
    return student


def check_may_record_opinion(student_id: str, avis_count: int, saved: RequestSet | None,
                             ack: Acknowledgement | None) -> None:
    """One avis per validated intention (1 to 3 when none was validated); none once acknowledged."""
    expected = len(saved.items) if saved else None
    if expected is not None and avis_count != expected:
        raise DomainError("council.avis_count", student_id=student_id, expected=expected)
    if expected is None and not 1 <= avis_count <= AVIS_MAX:
        raise DomainError("council.avis_range")
    if ack is not None:
        raise DomainError("council.acknowledged", student_id=student_id)
