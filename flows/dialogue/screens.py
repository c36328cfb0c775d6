"""What each dialogue state shows: its text and its buttons, channel-neutral, from the catalogue.

A screen is `(text, rows)`; each row is a list of `(action, label)`. The engine turns actions into
button data bound to the screen, so a button from an older screen is recognised as stale.
"""

from __future__ import annotations

from ..rules.calendar import AVIS, CHOIX, INTENTIONS, REPONSE
from ..rules.decisions import appeal_deadline, disagrees
from ..rules.identity import format_mobile
from ..rules.model import AccountKind, Guardian, Step, Student, Voie
from ..rules.standing import Progress, pending
from . import orientation as ori
from . import proposal as prop
from .access import birth_child
from .context import Ctx, present
from .recap import intention_lines

Rows = list[list[tuple[str, str]]]
Screen = tuple[str, Rows]


def _b(ctx: Ctx, action: str, key: str, **params: object) -> list[tuple[str, str]]:
    return [(action, ctx.t(key, **params))]


def _back_to_welcome(ctx: Ctx) -> list[tuple[str, str]]:
    return _b(ctx, "cancel", "btn.cancel")


# ---- anonymous ---------------------------------------------------------------------------------

def welcome(ctx: Ctx) -> Screen:
    return ctx.t("welcome"), [_b(ctx, "login", "btn.have_account"), _b(ctx, "noaccount", "btn.no_account")]


def who(ctx: Ctx) -> Screen:
    return ctx.t("who"), [_b(ctx, "guardian", "btn.i_am_guardian"), _b(ctx, "student", "btn.i_am_student"),
                      _b(ctx, "back", "btn.back")]


def rl_intro(ctx: Ctx) -> Screen:
    return ctx.t("rl_intro"), [_b(ctx, "sms", "btn.activate_sms"), _b(ctx, "nophone", "btn.no_phone"),
                           _b(ctx, "back", "btn.back")]


def nophone_intro(ctx: Ctx) -> Screen:
    return ctx.t("nophone_intro"), [_b(ctx, "temp", "btn.have_temp"), _b(ctx, "back", "btn.back")]


def student_intro(ctx: Ctx) -> Screen:
    return ctx.t("student_intro"), [_b(ctx, "temp", "btn.have_temp"), _b(ctx, "back", "btn.back")]


def act_nom(ctx: Ctx) -> Screen:
    return ctx.t("act.nom"), [_back_to_welcome(ctx)]


def act_prenom(ctx: Ctx) -> Screen:
    return ctx.t("act.prenom"), [_back_to_welcome(ctx)]


def act_mobile(ctx: Ctx) -> Screen:
    return ctx.t("act.mobile"), [_back_to_welcome(ctx)]


def act_code(ctx: Ctx) -> Screen:
    return (ctx.t("act.code", masked=ctx.data.get("act", {}).get("masked", "")),
            [_b(ctx, "resend", "btn.resend_code"), _back_to_welcome(ctx)])


def act_birth(ctx: Ctx) -> Screen:
    act = ctx.data.get("act", {})
    child = birth_child(ctx)
    header = ctx.t("act.birth.header") + "\n\n" if act.get("idx", 0) == 0 else ""
    text = header + ctx.t("act.birth", prenom=child.prenom if child else "",
                      n=act.get("idx", 0) + 1, total=len(act.get("children", [])))
    return text, [_b(ctx, "notrl", "btn.not_guardian"), _back_to_welcome(ctx)]


def act_password(ctx: Ctx) -> Screen:
    act = ctx.data.get("act", {})
    text = ctx.t("act.password")
    if act.get("mode") == "sms":
        text = ctx.t("act.identifier", identifier=act.get("identifier", "")) + "\n\n" + text
    return text, [_back_to_welcome(ctx)]


def act_password2(ctx: Ctx) -> Screen:
    return ctx.t("act.password2"), [_back_to_welcome(ctx)]


