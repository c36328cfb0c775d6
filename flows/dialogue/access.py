"""Callbacks of the welcome, log-in, activation and log-out dialogues.

Each callback takes the event's `Ctx`. Those used with `branch` return an outcome naming the
transition to take; messages for the person are added with `ctx.notice`.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime
from zoneinfo import ZoneInfo

from ..rules import accounts as rules
from ..rules.errors import DomainError
from ..rules.identity import (
    fold,
    identifier_stem,
    mask_mobile,
    normalize_mobile,
    parse_birth_date,
    password_problems,
)
from ..rules.model import Account, AccountKind, Guardian, OutMessage, Student
from ..texts import t
from .context import Ctx, present
from .recap import send_session_recaps

NAME_MAX_LENGTH = 60
IDENTIFIER_PATTERN = re.compile(r"^[a-z0-9.\-]{1,64}$")


def clean_name(raw: str) -> str | None:
    """A name as typed, or None when it cannot be one (digits, symbols, emoji, too long)."""
    text = " ".join(raw.split())
    if not text or len(text) > NAME_MAX_LENGTH:
        return None
    allowed = all(unicodedata.category(c).startswith("L") or c in " -'’." for c in text)
    return text if allowed else None


def school_contact(ctx: Ctx, students: list[Student]) -> dict:
    """The contact of the school of the first of `students`, for "contactez l'établissement"."""
    school = ctx.store.school(students[0].uai) if students else None
    if school is None:
        return {"contact": ctx.t("contact.unknown")}
    return {"contact": ctx.t("contact.line", name=school.name, phone=school.phone,
                         email=school.email)}


# ---- activation by SMS -------------------------------------------------------------------------

def begin_sms_activation(ctx: Ctx) -> None:
    ctx.data["act"] = {"mode": "sms"}


def take_nom(ctx: Ctx) -> str:
    return _take_name(ctx, "nom")


def take_prenom(ctx: Ctx) -> str:
    return _take_name(ctx, "prenom")


def _take_name(ctx: Ctx, field: str) -> str:
    name = clean_name(ctx.text)
    if name is None:
        ctx.notice("name.invalid")
        return "retry"
    ctx.data.setdefault("act", {"mode": "sms"})[field] = name
    return "ok"


def _matching_guardian(ctx: Ctx, e164: str) -> Guardian | None:
    act = ctx.data.get("act", {})
    nom, prenom = fold(act.get("nom", "")), fold(act.get("prenom", ""))
    for guardian in ctx.store.guardians_by_mobile(e164):
        if fold(guardian.nom) == nom and fold(guardian.prenom) == prenom:
            return guardian
    return None


def take_mobile(ctx: Ctx) -> str:
    """Look the guardian up by name, first name and mobile; send a code to the number on file."""
    try:
        e164 = normalize_mobile(ctx.text)
    except DomainError as error:
        ctx.notice(error.key)
        return "retry"
    guardian = _matching_guardian(ctx, e164)
    if guardian is None or not guardian.mobile:
        misses = ctx.data["nomatch"] = ctx.data.get("nomatch", 0) + 1
        if misses >= rules.NO_MATCH_MAX:
            ctx.notice("activation.nomatch_final")
            return "stop"
        ctx.notice("activation.nomatch")
        return "nomatch"
    account = ctx.store.account_of(AccountKind.GUARDIAN, guardian.id)
    if account is not None and account.status == "active":
        ctx.notice("activation.already_active")
        return "active"
    ctx.data["act"]["guardian"] = guardian.id
    return "sent" if send_code(ctx) else "stop"


def send_code(ctx: Ctx) -> bool:
    """Send a fresh code to the guardian's number on file; False when the limits refuse it."""
    guardian = ctx.store.guardian(ctx.data["act"]["guardian"])
    if guardian is None or not guardian.mobile:
        return False
    existing = ctx.store.activation_code(guardian.id)
    try:
        rules.check_may_send(existing, ctx.now)
    except DomainError as error:
        ctx.notice(error.key, **error.params)
        return error.key == "code.wait" and existing is not None
    code = ctx.secrets.fresh_code()
    ctx.store.save_activation_code(
        rules.issue(guardian.id, ctx.secrets.hash(code), existing, ctx.now))
    ctx.send(OutMessage("sms", guardian.mobile, t("sms.code", code=code)))
    ctx.data["act"]["masked"] = mask_mobile(guardian.mobile)
    return True


def resend_code(ctx: Ctx) -> str:
    if send_code(ctx):
        if not ctx.notices:
            ctx.notice("code.resent")
        return "ok"
    return "stop"


