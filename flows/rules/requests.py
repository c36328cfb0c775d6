"""Rules of the family's requests (intentions provisoires, later choix définitifs).

1 to 3 ranked intentions, each voie at most once; métier/formation and statut only for the
professional voies; only the guardian who validated first may modify, until the window closes.
Functions take and return plain lists: the draft in a dialogue is such a list.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from .calendar import Calendar
from .errors import DomainError
from .folding import one_line
from .model import AccountKind, Intention, RequestSet, Voie

MAX_INTENTIONS = 3
METIER_MAX_LENGTH = 100


def clean_metier(raw: str) -> str:
    """Trim the free "Métier ou formation" text; refuse control characters and over-long text."""
    text = one_line(raw, "metier.invalid")
    if len(text) > METIER_MAX_LENGTH:
        raise DomainError("metier.too_long", max=METIER_MAX_LENGTH, length=len(text))
    return text


def add(draft: list[Intention], voie: Voie) -> list[Intention]:
    if len(draft) >= MAX_INTENTIONS:
        raise DomainError("requests.max", max=MAX_INTENTIONS)
    if any(item.voie is voie for item in draft):
        raise DomainError("requests.voie_twice")
    return [*draft, Intention(voie)]


def _check_rank(draft: list[Intention], rank: int) -> None:
    if not 0 <= rank < len(draft):
        raise DomainError("requests.no_such_rank")


def set_metier(draft: list[Intention], rank: int, raw: str) -> list[Intention]:
    _check_rank(draft, rank)
    if not draft[rank].voie.is_professional:
        raise DomainError("requests.metier_not_allowed")
    out = list(draft)
    out[rank] = replace(draft[rank], metier=clean_metier(raw))
    return out


def toggle_statut(draft: list[Intention], rank: int, statut: str) -> list[Intention]:
    _check_rank(draft, rank)
    item = draft[rank]
    if not item.voie.is_professional:
        raise DomainError("requests.statut_not_allowed")
    out = list(draft)
    if statut == "scolaire":
        out[rank] = replace(item, scolaire=not item.scolaire)
    elif statut == "apprenti":
        out[rank] = replace(item, apprenti=not item.apprenti)
    else:
        raise DomainError("requests.statut_not_allowed")
    return out


def move(draft: list[Intention], rank: int, delta: int) -> list[Intention]:
    _check_rank(draft, rank)
    target = rank + delta
    if not 0 <= target < len(draft):
        raise DomainError("requests.cannot_move")
    out = list(draft)
    out[rank], out[target] = out[target], out[rank]
    return out


def remove(draft: list[Intention], rank: int) -> list[Intention]:
    _check_rank(draft, rank)
    return draft[:rank] + draft[rank + 1:]


def check_valid(draft: list[Intention]) -> list[Intention]:
    """The whole list as it may be saved; raises the first rule it breaks."""
    if not draft:
        raise DomainError("requests.min")
    if len(draft) > MAX_INTENTIONS:
        raise DomainError("requests.max", max=MAX_INTENTIONS)
    voies = [item.voie for item in draft]
    if len(set(voies)) != len(voies):
        raise DomainError("requests.voie_twice")
    for item in draft:
        if not item.voie.is_professional and (item.metier or item.scolaire or item.apprenti):
            raise DomainError("requests.metier_not_allowed")
        clean_metier(item.metier)
    return draft


def check_may_edit(kind: AccountKind, guardian_id: str | None, linked: bool,
                   saved: RequestSet | None, calendar: Calendar, window_key: str,
                   now: datetime) -> None:
    """Who may enter or modify: a guardian of the student, in the window, and the first to validate."""
    if kind is not AccountKind.GUARDIAN:
        raise DomainError("requests.read_only_student")
    if not linked:
        raise DomainError("requests.not_guardian")
    calendar.require_open(window_key, now)
    if saved is not None and saved.editor_guardian_id != guardian_id:
        raise DomainError("requests.not_editor")
