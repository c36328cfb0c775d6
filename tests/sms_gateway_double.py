"""A Twilio-compatible SMS gateway for tests, on real loopback HTTP (starlette under uvicorn, own thread).

It answers `POST /2010-04-01/Accounts/{AccountSid}/Messages.json` as Twilio does: HTTP basic auth with
the account SID and auth token (401, code 20003, otherwise), a form with `To`, `Body` and `From` or
`MessagingServiceSid` (400 with Twilio's code otherwise), and 201 with a Twilio-like message resource.
Accepted messages are kept in `messages`, every request in `requests`.

Faults: `fail_next(status, count, body, headers)` answers the next requests with that status (a JSON
error in Twilio's shape unless `body` is given), and `down()` / `up()` stop and restart listening on
the same port (connection refused in between).

Example::

    with SmsGatewayDouble() as gateway:
        sms = TwilioSms(gateway.base_url, gateway.account_sid, gateway.auth_token, "+33700000000")
        ...
        gateway.fail_next(503, headers={"Retry-After": "7"})
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import secrets
import socket
import threading
import time
from dataclasses import dataclass
from email.utils import formatdate
from typing import Any
from urllib.parse import parse_qsl

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
AUTH_TOKEN = "test-auth-token-0123456789abcdef"
API_PATH = "/2010-04-01/Accounts/{sid}/Messages.json"
DEFAULT_ERRORS = {
    400: (21211, "The 'To' number is not a valid phone number."),
    429: (20429, "Too Many Requests"),
    500: (20500, "Internal Server Error"),
    503: (20503, "Service Unavailable"),
}


def twilio_error(status: int, code: int, message: str) -> dict[str, Any]:
    return {"code": code, "message": message, "more_info": f"https://www.twilio.com/docs/errors/{code}",
            "status": status}


@dataclass
class Received:
    """One request as the gateway saw it."""

    method: str
    path: str
    authorization: str
    content_type: str
    form: dict[str, str]


@dataclass
class _Fault:
    status: int
    count: int
    body: dict[str, Any] | str | None
    headers: dict[str, str]


class _Server(uvicorn.Server):
    """uvicorn's server, stopped at once by an event instead of its 0.1 s polling and pauses."""

    stop_event: asyncio.Event | None = None

    async def main_loop(self) -> None:
        self.stop_event = asyncio.Event()
        if not self.should_exit:
            await self.stop_event.wait()

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        for server in self.servers:
            server.close()
        for connection in list(self.server_state.connections):
            connection.shutdown()
        for task in self.server_state.tasks:
            task.cancel()


