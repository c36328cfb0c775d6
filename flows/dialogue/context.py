"""The context of one inbound event: what a dialogue callback may read, decide and write.

Slow secret work (hashing a password or a code) is not done here: `Secrets` raises `NeedsWork`,
the engine computes the result off the event loop and runs the event again with it memoised.
An event has no effect before it completes (it runs inside one transaction), so re-running is safe.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property

from ..exchange import Inbound
from ..ports import Store
from ..rules.calendar import Calendar
from ..rules.model import Account, AccountKind, Conversation, OutMessage, Student
from ..texts import Texts


class NeedsWork(Exception):  # noqa: N818 - a signal to the engine, not an error
    """Raised when a callback needs a slow computation the engine has not done yet."""

    def __init__(self, key: tuple) -> None:
        super().__init__(key[0])
        self.key = key


class Secrets:
    """Hashing and verification results, computed by the engine off the loop and memoised here."""

    def __init__(self, results: dict[tuple, object]) -> None:
        self._results = results

    def _get(self, key: tuple) -> object:
        if key not in self._results:
            raise NeedsWork(key)
        return self._results[key]

    def fresh_code(self) -> str:
        """A new activation code, drawn once per event so that a re-run sends the same one."""
        return str(self._get(("code",)))

    def hash(self, secret: str) -> str:
        return str(self._get(("hash", secret)))

    def verify(self, stored: str, secret: str) -> bool:
        return bool(self._get(("verify", stored, secret)))


@dataclass
class Ctx:
    store: Store
    now: datetime
    conv: Conversation
    inbound: Inbound
    secrets: Secrets
    arg: str = ""  # the argument of the pressed button, e.g. "cap" in "voie:cap"
    text: str = ""  # the free text of the inbound, cleaned
    outcome: str = ""  # what the preparing callback decided; selects the transition
    notices: list[tuple[str, dict]] = field(default_factory=list)
    account_id: int | None = None
    stale_choice: bool = False  # the pressed button was not on the current screen
    t: Texts = field(default_factory=Texts)  # texts in the event's language and profile
    _calendars: dict[str, Calendar] = field(default_factory=dict)

    @property
    def data(self) -> dict:
        return self.conv.data

    def calendar(self, uai: str) -> Calendar:
        """The school's calendar, read once per event however many times a screen asks."""
        if uai not in self._calendars:
            self._calendars[uai] = self.store.calendar(uai)
        return self._calendars[uai]

    def notice(self, key: str, **params: object) -> None:
        """Add a message shown above the next screen."""
        self.notices.append((key, params))

    def send(self, message: OutMessage) -> None:
        """Queue an outgoing message in the event's transaction."""
        self.store.enqueue(message, self.now)

    def audit(self, action: str, student_id: str | None, **detail: object) -> None:
        self.store.audit(self.now, self.account_id, self.inbound.channel, student_id, action,
                         detail)

    @cached_property
    def account(self) -> Account | None:
        return self.store.account(self.account_id) if self.account_id is not None else None

    @property
    def guardian_id(self) -> str | None:
        account = self.account
        if account is not None and account.kind is AccountKind.GUARDIAN:
            return account.person_id
        return None

    def children(self) -> list[Student]:
        """The students this account may see: a guardian's confirmed children, or oneself."""
        account = self.account
        if account is None:
            return []
        if account.kind is AccountKind.STUDENT:
            student = self.store.student(account.person_id)
            return [student] if student else []
        flagged = self.store.flagged_links(account.person_id)
        return [s for s in self.store.children_of(account.person_id) if s.id not in flagged]

    def concerned_children(self) -> list[Student]:
        return [s for s in self.children() if s.concerned]

    @cached_property
    def student(self) -> Student | None:
        """The child the orientation screens are about, only if this account may see it."""
        student_id = self.data.get("student")
        if not student_id:
            return None
        return next((s for s in self.concerned_children() if s.id == student_id), None)

    def select_student(self, student: Student | None) -> None:
        self.data["student"] = student.id if student else None
        self.__dict__.pop("student", None)

    def log_in(self, account: Account) -> None:
        """Bind this chat to `account`: the services are now open to it."""
        self.store.bind(self.inbound.channel, self.inbound.address, account.id, self.now)
        self.account_id = account.id
        self.__dict__.pop("account", None)
        self.__dict__.pop("student", None)
