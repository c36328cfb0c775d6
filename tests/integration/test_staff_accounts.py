"""Staff accounts (`flows.school.staff`) on a real SQLite file: refusals by key, in the operator's
words, and the unlock."""

from __future__ import annotations

from datetime import timedelta

import pytest

from flows.rules.errors import DomainError
from flows.school.staff import add_staff, staff_of_school, unlock_staff
from flows.school.texts import operator_text

PASSWORD = "Direction-Jm-2026!"


@pytest.mark.parametrize(("uai", "login", "role", "password", "key", "words"), [
    ("0699999Z", "x", "head", PASSWORD, "staff_account.login_invalid", "the login must be 2 to 64"),
    ("0699999Z", "direction.jm", "boss", PASSWORD, "staff_account.role_invalid",
     "the role must be one of head, deputy, teacher"),
    ("0000000A", "direction.jm", "head", PASSWORD, "staff_account.unknown_school",
     "no school with UAI 0000000A"),
    ("0699999Z", "direction.jm", "head", "court", "staff_account.weak_password",
     "the password needs "),
])
def test_a_refused_account_says_why(store, hasher, clock, uai, login, role, password, key, words):
    with pytest.raises(DomainError) as caught:
        add_staff(store, hasher, uai, login, role, password, clock())
    assert caught.value.key == key and operator_text(caught.value).startswith(words)
    assert staff_of_school(store, "0699999Z") == []


def test_a_login_is_used_once_and_an_account_unlocks(store, hasher, clock):
    add_staff(store, hasher, " 0699999z ", "Direction.JM", "head", PASSWORD, clock())
    with pytest.raises(DomainError) as caught:
        add_staff(store, hasher, "0699999Z", "direction.jm", "deputy", PASSWORD, clock())
    assert operator_text(caught.value) == "the login direction.jm is already used"
    row = store.staff_by_login("direction.jm")
    with store.transaction():
        store.set_staff_login_state(row["id"], 0, clock() + timedelta(minutes=15))
    unlock_staff(store, "0699999Z", "DIRECTION.JM", clock())
    assert staff_of_school(store, "0699999Z")[0]["locked_until"] is None
    with pytest.raises(DomainError) as caught:
        unlock_staff(store, "9720999X", "direction.jm", clock())
    assert operator_text(caught.value) == "no staff account direction.jm in school 9720999X"