class SmsGatewayDouble:
    def __init__(self, account_sid: str = ACCOUNT_SID, auth_token: str = AUTH_TOKEN) -> None:
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.port = 0
        self.messages: list[dict[str, Any]] = []
        self.requests: list[Received] = []
        self._faults: list[_Fault] = []
        self._lock = threading.Lock()
        self._server: _Server | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    # Life cycle -----------------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def path(self) -> str:
        return API_PATH.format(sid=self.account_sid)

    def start(self) -> SmsGatewayDouble:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", self.port))
        self.port = sock.getsockname()[1]
        routes = [Route("/{path:path}", self._handle, methods=["GET", "POST", "PUT", "DELETE"])]
        app = Starlette(routes=routes)
        config = uvicorn.Config(app, log_config=None, log_level="warning", access_log=False, lifespan="off",
                                loop="asyncio", http="h11", ws="none")
        self._server = server = _Server(config)
        self._thread = threading.Thread(target=self._run, args=(server, sock), name="sms-gateway-double",
                                        daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10
        while not server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the SMS gateway double did not start")
            time.sleep(0.002)
        return self

    def stop(self) -> None:
        server, loop, thread = self._server, self._loop, self._thread
        if server is None or thread is None:
            return
        server.should_exit = True
        if loop is not None and server.stop_event is not None:
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(server.stop_event.set)
        thread.join(timeout=10)
        self._server = self._thread = None

    def _run(self, server: _Server, sock: socket.socket) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            loop.run_until_complete(server.serve(sockets=[sock]))
        finally:
            self._loop = None
            sock.close()
            loop.close()

    def __enter__(self) -> SmsGatewayDouble:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # Faults ---------------------------------------------------------------------------------------

    def fail_next(self, status: int, count: int = 1, body: dict[str, Any] | str | None = None,
                  headers: dict[str, str] | None = None) -> None:
        """Answer the next `count` requests with `status` (and `body`, else a Twilio-shaped error)."""
        with self._lock:
            self._faults.append(_Fault(status, count, body, headers or {}))

    def down(self) -> None:
        """Stop listening: connections are refused until `up()`."""
        self.stop()

    def up(self) -> None:
        """Listen again, on the same port."""
        self.start()

    # The API --------------------------------------------------------------------------------------

    async def _handle(self, request: Request) -> Response:
        raw = await request.body()
        content_type = request.headers.get("content-type", "")
        form = {}
        if content_type.split(";")[0].strip() == "application/x-www-form-urlencoded":
            form = dict(parse_qsl(raw.decode("utf-8"), keep_blank_values=True))
        received = Received(request.method, request.url.path, request.headers.get("authorization", ""),
                            content_type, form)
        with self._lock:
            self.requests.append(received)
        return self._fault() or self._check(received) or self._accept(form)

    def _fault(self) -> Response | None:
        with self._lock:
            if not self._faults:
                return None
            fault = self._faults[0]
            fault.count -= 1
            if fault.count <= 0:
                self._faults.pop(0)
        if isinstance(fault.body, str):
            return Response(fault.body, fault.status, fault.headers, media_type="text/html")
        code, message = DEFAULT_ERRORS.get(fault.status, (20000 + fault.status, "Error"))
        body = fault.body if fault.body is not None else twilio_error(fault.status, code, message)
        return JSONResponse(body, fault.status, fault.headers)

    def _check(self, received: Received) -> Response | None:
        expected = base64.b64encode(f"{self.account_sid}:{self.auth_token}".encode()).decode()
        if received.authorization != f"Basic {expected}":
            return JSONResponse(twilio_error(401, 20003, "Authenticate"), 401,
                                {"WWW-Authenticate": 'Basic realm="Twilio API"'})
        if received.path != self.path:
            return _error(404, 20404, f"The requested resource {received.path} was not found")
        if received.method != "POST":
            return _error(405, 20004, "Method not allowed")
        form = received.form
        if not form.get("To"):
            return _error(400, 21604, "A 'To' phone number is required.")
        if not form.get("From") and not form.get("MessagingServiceSid"):
            return _error(400, 21603, "A 'From' phone number is required.")
        if not form.get("Body"):
            return _error(400, 21602, "Message body is required.")
        return None

    def _accept(self, form: dict[str, str]) -> Response:
        sid = "SM" + secrets.token_hex(16)
        now = formatdate(usegmt=True)
        resource = {
            "account_sid": self.account_sid, "api_version": "2010-04-01", "body": form["Body"],
            "date_created": now, "date_updated": now, "date_sent": None, "direction": "outbound-api",
            "error_code": None, "error_message": None, "from": form.get("From"),
            "messaging_service_sid": form.get("MessagingServiceSid"), "num_media": "0", "num_segments": "1",
            "price": None, "price_unit": "USD", "sid": sid,
            "status": "queued" if form.get("From") else "accepted", "to": form["To"],
            "uri": f"/2010-04-01/Accounts/{self.account_sid}/Messages/{sid}.json",
        }
        with self._lock:
            self.messages.append(resource | {"form": form})
        return JSONResponse(resource, 201)


def _error(status: int, code: int, message: str) -> JSONResponse:
    return JSONResponse(twilio_error(status, code, message), status)
