"""Chat messages to a conversation held by SMS ("sms:+33612345678"), sent as SMS.

Recaps, reminders and notifications go to the chat a guardian last logged in from; when that is
an SMS conversation, the message is an SMS to that number through the configured SMS transport.
Its wording is already the SMS one (composed in the `sms` text profile where it was queued,
`flows.rules.routing.texts_for`); here it is only spelled in the GSM alphabet.
"""

from __future__ import annotations

from dataclasses import replace

from ...sending.base import Outgoing, Transport
from .render import to_gsm


class SmsPush:
    def __init__(self, sms: Transport) -> None:
        self.sms = sms

    async def send(self, message: Outgoing) -> None:
        number = message.recipient.split(":", 1)[1]
        await self.sms.send(replace(message, kind="sms", recipient=number, body=to_gsm(message.body)))
