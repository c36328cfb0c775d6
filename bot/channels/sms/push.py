"""Chat messages to a conversation held by SMS ("sms:+33612345678"), sent as SMS.

Recaps, reminders and notifications go to the chat a guardian last logged in from; when that is
an SMS conversation, the message is an SMS to that number, in the SMS rendering (the GSM alphabet
and the catalogue's SMS variants), through the configured SMS transport.
"""

from __future__ import annotations

from dataclasses import replace

from ...sending.base import Outgoing, Transport
from .render import sms_text


class SmsPush:
    def __init__(self, sms: Transport) -> None:
        self.sms = sms

    async def send(self, message: Outgoing) -> None:
        number = message.recipient.split(":", 1)[1]
        await self.sms.send(replace(message, kind="sms", recipient=number, body=sms_text(message.body)))
