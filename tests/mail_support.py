"""A real SMTP server for the tests: aiosmtpd on a loopback port the system picks."""

from __future__ import annotations

import contextlib
import email
import email.policy
from collections.abc import Iterator
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


def parse(raw: bytes) -> email.message.EmailMessage:
    return email.message_from_bytes(raw, policy=email.policy.default)


class Mailbox:
    """An aiosmtpd handler: keeps what it accepts; `replies` maps an address to a RCPT refusal."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.replies: dict[str, str] = {}
        self.data_reply: str | None = None
        self.logins: list[tuple[bytes, bytes]] = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        if address in self.replies:
            return self.replies[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        if self.data_reply:
            return self.data_reply
        # Stored with local line ends, as a mail delivery agent would.
        content = envelope.content.replace(b"\r\n", b"\n")
        self.received.append({"mail_from": envelope.mail_from, "rcpt_tos": list(envelope.rcpt_tos),
                              "message": parse(content), "authenticated": session.authenticated,
                              "tls": server.transport.get_extra_info("ssl_object") is not None})
        return "250 2.0.0 Ok: queued"

    def authenticate(self, server, session, envelope, mechanism, auth_data) -> AuthResult:
        ok = isinstance(auth_data, LoginPassword) and auth_data == (b"ecole", b"s3cret")
        if ok:
            self.logins.append((auth_data.login, auth_data.password))
        return AuthResult(success=ok, handled=False)


class EphemeralController(Controller):
    """aiosmtpd's threaded controller, listening on a port the system picks."""

    def _create_server(self):
        return self._listen()

    async def _listen(self):
        server = await self.loop.create_server(self._factory_invoker, host=self.hostname, port=0,
                                               ssl=self.ssl_context)
        self.port = server.sockets[0].getsockname()[1]
        return server


@contextlib.contextmanager
def smtp_server(mailbox: Mailbox, **options: Any) -> Iterator[EphemeralController]:
    controller = EphemeralController(mailbox, hostname="127.0.0.1", **options)
    controller.start()
    try:
        yield controller
    finally:
        controller.stop()
