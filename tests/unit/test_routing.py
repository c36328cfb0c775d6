"""Which channel reaches a guardian, and which texts a message for that route is composed in
(flows/rules/routing.py)."""

from __future__ import annotations

import pytest

from flows.rules.routing import route, sms_number, texts_for
from flows.texts import PLAIN, SMS_PROFILE


def test_the_chat_first_then_the_mobile_then_nobody():
    assert route(("telegram", "1001"), "+33612345678") == ("push", "telegram:1001")
    assert route(None, "+33612345678") == ("sms", "+33612345678")
    assert route(None, None) is None and route(None, "") is None


@pytest.mark.parametrize(("kind", "recipient", "number"), [
    ("sms", "+33612345678", "+33612345678"),  # a plain SMS to the mobile
    ("push", "sms:+33612345678", "+33612345678"),  # a conversation held by SMS
    ("push", "telegram:1001", None),
    ("push", "terminal:local", None),
    ("email", "claire.martin@example.org", None),
])
def test_what_is_read_as_an_sms(kind, recipient, number):
    assert sms_number(kind, recipient) == number
    assert texts_for(kind, recipient).profile == (SMS_PROFILE if number else None)


def test_a_text_for_a_chat_is_the_catalogue_s_own():
    assert texts_for("push", "telegram:1001") is PLAIN
    assert texts_for("sms", "+33612345678")("btn.back_home") == PLAIN("sms.btn.back_home")
