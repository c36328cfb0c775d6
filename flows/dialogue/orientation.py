"""Callbacks of the orientation dialogues: choice of child, entry of the intentions (step 1) and of
the choix définitifs (step 2), the opinion and its acknowledgement.

Steps 1 and 2 share their dialogue: the conversation holds the step being entered or read
(`data["step"]`), and texts that differ have a variant key ending in ".choix".
"""

from __future__ import annotations

from ..rules import requests as rules
from ..rules.calendar import CHOIX, INTENTIONS, Calendar
from ..rules.council import check_may_acknowledge, visible
from ..rules.errors import DomainError
from ..rules.model import Acknowledgement, CouncilOpinion, Intention, RequestSet, Step, Voie
from .context import Ctx, present
from .recap import mark_for_recap, send_confirmation, step_key

WINDOWS = {Step.INTENTIONS: INTENTIONS, Step.CHOIX: CHOIX}


def step(ctx: Ctx) -> Step:
    """The step whose requests the dialogue is about; the intentions unless the choix were picked."""
    return Step.CHOIX if ctx.data.get("step") == Step.CHOIX.value else Step.INTENTIONS


def set_step(ctx: Ctx) -> None:
    """Take the step from the pressed button's argument ("edit:choix", "view:intentions")."""
    if ctx.arg in (Step.INTENTIONS.value, Step.CHOIX.value):
        ctx.data["step"] = ctx.arg


def keyed(ctx: Ctx, key: str) -> str:
    """The message key for the current step: "requests.edit.choix" in step 2 where it exists."""
    return step_key(key, step(ctx))


def tell(ctx: Ctx, error: DomainError) -> None:
    ctx.notice(keyed(ctx, error.key), **error.params)


# ---- reading what the family has ---------------------------------------------------------------

def calendar(ctx: Ctx) -> Calendar:
    return ctx.calendar(ctx.chosen.uai)


def saved_requests(ctx: Ctx, of: Step | None = None) -> RequestSet | None:
    return ctx.store.requests(ctx.chosen.id, of or step(ctx))


def published_opinion(ctx: Ctx) -> CouncilOpinion | None:
    return visible(ctx.store.opinion(ctx.chosen.id, Step.INTENTIONS), ctx.now)


def edit_refusal(ctx: Ctx, of: Step | None = None) -> DomainError | None:
    """Why this account may not enter or modify the requests of a step now, or None when it may."""
    if ctx.student is None or ctx.account is None:
        return DomainError("input.stale")
    of = of or step(ctx)
    try:
        rules.check_may_edit(ctx.account.kind, ctx.guardian_id, True, saved_requests(ctx, of),
                             calendar(ctx), WINDOWS[of], ctx.now)
    except DomainError as error:
        return error
    return None


def ack_refusal(ctx: Ctx) -> DomainError | None:
    try:
        check_may_acknowledge(ctx.guardian_id, saved_requests(ctx, Step.INTENTIONS),
                              ctx.store.opinion(ctx.chosen.id, Step.INTENTIONS),
                              ctx.store.acknowledgement(ctx.chosen.id, Step.INTENTIONS), ctx.now)
    except DomainError as error:
        return error
    return None


# ---- choosing the child ------------------------------------------------------------------------

def open_orientation(ctx: Ctx) -> str:
    children = ctx.concerned_children()
    if not children:
        ctx.notice("orientation.no_child")
        return "none"
    if len(children) == 1:
        ctx.select_student(children[0])
        return "one"
    return "several"


def pick_child(ctx: Ctx) -> str:
    children = ctx.concerned_children()
    if not ctx.arg.isdigit() or int(ctx.arg) >= len(children):
        ctx.notice("input.stale")
        return "retry"
    ctx.select_student(children[int(ctx.arg)])
    return "ok"


# ---- the draft of intentions -------------------------------------------------------------------

def draft(ctx: Ctx) -> list[Intention]:
    return [Intention.from_dict(d) for d in ctx.data.get("draft", [])]


def _set_draft(ctx: Ctx, items: list[Intention]) -> None:
    ctx.data["draft"] = [item.to_dict() for item in items]


def _apply(ctx: Ctx, change) -> bool:
    """Apply a rule to the draft; on refusal, tell why and leave the draft as it was."""
    try:
        _set_draft(ctx, change(draft(ctx)))
    except DomainError as error:
        tell(ctx, error)
        return False
    return True


def begin_edit(ctx: Ctx) -> str:
    set_step(ctx)
    refusal = edit_refusal(ctx)
    if refusal is not None:
        tell(ctx, refusal)
        return "refused"
    saved = saved_requests(ctx)
    _set_draft(ctx, list(saved.items) if saved else [])
    return "ok"


def may_copy_intentions(ctx: Ctx) -> bool:
    """Step 2 may start from the intentions: offered while the list of choices is empty."""
    return (step(ctx) is Step.CHOIX and not draft(ctx)
            and saved_requests(ctx, Step.INTENTIONS) is not None)