def take_code(ctx: Ctx) -> str:
    act = ctx.data["act"]
    code = ctx.store.activation_code(act["guardian"])
    try:
        code = rules.check_usable(code, ctx.now)
    except DomainError as error:
        ctx.notice(error.key)
        return "retry"
    entered = re.sub(r"[\s.\-]", "", ctx.text)
    if not re.fullmatch(r"\d{6}", entered):
        ctx.notice("code.format")
        return "retry"
    if ctx.secrets.verify(code.code_hash, entered):
        ctx.store.delete_activation_code(act["guardian"])  # a code is used once
        _begin_birth_dates(ctx, act["guardian"])
        return "ok"
    code.attempts += 1
    ctx.store.save_activation_code(code)
    left = rules.CODE_MAX_ATTEMPTS - code.attempts
    ctx.notice("code.wrong", left=left) if left > 0 else ctx.notice("code.locked")
    return "retry"


# ---- birth dates (both activation paths) --------------------------------------------------------

def _begin_birth_dates(ctx: Ctx, guardian_id: str) -> None:
    act = ctx.data["act"]
    act["children"] = [s.id for s in ctx.store.children_of(guardian_id)]
    act.update(idx=0, misses=0, confirmed=[])


def birth_child(ctx: Ctx) -> Student | None:
    act = ctx.data.get("act", {})
    children = act.get("children", [])
    index = act.get("idx", 0)
    return ctx.store.student(children[index]) if index < len(children) else None


def _act_guardian_id(ctx: Ctx) -> str:
    act = ctx.data["act"]
    if act["mode"] == "sms":
        return act["guardian"]
    return present(ctx.store.account(act["account"]), "account").person_id


def take_birth_date(ctx: Ctx) -> str:
    act = ctx.data["act"]
    child = birth_child(ctx)
    if child is None:
        return _after_children(ctx)
    try:
        typed = parse_birth_date(ctx.text, ctx.now.date())
    except DomainError as error:
        ctx.notice(error.key, **error.params)
        return "retry"
    if typed != child.birth_date:
        act["misses"] += 1
        left = rules.BIRTH_DATE_MAX_ATTEMPTS - act["misses"]
        if left <= 0:
            ctx.notice("birth.locked", **school_contact(ctx, [child]))
            ctx.data.pop("act", None)
            return "stop"
        ctx.notice("birth.wrong", left=left)
        return "retry"
    act["confirmed"].append(child.id)
    return _next_child(ctx)


def flag_not_guardian(ctx: Ctx) -> str:
    """"Je ne suis pas le représentant légal de cet élève": reported to the school, link not used."""
    child = birth_child(ctx)
    if child is not None:
        ctx.store.flag_link(_act_guardian_id(ctx), child.id, ctx.now)
        ctx.audit("link_flagged", child.id)
        ctx.notice("birth.flagged", prenom=child.prenom)
    return _next_child(ctx)


def _next_child(ctx: Ctx) -> str:
    ctx.data["act"]["idx"] += 1
    if birth_child(ctx) is not None:
        return "next"
    return _after_children(ctx)


def _after_children(ctx: Ctx) -> str:
    act = ctx.data["act"]
    if not act["confirmed"]:
        students = [s for s in map(ctx.store.student, act["children"]) if s]
        ctx.notice("birth.none_confirmed", **school_contact(ctx, students))
        ctx.data.pop("act", None)
        return "stop"
    if act["mode"] == "sms":
        _reserve_identifier(ctx)
        return "password"
    return _activate(ctx)


def _reserve_identifier(ctx: Ctx) -> None:
    """Create (or reuse) the guardian's pending account; its identifier is shown next."""
    act = ctx.data["act"]
    guardian = present(ctx.store.guardian(act["guardian"]), "guardian")
    account = ctx.store.account_of(AccountKind.GUARDIAN, guardian.id)
    if account is None:
        stem = identifier_stem(guardian.prenom, guardian.nom)
        taken = ctx.store.identifiers_like(stem)
        number = next(n for n in range(1, len(taken) + 2) if f"{stem}{n}" not in taken)
        account = ctx.store.save_account(
            Account(None, f"{stem}{number}", AccountKind.GUARDIAN, guardian.id))
    act["account"] = account.id
    act["identifier"] = account.identifier


# ---- password (both paths) ---------------------------------------------------------------------