def login_id(ctx: Ctx) -> Screen:
    return ctx.t("login.id"), [_b(ctx, "back", "btn.back")]


def login_pw(ctx: Ctx) -> Screen:
    return ctx.t("login.pw"), [_b(ctx, "back", "btn.back")]


# ---- services ----------------------------------------------------------------------------------

def _who_am_i(ctx: Ctx) -> tuple[str, str]:
    account = ctx.account
    if account is None:
        return "", ""
    person: Student | Guardian | None = (
        ctx.store.student(account.person_id) if account.kind is AccountKind.STUDENT
        else ctx.store.guardian(account.person_id))
    return (person.prenom, person.nom) if person else ("", "")


def menu(ctx: Ctx) -> Screen:
    prenom, nom = _who_am_i(ctx)
    return ctx.t("menu", prenom=prenom, nom=nom), [
        _b(ctx, "orientation", "btn.orientation"), _b(ctx, "account", "btn.account"),
        _b(ctx, "contact", "btn.contact"), _b(ctx, "affectation", "btn.affectation"),
        _b(ctx, "fiche", "btn.fiche"), _b(ctx, "logout", "btn.logout")]


def account(ctx: Ctx) -> Screen:
    acc = ctx.account
    email = phone = None
    if acc is not None and acc.kind is AccountKind.GUARDIAN:
        guardian = present(ctx.store.guardian(acc.person_id), "guardian")
        email, phone = guardian.email, guardian.mobile
    text = ctx.t("account", identifier=acc.identifier if acc else "",
             email=email or ctx.t("account.none"),
             phone=format_mobile(phone) if phone else ctx.t("account.none"))
    return text, [_b(ctx, "logout", "btn.logout"), _b(ctx, "back", "btn.back_menu")]


def contact(ctx: Ctx) -> Screen:
    lines = []
    for uai in dict.fromkeys(s.uai for s in ctx.children()):
        school = ctx.store.school(uai)
        if school:
            lines.append(ctx.t("contact.line", name=school.name, phone=school.phone,
                           email=school.email))
    return ctx.t("contact", schools="\n".join(lines) or ctx.t("contact.unknown")), [
        _b(ctx, "back", "btn.back_menu")]


def child(ctx: Ctx) -> Screen:
    rows = [[(f"child:{i}", ctx.t("child.label", prenom=s.prenom, nom=s.nom, classe=s.class_name))]
            for i, s in enumerate(ctx.concerned_children())]
    return ctx.t("child.pick"), [*rows, _b(ctx, "back", "btn.back_menu")]


# ---- orientation home --------------------------------------------------------------------------

def _window_line(ctx: Ctx, key: str) -> str | None:
    cal = ori.calendar(ctx)
    window = cal.window(key)
    if window is None:
        return None
    return ctx.t(f"calendar.{key}", opens=cal.local_date(window.opens),
             closes=cal.local_date(window.closes))


def _phase_line(ctx: Ctx) -> str:
    cal = ori.calendar(ctx)
    phase = cal.phase(ctx.now)
    if phase.until is not None and phase.open_key is not None:
        return ctx.t(f"phase.open.{phase.open_key}", date=cal.local_date(phase.until))
    if phase.until is not None and phase.next_key is not None:
        return ctx.t(f"phase.before.{phase.next_key}", date=cal.local_date(phase.until))
    return ctx.t("phase.over")


def _validated_line(ctx: Ctx, of: Step) -> str:
    saved = ori.saved_requests(ctx, of)
    if saved is None:
        return ctx.t(ori.step_key("standing.none", of))
    editor = ctx.store.guardian(saved.editor_guardian_id)
    return ctx.t(ori.step_key("standing.validated", of),
             date=ori.calendar(ctx).local_date(saved.validated_at),
             editor=f"{editor.prenom} {editor.nom}" if editor else "")