def copy_intentions(ctx: Ctx) -> None:
    if not may_copy_intentions(ctx):
        ctx.notice("input.stale")
        return
    intentions = saved_requests(ctx, Step.INTENTIONS)
    _set_draft(ctx, list(intentions.items) if intentions else [])
    ctx.notice("requests.copied")


def may_add(ctx: Ctx) -> str:
    if len(draft(ctx)) >= rules.MAX_INTENTIONS:
        ctx.notice(keyed(ctx, "requests.max"), max=rules.MAX_INTENTIONS)
        return "refused"
    return "ok"


def choose_voie(ctx: Ctx) -> str:
    try:
        voie = Voie(ctx.arg)
    except ValueError:
        ctx.notice("input.stale")
        return "refused"
    if not _apply(ctx, lambda items: rules.add(items, voie)):
        return "refused"
    ctx.data["rank"] = len(draft(ctx)) - 1
    return "pro" if voie.is_professional else "gt"


def _rank(ctx: Ctx) -> int:
    return int(ctx.data.get("rank", -1))


def select_item(ctx: Ctx) -> str:
    if not ctx.arg.isdigit() or int(ctx.arg) >= len(draft(ctx)):
        ctx.notice("input.stale")
        return "refused"
    ctx.data["rank"] = int(ctx.arg)
    return "ok"


def move_up(ctx: Ctx) -> None:
    if _apply(ctx, lambda items: rules.move(items, _rank(ctx), -1)):
        ctx.notice(keyed(ctx, "requests.moved"), rank=_rank(ctx))


def move_down(ctx: Ctx) -> None:
    if _apply(ctx, lambda items: rules.move(items, _rank(ctx), +1)):
        ctx.notice(keyed(ctx, "requests.moved"), rank=_rank(ctx) + 2)


def remove_item(ctx: Ctx) -> None:
    if _apply(ctx, lambda items: rules.remove(items, _rank(ctx))):
        ctx.notice(keyed(ctx, "requests.removed"))


def take_metier(ctx: Ctx) -> str:
    return "ok" if _apply(ctx, lambda items: rules.set_metier(items, _rank(ctx), ctx.text)) \
        else "retry"


def clear_metier(ctx: Ctx) -> None:
    _apply(ctx, lambda items: rules.set_metier(items, _rank(ctx), ""))


def toggle_statut(ctx: Ctx) -> None:
    _apply(ctx, lambda items: rules.toggle_statut(items, _rank(ctx), ctx.arg))


def cancel_edit(ctx: Ctx) -> None:
    ctx.data.pop("draft", None)
    ctx.data.pop("rank", None)
    ctx.notice("requests.cancelled")


def validate(ctx: Ctx) -> str:
    """*Valider*: the rules are checked again, then the requests are saved with their editor."""
    refusal = edit_refusal(ctx)
    try:
        if refusal is not None:
            raise refusal
        items = rules.check_valid(draft(ctx))
    except DomainError as error:
        tell(ctx, error)
        return "refused"
    before = saved_requests(ctx)
    saved = RequestSet(ctx.chosen.id, step(ctx), items, present(ctx.guardian_id, "guardian"),
                       ctx.now)
    ctx.store.save_requests(saved)
    ctx.audit("requests_modified" if before else "requests_validated", ctx.chosen.id,
              step=saved.step.value, items=[item.to_dict() for item in items])
    send_confirmation(ctx, ctx.chosen, saved)
    mark_for_recap(ctx, ctx.chosen.id, saved.step)
    ctx.data.pop("draft", None)
    ctx.data.pop("rank", None)
    return "ok"


# ---- the council's opinion ---------------------------------------------------------------------

def open_opinion(ctx: Ctx) -> str:
    if published_opinion(ctx) is None:
        ctx.notice("opinion.none")
        return "none"
    ctx.data["ack_checked"] = False
    return "ok"


def toggle_ack_box(ctx: Ctx) -> None:
    ctx.data["ack_checked"] = not ctx.data.get("ack_checked", False)


def acknowledge(ctx: Ctx) -> str:
    refusal = ack_refusal(ctx)
    if refusal is not None:
        ctx.notice(refusal.key, **refusal.params)
        return "refused"
    if not ctx.data.get("ack_checked"):
        ctx.notice("ack.tick_first")
        return "refused"
    ctx.store.save_acknowledgement(
        Acknowledgement(ctx.chosen.id, Step.INTENTIONS, present(ctx.guardian_id, "guardian"),
                        ctx.now))
    ctx.audit("opinion_acknowledged", ctx.chosen.id, step=Step.INTENTIONS.value)
    ctx.data.pop("ack_checked", None)
    return "ok"


def must_confirm_leave(ctx: Ctx) -> bool:
    """Leaving the opinion screen without acknowledging asks first (the seed's pop-up)."""
    return ctx.conv.state == "opinion" and ctx.student is not None and ack_refusal(ctx) is None


def remember_leave_to(destination: str):
    def remember(ctx: Ctx) -> None:
        ctx.data["leave_to"] = destination
    return remember


def leave_to(ctx: Ctx) -> str:
    return ctx.data.pop("leave_to", "home")
