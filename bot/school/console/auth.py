"""Staff accounts, log-in with lock-out, and server-side sessions of the school console.

- A staff member belongs to one school (UAI) and has one role: `head` (chef d'établissement),
  `deputy` (adjoint) or `teacher` (professeur principal). Log-in names are unique across schools,
  so the log-in form asks only for the name and the password.
- Accounts are made by `flows.school.staff` (the `staff` command). Passwords follow the families'
  policy (`flows.rules.identity.password_problems`, CNIL 2022) and are stored as argon2id hashes
  (`bot.runtime.hashing.Argon2Hasher`); here, checking runs in the project's hashing executor,
  never on the event loop.
- 5 failed log-ins lock the account for 15 minutes (the families' rule,
  `flows.rules.accounts.after_login_failure`); while locked even the right password is
  refused, and the page says until when. An unknown name costs the same hash check as a known one.
- A session is a random 32-byte token in an HTTP-only, SameSite=Strict cookie; the database keeps
  only its SHA-256, with the session's CSRF token. It ends after 8 hours without a request, or at
  log-out.
"""

from __future__ import annotations

import asyncio
import hashlib
import ipaddress
import secrets
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass
from datetime import datetime, timedelta

from flows.ports import Hasher, Store
from flows.rules.accounts import after_login_failure, lock_until
from flows.school.staff import LOGIN_PATTERN, ROLE_CODES, normalize_login

ROLES = dict(zip(ROLE_CODES, ("Chef d'établissement", "Adjoint(e) du chef d'établissement",
                             "Professeur principal"), strict=True))
MANAGERS = frozenset({"head", "deputy"})  # publish, decide, change the campaign's settings
IDLE_TIMEOUT = timedelta(hours=8)
TOUCH_EVERY = timedelta(minutes=1)  # last_seen_at is written at most once a minute per session
# Log-in attempts waiting for a hash check at once; more are turned away at once, so a flood of
# log-ins cannot fill the hashing thread that families' passwords also wait for.
MAX_PENDING_LOGINS = 8
SESSION_COOKIE = "console_session"
LOGIN_COOKIE = "console_login"  # the log-in form's CSRF token, before any session exists
LOOPBACK_NAMES = {"localhost", "localhost.localdomain"}


@dataclass(frozen=True)
class Staff:
    """The staff member of the current request, from their session."""

    id: int
    uai: str
    login: str
    role: str
    csrf_token: str
    token_hash: str

    @property
    def may_manage(self) -> bool:
        return self.role in MANAGERS

    @property
    def role_label(self) -> str:
        return ROLES[self.role]


@dataclass(frozen=True)
class LoginOutcome:
    token: str | None = None  # the new session's cookie value when the log-in succeeded
    locked_until: datetime | None = None  # set when the account is locked
    timezone: str | None = None  # the school's, to say until when in its local time
    busy: bool = False  # too many log-ins at this moment: nothing was checked


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def is_loopback(host: str) -> bool:
    host = host.strip("[]").lower()
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def cookie_secure(scheme: str, host: str, insecure: bool) -> bool:
    """`Secure` on the console's cookies: always over https; over plain http only off when the
    operator said so (CONSOLE_INSECURE_COOKIES=1) or the browser is on this machine (loopback)."""
    if insecure:
        return False
    return scheme == "https" or not is_loopback(host)


def _dt(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


class Auth:
    def __init__(self, store: Store, hasher: Hasher, clock: Callable[[], datetime],
                 executor: Executor | None = None) -> None:
        self.store = store
        self.hasher = hasher
        self.clock = clock
        self.executor = executor
        self._dummy_hash: str | None = None
        self._pending = 0

    async def _off_loop(self, function, *args):
        return await asyncio.get_running_loop().run_in_executor(self.executor, function, *args)

    async def _verify(self, stored: str, password: str) -> bool:
        return await self._off_loop(self.hasher.verify, stored, password)

    async def log_in(self, login: str, password: str) -> LoginOutcome:
        if self._pending >= MAX_PENDING_LOGINS:
            return LoginOutcome(busy=True)
        self._pending += 1
        try:
            return await self._log_in(normalize_login(login), password)
        finally:
            self._pending -= 1

    async def _log_in(self, login: str, password: str) -> LoginOutcome:
        row = self.store.staff_by_login(login) if LOGIN_PATTERN.fullmatch(login) else None
        if row is None:
            if self._dummy_hash is None:
                self._dummy_hash = await self._off_loop(self.hasher.hash, secrets.token_hex(16))
            await self._verify(self._dummy_hash, password)  # as long as for a known name
            return LoginOutcome()
        locked = lock_until(_dt(row["locked_until"]), self.clock())
        if locked is not None:
            return self._locked(row["uai"], locked)
        correct = await self._verify(row["password_hash"], password)
        now = self.clock()
        with self.store.transaction():
            row = self.store.staff_member(row["id"])  # fresh: another attempt may have counted
            if row is None:
                return LoginOutcome()
            locked = lock_until(_dt(row["locked_until"]), now)
            if locked is not None:
                return self._locked(row["uai"], locked)
            if not correct:
                failures, until = after_login_failure(row["failed_logins"], now)
                if until is not None:
                    self.store.set_staff_login_state(row["id"], failures, until)
                    self.store.audit(now, None, "console", None, "staff_locked",
                                     {"uai": row["uai"], "login": row["login"]})
                    return self._locked(row["uai"], until)
                self.store.set_staff_login_state(row["id"], failures, None)
                return LoginOutcome()
            self.store.set_staff_login_state(row["id"], 0, None)
            self.store.delete_staff_sessions_idle_since(now - IDLE_TIMEOUT)
            token = secrets.token_urlsafe(32)
            self.store.add_staff_session(token_hash(token), row["id"], secrets.token_urlsafe(32),
                                         now)
            self.store.audit(now, None, "console", None, "staff_login",
                             {"uai": row["uai"], "login": row["login"]})
        return LoginOutcome(token=token)

    def _locked(self, uai: str, until: datetime) -> LoginOutcome:
        school = self.store.school(uai)
        return LoginOutcome(locked_until=until, timezone=school.timezone if school else None)

    def session(self, token: str | None) -> Staff | None:
        """The staff member of a session cookie; None when absent, unknown or idle too long."""
        if not token or len(token) > 200:
            return None
        hashed = token_hash(token)
        row = self.store.staff_session(hashed)
        if row is None:
            return None
        now = self.clock()
        last_seen = datetime.fromisoformat(row["last_seen_at"])  # always set with the session
        if now - last_seen > IDLE_TIMEOUT:
            with self.store.transaction():
                self.store.delete_staff_session(hashed)
            return None
        if now - last_seen >= TOUCH_EVERY:
            with self.store.transaction():
                self.store.touch_staff_session(hashed, now)
        return Staff(row["staff_id"], row["uai"], row["login"], row["role"], row["csrf_token"],
                     hashed)

    def forget(self, token: str | None) -> None:
        """End the session of a cookie, if any (a new log-in replaces the browser's session)."""
        if token and len(token) <= 200:
            with self.store.transaction():
                self.store.delete_staff_session(token_hash(token))

    def log_out(self, staff: Staff) -> None:
        now = self.clock()
        with self.store.transaction():
            self.store.delete_staff_session(staff.token_hash)
            self.store.audit(now, None, "console", None, "staff_logout",
                             {"uai": staff.uai, "login": staff.login})