def _progress(ctx: Ctx) -> Progress:
    answers = prop.answers(ctx)
    proposals = ctx.store.proposals(ctx.chosen.id)
    return Progress(
        intentions=ori.saved_requests(ctx, Step.INTENTIONS) is not None,
        opinion=ori.published_opinion(ctx) is not None,
        acknowledged=ctx.store.acknowledgement(ctx.chosen.id, Step.INTENTIONS) is not None,
        choix=ori.saved_requests(ctx, Step.CHOIX) is not None,
        proposals=bool(prop.shown_proposals(ctx)),
        answered=any(a.agree for a in answers) or disagrees(proposals, answers, ctx.now),
        decided=prop.shown_decision(ctx) is not None)


def _standing_lines(ctx: Ctx) -> list[str]:
    cal = ori.calendar(ctx)
    lines = [_validated_line(ctx, Step.INTENTIONS)]
    if ori.published_opinion(ctx) is not None:
        ack = ctx.store.acknowledgement(ctx.chosen.id, Step.INTENTIONS)
        lines.append(ctx.t("standing.acknowledged", date=cal.local_date(ack.at)) if ack
                     else ctx.t("standing.opinion_waiting"))
    choix = cal.window(CHOIX)
    if choix is not None and (ctx.now >= choix.opens
                                          or ori.saved_requests(ctx, Step.CHOIX)):
        lines.append(_validated_line(ctx, Step.CHOIX))
    decision = prop.shown_decision(ctx)
    if decision is not None:
        lines.append(ctx.t("standing.decision", voie=ctx.t(f"voie.{decision.voie.value}"),
                       date=cal.local_date(decision.decided_at)))
    elif prop.shown_proposals(ctx):
        answers = prop.answers(ctx)
        lines.append(ctx.t("standing.disagreed") if disagrees(
            ctx.store.proposals(ctx.chosen.id), answers, ctx.now) else ctx.t("standing.proposal"))
    due = pending(_progress(ctx), cal, ctx.now)
    if due is not None:
        lines.append(ctx.t(f"todo.{due.action}", date=cal.local_date(due.deadline)))
    return lines


def home(ctx: Ctx) -> Screen:
    student = ctx.student
    if student is None:
        return ctx.t("input.stale"), [_b(ctx, "back", "btn.back_menu")]
    calendar_lines = [line for key in (INTENTIONS, AVIS, CHOIX, REPONSE)
                      if (line := _window_line(ctx, key))]
    text = ctx.t("home", prenom=student.prenom, nom=student.nom, classe=student.class_name,
             calendar="\n".join(calendar_lines), phase=_phase_line(ctx),
             standing="\n".join(_standing_lines(ctx)))
    rows: Rows = []
    for of in (Step.INTENTIONS, Step.CHOIX):
        saved = ori.saved_requests(ctx, of)
        if ori.edit_refusal(ctx, of) is None:
            label = "btn.modify_intentions" if saved else "btn.enter_intentions"
            rows.append([(f"edit:{of.value}", ctx.t(ori.step_key(label, of)))])
        if saved is not None:
            rows.append([(f"view:{of.value}", ctx.t(ori.step_key("btn.view_intentions", of)))])
    if ori.published_opinion(ctx) is not None:
        rows.append(_b(ctx, "opinion", "btn.opinion"))
    if prop.shown_proposals(ctx) or prop.shown_decision(ctx) is not None:
        rows.append(_b(ctx, "proposal", "btn.proposal"))
    rows.append(_b(ctx, "special", "btn.special_cases"))
    if len(ctx.concerned_children()) > 1:
        rows.append(_b(ctx, "children", "btn.other_child"))
    rows.append(_b(ctx, "back", "btn.back_menu"))
    return text, rows


# ---- step 1 entry ------------------------------------------------------------------------------

def _close_date(ctx: Ctx) -> str:
    cal = ori.calendar(ctx)
    window = cal.window(ori.WINDOWS[ori.step(ctx)])
    return cal.local_date(window.closes) if window else ""