def take_password(ctx: Ctx) -> str:
    problems = password_problems(ctx.text)
    if problems:
        ctx.notice("password.weak", rules="\n".join("• " + ctx.t(key) for key in problems))
        return "retry"
    ctx.data["act"]["pw_hash"] = ctx.secrets.hash(ctx.text)
    return "ok"


def take_password_confirmation(ctx: Ctx) -> str:
    act = ctx.data["act"]
    if not ctx.secrets.verify(act.get("pw_hash", ""), ctx.text):
        act.pop("pw_hash", None)
        ctx.notice("password.mismatch")
        return "mismatch"
    account = present(ctx.store.account(act["account"]), "account")
    if act["mode"] == "temp" and account.kind is AccountKind.GUARDIAN:
        _begin_birth_dates(ctx, account.person_id)
        if birth_child(ctx) is not None:
            return "birth"
    return _activate(ctx)


def _activate(ctx: Ctx) -> str:
    act = ctx.data.pop("act")
    account = present(ctx.store.account(act["account"]), "account")
    account.password_hash = act["pw_hash"]
    account.status = "active"
    account.temp_password_hash = None
    account.temp_expires_at = None
    account.failed_logins = 0
    account.activated_at = ctx.now
    ctx.store.save_account(account)
    ctx.audit("account_activated", None, mode=act["mode"])
    ctx.data.pop("nomatch", None)
    ctx.log_in(account)
    ctx.notice("activation.done")
    return "done"


# ---- log in / log out --------------------------------------------------------------------------

def take_identifier(ctx: Ctx) -> str:
    identifier = ctx.text.strip().lower()
    if not IDENTIFIER_PATTERN.match(identifier):
        ctx.notice("login.identifier_format")
        return "retry"
    ctx.data["login_id"] = identifier
    return "ok"


def take_login_password(ctx: Ctx) -> str:
    account = ctx.store.account_by_identifier(ctx.data.pop("login_id", ""))
    if account is None:
        ctx.notice("login.wrong")
        return "wrong"
    until = rules.login_lock_until(account, ctx.now)
    if until is not None:
        ctx.notice("login.locked", time=_local_time(ctx, account, until))
        return "locked"
    if account.status == "active" and account.password_hash and ctx.secrets.verify(
            account.password_hash, ctx.text):
        account.failed_logins = 0
        ctx.store.save_account(account)
        ctx.log_in(account)
        return "ok"
    if account.status == "pending" and account.temp_password_hash and ctx.secrets.verify(
            account.temp_password_hash, ctx.text):
        if not rules.temp_password_usable(account, ctx.now):
            ctx.notice("temp.expired")
            return "wrong"
        account.failed_logins = 0
        ctx.store.save_account(account)
        ctx.data["act"] = {"mode": "temp", "account": account.id}
        ctx.notice("temp.choose_password")
        return "temp"
    rules.record_login_failure(account, ctx.now)
    ctx.store.save_account(account)
    if account.locked_until is not None and account.locked_until > ctx.now:
        ctx.notice("login.locked", time=_local_time(ctx, account, account.locked_until))
        return "locked"
    ctx.notice("login.wrong")
    return "wrong"


def _local_time(ctx: Ctx, account: Account, moment: datetime) -> str:
    """A time of day in the time zone of the account's (first) school."""
    if account.kind is AccountKind.STUDENT:
        own = ctx.store.student(account.person_id)
        students = [own] if own else []
    else:
        students = ctx.store.children_of(account.person_id)
    school = ctx.store.school(students[0].uai) if students else None
    timezone = school.timezone if school else "Europe/Paris"
    return moment.astimezone(ZoneInfo(timezone)).strftime("%H:%M")


def end_session(ctx: Ctx) -> None:
    """Log out: the recaps of what was validated in this session leave, then the chat is unbound."""
    send_session_recaps(ctx)
    ctx.store.unbind(ctx.inbound.channel, ctx.inbound.address)
    ctx.account_id = None
    ctx.__dict__.pop("account", None)
    # Keep the screen counter: restarting it would make the buttons of older screens valid again.
    ctx.conv.data = {"seq": ctx.data.get("seq", 0)}


def log_out(ctx: Ctx) -> None:
    was_bound = ctx.account_id is not None
    end_session(ctx)
    ctx.notice("logout.done" if was_bound else "logout.not_logged_in")


def reset_to_start(ctx: Ctx) -> None:
    """Drop whatever was being typed (a draft, an activation) but keep the session."""
    for key in ("act", "draft", "rank", "login_id", "ack_checked", "leave_to"):
        ctx.data.pop(key, None)
