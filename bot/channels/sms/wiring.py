"""The SMS webhook of a running bot, from its configuration (None when SMS inbound is off)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...sending.sender import OutboxSender
from .channel import SmsChannel
from .webhook import SmsWebhook

if TYPE_CHECKING:
    from ...runtime.bootstrap import App


def build_webhook(app: App, sender: OutboxSender) -> SmsWebhook | None:
    settings = app.config.sms_inbound
    if settings is None:
        return None
    channel = SmsChannel(app.engine, app.store, app.clock, settings.reply, sender)
    return SmsWebhook(channel, settings.auth_token, settings.webhook_url)
