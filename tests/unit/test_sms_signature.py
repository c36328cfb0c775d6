"""Our `X-Twilio-Signature` against the `twilio` package's own `RequestValidator` (used only here,
as the reference): each signs, the other validates, on URLs with query strings and ports and on
bodies with accents, emoji and the GSM extension characters; and what must be refused is."""

from __future__ import annotations

import pytest
from twilio.request_validator import RequestValidator

from bot.channels.sms import signature

TOKEN = "test-auth-token-0123456789abcdef"


def form(body: str, **extra: str) -> dict[str, str]:
    return {"From": "+33612345678", "To": "+33700000000", "Body": body,
            "MessageSid": "SM" + "0123456789abcdef" * 2, "AccountSid": "AC" + "f" * 32,
            "NumMedia": "0", **extra}


CASES = [
    ("http://127.0.0.1:8080/sms/inbound", form("1")),
    ("https://bot.example.org/sms/inbound", form("Bonjour")),
    ("https://bot.example.org:8443/sms/inbound", form("Valider")),
    ("https://bot.example.org/sms/inbound?school=0699999Z&lang=fr", form("MENU")),
    ("https://bot.example.org:8443/orientation/sms?a=1&b=deux%20mots&c=%C3%A9", form("2")),
    ("http://[::1]:8080/sms/inbound", form("aide")),
    ("https://bot.example.org/sms/inbound", form("Ebéniste, ça marche ? être, naïf, Noël")),
    ("https://bot.example.org/sms/inbound", form("Merci 😀👨‍👩‍👧‍👦 ok")),
    ("https://bot.example.org/sms/inbound", form("€ [x] {y} ~ | ^ \\ « guillemets » — ’")),
    ("https://bot.example.org/sms/inbound", form("")),
    ("https://bot.example.org/sms/inbound", form("Ligne 1\nLigne 2\r\nfin", FromCity="SAINT-ÉTIENNE")),
    ("https://bot.example.org/sms/inbound", form("x" * 1000)),
    ("https://bot.example.org/sms/inbound?Body=ignored", form("les paramètres d'URL ne comptent "
                                                                "que dans l'URL")),
]


@pytest.mark.parametrize(("url", "params"), CASES)
@pytest.mark.parametrize("algorithm", ["HMAC_SHA1", "HMAC_SHA256"])
def test_ours_and_twilio_s_agree(url, params, algorithm):
    theirs = RequestValidator(TOKEN)
    ours_signed = signature.compute(TOKEN, url, params, algorithm)
    assert ours_signed == theirs.compute_signature(url, params, algorithm)
    assert theirs.validate(url, params, ours_signed, algorithm)
    assert signature.is_valid(TOKEN, url, params, theirs.compute_signature(url, params, algorithm),
                              algorithm)


@pytest.mark.parametrize(("url", "params"), CASES)
def test_the_port_may_or_may_not_be_in_what_was_signed(url, params):
    """Like Twilio's validator: a signature over the URL without its port, or with the scheme's
    default port, is valid too; both libraries accept the same variants."""
    theirs = RequestValidator(TOKEN)
    for variant in signature.url_variants(url):
        signed = theirs.compute_signature(variant, params)
        assert signature.is_valid(TOKEN, url, params, signed)
        if "[" not in url:  # Twilio's port removal cuts an IPv6 address at its first colon
            assert theirs.validate(url, params, signed)


def test_twilio_s_documented_example():
    params = {"CallSid": "CA1234567890ABCDE", "Caller": "+12349013030", "Digits": "1234",
              "From": "+12349013030", "To": "+18005551212"}
    url = "https://mycompany.com/myapp.php?foo=1&bar=2"
    assert signature.compute("12345", url, params) == "0/KCTR6DLpKmkAf8muzZqo1nDgQ="


def test_repeated_parameters_are_signed_as_twilio_signs_them():
    pairs = [("To", "+33700000000"), ("MediaUrl", "https://b.example/2"), ("From", "+33612345678"),
             ("MediaUrl", "https://a.example/1")]
    assert signature.payload("https://x.example/s", pairs) == (
        "https://x.example/sFrom+33612345678MediaUrlhttps://a.example/1MediaUrlhttps://b.example/2"
        "To+33700000000")


@pytest.mark.parametrize("tampered", [
    lambda url, params, sig: (url, params, None),  # missing
    lambda url, params, sig: (url, params, ""),  # empty
    lambda url, params, sig: (url, params, "AAAA" + sig[4:]),  # wrong
    lambda url, params, sig: (url, {**params, "Body": params["Body"] + "!"}, sig),  # another body
    lambda url, params, sig: (url, {**params, "From": "+33611223344"}, sig),  # another sender
    lambda url, params, sig: (url + "x", params, sig),  # another URL
    lambda url, params, sig: (("http" if url.startswith("https") else "https") + url[url.index(":"):],
                              params, sig),  # another scheme
])
@pytest.mark.parametrize(("url", "params"), CASES[:5])
def test_what_is_refused(url, params, tampered):
    good = RequestValidator(TOKEN).compute_signature(url, params)
    url2, params2, sig2 = tampered(url, params, good)
    assert not signature.is_valid(TOKEN, url2, params2, sig2)
    assert not RequestValidator(TOKEN).validate(url2, params2, sig2 or "")


def test_another_token_or_no_token_is_refused():
    url, params = CASES[0]
    good = signature.compute(TOKEN, url, params)
    assert not signature.is_valid("another-token", url, params, good)
    assert not signature.is_valid("", url, params, signature.compute("", url, params))
    assert not signature.is_valid(TOKEN, url, params, good, "HMAC_MD5")


def test_the_algorithm_header():
    assert signature.algorithm_of(None) == "HMAC_SHA1"
    assert signature.algorithm_of("") == "HMAC_SHA1"
    assert signature.algorithm_of("key=webhooks_sharedkey_1,algorithm=HMAC_SHA256") == "HMAC_SHA256"
    assert signature.algorithm_of("key=only") == "HMAC_SHA1"
