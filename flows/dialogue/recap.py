"""The recap of a family's requests: its lines, the confirmation e-mail, the end-of-session recap.

The recap pushed to a guardian's chats is composed in the texts of each chat's route
(`flows.rules.routing.texts_for`): a conversation held by SMS reads the `sms` profile."""

from __future__ import annotations

from ..rules.calendar import Calendar
from ..rules.model import AccountKind, Intention, OutMessage, RequestSet, Step, Student
from ..rules.routing import texts_for
from ..texts import PLAIN, Texts, has, t
from .context import Ctx


def step_key(key: str, step: Step) -> str:
    """The message key for a step: "recap.intention.choix" in step 2 where such a variant exists."""
    variant = f"{key}.{step.value}"
    return variant if step is Step.CHOIX and has(variant) else key


def intention_lines(items: list[Intention], first_rank: int = 1,
                    step: Step = Step.INTENTIONS, texts: Texts = PLAIN) -> list[str]:
    """The seed's recap: "Intention 1 : 1re année de CAP / Métier ou formation : … / Sous statut …"."""
    lines: list[str] = []
    for rank, item in enumerate(items, start=first_rank):
        if lines:
            lines.append("")
        lines.append(texts(step_key("recap.intention", step), rank=rank,
                           voie=texts(f"voie.{item.voie.value}")))
        if item.metier:
            lines.append(texts("recap.metier", metier=item.metier))
        if item.scolaire:
            lines.append(texts("recap.scolaire"))
        if item.apprenti:
            lines.append(texts("recap.apprenti"))
    return lines


def recap_text(items: list[Intention], step: Step = Step.INTENTIONS,
               texts: Texts = PLAIN) -> str:
    return "\n".join(intention_lines(items, step=step, texts=texts))


def _mail_body(calendar: Calendar, student: Student, saved: RequestSet, key: str,
               texts: Texts = PLAIN) -> str:
    """The recap's text under `key` (an e-mail's body, or a chat's recap in that chat's texts)."""
    return texts(step_key(key, saved.step), prenom=student.prenom, nom=student.nom,
                 recap=recap_text(saved.items, saved.step, texts),
                 date=calendar.local_date(saved.validated_at))


def send_confirmation(ctx: Ctx, student: Student, saved: RequestSet) -> None:
    """"Un e-mail de confirmation va vous être envoyé, si une adresse électronique valide est
    indiquée": to the guardian who validated, when an address is known."""
    guardian = ctx.store.guardian(saved.editor_guardian_id)
    if guardian is None or not guardian.email:
        return
    body = _mail_body(ctx.calendar(student.uai), student, saved, "mail.confirmation.body")
    ctx.send(OutMessage(
        "email", guardian.email, body,
        subject=t(step_key("mail.confirmation.subject", saved.step), prenom=student.prenom),
        dedupe_key=f"confirm:{student.id}:{saved.step.value}:{saved.validated_at.isoformat()}"))


def mark_for_recap(ctx: Ctx, student_id: str, step: Step = Step.INTENTIONS) -> None:
    pending = ctx.data.setdefault("recap_pending", [])
    entry = student_id if step is Step.INTENTIONS else f"{student_id}|{step.value}"
    if entry not in pending:
        pending.append(entry)


def send_session_recaps(ctx: Ctx) -> None:
    """When the session of the guardian who validated ends, both guardians get the recap:
    by e-mail where known, and as a chat message on each channel they are bound to."""
    for entry in ctx.data.pop("recap_pending", []):
        student_id, _, step_name = entry.partition("|")
        student = ctx.store.student(student_id)
        step = Step(step_name) if step_name in (Step.CHOIX.value,) else Step.INTENTIONS
        saved = ctx.store.requests(student_id, step)
        if student is None or saved is None:
            continue
        # The intentions' keys stay as they were, so a recap queued before step 2 existed still
        # counts as sent; the choices' keys carry their step.
        stamp = saved.validated_at.isoformat() + ("" if step is Step.INTENTIONS else ":choix")
        calendar = ctx.calendar(student.uai)
        for guardian in ctx.store.guardians_of(student_id):
            if guardian.email:
                ctx.send(OutMessage(
                    "email", guardian.email, _mail_body(calendar, student, saved, "mail.recap.body"),
                    subject=t(step_key("mail.recap.subject", step), prenom=student.prenom),
                    dedupe_key=f"recap:{student_id}:{guardian.id}:{stamp}:mail"))
            account = ctx.store.account_of(AccountKind.GUARDIAN, guardian.id)
            if account is None or account.id is None:
                continue
            for channel, address in ctx.store.bindings_of(account.id):
                if (channel, address) == (ctx.inbound.channel, ctx.inbound.address):
                    continue  # the chat whose session is ending has just shown it
                recipient = f"{channel}:{address}"
                ctx.send(OutMessage(
                    "push", recipient,
                    _mail_body(calendar, student, saved, "push.recap", texts_for("push", recipient)),
                    dedupe_key=f"recap:{student_id}:{guardian.id}:{stamp}:{recipient}"))