def _lines(ctx: Ctx, items, first_rank: int = 1) -> list[str]:
    return intention_lines(items, first_rank, ori.step(ctx))


def req_edit(ctx: Ctx) -> Screen:
    items = ori.draft(ctx)
    listing = "\n".join(_lines(ctx, items)) if items else ctx.t(ori.keyed(ctx, "requests.empty"))
    text = ctx.t(ori.keyed(ctx, "requests.edit"), date=_close_date(ctx), listing=listing)
    rows: Rows = [[(f"item:{i}", ctx.t(ori.keyed(ctx, "btn.item"), rank=i + 1,
                                   voie=ctx.t(f"voie.{it.voie.value}")))]
                  for i, it in enumerate(items)]
    if ori.may_copy_intentions(ctx):
        rows.append(_b(ctx, "copy", "btn.copy_intentions"))
    if len(items) < ori.rules.MAX_INTENTIONS:
        rows.append(_b(ctx, "add", ori.keyed(ctx, "btn.add_intention")))
    rows.append([("cancel", ctx.t("btn.cancel")), ("validate", ctx.t("btn.validate"))])
    return text, rows


def req_voie(ctx: Ctx) -> Screen:
    used = {item.voie for item in ori.draft(ctx)}
    rows = [[(f"voie:{v.value}", ctx.t(f"voie.{v.value}"))] for v in Voie if v not in used]
    return ctx.t(ori.keyed(ctx, "requests.voie"), rank=len(used) + 1), [*rows, _b(ctx, "back", "btn.back")]


def _current_item(ctx: Ctx):
    items = ori.draft(ctx)
    rank = int(ctx.data.get("rank", 0))
    return (rank, items[rank]) if 0 <= rank < len(items) else (rank, None)


def req_item(ctx: Ctx) -> Screen:
    rank, item = _current_item(ctx)
    if item is None:
        return ctx.t("input.stale"), [_b(ctx, "back", "btn.back_list")]
    count = len(ori.draft(ctx))
    rows: Rows = []
    if rank > 0:
        rows.append(_b(ctx, "up", "btn.up"))
    if rank < count - 1:
        rows.append(_b(ctx, "down", "btn.down"))
    if item.voie.is_professional:
        rows.append(_b(ctx, "metier", "btn.metier"))
        rows.append(_b(ctx, "statut", "btn.statut"))
    rows += [_b(ctx, "remove", "btn.remove"), _b(ctx, "back", "btn.back_list")]
    return "\n".join(_lines(ctx, [item], first_rank=rank + 1)), rows


def req_metier(ctx: Ctx) -> Screen:
    rank, item = _current_item(ctx)
    current = item.metier if item else ""
    text = ctx.t("requests.metier", rank=rank + 1, voie=ctx.t(f"voie.{item.voie.value}") if item else "")
    rows: Rows = []
    if current:
        text += "\n" + ctx.t("requests.metier_current", metier=current)
        rows.append(_b(ctx, "keep", "btn.keep"))
        rows.append(_b(ctx, "clear", "btn.clear_metier"))
    else:
        rows.append(_b(ctx, "keep", "btn.skip"))
    rows.append(_b(ctx, "onisep", "btn.where_ideas"))
    return text, rows


def req_statut(ctx: Ctx) -> Screen:
    _, item = _current_item(ctx)
    box = {True: "☒", False: "☐"}
    rows = [
        [("st:scolaire", ctx.t("btn.statut_scolaire", box=box[bool(item and item.scolaire)]))],
        [("st:apprenti", ctx.t("btn.statut_apprenti", box=box[bool(item and item.apprenti)]))],
        _b(ctx, "statut_help", "btn.statut_help"), _b(ctx, "done", "btn.continue")]
    return ctx.t("requests.statut"), rows


def _recap_block(ctx: Ctx) -> str:
    saved = ori.saved_requests(ctx)
    return ctx.t(ori.keyed(ctx, "requests.recap"),
             recap="\n".join(_lines(ctx, saved.items))) if saved else ""


