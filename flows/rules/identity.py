"""Rules about who someone is: names, mobile numbers, birth dates, passwords and identifiers."""

from __future__ import annotations

import re
import secrets
from datetime import date

import phonenumbers

from .days import BIRTH_FORMS, parse_day
from .errors import DomainError
from .folding import fold

PASSWORD_MIN_LENGTH = 12
CODE_DIGITS = 6

# A national number (0696 …) is tried as metropolitan France first, then as each overseas
# department or collectivity, which have their own country codes.
_REGIONS = ("FR", "GP", "MQ", "GF", "RE", "YT", "PM", "BL", "MF", "NC", "PF", "WF")


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
    value = parse_day(raw, BIRTH_FORMS)
    if not plausible_birth_date(value, today):
        raise DomainError("date.impossible", date=raw.strip()[:20])
    return value


def plausible_birth_date(value: date, today: date) -> bool:
    """A child's birth date: not in the future, not more than 30 years ago."""
    return value <= today and value.year >= today.year - 30


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
