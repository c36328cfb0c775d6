"""Callbacks of step 3: reading the council's proposals, answering them (final), the decision."""

from __future__ import annotations

from ..rules import decisions as rules
from ..rules.errors import DomainError
from ..rules.model import Decision, Proposal, ProposalAnswer, Step
from .context import Ctx, present
from .orientation import calendar


def shown_proposals(ctx: Ctx) -> list[Proposal]:
    return rules.published(ctx.store.proposals(ctx.chosen.id), ctx.now)


def answers(ctx: Ctx) -> list[ProposalAnswer]:
    return ctx.store.answers(ctx.chosen.id)


def shown_decision(ctx: Ctx) -> Decision | None:
    return rules.visible_decision(ctx.store.decision(ctx.chosen.id), ctx.now)


def answerer(ctx: Ctx) -> str | None:
    return rules.answerer_of(ctx.store.requests(ctx.chosen.id, Step.CHOIX),
                             ctx.store.requests(ctx.chosen.id, Step.INTENTIONS))


def answer_refusal(ctx: Ctx, rank: int) -> DomainError | None:
    """Why this account may not answer proposal `rank` now, or None when it may."""
    if ctx.student is None or ctx.account is None:
        return DomainError("input.stale")
    try:
        rules.check_may_answer(ctx.account.kind, ctx.guardian_id, answerer(ctx),
                               ctx.store.proposals(ctx.chosen.id), answers(ctx),
                               ctx.store.decision(ctx.chosen.id), rank, calendar(ctx), ctx.now)
    except DomainError as error:
        return error
    return None


def next_rank(ctx: Ctx) -> int | None:
    """The rank of the proposal awaiting this account's answer, if it may answer now."""
    target = rules.next_to_answer(ctx.store.proposals(ctx.chosen.id), answers(ctx), ctx.now)
    if target is None or answer_refusal(ctx, target.rank) is not None:
        return None
    return target.rank


def waiting_refusal(ctx: Ctx) -> DomainError | None:
    """Why the proposal awaiting an answer cannot be answered by this account now, if one awaits."""
    target = rules.next_to_answer(ctx.store.proposals(ctx.chosen.id), answers(ctx), ctx.now)
    return None if target is None else answer_refusal(ctx, target.rank)


def open_proposal(ctx: Ctx) -> str:
    if ctx.student is None or (not shown_proposals(ctx) and shown_decision(ctx) is None):
        ctx.notice("proposal.none")
        return "none"
    return "ok"


def prepare_answer(agree: bool):
    """*D'accord* / *Pas d'accord*: checked, then the final confirmation is asked."""
    def prepare(ctx: Ctx) -> str:
        rank = int(ctx.arg) if ctx.arg.isdigit() else -1
        refusal = answer_refusal(ctx, rank)
        if refusal is not None:
            ctx.notice(refusal.key, **refusal.params)
            return "refused"
        ctx.data["answer"] = {"rank": rank, "agree": agree}
        return "ok"
    return prepare


def give_answer(ctx: Ctx) -> str:
    """*Confirmer*: the answer is recorded for good; agreeing makes the decision."""
    pending = ctx.data.pop("answer", None) or {}
    rank = int(pending.get("rank", -1))
    refusal = answer_refusal(ctx, rank)
    if refusal is not None:
        ctx.notice(refusal.key, **refusal.params)
        return "refused"
    proposal = next(p for p in shown_proposals(ctx) if p.rank == rank)
    given, decision = rules.answer(proposal, present(ctx.guardian_id, "guardian"),
                                   bool(pending.get("agree")), ctx.now)
    ctx.store.save_answer(given)
    if decision is not None:
        ctx.store.save_decision(decision)
    ctx.audit("proposal_answered", ctx.chosen.id, rank=rank, agree=given.agree)
    ctx.notice("answer.recorded_agree" if given.agree else "answer.recorded_disagree")
    return "ok"


def drop_answer(ctx: Ctx) -> None:
    ctx.data.pop("answer", None)
