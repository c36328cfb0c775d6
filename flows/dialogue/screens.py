"""What each dialogue state shows: its text and its buttons, channel-neutral, from the catalogue.

A screen is `(text, rows)`; each row is a list of `(action, label)`. The engine turns actions into
button data bound to the screen, so a button from an older screen is recognised as stale.
"""

from __future__ import annotations

from ..calendar import AVIS, CHOIX, INTENTIONS, REPONSE
from ..identity import format_mobile
from ..model import AccountKind, Voie
from ..texts import t
from . import orientation as ori
from .access import birth_child
from .context import Ctx
from .recap import intention_lines

Rows = list[list[tuple[str, str]]]
Screen = tuple[str, Rows]


def _b(action: str, key: str, **params: object) -> list[tuple[str, str]]:
    return [(action, t(key, **params))]


BACK_TO_WELCOME = _b("cancel", "btn.cancel")


# ---- anonymous ---------------------------------------------------------------------------------

def welcome(ctx: Ctx) -> Screen:
    return t("welcome"), [_b("login", "btn.have_account"), _b("noaccount", "btn.no_account")]


def who(ctx: Ctx) -> Screen:
    return t("who"), [_b("guardian", "btn.i_am_guardian"), _b("student", "btn.i_am_student"),
                      _b("back", "btn.back")]


def rl_intro(ctx: Ctx) -> Screen:
    return t("rl_intro"), [_b("sms", "btn.activate_sms"), _b("nophone", "btn.no_phone"),
                           _b("back", "btn.back")]


def nophone_intro(ctx: Ctx) -> Screen:
    return t("nophone_intro"), [_b("temp", "btn.have_temp"), _b("back", "btn.back")]


def student_intro(ctx: Ctx) -> Screen:
    return t("student_intro"), [_b("temp", "btn.have_temp"), _b("back", "btn.back")]


def act_nom(ctx: Ctx) -> Screen:
    return t("act.nom"), [BACK_TO_WELCOME]


def act_prenom(ctx: Ctx) -> Screen:
    return t("act.prenom"), [BACK_TO_WELCOME]


def act_mobile(ctx: Ctx) -> Screen:
    return t("act.mobile"), [BACK_TO_WELCOME]


def act_code(ctx: Ctx) -> Screen:
    return (t("act.code", masked=ctx.data.get("act", {}).get("masked", "")),
            [_b("resend", "btn.resend_code"), BACK_TO_WELCOME])


def act_birth(ctx: Ctx) -> Screen:
    act = ctx.data.get("act", {})
    child = birth_child(ctx)
    header = t("act.birth.header") + "\n\n" if act.get("idx", 0) == 0 else ""
    text = header + t("act.birth", prenom=child.prenom if child else "",
                      n=act.get("idx", 0) + 1, total=len(act.get("children", [])))
    return text, [_b("notrl", "btn.not_guardian"), BACK_TO_WELCOME]


def act_password(ctx: Ctx) -> Screen:
    act = ctx.data.get("act", {})
    text = t("act.password")
    if act.get("mode") == "sms":
        text = t("act.identifier", identifier=act.get("identifier", "")) + "\n\n" + text
    return text, [BACK_TO_WELCOME]


def act_password2(ctx: Ctx) -> Screen:
    return t("act.password2"), [BACK_TO_WELCOME]


def login_id(ctx: Ctx) -> Screen:
    return t("login.id"), [_b("back", "btn.back")]


def login_pw(ctx: Ctx) -> Screen:
    return t("login.pw"), [_b("back", "btn.back")]


# ---- services ----------------------------------------------------------------------------------

def _who_am_i(ctx: Ctx) -> tuple[str, str]:
    account = ctx.account
    if account is None:
        return "", ""
    if account.kind is AccountKind.STUDENT:
        person = ctx.store.student(account.person_id)
    else:
        person = ctx.store.guardian(account.person_id)
    return (person.prenom, person.nom) if person else ("", "")


def menu(ctx: Ctx) -> Screen:
    prenom, nom = _who_am_i(ctx)
    return t("menu", prenom=prenom, nom=nom), [
        _b("orientation", "btn.orientation"), _b("account", "btn.account"),
        _b("contact", "btn.contact"), _b("affectation", "btn.affectation"),
        _b("fiche", "btn.fiche"), _b("logout", "btn.logout")]


def account(ctx: Ctx) -> Screen:
    acc = ctx.account
    email = phone = None
    if acc is not None and acc.kind is AccountKind.GUARDIAN:
        guardian = ctx.store.guardian(acc.person_id)
        email, phone = guardian.email, guardian.mobile
    text = t("account", identifier=acc.identifier if acc else "",
             email=email or t("account.none"),
             phone=format_mobile(phone) if phone else t("account.none"))
    return text, [_b("logout", "btn.logout"), _b("back", "btn.back_menu")]


