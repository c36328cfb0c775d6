"""The context of one inbound event: what a dialogue callback may read, decide and write.

Screens read what they show through `ctx.store`, an `EventReads` in front of the store: each
read runs once per event (a student's whole file in one bulk read), and any write forgets what
was read, so what a screen shows after a change is read again.

Slow secret work (hashing a password or a code) is not done here: `Secrets` raises `NeedsWork`,
the engine computes the result off the event loop and runs the event again with it memoised.
An event has no effect before it completes (it runs inside one transaction), so re-running is safe.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Any, TypeVar, cast

from ..exchange import Inbound
from ..ports import Store, StudentFile
from ..rules.calendar import Calendar
from ..rules.model import Account, AccountKind, Conversation, OutMessage, Step, Student
from ..texts import Texts

# Reads whose result is kept for the rest of the event, by arguments.
KEPT_READS = frozenset({
    "school", "student", "guardian", "children_of", "visible_children", "guardians_of",
    "flagged_links", "calendar", "account", "student_file"})


def _from_file(name: str, file: StudentFile, args: tuple) -> object:
    """A per-student read answered from the student's file."""
    if name == "requests":
        return file.requests.get(Step(args[0]))
    if name == "opinion":
        return file.opinions.get(Step(args[0]))
    if name == "acknowledgement":
        return file.acknowledgements.get(Step(args[0]))
    if name == "proposals":
        return list(file.proposals)
    if name == "answers":
        return list(file.answers)
    return file.decision


# Per-student reads served from one `student_file` read (their first argument is the student).
FILE_READS = frozenset({"requests", "opinion", "acknowledgement", "proposals", "answers",
                        "decision"})


class EventReads:
    """The store as one event sees it: kept reads (above) run once; every other method is taken
    for a write and empties what was kept before it runs."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._kept: dict[tuple, object] = {}

    def __getattr__(self, name: str) -> Any:
        target = getattr(self._store, name)
        if not callable(target):
            return target
        method = (self._kept_read(name, target) if name in KEPT_READS
                  else self._file_read(name) if name in FILE_READS else self._write(target))
        setattr(self, name, method)  # the next look-up skips __getattr__
        return method

    def _kept_read(self, name: str, target: Callable[..., object]) -> Callable[..., object]:
        kept = self._kept

        def read(*args: object) -> object:
            key = (name, *args)
            if key not in kept:
                kept[key] = target(*args)
            return kept[key]
        return read

    def _file_read(self, name: str) -> Callable[..., object]:
        def read(student_id: str, *args: object) -> object:
            file = cast(StudentFile, self.student_file(student_id))
            return _from_file(name, file, args)
        return read

    def _write(self, target: Callable[..., object]) -> Callable[..., object]:
        kept = self._kept

        def write(*args: object, **kwargs: object) -> object:
            kept.clear()
            return target(*args, **kwargs)
        return write


Kept = TypeVar("Kept")  # the type of a record `present` vouches for


def present(record: Kept | None, what: str) -> Kept:
    """A record the dialogue's own data names (the account being activated, its guardian): it
    exists, since the dialogue stored its id after reading it in an earlier event."""
    if record is None:
        raise LookupError(f"the {what} named by the dialogue is missing")
    return record


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

    def __post_init__(self) -> None:
        if not isinstance(self.store, EventReads):
            self.store = cast(Store, EventReads(self.store))

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
        return self.store.visible_children(account.person_id)

    def concerned_children(self) -> list[Student]:
        return [s for s in self.children() if s.concerned]

    @cached_property
    def student(self) -> Student | None:
        """The child the orientation screens are about, only if this account may see it."""
        student_id = self.data.get("student")
        if not student_id:
            return None
        return next((s for s in self.concerned_children() if s.id == student_id), None)

    @property
    def chosen(self) -> Student:
        """The child of a student screen. The engine sends a conversation whose child is no longer
        visible back to the menu before any callback runs, so a student state always has one."""
        student = self.student
        if student is None:
            raise LookupError("a student screen without its student")
        return student

    def select_student(self, student: Student | None) -> None:
        self.data["student"] = student.id if student else None
        self.__dict__.pop("student", None)

    def log_in(self, account: Account) -> None:
        """Bind this chat to `account` (a saved one): the services are now open to it."""
        assert account.id is not None, "an account is saved before a chat is bound to it"
        self.store.bind(self.inbound.channel, self.inbound.address, account.id, self.now)
        self.account_id = account.id
        self.__dict__.pop("account", None)
        self.__dict__.pop("student", None)
