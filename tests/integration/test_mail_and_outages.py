"""E-mails of a real journey through a real SMTP server, and outages that lose nothing."""

from __future__ import annotations

import io
import socket

from aiosmtpd.controller import Controller

from bot.sending.email import PrintedEmail, SmtpEmail
from bot.sending.push import PrintedPush
from bot.sending.sender import OutboxSender, backoff
from bot.sending.sms import PrintedSms, TwilioSms
from flows.rules.model import Guardian, OutMessage

from ..mail_support import Mailbox, smtp_server
from ..sms_gateway_double import SmsGatewayDouble
from ..support import CLAIRE_PASSWORD, activate_claire, enter_seed_intentions, log_in

SEED_RECAP = ("Intention 1 : 1re année de CAP\nMétier ou formation : Ebéniste\nSous statut scolaire"
              "\n\nIntention 2 : 2de professionnelle\nMétier ou formation : Menuisier, charpentier\n"
              "Sous statut scolaire")


def mail_sender(store, clock, port: int) -> OutboxSender:
    out = io.StringIO()
    return OutboxSender(store, {"email": SmtpEmail("127.0.0.1", port, "none", None, None,
                                                   "ne-pas-repondre@example.org"),
                                "sms": PrintedSms(out), "push": PrintedPush(out)}, clock)


def text_of(received: dict) -> str:
    return received["message"].get_body(("plain",)).get_content()


async def test_confirmation_then_recap_to_both_guardians_at_the_end_of_the_session(
        store, clock, claire):
    with store.transaction():  # Karim has an e-mail address in this family
        store.put_guardian(Guardian("R-KARIM", "Martin", "Karim", "+33798765432",
                                    "karim.martin@example.org"), ["E-LUCAS", "E-EMMA"])
    mailbox = Mailbox()
    with smtp_server(mailbox) as server:
        sender = mail_sender(store, clock, server.port)
        await activate_claire(claire, store)
        await enter_seed_intentions(claire)
        await sender.send_due()
        assert [m["rcpt_tos"] for m in mailbox.received] == [["claire.martin@example.org"]]
        confirmation = mailbox.received[0]["message"]
        assert confirmation["Subject"] == ("Orientation de Lucas : vos intentions provisoires ont "
                                           "bien été validées")
        assert SEED_RECAP in text_of(mailbox.received[0])
        assert "Ebéniste" in confirmation.get_body(("html",)).get_content()

        await claire.press("Retour à l'accueil Orientation")
        await claire.send("/menu")
        await sender.send_due()
        assert len(mailbox.received) == 1  # no recap while the session goes on

        await claire.send("/deconnexion")
        await sender.send_due()
        recaps = mailbox.received[1:]
        assert sorted(r["rcpt_tos"][0] for r in recaps) == [
            "claire.martin@example.org", "karim.martin@example.org"]
        for recap in recaps:
            assert recap["message"]["Subject"] == ("Orientation de Lucas : récapitulatif des "
                                                   "intentions provisoires")
            assert SEED_RECAP in text_of(recap)

        await log_in(claire, "c.martin1", CLAIRE_PASSWORD)  # no change in this session
        await claire.send("/deconnexion")
        await sender.send_due()
        assert len(mailbox.received) == 3  # no validation, no recap


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def test_smtp_down_then_up_delivers_later(store, clock):
    port = free_port()  # nothing listens there yet
    with store.transaction():
        store.enqueue(OutMessage("email", "claire.martin@example.org", "corps", "objet"), clock())
    sender = mail_sender(store, clock, port)
    await sender.send_due()
    assert store.outbox()[0]["status"] == "pending" and store.outbox()[0]["attempts"] == 1
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        clock.advance(seconds=backoff(1).total_seconds())
        await sender.send_due()
    finally:
        controller.stop()
    assert [m["rcpt_tos"] for m in mailbox.received] == [["claire.martin@example.org"]]
    assert store.outbox()[0]["status"] == "sent"


async def test_sms_gateway_down_then_up_delivers_later(store, clock):
    with SmsGatewayDouble() as gateway:
        twilio = TwilioSms(gateway.base_url, gateway.account_sid, gateway.auth_token, "+33700000000")
        sender = OutboxSender(store, {"sms": twilio, "email": PrintedEmail(io.StringIO())}, clock)
        with store.transaction():
            store.enqueue(OutMessage("sms", "+33612345678", "Votre code : 123456"), clock())
        gateway.down()
        await sender.send_due()
        assert store.outbox()[0]["status"] == "pending"
        gateway.up()
        clock.advance(seconds=backoff(1).total_seconds())
        await sender.send_due()
        await twilio.aclose()
        assert [m["body"] for m in gateway.messages] == ["Votre code : 123456"]
        assert store.outbox()[0]["status"] == "sent"
