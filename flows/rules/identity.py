"""Rules about who someone is: names, mobile numbers, birth dates, passwords and identifiers."""

from __future__ import annotations

import re
import secrets
import unicodedata
from datetime import date

import phonenumbers

from .errors import DomainError

PASSWORD_MIN_LENGTH = 12
CODE_DIGITS = 6

_MONTHS = {
    "janvier": 1, "fevrier": 2, "mars": 3, "avril": 4, "mai": 5, "juin": 6, "juillet": 7,
    "aout": 8, "septembre": 9, "octobre": 10, "novembre": 11, "decembre": 12,
}
# A national number (0696 …) is tried as metropolitan France first, then as each overseas
# department or collectivity, which have their own country codes.
_REGIONS = ("FR", "GP", "MQ", "GF", "RE", "YT", "PM", "BL", "MF", "NC", "PF", "WF")
_NUMERIC_DATE = re.compile(r"^(\d{1,2})[/.\- ](\d{1,2})[/.\- ](\d{4})$")
_WORD_DATE = re.compile(r"^(\d{1,2})(?:er)? ([a-z]+) (\d{4})$")


def fold(text: str) -> str:
    """Lower case, no accents, hyphens and apostrophes as spaces, single spaces: names compare so."""
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    bare = re.sub(r"[-'’_.]", " ", bare.casefold())
    return " ".join(bare.split())


def normalize_mobile(raw: str) -> str:
    """Return the E.164 form of a French or overseas mobile number, or raise `phone.invalid`."""
    text = raw.strip()
    if not text or re.search(r"[^\d+ ().\-/]", text):
        raise DomainError("phone.invalid")
    if text.startswith("00"):
        text = "+" + text[2:]
    for region in ("FR",) if text.startswith("+") else _REGIONS:
        try:
            number = phonenumbers.parse(text, region)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(number):
            return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    raise DomainError("phone.invalid")


def mask_mobile(e164: str) -> str:
    """A mobile number with only its last two digits shown, as the code screen tells it."""
    number = phonenumbers.parse(e164, None)
    national = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    digits = [c for c in national if c.isdigit()]
    keep = len(digits) - 2
    out, seen = [], 0
    for c in national:
        if c.isdigit():
            out.append(c if seen >= keep else "•")
            seen += 1
        else:
            out.append(c)
    return "".join(out)


def format_mobile(e164: str) -> str:
    return phonenumbers.format_number(phonenumbers.parse(e164, None),
                                      phonenumbers.PhoneNumberFormat.NATIONAL)


def parse_birth_date(raw: str, today: date) -> date:
    """Parse JJ/MM/AAAA, 3/9/2010, 03-09-2010 or "3 septembre 2010"; refuse impossible dates."""
    text = fold(raw)
    match = _NUMERIC_DATE.match(raw.strip()) or _NUMERIC_DATE.match(text)
    if match:
        day, month, year = (int(g) for g in match.groups())
    else:
        match = _WORD_DATE.match(text)
        if not match or match.group(2) not in _MONTHS:
            raise DomainError("date.format")
        day, month, year = int(match.group(1)), _MONTHS[match.group(2)], int(match.group(3))
    try:
        value = date(year, month, day)
    except ValueError as exc:
        raise DomainError("date.impossible", date=raw.strip()[:20]) from exc
    if value > today or value.year < today.year - 30:
        raise DomainError("date.impossible", date=raw.strip()[:20])
    return value


def password_problems(password: str) -> list[str]:
    """The CNIL 2022 policy: 12 characters or more, mixing upper, lower, digits and specials.

    Returns the message keys of what is missing, empty when the password is acceptable.
    """
    missing = []
    if len(password) < PASSWORD_MIN_LENGTH:
        missing.append("password.rule.length")
    if not any(c.isupper() for c in password):
        missing.append("password.rule.upper")
    if not any(c.islower() for c in password):
        missing.append("password.rule.lower")
    if not any(c.isdigit() for c in password):
        missing.append("password.rule.digit")
    if not any(not c.isalnum() and not c.isspace() for c in password):
        missing.append("password.rule.special")
    return missing


def identifier_stem(prenom: str, nom: str) -> str:
    """The stem of an identifier, like `m.dupont`: initial of the first name, dot, last name."""
    first = re.sub(r"[^a-z]", "", fold(prenom))[:1] or "x"
    last = re.sub(r"[^a-z]", "", fold(nom))[:20] or "compte"
    return f"{first}.{last}"


def new_code() -> str:
    """A fresh 6-digit activation code from the system's secure random source."""
    return f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