def _modify_button(ctx: Ctx) -> list[tuple[str, str]]:
    return [(f"edit:{ori.step(ctx).value}", ctx.t("btn.modify"))]


def req_done(ctx: Ctx) -> Screen:
    text = _recap_block(ctx) + "\n\n" + ctx.t(ori.keyed(ctx, "requests.validated")) + "\n\n" + ctx.t(
        "requests.modify_until", date=_close_date(ctx))
    rows: Rows = []
    if ori.edit_refusal(ctx) is None:
        rows.append(_modify_button(ctx))
    rows.append(_b(ctx, "back", "btn.back_home"))
    return text, rows


def req_view(ctx: Ctx) -> Screen:
    saved = ori.saved_requests(ctx)
    if saved is None:
        return ctx.t(ori.keyed(ctx, "standing.none")), [_b(ctx, "back", "btn.back_home")]
    refusal = ori.edit_refusal(ctx)
    text = _recap_block(ctx)
    rows: Rows = []
    if refusal is None:
        text += "\n\n" + ctx.t("requests.modify_until", date=_close_date(ctx))
        rows.append(_modify_button(ctx))
    elif refusal.key in ("requests.not_editor", "requests.read_only_student"):
        text += "\n\n" + ctx.t(ori.keyed(ctx, "requests.read_only"))
    else:
        text += "\n\n" + ctx.t(refusal.key, **refusal.params)
    rows.append(_b(ctx, "back", "btn.back_home"))
    return text, rows


# ---- opinion -----------------------------------------------------------------------------------

def opinion(ctx: Ctx) -> Screen:
    op = ori.published_opinion(ctx)
    saved = ori.saved_requests(ctx, Step.INTENTIONS)
    if op is None:
        return ctx.t("opinion.none"), [_b(ctx, "back", "btn.back_home")]
    blocks = []
    for rank, item in enumerate(saved.items if saved else [], start=1):
        lines = [ctx.t("opinion.intention", rank=rank, voie=ctx.t(f"voie.{item.voie.value}"))]
        if item.metier:
            lines.append(ctx.t("opinion.metier", metier=item.metier))
        if item.scolaire:
            lines.append(ctx.t("opinion.scolaire"))
        if item.apprenti:
            lines.append(ctx.t("opinion.apprenti"))
        if rank <= len(op.avis):
            lines.append(ctx.t(f"avis.{op.avis[rank - 1].value}"))
        blocks.append("\n".join(lines))
    recommendation = (ctx.t(f"voie.{op.recommendation.value}") if op.recommendation
                      else ctx.t("opinion.no_recommendation"))
    text = ctx.t("opinion.header") + "\n\n" + "\n\n".join(blocks) + "\n\n" + ctx.t(
        "opinion.council", recommendation=recommendation, motivation=op.motivation or "—")
    ack = ctx.store.acknowledgement(ctx.chosen.id, Step.INTENTIONS)
    rows: Rows = []
    if ack is not None:
        text += "\n\n" + ctx.t("ack.done", date=ori.calendar(ctx).local_date(ack.at, "%d/%m"))
    elif ori.ack_refusal(ctx) is None:
        text += "\n\n" + ctx.t("opinion.ack_instructions")
        box = "☒" if ctx.data.get("ack_checked") else "☐"
        rows += [[("tick", ctx.t("btn.ack_box", box=box))], _b(ctx, "validate", "btn.validate")]
    else:
        text += "\n\n" + ctx.t("opinion.ack_by_editor")
    rows.append(_b(ctx, "back", "btn.back_home"))
    return text, rows


def opinion_leave(ctx: Ctx) -> Screen:
    return ctx.t("opinion.leave_confirm"), [[("ok", ctx.t("btn.ok")), ("cancel", ctx.t("btn.cancel"))]]



# ---- step 3: proposal, answer, decision --------------------------------------------------------

