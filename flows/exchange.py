"""What crosses the engine's boundary: `Inbound` from any channel in, channel-neutral `Reply` out."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Inbound:
    """What a person did, in any channel: free text, a button's data, or a shared contact."""

    channel: str
    address: str
    text: str | None = None
    choice: str | None = None
    message_id: str | None = None  # the channel's id of the update, to drop redeliveries
    contact_phone: str | None = None  # a phone number shared by the channel (own contact only)
    media: str | None = None  # what the bot cannot read: "unsupported", "foreign_contact", "edited"
    language: str | None = None  # the person's language as the channel knows it ("fr", "en-GB")
    profile: str | None = None  # the channel's text variants ("sms": shorter texts), if any


@dataclass(frozen=True)
class Button:
    label: str
    data: str  # short, no personal data, checked against the conversation's current screen


@dataclass(frozen=True)
class Reply:
    """One message to show. `replace_last`: edit the previous bot message where the channel can;
    `forget_inbound`: delete the person's message (it held a password or a code) where it can."""

    text: str
    buttons: tuple[tuple[Button, ...], ...] = field(default_factory=tuple)
    replace_last: bool = False
    forget_inbound: bool = False
    ask_contact: bool = False  # the screen asks for the person's own mobile number
    takes_text: bool = False  # the screen reads free text (its options are a way out, not the answer)

    @property
    def flat_buttons(self) -> list[Button]:
        return [button for row in self.buttons for button in row]
