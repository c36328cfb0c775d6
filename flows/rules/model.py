"""Plain data of the domain: the school base, accounts, requests, opinions, outgoing messages."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum


class Voie(StrEnum):
    """The three voies d'orientation after the 3e; the value is the short code used in storage."""

    GT = "gt"
    PRO = "pro"
    CAP = "cap"

    @property
    def is_professional(self) -> bool:
        return self is not Voie.GT


class Step(StrEnum):
    """The steps of the campaign that hold family requests."""

    INTENTIONS = "intentions"
    CHOIX = "choix"


class Avis(StrEnum):
    FAVORABLE = "favorable"
    RESERVE = "reserve"
    DEFAVORABLE = "defavorable"


class AccountKind(StrEnum):
    GUARDIAN = "guardian"
    STUDENT = "student"


@dataclass(frozen=True)
class School:
    uai: str
    name: str
    phone: str
    email: str
    timezone: str = "Europe/Paris"


CONCERNED_LEVEL = "3e"  # the one level the orientation service is for (students finishing 3e)


@dataclass(frozen=True)
class Student:
    id: str
    nom: str
    prenom: str
    birth_date: date
    uai: str
    class_name: str
    level: str

    @property
    def concerned(self) -> bool:
        """Only students finishing 3e use the orientation service."""
        return self.level == CONCERNED_LEVEL


@dataclass(frozen=True)
class Guardian:
    id: str
    nom: str
    prenom: str
    mobile: str | None  # E.164
    email: str | None


@dataclass
class Account:
    id: int | None
    identifier: str
    kind: AccountKind
    person_id: str
    status: str = "pending"  # pending until the holder sets their own password, then active
    password_hash: str | None = None
    temp_password_hash: str | None = None
    temp_expires_at: datetime | None = None
    failed_logins: int = 0
    locked_until: datetime | None = None
    activated_at: datetime | None = None


@dataclass
class ActivationCode:
    guardian_id: str
    code_hash: str
    expires_at: datetime
    attempts: int
    sent_at: datetime
    sends_today: int
    send_day: date


@dataclass(frozen=True)
class Intention:
    """One ranked request: a voie, and for the professional voies a métier and statuts."""

    voie: Voie
    metier: str = ""
    scolaire: bool = False
    apprenti: bool = False

    def to_dict(self) -> dict:
        return {"voie": self.voie.value, "metier": self.metier,
                "scolaire": self.scolaire, "apprenti": self.apprenti}

    @classmethod
    def from_dict(cls, d: dict) -> Intention:
        return cls(Voie(d["voie"]), d.get("metier", ""), bool(d.get("scolaire")),
                   bool(d.get("apprenti")))


@dataclass
class RequestSet:
    """The saved, validated requests of one student for one step, and who entered them."""

    student_id: str
    step: Step
    items: list[Intention]
    editor_guardian_id: str
    validated_at: datetime


@dataclass(frozen=True)
class CouncilOpinion:
    """The class council's provisional opinion: one avis per intention rank, recommendation, motivation."""

    student_id: str
    step: Step
    avis: tuple[Avis, ...]
    recommendation: Voie | None
    motivation: str
    published_at: datetime | None  # None: recorded by the school, not yet shown to families


@dataclass(frozen=True)
class Proposal:
    """One *proposition d'orientation* of the class council (step 3), ranked from 1."""

    student_id: str
    rank: int
    voie: Voie
    detail: str = ""  # e.g. the métier or formation the council has in mind
    published_at: datetime | None = None


@dataclass(frozen=True)
class ProposalAnswer:
    """The family's answer to one proposal: *D'accord* (agree) or *Pas d'accord*. Final."""

    student_id: str
    rank: int
    guardian_id: str
    agree: bool
    at: datetime


class DecisionSource(StrEnum):
    FAMILY = "family"  # the family agreed with a proposal
    HEAD = "head"  # the head of school decided after meeting a family that disagreed


@dataclass(frozen=True)
class Decision:
    """The *décision d'orientation*, dated; a head's decision may be appealed."""

    student_id: str
    voie: Voie
    detail: str
    decided_at: datetime
    source: DecisionSource
    published_at: datetime | None = None


@dataclass(frozen=True)
class Acknowledgement:
    student_id: str
    step: Step
    guardian_id: str
    at: datetime


@dataclass(frozen=True)
class OutMessage:
    """Something that must leave the process: an SMS, an e-mail or a chat push."""

    kind: str  # "sms" | "email" | "push"
    recipient: str  # E.164 number, e-mail address, or "channel:address"
    body: str
    subject: str = ""
    dedupe_key: str | None = None
    expires_at: datetime | None = None  # not to be sent after this (a reminder past 20:00)


@dataclass
class Conversation:
    """One chat's dialogue position: the state name and a small JSON-able data dict."""

    channel: str
    address: str
    state: str = "welcome"
    data: dict = field(default_factory=dict)
    updated_at: datetime | None = None