def _school_contact(ctx: Ctx) -> str:
    school = ctx.store.school(ctx.chosen.uai)
    if school is None:
        return ctx.t("contact.unknown")
    return ctx.t("contact.line", name=school.name, phone=school.phone, email=school.email)


def _proposal_lines(ctx: Ctx) -> list[str]:
    cal = ori.calendar(ctx)
    given = {a.rank: a for a in prop.answers(ctx)}
    lines = []
    for proposal in prop.shown_proposals(ctx):
        line = ctx.t("proposal.item", rank=proposal.rank, voie=ctx.t(f"voie.{proposal.voie.value}"))
        if proposal.detail:
            line += "\n" + ctx.t("proposal.detail", detail=proposal.detail)
        if proposal.rank in given:
            answer = given[proposal.rank]
            line += "\n" + ctx.t("proposal.answered_agree" if answer.agree
                             else "proposal.answered_disagree", date=cal.local_date(answer.at))
        lines.append(line)
    return lines


def _decision_block(ctx: Ctx) -> str | None:
    decision = prop.shown_decision(ctx)
    if decision is None:
        return None
    cal = ori.calendar(ctx)
    text = ctx.t("decision.shown", voie=ctx.t(f"voie.{decision.voie.value}"),
             date=cal.local_date(decision.decided_at))
    if decision.detail:
        text += "\n" + ctx.t("proposal.detail", detail=decision.detail)
    deadline = appeal_deadline(decision, cal)
    if deadline is not None:
        text += "\n\n" + ctx.t("decision.appeal", date=deadline.strftime("%d/%m/%Y"),
                            contact=_school_contact(ctx))
    return text


def proposal(ctx: Ctx) -> Screen:
    if ctx.student is None:
        return ctx.t("input.stale"), [_b(ctx, "back", "btn.back_home")]
    blocks = [ctx.t("proposal.header"), "\n\n".join(_proposal_lines(ctx))]
    decision = _decision_block(ctx)
    rows: Rows = []
    rank = prop.next_rank(ctx)
    if decision is not None:
        blocks.append(decision)
    elif disagrees(ctx.store.proposals(ctx.chosen.id), prop.answers(ctx), ctx.now):
        blocks.append(ctx.t("proposal.meet_head", contact=_school_contact(ctx)))
    elif rank is not None:
        window = ori.calendar(ctx).window(REPONSE)
        blocks.append(ctx.t("proposal.answer_now", rank=rank,
                        date=ori.calendar(ctx).local_date(window.closes) if window else ""))
        rows.append([(f"agree:{rank}", ctx.t("btn.agree")), (f"disagree:{rank}", ctx.t("btn.disagree"))])
    else:
        refusal = prop.waiting_refusal(ctx)
        if refusal is not None and refusal.key in ("answer.not_editor", "answer.read_only_student"):
            blocks.append(ctx.t("proposal.answer_by_editor"))
        elif refusal is not None and refusal.key in ("answer.closed", "answer.not_yet",
                                                     "answer.not_scheduled"):
            blocks.append(ctx.t(refusal.key, **refusal.params))
    rows.append(_b(ctx, "back", "btn.back_home"))
    return "\n\n".join(b for b in blocks if b), rows


def proposal_confirm(ctx: Ctx) -> Screen:
    pending_answer = ctx.data.get("answer") or {}
    rank = pending_answer.get("rank")
    chosen = next((p for p in prop.shown_proposals(ctx) if p.rank == rank), None) \
        if ctx.student is not None else None
    if chosen is None:
        return ctx.t("input.stale"), [[("cancel", ctx.t("btn.cancel"))]]
    key = "proposal.confirm_agree" if pending_answer.get("agree") else "proposal.confirm_disagree"
    return ctx.t(key, rank=rank, voie=ctx.t(f"voie.{chosen.voie.value}")), [
        [("confirm", ctx.t("btn.confirm")), ("cancel", ctx.t("btn.cancel"))]]
