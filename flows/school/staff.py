"""The school console's staff accounts, for the operator's command line: add, list, unlock.

A staff member belongs to one school (UAI) and has one role (`ROLE_CODES`); log-in names are unique
across schools. Passwords follow the families' policy (`flows.rules.identity.password_problems`)
and are stored hashed by the `Hasher` port. Refusals are `DomainError`s keyed `staff_account.*`.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from flows.ports import Hasher, Store
from flows.rules.errors import DomainError
from flows.rules.identity import password_problems
from flows.texts import t

ROLE_CODES = ("head", "deputy", "teacher")
LOGIN_PATTERN = re.compile(r"[a-z0-9][a-z0-9._-]{1,63}")


def normalize_login(raw: str) -> str:
    return raw.strip().lower()


def check_login_name(login: str) -> str:
    login = normalize_login(login)
    if not LOGIN_PATTERN.fullmatch(login):
        raise DomainError("staff_account.login_invalid")
    return login


def _school(store: Store, uai: str) -> str:
    uai = uai.strip().upper()
    if store.school(uai) is None:
        raise DomainError("staff_account.unknown_school", uai=uai)
    return uai


def add_staff(store: Store, hasher: Hasher, uai: str, login: str, role: str, password: str,
              now: datetime) -> int:
    """Create a staff account; returns its id."""
    login = check_login_name(login)
    if role not in ROLE_CODES:
        raise DomainError("staff_account.role_invalid", roles=", ".join(ROLE_CODES))
    uai = _school(store, uai)
    problems = password_problems(password)
    if problems:  # the families' policy, in the families' words
        raise DomainError("staff_account.weak_password", needs=", ".join(t(key) for key in problems))
    password_hash = hasher.hash(password)  # slow: outside the transaction
    with store.transaction():
        if store.staff_by_login(login) is not None:
            raise DomainError("staff_account.login_taken", login=login)
        staff_id = store.add_staff(uai, login, role, password_hash, now)
        store.audit(now, None, "cli", None, "staff_added", {"uai": uai, "login": login,
                                                             "role": role})
    return staff_id


def staff_of_school(store: Store, uai: str) -> list[dict[str, Any]]:
    """The school's accounts, by log-in name."""
    return store.staff_of_school(_school(store, uai))


def unlock_staff(store: Store, uai: str, login: str, now: datetime) -> None:
    """Lift a lock-out (after 5 failed log-ins) before its end."""
    row = store.staff_by_login(normalize_login(login))
    if row is None or row["uai"] != uai.strip().upper():
        raise DomainError("staff_account.unknown", login=normalize_login(login), uai=uai)
    with store.transaction():
        store.set_staff_login_state(row["id"], 0, None)
        store.audit(now, None, "cli", None, "staff_unlocked", {"uai": row["uai"],
                                                                "login": row["login"]})
