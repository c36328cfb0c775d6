"""The one lock-out rule of families' and staff log-ins (`flows.rules.accounts`)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from flows.rules.accounts import LOGIN_LOCK, after_login_failure, lock_until

NOW = datetime(2026, 11, 29, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(("failures", "expected"), [
    (0, (1, None)),
    (3, (4, None)),
    (4, (0, NOW + LOGIN_LOCK)),  # the fifth in a row locks and starts the count again
])
def test_a_failure_counts_and_the_fifth_locks(failures, expected):
    assert after_login_failure(failures, NOW) == expected


def test_the_numbers_are_parameters_of_the_one_rule():
    assert after_login_failure(1, NOW, max_failures=2, lock=timedelta(hours=1)) \
        == (0, NOW + timedelta(hours=1))


@pytest.mark.parametrize(("locked_until", "expected"), [
    (None, None),
    (NOW - timedelta(seconds=1), None),
    (NOW, None),  # the lock ends at its instant
    (NOW + timedelta(minutes=1), NOW + timedelta(minutes=1)),
])
def test_a_lock_holds_until_its_end(locked_until, expected):
    assert lock_until(locked_until, NOW) == expected
