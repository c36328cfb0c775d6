"""CSRF protection of the console's forms: a synchronizer token.

Every form carries a hidden `csrf_token` field. With a session, the token is the session's own
(random, kept server-side in the session's row): a POST whose field differs is refused with 403
before anything else is read. The log-in form, before any session exists, compares its field with
a random token in its own HTTP-only, SameSite=Strict cookie (so a third-party page cannot log a
browser in under another account). Comparisons are in constant time.
"""

from __future__ import annotations

import hmac
import secrets

FIELD = "csrf_token"


def new_token() -> str:
    return secrets.token_urlsafe(32)


def matches(expected: str | None, given: object) -> bool:
    if not expected or not isinstance(given, str) or not given:
        return False
    return hmac.compare_digest(expected.encode(), given.encode())
