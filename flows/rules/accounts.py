"""Rules of account activation and log-in: codes, attempts, locks and expiries."""

from __future__ import annotations

from datetime import datetime, timedelta

from .errors import DomainError
from .model import Account, ActivationCode

CODE_TTL = timedelta(minutes=30)
CODE_MAX_ATTEMPTS = 5
CODE_RESEND_AFTER = timedelta(seconds=60)
CODE_MAX_SENDS_PER_DAY = 5
BIRTH_DATE_MAX_ATTEMPTS = 5
LOGIN_MAX_FAILURES = 5
LOGIN_LOCK = timedelta(minutes=15)
TEMP_PASSWORD_VALIDITY = timedelta(days=91)  # three months
NO_MATCH_MAX = 5  # activation look-ups without a match, per conversation
IDLE_TIMEOUT = timedelta(minutes=30)


def check_may_send(existing: ActivationCode | None, now: datetime) -> None:
    """A code can be re-sent after 60 s, at most 5 times a day per guardian."""
    if existing is None:
        return
    if existing.send_day == now.date() and existing.sends_today >= CODE_MAX_SENDS_PER_DAY:
        raise DomainError("code.daily_limit")
    wait = existing.sent_at + CODE_RESEND_AFTER - now
    if wait > timedelta(0):
        raise DomainError("code.wait", seconds=int(wait.total_seconds()) + 1)


def issue(guardian_id: str, code_hash: str, existing: ActivationCode | None,
          now: datetime) -> ActivationCode:
    """The record of a freshly sent code; it replaces any earlier code."""
    same_day = existing is not None and existing.send_day == now.date()
    sends = existing.sends_today + 1 if same_day and existing else 1
    return ActivationCode(guardian_id, code_hash, now + CODE_TTL, 0, now, sends, now.date())


def check_usable(code: ActivationCode | None, now: datetime) -> ActivationCode:
    if code is None or not code.code_hash:
        raise DomainError("code.none")
    if now > code.expires_at:
        raise DomainError("code.expired")
    if code.attempts >= CODE_MAX_ATTEMPTS:
        raise DomainError("code.locked")
    return code


def lock_until(locked_until: datetime | None, now: datetime) -> datetime | None:
    """The end of a lock-out still running at `now`, else None (families' and staff accounts)."""
    if locked_until is not None and locked_until > now:
        return locked_until
    return None


def after_login_failure(failures: int, now: datetime, *, max_failures: int = LOGIN_MAX_FAILURES,
                        lock: timedelta = LOGIN_LOCK) -> tuple[int, datetime | None]:
    """The failure count and the lock's end after one more failed log-in in a row.

    The `max_failures`-th failure locks the account for `lock` and starts the count again. Families
    and the school's staff share this rule and, today, its numbers (5 failures, 15 minutes).
    """
    failures += 1
    if failures >= max_failures:
        return 0, now + lock
    return failures, None


def login_lock_until(account: Account, now: datetime) -> datetime | None:
    return lock_until(account.locked_until, now)


def record_login_failure(account: Account, now: datetime) -> None:
    """Count a failed log-in; the fifth in a row locks the account for 15 minutes."""
    account.failed_logins, locked = after_login_failure(account.failed_logins, now)
    if locked is not None:
        account.locked_until = locked


def temp_password_usable(account: Account, now: datetime) -> bool:
    return (account.status == "pending" and account.temp_password_hash is not None
            and account.temp_expires_at is not None and now <= account.temp_expires_at)