def contact(ctx: Ctx) -> Screen:
    lines = []
    for uai in dict.fromkeys(s.uai for s in ctx.children()):
        school = ctx.store.school(uai)
        if school:
            lines.append(t("contact.line", name=school.name, phone=school.phone,
                           email=school.email))
    return t("contact", schools="\n".join(lines) or t("contact.unknown")), [
        _b("back", "btn.back_menu")]


def child(ctx: Ctx) -> Screen:
    rows = [[(f"child:{i}", t("child.label", prenom=s.prenom, nom=s.nom, classe=s.class_name))]
            for i, s in enumerate(ctx.concerned_children())]
    return t("child.pick"), [*rows, _b("back", "btn.back_menu")]


# ---- orientation home --------------------------------------------------------------------------

def _window_line(ctx: Ctx, key: str) -> str | None:
    cal = ori.calendar(ctx)
    window = cal.window(key)
    if window is None:
        return None
    return t(f"calendar.{key}", opens=cal.local_date(window.opens),
             closes=cal.local_date(window.closes))


def _phase_line(ctx: Ctx) -> str:
    cal = ori.calendar(ctx)
    phase = cal.phase(ctx.now)
    if phase.open_key is not None:
        return t(f"phase.open.{phase.open_key}", date=cal.local_date(phase.until))
    if phase.next_key is not None:
        return t(f"phase.before.{phase.next_key}", date=cal.local_date(phase.until))
    return t("phase.over")


def _standing_lines(ctx: Ctx) -> list[str]:
    saved = ori.saved_requests(ctx)
    lines = []
    if saved is None:
        lines.append(t("standing.none"))
    else:
        editor = ctx.store.guardian(saved.editor_guardian_id)
        lines.append(t("standing.validated", date=ori.calendar(ctx).local_date(saved.validated_at),
                       editor=f"{editor.prenom} {editor.nom}" if editor else ""))
    opinion = ori.published_opinion(ctx)
    if opinion is not None:
        ack = ctx.store.acknowledgement(ctx.student.id, ori.STEP)
        lines.append(t("standing.acknowledged", date=ori.calendar(ctx).local_date(ack.at)) if ack
                     else t("standing.opinion_waiting"))
    return lines


def home(ctx: Ctx) -> Screen:
    student = ctx.student
    if student is None:
        return t("input.stale"), [_b("back", "btn.back_menu")]
    calendar_lines = [line for key in (INTENTIONS, AVIS, CHOIX, REPONSE)
                      if (line := _window_line(ctx, key))]
    text = t("home", prenom=student.prenom, nom=student.nom, classe=student.class_name,
             calendar="\n".join(calendar_lines), phase=_phase_line(ctx),
             standing="\n".join(_standing_lines(ctx)))
    saved = ori.saved_requests(ctx)
    may_edit = ori.edit_refusal(ctx) is None
    rows: Rows = []
    if may_edit:
        rows.append(_b("edit", "btn.modify_intentions" if saved else "btn.enter_intentions"))
    if saved is not None:
        rows.append(_b("view", "btn.view_intentions"))
    if ori.published_opinion(ctx) is not None:
        rows.append(_b("opinion", "btn.opinion"))
    rows.append(_b("special", "btn.special_cases"))
    if len(ctx.concerned_children()) > 1:
        rows.append(_b("children", "btn.other_child"))
    rows.append(_b("back", "btn.back_menu"))
    return text, rows


# ---- step 1 entry ------------------------------------------------------------------------------

def _close_date(ctx: Ctx) -> str:
    cal = ori.calendar(ctx)
    window = cal.window(INTENTIONS)
    return cal.local_date(window.closes) if window else ""


def req_edit(ctx: Ctx) -> Screen:
    items = ori.draft(ctx)
    listing = "\n".join(intention_lines(items)) if items else t("requests.empty")
    text = t("requests.edit", date=_close_date(ctx), listing=listing)
    rows: Rows = [[(f"item:{i}", t("btn.item", rank=i + 1, voie=t(f"voie.{it.voie.value}")))]
                  for i, it in enumerate(items)]
    if len(items) < ori.rules.MAX_INTENTIONS:
        rows.append(_b("add", "btn.add_intention"))
    rows.append([("cancel", t("btn.cancel")), ("validate", t("btn.validate"))])
    return text, rows


def req_voie(ctx: Ctx) -> Screen:
    used = {item.voie for item in ori.draft(ctx)}
    rows = [[(f"voie:{v.value}", t(f"voie.{v.value}"))] for v in Voie if v not in used]
    return t("requests.voie", rank=len(used) + 1), [*rows, _b("back", "btn.back")]


def _current_item(ctx: Ctx):
    items = ori.draft(ctx)
    rank = int(ctx.data.get("rank", 0))
    return (rank, items[rank]) if 0 <= rank < len(items) else (rank, None)


