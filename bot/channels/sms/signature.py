"""Twilio's webhook signature (`X-Twilio-Signature`), computed and checked without Twilio's library.

The gateway signs each request with the account's auth token: HMAC-SHA1 (or HMAC-SHA256 when the
request says so in `X-Twilio-Webhooks-Signature-Settings`) of the full URL it called, query
string included, followed by every POST parameter sorted by name, each as name then value
(a name sent several times: each of its distinct values, sorted), encoded in Base64.

Twilio's own validators accept a signature made over the URL with or without its port (the
service has not always signed the same way), so this one does too: the URL as called, without its
port, and with the scheme's default port added. The comparison is in constant time.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterable, Mapping
from urllib.parse import urlparse, urlunparse

SIGNATURE_HEADER = "X-Twilio-Signature"
SETTINGS_HEADER = "X-Twilio-Webhooks-Signature-Settings"
ALGORITHMS = {"HMAC_SHA1": hashlib.sha1, "HMAC_SHA256": hashlib.sha256}
DEFAULT_ALGORITHM = "HMAC_SHA1"

Params = Mapping[str, str] | Iterable[tuple[str, str]]


def _pairs(params: Params) -> list[tuple[str, str]]:
    return list(params.items()) if isinstance(params, Mapping) else list(params)


def payload(url: str, params: Params) -> str:
    """What is signed: the URL, then each parameter name and value, sorted."""
    values: dict[str, set[str]] = {}
    for name, value in _pairs(params):
        values.setdefault(name, set()).add(value)
    return url + "".join(name + value for name in sorted(values) for value in sorted(values[name]))


def compute(token: str, url: str, params: Params, algorithm: str = DEFAULT_ALGORITHM) -> str:
    """The signature the gateway sends for a POST of `params` to `url`."""
    digest = ALGORITHMS[algorithm.upper()]
    mac = hmac.new(token.encode("utf-8"), payload(url, params).encode("utf-8"), digest)
    return base64.b64encode(mac.digest()).decode("ascii")


def algorithm_of(settings_header: str | None) -> str:
    """The algorithm named in `X-Twilio-Webhooks-Signature-Settings` ("key=…,algorithm=…"),
    HMAC_SHA1 when the header is absent or names none."""
    for part in (settings_header or "").split(","):
        name, separator, value = part.partition("=")
        if separator and name.strip() == "algorithm" and value.strip():
            return value.strip().upper()
    return DEFAULT_ALGORITHM


def url_variants(url: str) -> list[str]:
    """The URL without its port, and with the scheme's default port when it has none."""
    parsed = urlparse(url)
    try:
        port = parsed.port
    except ValueError:
        return [url]
    host = parsed.netloc.rsplit("@", 1)[-1]
    userinfo = parsed.netloc[: len(parsed.netloc) - len(host)]
    bare_host = host.rsplit(":", 1)[0] if port is not None else host
    without = urlunparse(parsed._replace(netloc=userinfo + bare_host))
    default = 443 if parsed.scheme == "https" else 80
    with_port = urlunparse(parsed._replace(netloc=f"{userinfo}{bare_host}:{port or default}"))
    return list(dict.fromkeys([without, with_port]))


def is_valid(token: str, url: str, params: Params, signature: str | None,
             algorithm: str = DEFAULT_ALGORITHM) -> bool:
    """Whether `signature` is the gateway's for this URL and these parameters (constant time)."""
    if not token or not signature or algorithm.upper() not in ALGORITHMS:
        return False
    given = signature.strip().encode("ascii", "replace")
    pairs = _pairs(params)
    matches = [hmac.compare_digest(compute(token, candidate, pairs, algorithm).encode("ascii"), given)
               for candidate in url_variants(url)]
    return any(matches)