def req_item(ctx: Ctx) -> Screen:
    rank, item = _current_item(ctx)
    if item is None:
        return t("input.stale"), [_b("back", "btn.back_list")]
    count = len(ori.draft(ctx))
    rows: Rows = []
    if rank > 0:
        rows.append(_b("up", "btn.up"))
    if rank < count - 1:
        rows.append(_b("down", "btn.down"))
    if item.voie.is_professional:
        rows.append(_b("metier", "btn.metier"))
        rows.append(_b("statut", "btn.statut"))
    rows += [_b("remove", "btn.remove"), _b("back", "btn.back_list")]
    return "\n".join(intention_lines([item], first_rank=rank + 1)), rows


def req_metier(ctx: Ctx) -> Screen:
    rank, item = _current_item(ctx)
    current = item.metier if item else ""
    text = t("requests.metier", rank=rank + 1, voie=t(f"voie.{item.voie.value}") if item else "")
    rows: Rows = []
    if current:
        text += "\n" + t("requests.metier_current", metier=current)
        rows.append(_b("keep", "btn.keep"))
        rows.append(_b("clear", "btn.clear_metier"))
    else:
        rows.append(_b("keep", "btn.skip"))
    rows.append(_b("onisep", "btn.where_ideas"))
    return text, rows


def req_statut(ctx: Ctx) -> Screen:
    _, item = _current_item(ctx)
    box = {True: "☒", False: "☐"}
    rows = [
        [("st:scolaire", t("btn.statut_scolaire", box=box[bool(item and item.scolaire)]))],
        [("st:apprenti", t("btn.statut_apprenti", box=box[bool(item and item.apprenti)]))],
        _b("statut_help", "btn.statut_help"), _b("done", "btn.continue")]
    return t("requests.statut"), rows


def _recap_block(ctx: Ctx) -> str:
    saved = ori.saved_requests(ctx)
    return t("requests.recap", recap="\n".join(intention_lines(saved.items))) if saved else ""


def req_done(ctx: Ctx) -> Screen:
    text = _recap_block(ctx) + "\n\n" + t("requests.validated") + "\n\n" + t(
        "requests.modify_until", date=_close_date(ctx))
    rows: Rows = []
    if ori.edit_refusal(ctx) is None:
        rows.append(_b("edit", "btn.modify"))
    rows.append(_b("back", "btn.back_home"))
    return text, rows


def req_view(ctx: Ctx) -> Screen:
    saved = ori.saved_requests(ctx)
    if saved is None:
        return t("standing.none"), [_b("back", "btn.back_home")]
    refusal = ori.edit_refusal(ctx)
    text = _recap_block(ctx)
    rows: Rows = []
    if refusal is None:
        text += "\n\n" + t("requests.modify_until", date=_close_date(ctx))
        rows.append(_b("edit", "btn.modify"))
    elif refusal.key in ("requests.not_editor", "requests.read_only_student"):
        text += "\n\n" + t("requests.read_only")
    else:
        text += "\n\n" + t(refusal.key, **refusal.params)
    rows.append(_b("back", "btn.back_home"))
    return text, rows


# ---- opinion -----------------------------------------------------------------------------------

def opinion(ctx: Ctx) -> Screen:
    op = ori.published_opinion(ctx)
    saved = ori.saved_requests(ctx)
    if op is None:
        return t("opinion.none"), [_b("back", "btn.back_home")]
    blocks = []
    for rank, item in enumerate(saved.items if saved else [], start=1):
        lines = [t("opinion.intention", rank=rank, voie=t(f"voie.{item.voie.value}"))]
        if item.metier:
            lines.append(t("opinion.metier", metier=item.metier))
        if item.scolaire:
            lines.append(t("opinion.scolaire"))
        if item.apprenti:
            lines.append(t("opinion.apprenti"))
        if rank <= len(op.avis):
            lines.append(t(f"avis.{op.avis[rank - 1].value}"))
        blocks.append("\n".join(lines))
    recommendation = (t(f"voie.{op.recommendation.value}") if op.recommendation
                      else t("opinion.no_recommendation"))
    text = t("opinion.header") + "\n\n" + "\n\n".join(blocks) + "\n\n" + t(
        "opinion.council", recommendation=recommendation, motivation=op.motivation or "—")
    ack = ctx.store.acknowledgement(ctx.student.id, ori.STEP)
    rows: Rows = []
    if ack is not None:
        text += "\n\n" + t("ack.done", date=ori.calendar(ctx).local_date(ack.at, "%d/%m"))
    elif ori.ack_refusal(ctx) is None:
        text += "\n\n" + t("opinion.ack_instructions")
        box = "☒" if ctx.data.get("ack_checked") else "☐"
        rows += [[("tick", t("btn.ack_box", box=box))], _b("validate", "btn.validate")]
    else:
        text += "\n\n" + t("opinion.ack_by_editor")
    rows.append(_b("back", "btn.back_home"))
    return text, rows


def opinion_leave(ctx: Ctx) -> Screen:
    return t("opinion.leave_confirm"), [[("ok", t("btn.ok")), ("cancel", t("btn.cancel"))]]

