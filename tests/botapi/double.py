"""A fake Telegram Bot API server for tests, spoken to over real HTTP on the loopback interface.

``BotApiDouble`` runs a small starlette application under uvicorn in its own thread, with its own
event loop, so that a blocked bot never blocks the double. Any HTTP client can talk to it: the
python-telegram-bot transport (``telegram.Bot(token, base_url=double.base_url)``) or plain httpx.

Every call is checked against ``facts.json`` (the facts extracted from the official Bot API reference
by ``scripts/extract_botapi.py``): unknown method, missing required parameter, wrong type (recursively,
inside reply markups, commands and scopes), documented limits. An invalid call is answered as
Telegram answers it (HTTP 400 and Telegram's own description where known, following the Bot API
server's wording) and is also recorded in ``double.violations`` so that a test can fail on it;
parameters Telegram ignores or silently accepts are only recorded in ``double.warnings``.

The double keeps the state a user would see: private chats (chat id = user id) and groups, the
messages of each chat with their edits and deletions, callback queries and their answers, the bot's
commands and its webhook. Tests inject what users do (``send_text``, ``press``, ``share_contact``...)
and read what the bot did (``calls``, ``visible_messages``, ``buttons``...). Updates are served by
real long polling (``getUpdates`` with offset, limit, timeout and allowed_updates) or, when a webhook
is set, POSTed to it with the secret token header, retried until it answers 2xx.

Example::

    with BotApiDouble() as double:
        bot = telegram.Bot(double.token, base_url=double.base_url)
        ...
        double.send_text(42, "/start")
        await double.wait_for(lambda d: d.buttons(42))
        double.press(42, "Oui")
        await double.wait_idle()
        double.assert_no_violations()
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import email.parser
import email.policy
import itertools
import json
import re
import socket
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http import HTTPStatus
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import parse_qsl, urlsplit

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

FACTS_PATH = Path(__file__).with_name("facts.json")

TOKEN = "123456:TEST-token"
BOT_ID = 123456
BOT_USERNAME = "orientation_test_bot"
BOT_FIRST_NAME = "Orientation (test)"

NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)
QUERY_TOO_OLD = "Bad Request: query is too old and response timeout expired or query ID is invalid"
WEBHOOK_CONFLICT = (
    "Conflict: can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first"
)
POLL_CONFLICT = (
    "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running"
)
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"

# Update types Telegram sends when no allowed_updates list was given.
DEFAULT_EXCLUDED_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})

# Messages of the Bot API server when a JSON-serialized parameter is not valid JSON.
JSON_PARSE_ERRORS = {
    "reply_markup": "Can't parse reply keyboard markup JSON object",
    "commands": "Can't parse commands JSON object",
    "scope": "Can't parse BotCommandScope JSON object",
    "link_preview_options": "Can't parse link preview options JSON object",
    "reply_parameters": "Can't parse reply parameters JSON object",
    "entities": "Can't parse entities JSON object",
    "allowed_updates": "Can't parse allowed_updates JSON object",
}
# How the Bot API server prefixes an error found inside one element of an array parameter.
ELEMENT_ERRORS = {
    "InlineKeyboardButton": "Can't parse inline keyboard button: ",
    "KeyboardButton": "Can't parse keyboard button: ",
    "BotCommand": "Can't parse BotCommand: ",
    "MessageEntity": "Can't parse MessageEntity: ",
}
# Limits checked by the method handlers themselves, with Telegram's own descriptions.
HANDLED_LIMITS = frozenset(
    {
        "sendMessage.text",
        "editMessageText.text",
        "InlineKeyboardButton.callback_data",
        "answerCallbackQuery.text",
        "BotCommand.command",
        "BotCommand.description",
        "setWebhook.secret_token",
        "setMyCommands.commands",
    }
)
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


class ApiError(Exception):
    """An answer other than ``ok``: HTTP status, Telegram's description and optional parameters."""

    def __init__(self, status: int, description: str, parameters: dict[str, Any] | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.parameters = parameters

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"ok": False, "error_code": self.status, "description": self.description}
        if self.parameters:
            body["parameters"] = self.parameters
        return body


def bad_request(message: str) -> ApiError:
    """A 400 answer, worded as the Bot API server words it ("Bad Request: " + lower-cased first letter)."""
    if message.startswith("Bad Request: "):
        return ApiError(400, message)
    if len(message) >= 2 and (message[1] == "_" or message[1].isupper()):
        text = message  # an MTProto error name such as BUTTON_DATA_INVALID stays as it is
    else:
        text = message[:1].lower() + message[1:]
    return ApiError(400, f"Bad Request: {text}")


class _Invalid(Exception):
    """A malformed value inside a JSON-serialized parameter (the message is the Bot API server's)."""


class Violation(NamedTuple):
    """An invalid call: the method, its parameters and the description Telegram answered with."""

    method: str
    params: dict[str, Any]
    description: str


@dataclass(eq=False)
class Call:
    """One request received by the double; equal to the tuple ``(method, params)`` it carries.

    ``status`` is the HTTP status answered (None while the request is being processed), ``fault`` names
    an injected fault ("429", "500", "hang"...), ``encoding`` is how the parameters came ("form",
    "multipart", "json", "query" or "none"), ``raw`` holds them as received.
    """

    method: str
    params: dict[str, Any]
    raw: dict[str, Any] = field(default_factory=dict)
    encoding: str = "none"
    at: float = field(default_factory=time.monotonic)
    status: int | None = None
    description: str | None = None
    fault: str | None = None
    result: Any = None

    @property
    def ok(self) -> bool:
        return self.status == 200

    def __eq__(self, other: object) -> bool:
        if isinstance(other, tuple):
            return (self.method, self.params) == other
        return self is other

    __hash__ = object.__hash__

    def summary(self) -> str:
        shown = {key: value for key, value in self.params.items() if key != "reply_markup"}
        flag = f" [{self.fault}]" if self.fault else ""
        return f"{self.method}{flag} -> {self.status} {self.description or ''} {shown}".rstrip()


@dataclass
class UploadedFile:
    """A file part of a multipart/form-data request."""

    filename: str
    content_type: str
    size: int


@dataclass
class _Message:
    chat_id: int
    message_id: int
    sender: str  # "bot" or "user"
    data: dict[str, Any]  # the Message object as it is now
    history: list[dict[str, Any]] = field(default_factory=list)  # earlier versions, oldest first
    deleted: bool = False
    deleted_by: str | None = None

    @property
    def kind(self) -> str:
        for kind in ("text", "contact", "sticker", "photo"):
            if kind in self.data:
                return kind
        return "other"

    def inline_keyboard(self) -> list[list[dict[str, Any]]]:
        markup = self.data.get("reply_markup") or {}
        return markup.get("inline_keyboard") or []


@dataclass
class _Fault:
    kind: str  # "fail" or "hang"
    status: int = 500
    retry_after: int = 1
    seconds: float = 0.0
    description: str | None = None
    remaining: int = 1
    retry_within: float = 0.0


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, the unit of Telegram's entity offsets."""
    return len(text.encode("utf-16-le")) // 2


# ---------------------------------------------------------------------------------------------------------
# Formatted text. The bot sends plain text with entities and never a parse_mode, so the double parses
# no markup: a parse_mode is refused and recorded, and a test fails the day the bot starts using one.
# ---------------------------------------------------------------------------------------------------------

PARSE_MODES = frozenset({"html", "markdownv2", "markdown"})
PARSE_MODE_NOT_DOUBLED = "Bad Request: parse_mode is not implemented by the double (the bot sends plain text)"


def trim_text(text: str, entities: list[dict[str, Any]]) -> tuple[str, list[dict[str, Any]]]:
    """Telegram strips leading and trailing white space; entities are shifted and clipped accordingly."""
    stripped = text.strip()
    if stripped == text:
        return text, entities
    shift = utf16_len(text[: len(text) - len(text.lstrip())])
    size = utf16_len(stripped)
    kept = []
    for entity in entities:
        start = max(0, entity["offset"] - shift)
        end = min(size, entity["offset"] + entity["length"] - shift)
        if end > start:
            kept.append({**entity, "offset": start, "length": end - start})
    return stripped, kept


def command_entities(text: str) -> list[dict[str, Any]]:
    """The bot_command entity Telegram adds to a text starting with a command, such as "/start"."""
    match = re.match(r"/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,64})?(?=\s|$)", text)
    if not match:
        return []
    return [{"type": "bot_command", "offset": 0, "length": utf16_len(match.group(0))}]


# ---------------------------------------------------------------------------------------------------------
# Validation against facts.json.
# ---------------------------------------------------------------------------------------------------------


def _base(type_name: str) -> str:
    while type_name.startswith("Array of "):
        type_name = type_name[len("Array of ") :]
    return type_name


class Validator:
    """Checks parameters against the facts extracted from the Bot API reference."""

    def __init__(self, facts: dict[str, Any]) -> None:
        self.facts = facts
        self.methods: dict[str, Any] = facts["methods"]
        self.types: dict[str, Any] = facts["types"]
        self.limits: dict[str, Any] = facts["limits"]
        self.update_types: list[str] = facts["update_types"]
        self._by_lower = {name.lower(): name for name in self.methods}

    def method_name(self, name: str) -> str | None:
        """The canonical name of a method (method names are case-insensitive), None if unknown."""
        return self._by_lower.get(name.lower())

    def is_object_type(self, type_name: str) -> bool:
        return type_name in self.types and type_name != "InputFile"

    # Top-level parameters -----------------------------------------------------------------------------

    def decode(self, method: str, raw: dict[str, Any], warnings: list[str]) -> dict[str, Any]:
        """Typed parameters of a call, or ApiError(400). Unknown parameters are kept and warned about."""
        spec = self.methods[method]["fields"]
        params: dict[str, Any] = {}
        for name, value in raw.items():
            entry = spec.get(name)
            if entry is None:
                warnings.append(f"{method}: unknown parameter {name!r} (Telegram ignores it)")
                params[name] = value
                continue
            if value is None:
                warnings.append(f"{method}: parameter {name!r} is null (treated as absent)")
                continue
            try:
                params[name] = self._top_value(method, name, entry, value, warnings)
            except _Invalid as exc:
                raise bad_request(str(exc)) from None
        return params

    def missing_required(self, method: str, params: dict[str, Any]) -> str | None:
        """The first required parameter missing from a call (conditional requirements included)."""
        for name, entry in self.methods[method]["fields"].items():
            if entry["required"]:
                if params.get(name) is None:  # an empty string is a value (setWebhook url="")
                    return name
                continue
            alternatives = entry.get("required_unless")
            if (
                alternatives
                and params.get(name) in (None, "")
                and not any(params.get(other) not in (None, "") for other in alternatives)
            ):
                return name
        return None

    def _top_value(
        self, method: str, name: str, entry: dict[str, Any], value: Any, warnings: list[str]
    ) -> Any:
        types: list[str] = entry["types"]
        native = not isinstance(value, str)  # a JSON value other than a string
        errors: list[_Invalid] = []
        for type_name in types:
            try:
                result = self._top_one(method, name, type_name, types, value, warnings)
            except _Invalid as exc:
                errors.append(exc)
                continue
            if native and type_name in ("String", "Integer", "Float", "Boolean"):
                self._native_scalar_warning(method, name, type_name, value, warnings)
            self._warn_enum(f"{method}.{name}", entry, result, warnings)
            self.check_limit(f"{method}.{name}", result, warnings)
            return result
        if len(types) > 1 and not any(self.is_object_type(_base(t)) for t in types):
            raise _Invalid(f'Parameter "{name}" must be of type {" or ".join(types)}')
        raise errors[0]

    @staticmethod
    def _native_scalar_warning(
        method: str, name: str, type_name: str, value: Any, warnings: list[str]
    ) -> None:
        natives: dict[str, type | tuple[type, ...]] = {
            "String": str, "Integer": int, "Float": (int, float), "Boolean": bool}
        expected = natives[type_name]
        if isinstance(value, bool) and type_name != "Boolean" or not isinstance(value, expected):
            warnings.append(f"{method}: {name}={value!r} is not a JSON {type_name} (Telegram converts it)")

    def _top_one(
        self, method: str, name: str, type_name: str, types: list[str], value: Any, warnings: list[str]
    ) -> Any:
        if isinstance(value, UploadedFile) and type_name != "InputFile":
            raise _Invalid(f'Parameter "{name}" must not be a file')
        text = value if isinstance(value, str) else json.dumps(value)
        if type_name == "Integer":
            if isinstance(value, int) and not isinstance(value, bool):
                return value
            if re.fullmatch(r"\s*[+-]?\d+\s*", text):
                return int(text)
            raise _Invalid(f'Parameter "{name}" must be an Integer')
        if type_name == "Float":
            if isinstance(value, int | float) and not isinstance(value, bool):
                return float(value)
            try:
                return float(text)
            except ValueError:
                raise _Invalid(f'Parameter "{name}" must be a Float') from None
        if type_name == "Boolean":
            if isinstance(value, bool):
                return value
            lowered = text.strip().lower()
            if lowered in ("true", "yes", "1"):
                return True
            if lowered in ("false", "no", "0", ""):
                return False
            raise _Invalid(f'Parameter "{name}" must be a Boolean')
        if type_name == "String":
            if isinstance(value, dict | list):
                raise _Invalid(f'Parameter "{name}" must be a String')
            return value if isinstance(value, str) else text
        if type_name == "InputFile":
            if isinstance(value, str | UploadedFile):
                return value
            raise _Invalid(f'Parameter "{name}" must be an InputFile')
        # A JSON-serialized array or object.
        decoded = value
        if isinstance(value, str):
            try:
                decoded = json.loads(value)
            except ValueError:
                raise _Invalid(JSON_PARSE_ERRORS.get(name, f"Can't parse {name} JSON object")) from None
        object_types = [t for t in types if self.is_object_type(t)]
        if type_name.startswith("Array of "):
            if not isinstance(decoded, list):
                element = _base(type_name)
                raise _Invalid(
                    f"Expected an Array of {element}"
                    if name == "commands"
                    else f'Field "{name}" must be of type Array'
                )
            return self._check_array(decoded, type_name, name, method, warnings)
        if len(object_types) > 1:
            return self._check_union(decoded, object_types, name, warnings)
        if not isinstance(decoded, dict):
            if name == "reply_markup":
                raise _Invalid("Object expected as reply markup")
            raise _Invalid(f"{type_name} must be an Object")
        try:
            return self.check_object(decoded, type_name, warnings)
        except _Invalid as exc:
            if name == "scope":
                raise _Invalid(f"Can't parse BotCommandScope: {exc}") from None
            raise

    def _check_union(self, value: Any, type_names: list[str], name: str, warnings: list[str]) -> Any:
        """A value of one of several object types (reply_markup): chosen by its required fields."""
        if not isinstance(value, dict):
            raise _Invalid(
                "Object expected as reply markup" if name == "reply_markup" else f"{name}: Object expected"
            )
        for type_name in type_names:
            required = [f for f, entry in self.types[type_name]["fields"].items() if entry["required"]]
            if required and all(f in value for f in required):
                return self.check_object(value, type_name, warnings)
        raise _Invalid(f"{name} must be one of {', '.join(type_names)}")

    # Nested values ------------------------------------------------------------------------------------

    def check_object(self, value: Any, type_name: str, warnings: list[str]) -> dict[str, Any]:
        spec = self.types.get(type_name)
        if spec is None:
            return value
        if not isinstance(value, dict):
            raise _Invalid(f"{type_name} must be an Object")
        if spec.get("subtypes"):
            kind = value.get("type")
            if kind is None:
                raise _Invalid('Can\'t find field "type"')
            for subtype in spec["subtypes"]:
                const = self.types.get(subtype, {}).get("fields", {}).get("type", {}).get("const")
                if const == kind:
                    return self.check_object(value, subtype, warnings)
            raise _Invalid("Unsupported type specified")
        fields: dict[str, Any] = spec["fields"]
        for field_name, entry in fields.items():
            if field_name not in value:
                if entry["required"]:
                    raise _Invalid(f'Can\'t find field "{field_name}"')
                continue
            item = value[field_name]
            self._check_field(item, entry["types"], field_name, type_name, warnings)
            if "const" in entry and item != entry["const"]:
                raise _Invalid("Unsupported type specified")
            self._warn_enum(f"{type_name}.{field_name}", entry, item, warnings)
            self.check_limit(f"{type_name}.{field_name}", item, warnings)
        for extra in value.keys() - fields.keys():
            warnings.append(f"{type_name}: unknown field {extra!r} (Telegram ignores it)")
        choices = spec.get("exactly_one_of")
        if choices:
            # The Bot API server skips empty url and callback_data when it looks for the button's kind.
            present = [
                c for c in choices if c in value and not (c in ("url", "callback_data") and value[c] == "")
            ]
            if not present:
                if type_name == "InlineKeyboardButton":
                    raise _Invalid("Text buttons are unallowed in the inline keyboard")
                raise _Invalid(f"exactly one of the fields {', '.join(choices)} must be used")
            if len(present) > 1:
                warnings.append(
                    f"{type_name}: exactly one of {', '.join(present)} must be used; Telegram keeps one"
                )
        return value

    def _check_field(self, value: Any, types: list[str], name: str, owner: str, warnings: list[str]) -> None:
        errors: list[_Invalid] = []
        for type_name in types:
            try:
                self._check_one(value, type_name, name, owner, warnings)
                return
            except _Invalid as exc:
                errors.append(exc)
        raise errors[0]

    def _check_one(self, value: Any, type_name: str, name: str, owner: str, warnings: list[str]) -> None:
        if type_name.startswith("Array of "):
            if not isinstance(value, list):
                raise _Invalid(f'Field "{name}" must be of type Array')
            self._check_array(value, type_name, name, owner, warnings)
        elif type_name == "String":
            if isinstance(value, int | float) and not isinstance(value, bool):
                warnings.append(f"{owner}.{name}={value!r} is a Number, not a String (Telegram converts it)")
            elif not isinstance(value, str):
                raise _Invalid(f'Field "{name}" must be of type String')
        elif type_name == "Integer":
            if isinstance(value, str) and re.fullmatch(r"[+-]?\d+", value):
                warnings.append(
                    f"{owner}.{name}={value!r} is a String, not an Integer (Telegram converts it)"
                )
            elif not isinstance(value, int) or isinstance(value, bool):
                raise _Invalid(f'Field "{name}" must be of type Number')
        elif type_name == "Float":
            if not isinstance(value, int | float) or isinstance(value, bool):
                raise _Invalid(f'Field "{name}" must be of type Number')
        elif type_name == "Boolean":
            if not isinstance(value, bool):
                raise _Invalid(f'Field "{name}" must be of type Boolean')
        elif type_name == "InputFile":
            if not isinstance(value, str):
                raise _Invalid(f'Field "{name}" must be of type String')
        elif type_name in self.types:
            if not isinstance(value, dict):
                raise _Invalid(f'Field "{name}" must be of type Object')
            self.check_object(value, type_name, warnings)

    def _check_array(
        self, value: list[Any], type_name: str, name: str, owner: str, warnings: list[str]
    ) -> list[Any]:
        element = type_name[len("Array of ") :]
        for item in value:
            if element.startswith("Array of "):
                if not isinstance(item, list):
                    if name == "inline_keyboard":
                        raise _Invalid(
                            'Field "inline_keyboard" of the InlineKeyboardMarkup must be an Array of Arrays'
                        )
                    raise _Invalid(f'Field "{name}" must be an Array of Arrays')
                self._check_array(item, element, name, owner, warnings)
                continue
            if element == "KeyboardButton" and isinstance(item, str):
                warnings.append(f"{owner}.{name}: a String as KeyboardButton is a legacy form")
                continue
            prefix = ELEMENT_ERRORS.get(element, "")
            try:
                self._check_one(item, element, name, owner, warnings)
            except _Invalid as exc:
                if element in self.types and not isinstance(item, dict):
                    raise _Invalid(f"{prefix}{element} must be an Object") from None
                raise _Invalid(f"{prefix}{exc}") from None
        return value

    @staticmethod
    def _warn_enum(key: str, entry: dict[str, Any], value: Any, warnings: list[str]) -> None:
        choices = entry.get("one_of")
        if choices and isinstance(value, str) and value not in choices:
            warnings.append(f"{key}={value!r} is not one of {choices}")

    def check_limit(self, key: str, value: Any, warnings: list[str]) -> None:
        """Documented limits not handled by a method itself (those raise Telegram's own errors)."""
        limit = self.limits.get(key)
        if not limit:
            return
        if key == "InlineKeyboardButton.callback_data":
            if isinstance(value, str) and len(value.encode("utf-8")) > limit["max"]:
                raise bad_request("BUTTON_DATA_INVALID")
            return
        if key in HANDLED_LIMITS:
            return
        if "min_value" in limit and isinstance(value, int | float):
            if not limit["min_value"] <= value <= limit["max_value"]:
                warnings.append(
                    f"{key}={value} is outside {limit['min_value']}-{limit['max_value']} (clamped)"
                )
            return
        if "max" in limit and isinstance(value, str):
            size = len(value.encode("utf-8")) if limit.get("unit") == "bytes" else len(value)
            if not limit["min"] <= size <= limit["max"]:
                raise bad_request(f"{key} must be {limit['min']}-{limit['max']} {limit['unit']}, got {size}")
        if "max_items" in limit and isinstance(value, list) and len(value) > limit["max_items"]:
            raise bad_request(f"{key}: at most {limit['max_items']} items")


# ---------------------------------------------------------------------------------------------------------
# The server.
# ---------------------------------------------------------------------------------------------------------


class _Server(uvicorn.Server):
    """uvicorn's server, stopped by an event rather than by polling a flag every 0.1 s."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.stop_event: asyncio.Event | None = None

    async def main_loop(self) -> None:
        self.stop_event = asyncio.Event()
        if not self.should_exit:
            await self.stop_event.wait()

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        """uvicorn's graceful shutdown without its fixed 0.1 s pauses (a test double stops often)."""
        for server in self.servers:
            server.close()
        for sock in sockets or []:
            sock.close()
        for connection in list(self.server_state.connections):
            connection.shutdown()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + (self.config.timeout_graceful_shutdown or 1)
        while (self.server_state.connections or self.server_state.tasks) and loop.time() < deadline:
            await asyncio.sleep(0.005)
        for task in self.server_state.tasks:
            task.cancel()
        for server in self.servers:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(server.wait_closed(), 1)

    def request_stop(self, loop: asyncio.AbstractEventLoop | None) -> None:
        """Ask the server to stop, from any thread."""
        self.should_exit = True
        event = self.stop_event
        if loop is not None and event is not None:
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(event.set)


_DEFAULT = object()


class BotApiDouble:
    """A fake Bot API server on 127.0.0.1 (ephemeral port), in its own thread with its own event loop.

    Use ``start()``/``stop()`` or ``with BotApiDouble() as double:``. All injection and reading methods
    are synchronous and thread-safe; ``wait_for`` and ``wait_idle`` are coroutines for the test's loop.
    """

    def __init__(
        self,
        *,
        token: str = TOKEN,
        facts_path: Path = FACTS_PATH,
        callback_answer_timeout: float = 15.0,
        webhook_retry_delay: float = 0.05,
    ) -> None:
        self.token = token
        self.facts = json.loads(facts_path.read_text(encoding="utf-8"))
        self.validator = Validator(self.facts)
        self.callback_answer_timeout = callback_answer_timeout
        self.webhook_retry_delay = webhook_retry_delay
        self.bot_user: dict[str, Any] = {
            "id": int(token.split(":", 1)[0]) if token.split(":", 1)[0].isdigit() else BOT_ID,
            "is_bot": True,
            "first_name": BOT_FIRST_NAME,
            "username": BOT_USERNAME,
        }
        self._lock = threading.RLock()
        # What was received.
        self._calls: list[Call] = []
        self.violations: list[Violation] = []
        self.not_modified: list[Violation] = []
        self.warnings: list[str] = []
        self.conflicts: list[str] = []
        self.webhook_deliveries: list[dict[str, Any]] = []  # {"update_id", "status" or "error", "at"}
        self.dropped_updates: list[dict[str, Any]] = []  # injected but excluded by allowed_updates
        # Chats and messages.
        self._users: dict[int, dict[str, Any]] = {}
        self._chats: dict[int, dict[str, Any]] = {}
        self._messages: dict[int, dict[int, _Message]] = {}
        self._next_message_id: dict[int, int] = {}
        self._reply_keyboards: dict[int, dict[str, Any] | None] = {}
        self._blocked: set[int] = set()
        self._callbacks: dict[str, dict[str, Any]] = {}
        self._callback_ids = itertools.count(1)
        self._commands: dict[tuple[str, str], list[dict[str, str]]] = {}
        # Updates.
        self._next_update_id = 100_001
        self._pending: list[dict[str, Any]] = []  # not yet confirmed, in order
        self._forced: list[dict[str, Any]] = []  # redeliveries, served whatever the offset
        self._all_updates: dict[int, dict[str, Any]] = {}
        self._delivered: set[int] = set()
        self._allowed_updates: list[str] | None = None
        self._poll_generation = 0
        self._webhook: dict[str, Any] = {"url": "", "secret_token": "", "max_connections": 40}
        self._webhook_error: tuple[int, str] | None = None
        # Faults.
        self._faults: dict[str, deque[_Fault]] = {}
        # Activity, for wait_idle.
        self._expected_retries: dict[str, float] = {}  # method -> until when a retry is expected
        self._in_flight = 0
        self._last_activity = time.monotonic()
        # Server.
        self._loop: asyncio.AbstractEventLoop | None = None
        self._event: asyncio.Event | None = None
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._sock: socket.socket | None = None
        self._closing = False
        self._startup_error: BaseException | None = None
        self.port = 0
        self._answer_description: str | None = None  # the "description" of an ok answer (webhooks)
        self._handlers: dict[str, Callable[[dict[str, Any]], Any]] = {
            "getMe": self._api_get_me,
            "sendMessage": self._api_send_message,
            "editMessageText": self._api_edit_message_text,
            "editMessageReplyMarkup": self._api_edit_message_reply_markup,
            "answerCallbackQuery": self._api_answer_callback_query,
            "deleteMessage": self._api_delete_message,
            "setMyCommands": self._api_set_my_commands,
            "deleteMyCommands": self._api_delete_my_commands,
            "getMyCommands": self._api_get_my_commands,
            "setWebhook": self._api_set_webhook,
            "deleteWebhook": self._api_delete_webhook,
            "getWebhookInfo": self._api_get_webhook_info,
            "logOut": lambda params: True,
            "close": lambda params: True,
        }

    # Life cycle ---------------------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """python-telegram-bot's base_url: the client appends "<token>/<method>"."""
        return f"http://127.0.0.1:{self.port}/bot"

    def api_url(self, method: str, token: str | None = None) -> str:
        """The full URL of a method, for plain HTTP clients."""
        return f"{self.base_url}{self.token if token is None else token}/{method}"

    def start(self) -> BotApiDouble:
        if self._thread is not None:
            return self
        # IPPROTO_TCP explicitly: asyncio sets TCP_NODELAY only on sockets that say so, and without it
        # every answer written in two parts waits for a delayed ACK (about 40 ms).
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self.port = self._sock.getsockname()[1]
        app = Starlette(routes=[Route("/{path:path}", self._handle, methods=["GET", "POST"])])
        config = uvicorn.Config(
            app,
            log_config=None,
            log_level="warning",
            access_log=False,
            lifespan="off",
            loop="asyncio",
            http="h11",
            ws="none",
            timeout_graceful_shutdown=1,
            date_header=False,
        )
        self._server = _Server(config)
        self._thread = threading.Thread(target=self._run, name="bot-api-double", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if self._startup_error is not None or not self._thread.is_alive():
                raise RuntimeError(f"the Bot API double did not start: {self._startup_error!r}")
            if time.monotonic() > deadline:
                raise RuntimeError("the Bot API double did not start within 10 s")
            time.sleep(0.005)
        return self

    def stop(self) -> None:
        if self._thread is None:
            return
        self._closing = True
        self._notify()
        if self._server is not None:
            self._server.request_stop(self._loop)
        self._thread.join(timeout=10)
        self._thread = None
        if self._sock is not None:
            self._sock.close()
            self._sock = None

    def __enter__(self) -> BotApiDouble:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        self._loop = loop
        try:
            loop.run_until_complete(self._serve())
        except BaseException as exc:  # noqa: BLE001 - reported by start()
            self._startup_error = exc
        finally:
            self._loop = None
            loop.close()

    async def _serve(self) -> None:
        self._event = asyncio.Event()
        worker = asyncio.create_task(self._webhook_worker())
        try:
            assert self._server is not None and self._sock is not None
            await self._server.serve(sockets=[self._sock])
        finally:
            worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await worker

    def _notify(self) -> None:
        """Wake whatever waits in the server loop (long polls, the webhook worker). Any thread."""
        loop = self._loop
        if loop is None:
            return
        with contextlib.suppress(RuntimeError):  # the loop is closing
            loop.call_soon_threadsafe(self._pulse)

    def _pulse(self) -> None:
        event, self._event = self._event, asyncio.Event()
        if event is not None:
            event.set()

    async def _wait_change(self, timeout: float) -> None:
        event = self._event
        if event is None or timeout <= 0:
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(event.wait(), timeout)

    # HTTP ---------------------------------------------------------------------------------------------

    async def _handle(self, request: Request) -> Response:
        parts = request.url.path.lstrip("/").split("/")
        if len(parts) != 2 or not parts[0].startswith("bot"):
            return self._json(ApiError(404, "Not Found").body(), 404)
        token, method_name = parts[0][3:], parts[1]
        try:
            raw, encoding = await self._read_params(request)
        except ApiError as exc:
            with self._lock:
                self._record(Call(method_name, {}, encoding="invalid"), exc, violation=True)
            return self._json(exc.body(), exc.status)
        method = self.validator.method_name(method_name) or method_name
        call = Call(method, dict(raw), raw=dict(raw), encoding=encoding)
        is_poll = method == "getUpdates"
        with self._lock:
            self._calls.append(call)
            self._expected_retries.pop(method, None)  # the retry came
            if not is_poll:
                self._in_flight += 1
                self._last_activity = time.monotonic()
        try:
            if token != self.token:
                return self._fail(call, ApiError(401, "Unauthorized"), violation=True)
            if self.validator.method_name(method_name) is None:
                return self._fail(call, ApiError(404, "Not Found"), violation=True)
            with contextlib.suppress(ApiError):  # typed parameters for the record, even if a fault follows
                call.params = self.validator.decode(method, call.raw, [])
            fault = self._take_fault(method)
            if fault is not None and fault.kind == "fail":
                call.fault = str(fault.status)
                if fault.retry_within > 0:
                    with self._lock:
                        self._expected_retries[method] = time.monotonic() + fault.retry_within
                return self._fail(call, self._fault_error(fault), violation=False)
            if fault is not None and fault.kind == "hang":
                call.fault = "hang"
                await asyncio.sleep(fault.seconds)
            if is_poll:
                status, body = await self._get_updates(call, request)
            else:
                status, body = self._execute(call)
            return self._json(body, status)
        finally:
            if not is_poll:
                with self._lock:
                    self._in_flight -= 1
                    self._last_activity = time.monotonic()

    @staticmethod
    def _json(body: Any, status: int = 200) -> Response:
        return Response(
            json.dumps(body, ensure_ascii=False), status_code=status, media_type="application/json"
        )

    def _fail(self, call: Call, error: ApiError, *, violation: bool) -> Response:
        with self._lock:
            self._finish(call, error, violation=violation)
        return self._json(error.body(), error.status)

    async def _read_params(self, request: Request) -> tuple[dict[str, Any], str]:
        """Parameters from the query string and the body (JSON, url-encoded form or multipart form)."""
        params: dict[str, Any] = dict(parse_qsl(request.url.query, keep_blank_values=True))
        encoding = "query" if params else "none"
        body = await request.body()
        content_type = request.headers.get("content-type", "")
        kind = content_type.split(";", 1)[0].strip().lower()
        if not body:
            return params, encoding
        if kind == "application/json":
            try:
                decoded = json.loads(body)
            except ValueError:
                raise bad_request("Can't parse JSON object") from None
            if not isinstance(decoded, dict):
                raise bad_request("Can't parse JSON object: an Object is expected")
            params.update(decoded)
            return params, "json"
        if kind in ("application/x-www-form-urlencoded", ""):
            try:
                params.update(parse_qsl(body.decode("utf-8"), keep_blank_values=True, strict_parsing=False))
            except UnicodeDecodeError:
                raise bad_request("Strings must be encoded in UTF-8") from None
            return params, "form"
        if kind == "multipart/form-data":
            params.update(self._parse_multipart(content_type, body))
            return params, "multipart"
        raise bad_request(f"Unsupported Content-Type {kind!r}")

    @staticmethod
    def _parse_multipart(content_type: str, body: bytes) -> dict[str, Any]:
        head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode()
        message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + body)
        if not message.is_multipart():
            raise bad_request("Can't parse multipart/form-data body")
        params: dict[str, Any] = {}
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            if not name:
                continue
            decoded = part.get_payload(decode=True)
            payload = decoded if isinstance(decoded, bytes) else b""  # a leaf part decodes to bytes
            filename = part.get_filename()
            if filename is not None:
                params[str(name)] = UploadedFile(filename, part.get_content_type(), len(payload))
            else:
                params[str(name)] = payload.decode("utf-8")
        return params

    # Calls --------------------------------------------------------------------------------------------

    def _record(self, call: Call, error: ApiError | None, *, violation: bool) -> None:
        """Append a call that never reached _handle's bookkeeping (unreadable body)."""
        self._calls.append(call)
        if error is not None:
            self._finish(call, error, violation=violation)

    def _finish(self, call: Call, error: ApiError | None, *, violation: bool, result: Any = None) -> None:
        if error is None:
            call.status, call.result = 200, result
            return
        call.status, call.description = error.status, error.description
        if error.description == NOT_MODIFIED:
            self.not_modified.append(Violation(call.method, call.params, error.description))
        elif error.status == 409:
            self.conflicts.append(error.description)
        elif violation:
            self.violations.append(Violation(call.method, call.params, error.description))

    def _execute(self, call: Call) -> tuple[int, dict[str, Any]]:
        """Validate and run one call (not getUpdates). Returns the HTTP status and the JSON body."""
        with self._lock:
            warnings: list[str] = []
            try:
                params = self.validator.decode(call.method, call.raw, warnings)
                call.params = params
                self.warnings.extend(warnings)
                result = self._handlers[call.method](params)
            except ApiError as exc:
                self.warnings.extend(warnings)
                self._finish(call, exc, violation=exc.status == 400 or exc.status in (401, 404))
                return exc.status, exc.body()
            self._finish(call, None, violation=False, result=result)
            body: dict[str, Any] = {"ok": True, "result": result}
            if self._answer_description:
                body["description"], self._answer_description = self._answer_description, None
            return 200, body

    def _require(self, method: str, params: dict[str, Any]) -> None:
        missing = self.validator.missing_required(method, params)
        if missing is not None:
            raise bad_request(f'Parameter "{missing}" is required')

    # Faults -------------------------------------------------------------------------------------------

    def fail_next(
        self,
        method: str,
        status: int = 429,
        retry_after: int = 1,
        count: int = 1,
        description: str | None = None,
        retry_within: float | None = None,
    ) -> None:
        """Answer the next ``count`` calls of ``method`` ("*" for any) with an error, without running them.

        429 is "Too Many Requests: retry after N" with parameters.retry_after; 500 "Internal Server
        Error"; 502 "Bad Gateway"; other statuses their HTTP phrase unless ``description`` is given.

        After such an answer the client is expected to call ``method`` again within ``retry_within``
        seconds (by default retry_after + 1 for a 429, no expectation otherwise): until it does or that
        time has passed, ``wait_idle`` does not consider the bot idle.
        """
        if retry_within is None:
            retry_within = retry_after + 1.0 if status == 429 else 0.0
        fault = _Fault(
            "fail",
            status=status,
            retry_after=retry_after,
            remaining=count,
            description=description,
            retry_within=retry_within,
        )
        self._add_fault(method, fault)

    def hang_next(self, method: str, seconds: float, count: int = 1) -> None:
        """Wait ``seconds`` before running and answering the next ``count`` calls of ``method``.

        The call is carried out even if the client gave up meanwhile, as Telegram does: a client
        timeout does not mean that the message was not sent.
        """
        self._add_fault(method, _Fault("hang", seconds=seconds, remaining=count))

    def _add_fault(self, method: str, fault: _Fault) -> None:
        key = "*" if method == "*" else (self.validator.method_name(method) or method)
        with self._lock:
            self._faults.setdefault(key, deque()).append(fault)

    def _take_fault(self, method: str) -> _Fault | None:
        with self._lock:
            for key in (method, "*"):
                queue = self._faults.get(key)
                if queue:
                    fault = queue[0]
                    fault.remaining -= 1
                    if fault.remaining <= 0:
                        queue.popleft()
                    return fault
        return None

    @staticmethod
    def _fault_error(fault: _Fault) -> ApiError:
        if fault.status == 429:
            return ApiError(
                429,
                fault.description or f"Too Many Requests: retry after {fault.retry_after}",
                {"retry_after": fault.retry_after},
            )
        if fault.description:
            return ApiError(fault.status, fault.description)
        if fault.status == 500:
            return ApiError(500, "Internal Server Error")
        try:
            phrase = HTTPStatus(fault.status).phrase
        except ValueError:
            phrase = "Error"
        return ApiError(fault.status, phrase)

    # Chats, users, messages ---------------------------------------------------------------------------

    def _user(self, user_id: int, first_name: str | None = None) -> dict[str, Any]:
        user = self._users.get(user_id)
        if user is None:
            user = {
                "id": user_id,
                "is_bot": False,
                "first_name": first_name or "Claire",
                "language_code": "fr",
            }
            self._users[user_id] = user
        elif first_name and first_name != user["first_name"]:
            user["first_name"] = first_name
        return user

    def _private_chat(self, user: dict[str, Any]) -> dict[str, Any]:
        chat = self._chats.get(user["id"])
        if chat is None:
            chat = {"id": user["id"], "type": "private", "first_name": user["first_name"]}
            self._chats[user["id"]] = chat
        return chat

    def _group_chat(self, chat_id: int, title: str | None = None) -> dict[str, Any]:
        chat = self._chats.get(chat_id)
        if chat is None:
            chat = {"id": chat_id, "type": "group", "title": title or f"Groupe {abs(chat_id)}"}
            self._chats[chat_id] = chat
        return chat

    def _new_message(
        self, chat: dict[str, Any], sender: str, content: dict[str, Any], from_user: dict[str, Any]
    ) -> _Message:
        chat_id = chat["id"]
        message_id = self._next_message_id.get(chat_id, 1)
        self._next_message_id[chat_id] = message_id + 1
        data = {
            "message_id": message_id,
            "from": dict(from_user),
            "chat": dict(chat),
            "date": int(time.time()),
        }
        data.update(content)
        message = _Message(chat_id, message_id, sender, data)
        self._messages.setdefault(chat_id, {})[message_id] = message
        return message

    def _resolve_chat(self, chat_id: Any) -> dict[str, Any]:
        if isinstance(chat_id, int):
            chat = self._chats.get(chat_id)
        else:
            username = str(chat_id).lstrip("@").lower()
            chat = next(
                (c for c in self._chats.values() if str(c.get("username", "")).lower() == username), None
            )
        if chat is None:
            raise bad_request("chat not found")
        return chat

    def _message(self, chat_id: Any, message_id: Any, what: str) -> _Message:
        chat = self._resolve_chat(chat_id)
        message = self._messages.get(chat["id"], {}).get(message_id) if isinstance(message_id, int) else None
        if message is None or message.deleted:
            raise bad_request(f"{what} not found")
        return message

    # Formatted text -----------------------------------------------------------------------------------

    def _formatted(self, method: str, params: dict[str, Any]) -> tuple[str, list[dict[str, Any]]]:
        text = params.get("text")
        parse_mode = params.get("parse_mode") or ""
        if not text and isinstance(params.get("rich_message"), dict):
            rich = params["rich_message"]
            text, parse_mode = (
                (rich.get("html"), "HTML") if rich.get("html") else (rich.get("markdown"), "MarkdownV2")
            )
        if not text:
            raise bad_request("Message text is empty")
        if len(text.encode("utf-8")) > 1 << 15:
            raise bad_request("Text is too long")
        mode = parse_mode.lower()
        if mode and mode != "none":
            if mode in PARSE_MODES:
                raise ApiError(400, PARSE_MODE_NOT_DOUBLED)
            raise bad_request("Unsupported parse_mode")
        plain, entities = text, [dict(e) for e in params.get("entities") or []]
        plain, entities = trim_text(plain, entities)
        if not plain:
            raise bad_request("Text must be non-empty")
        limit = self.validator.limits.get(f"{method}.text", {"max": 4096})
        if len(plain) > limit["max"]:
            raise bad_request("Message is too long")
        return plain, entities

    # Methods ------------------------------------------------------------------------------------------

    def _api_get_me(self, params: dict[str, Any]) -> dict[str, Any]:
        return {
            **self.bot_user,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    def _api_send_message(self, params: dict[str, Any]) -> dict[str, Any]:
        text, entities = self._formatted("sendMessage", params)
        if params.get("chat_id") in (None, ""):
            raise bad_request("chat_id is empty")
        self._require("sendMessage", params)
        chat = self._resolve_chat(params["chat_id"])
        if chat["type"] == "private" and chat["id"] in self._blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        content: dict[str, Any] = {"text": text}
        if entities:
            content["entities"] = entities
        reply = params.get("reply_parameters")
        if reply:
            target = self._messages.get(chat["id"], {}).get(reply.get("message_id"))
            if target is None or target.deleted:
                if not reply.get("allow_sending_without_reply"):
                    raise bad_request("message to be replied not found")
            else:
                content["reply_to_message"] = copy.deepcopy(target.data)
        markup = params.get("reply_markup")
        if markup and "inline_keyboard" in markup:
            content["reply_markup"] = {"inline_keyboard": copy.deepcopy(markup["inline_keyboard"])}
        elif markup and "keyboard" in markup:
            self._reply_keyboards[chat["id"]] = copy.deepcopy(markup)
        elif markup and markup.get("remove_keyboard"):
            self._reply_keyboards[chat["id"]] = None
        message = self._new_message(chat, "bot", content, self.bot_user)
        return copy.deepcopy(message.data)

    def _edit_target(self, params: dict[str, Any]) -> _Message:
        if params.get("chat_id") in (None, "") and not params.get("message_id"):
            if params.get("inline_message_id"):
                # The double has no inline mode: no inline message exists.
                raise bad_request("invalid inline message identifier specified")
            raise bad_request("Message identifier is not specified")
        if params.get("chat_id") in (None, ""):
            raise bad_request("chat_id is empty")
        if not params.get("message_id"):
            raise bad_request("message to edit not found")
        message = self._message(params["chat_id"], params["message_id"], "message to edit")
        if message.sender != "bot":
            raise bad_request("message can't be edited")
        return message

    def _apply_edit(
        self, message: _Message, changes: dict[str, Any], markup: dict[str, Any] | None
    ) -> dict[str, Any]:
        new = copy.deepcopy(message.data)
        new.update(changes)
        for key, value in changes.items():
            if value is None:
                new.pop(key, None)
        if markup and markup.get("inline_keyboard"):
            new["reply_markup"] = {"inline_keyboard": copy.deepcopy(markup["inline_keyboard"])}
        else:
            new.pop("reply_markup", None)
        comparable = ("text", "entities", "reply_markup")
        if all(new.get(key) == message.data.get(key) for key in comparable):
            raise ApiError(400, NOT_MODIFIED)
        new["edit_date"] = int(time.time())
        message.history.append(message.data)
        message.data = new
        return copy.deepcopy(new)

    def _api_edit_message_text(self, params: dict[str, Any]) -> dict[str, Any]:
        text, entities = self._formatted("editMessageText", params)
        message = self._edit_target(params)
        if "text" not in message.data:
            raise bad_request("there is no text in the message to edit")
        return self._apply_edit(
            message, {"text": text, "entities": entities or None}, params.get("reply_markup")
        )

    def _api_edit_message_reply_markup(self, params: dict[str, Any]) -> dict[str, Any]:
        message = self._edit_target(params)
        return self._apply_edit(message, {}, params.get("reply_markup"))

    def _api_delete_message(self, params: dict[str, Any]) -> bool:
        if params.get("chat_id") in (None, ""):
            raise bad_request("Chat identifier is not specified")
        if not params.get("message_id"):
            raise bad_request("Message identifier is not specified")
        message = self._message(params["chat_id"], params["message_id"], "message to delete")
        chat = self._chats[message.chat_id]
        # The bot is never a group's administrator here: it may not delete other members' messages.
        if message.sender == "user" and chat["type"] != "private":
            raise bad_request("message can't be deleted")
        message.deleted, message.deleted_by = True, "bot"
        return True

    def _api_answer_callback_query(self, params: dict[str, Any]) -> bool:
        if not params.get("callback_query_id"):
            raise bad_request(QUERY_TOO_OLD)  # what the Bot API server answers to a missing id
        text = params.get("text") or ""
        limit = self.validator.limits["answerCallbackQuery.text"]
        if len(text) > limit["max"]:
            raise bad_request("MESSAGE_TOO_LONG")
        query = self._callbacks.get(str(params["callback_query_id"]))
        if query is None or query["answer"] is not None:
            raise bad_request(QUERY_TOO_OLD)
        if time.monotonic() - query["at"] > self.callback_answer_timeout:
            raise bad_request(QUERY_TOO_OLD)
        query["answer"] = dict(params)
        return True

    def _scope_key(self, params: dict[str, Any]) -> str:
        scope = params.get("scope") or {"type": "default"}
        if "chat_id" in scope:
            self._resolve_chat(scope["chat_id"])
        return json.dumps(scope, sort_keys=True)

    def _api_set_my_commands(self, params: dict[str, Any]) -> bool:
        self._require("setMyCommands", params)
        commands = params.get("commands") or []
        limits = self.validator.limits
        if len(commands) > limits["setMyCommands.commands"]["max_items"]:
            raise bad_request("BOT_COMMANDS_TOO_MUCH")
        command_limit, description_limit = limits["BotCommand.command"], limits["BotCommand.description"]
        normalized = []
        for item in commands:
            command = str(item["command"]).strip()
            if command.startswith("/"):
                command = command[1:]
            if not command:
                raise bad_request("Command must be non-empty")
            if len(command) > command_limit["max"]:
                raise bad_request(f"Command length must not exceed {command_limit['max']}")
            description = str(item["description"]).strip()
            if not description:
                raise bad_request("Command description must be non-empty")
            if len(description) > description_limit["max"]:
                raise bad_request(f"Command description length must not exceed {description_limit['max']}")
            if not re.fullmatch(command_limit["pattern"], command):
                raise bad_request("BOT_COMMAND_INVALID")
            normalized.append({"command": command, "description": description})
        self._commands[(self._scope_key(params), params.get("language_code") or "")] = normalized
        return True

    def _api_delete_my_commands(self, params: dict[str, Any]) -> bool:
        self._commands.pop((self._scope_key(params), params.get("language_code") or ""), None)
        return True

    def _api_get_my_commands(self, params: dict[str, Any]) -> list[dict[str, str]]:
        return copy.deepcopy(
            self._commands.get((self._scope_key(params), params.get("language_code") or ""), [])
        )

    def _api_set_webhook(self, params: dict[str, Any]) -> bool:
        self._require("setWebhook", params)
        url = params.get("url") or ""
        if not url:
            return self._api_delete_webhook(params)
        parts = urlsplit(url)
        if parts.scheme not in ("https", "http") or not parts.hostname:
            raise bad_request("invalid webhook URL specified")
        if parts.scheme == "http" and parts.hostname not in LOOPBACK_HOSTS:
            # The double accepts plain HTTP on the loopback interface only, for its own tests.
            raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        secret = params.get("secret_token") or ""
        limit = self.validator.limits["setWebhook.secret_token"]
        if len(secret) > limit["max"]:
            raise bad_request("secret token is too long")
        if not re.fullmatch(limit["pattern"], secret):
            raise bad_request("secret token contains unallowed characters")
        if params.get("drop_pending_updates"):
            self._drop_pending()
        if "allowed_updates" in params:
            self._set_allowed_updates(params["allowed_updates"])
        unchanged = self._webhook.get("url") == url and self._webhook.get("secret_token") == secret
        self._webhook = {
            "url": url,
            "secret_token": secret,
            "max_connections": max(1, min(100, int(params.get("max_connections") or 40))),
        }
        if params.get("ip_address"):
            self._webhook["ip_address"] = params["ip_address"]
        self._webhook_error = None
        self._answer_description = "Webhook is already set" if unchanged else "Webhook was set"
        self._poll_generation += 1  # a pending long poll ends with a conflict
        self._notify()
        return True

    def _api_delete_webhook(self, params: dict[str, Any]) -> bool:
        was_set = bool(self._webhook.get("url"))
        if params.get("drop_pending_updates"):
            self._drop_pending()
        self._webhook = {"url": "", "secret_token": "", "max_connections": 40}
        self._answer_description = "Webhook was deleted" if was_set else "Webhook is already deleted"
        self._notify()
        return True

    def _api_get_webhook_info(self, params: dict[str, Any]) -> dict[str, Any]:
        info: dict[str, Any] = {
            "url": self._webhook["url"],
            "has_custom_certificate": False,
            "pending_update_count": len(self._pending) + len(self._forced),
        }
        if self._webhook["url"]:
            info["max_connections"] = self._webhook["max_connections"]
            if self._webhook.get("ip_address"):
                info["ip_address"] = self._webhook["ip_address"]
        if self._allowed_updates is not None:
            info["allowed_updates"] = list(self._allowed_updates)
        if self._webhook_error is not None:
            info["last_error_date"], info["last_error_message"] = self._webhook_error
        return info

    # Updates ------------------------------------------------------------------------------------------

    def _set_allowed_updates(self, allowed: list[str] | None) -> None:
        if allowed is None:
            return
        unknown = [kind for kind in allowed if kind not in self.validator.update_types]
        if unknown:
            self.warnings.append(f"allowed_updates: unknown update types {unknown} (ignored)")
        self._allowed_updates = [kind for kind in allowed if kind in self.validator.update_types] or None

    def _allows(self, kind: str) -> bool:
        if self._allowed_updates is None:
            return kind not in DEFAULT_EXCLUDED_UPDATES
        return kind in self._allowed_updates

    def _drop_pending(self) -> None:
        self._pending.clear()
        self._forced.clear()

    def _enqueue(self, update: dict[str, Any]) -> dict[str, Any]:
        """Queue an update (assigning its update_id if it has none); returns a copy of it."""
        with self._lock:
            if "update_id" not in update:
                update = {"update_id": self._next_update_id, **update}
            self._next_update_id = max(self._next_update_id, update["update_id"] + 1)
            kind = next((key for key in update if key != "update_id"), "")
            self._all_updates[update["update_id"]] = copy.deepcopy(update)
            query = update.get("callback_query")
            if isinstance(query, dict) and "id" in query and str(query["id"]) not in self._callbacks:
                # A raw callback query (inject_raw) can be answered like one made by press().
                message = query.get("message") or {}
                self._callbacks[str(query["id"])] = {
                    "user_id": (query.get("from") or {}).get("id"),
                    "chat_id": (message.get("chat") or {}).get("id"),
                    "message_id": message.get("message_id"),
                    "data": query.get("data"),
                    "at": time.monotonic(),
                    "answer": None,
                }
            if not self._allows(kind):
                self.dropped_updates.append(copy.deepcopy(update))
                return copy.deepcopy(update)
            self._pending.append(copy.deepcopy(update))
            self._last_activity = time.monotonic()
        self._notify()
        return copy.deepcopy(update)

    async def _get_updates(self, call: Call, request: Request) -> tuple[int, dict[str, Any]]:
        with self._lock:
            warnings: list[str] = []
            try:
                params = self.validator.decode("getUpdates", call.raw, warnings)
            except ApiError as exc:
                self._finish(call, exc, violation=True)
                return exc.status, exc.body()
            call.params = params
            self.warnings.extend(warnings)
            if self._webhook["url"]:
                error = ApiError(409, WEBHOOK_CONFLICT)
                self._finish(call, error, violation=False)
                return error.status, error.body()
            offset = int(params.get("offset") or 0)
            limit = max(1, min(100, int(params.get("limit") or 100)))
            timeout = max(0.0, float(params.get("timeout") or 0))
            if "allowed_updates" in params:
                self._set_allowed_updates(params["allowed_updates"])
            self._confirm(offset)
            self._poll_generation += 1
            generation = self._poll_generation
        self._notify()  # an older long poll ends at once with a conflict
        deadline = time.monotonic() + timeout
        while True:
            if timeout and await request.is_disconnected():
                # The client gave up (a bot shutting down cancels its long poll): nobody gets an answer.
                with self._lock:
                    call.status, call.description = 499, "client disconnected"
                return 499, {"ok": False, "error_code": 499, "description": "client disconnected"}
            with self._lock:
                if self._poll_generation != generation:
                    message = WEBHOOK_CONFLICT if self._webhook["url"] else POLL_CONFLICT
                    error = ApiError(409, message)
                    self._finish(call, error, violation=False)
                    return error.status, error.body()
                batch = self._batch(limit)
                if batch or self._closing or time.monotonic() >= deadline:
                    for update in batch:
                        self._delivered.add(update["update_id"])
                    if batch:
                        self._last_activity = time.monotonic()
                    self._finish(call, None, violation=False, result=batch)
                    return 200, {"ok": True, "result": batch}
            await self._wait_change(min(0.25, deadline - time.monotonic()))

    def _confirm(self, offset: int) -> None:
        if offset > 0:
            self._pending = [u for u in self._pending if u["update_id"] >= offset]
        elif offset < 0:
            self._pending = self._pending[offset:]

    def _batch(self, limit: int) -> list[dict[str, Any]]:
        """Redeliveries first (so that the client's next offset stays past them), then pending updates."""
        forced, self._forced = self._forced[:limit], self._forced[limit:]
        batch = [copy.deepcopy(u) for u in forced]
        batch += [copy.deepcopy(u) for u in self._pending[: limit - len(batch)]]
        return batch

    async def _webhook_worker(self) -> None:
        delay = self.webhook_retry_delay
        async with httpx.AsyncClient(timeout=10) as client:
            while not self._closing:
                with self._lock:
                    url, secret = self._webhook["url"], self._webhook["secret_token"]
                    queue = self._forced if self._forced else self._pending
                    update = copy.deepcopy(queue[0]) if url and queue else None
                if update is None:
                    await self._wait_change(0.25)
                    continue
                headers = {SECRET_HEADER: secret} if secret else {}
                try:
                    response = await client.post(url, json=update, headers=headers)
                except httpx.HTTPError as exc:
                    self._webhook_failed(update, f"Connection error: {exc.__class__.__name__}")
                    await asyncio.sleep(delay)
                    delay = min(1.0, delay * 2)
                    continue
                if not 200 <= response.status_code < 300:
                    phrase = response.reason_phrase or ""
                    self._webhook_failed(
                        update, f"Wrong response from the webhook: {response.status_code} {phrase}"
                    )
                    await asyncio.sleep(delay)
                    delay = min(1.0, delay * 2)
                    continue
                delay = self.webhook_retry_delay
                with self._lock:
                    for queue in (self._forced, self._pending):
                        if queue and queue[0]["update_id"] == update["update_id"]:
                            queue.pop(0)
                            break
                    self._delivered.add(update["update_id"])
                    self._last_activity = time.monotonic()
                    self.webhook_deliveries.append(
                        {
                            "update_id": update["update_id"],
                            "status": response.status_code,
                            "at": time.monotonic(),
                        }
                    )
                self._webhook_reply(response)

    def _webhook_failed(self, update: dict[str, Any], message: str) -> None:
        with self._lock:
            self._webhook_error = (int(time.time()), message.strip())
            self.webhook_deliveries.append(
                {"update_id": update["update_id"], "error": message, "at": time.monotonic()}
            )

    def _webhook_reply(self, response: httpx.Response) -> None:
        """A webhook may answer with a method call in its body, which Telegram then carries out."""
        try:
            body = response.json()
        except ValueError:
            return
        if not isinstance(body, dict) or not isinstance(body.get("method"), str):
            return
        raw = {key: value for key, value in body.items() if key != "method"}
        method = self.validator.method_name(body["method"]) or body["method"]
        call = Call(method, dict(raw), raw=raw, encoding="webhook-reply")
        with self._lock:
            self._calls.append(call)
            if method not in self._handlers or method == "getUpdates":
                self._finish(call, ApiError(404, "Not Found"), violation=True)
                return
        self._execute(call)

    # Injection (what users do) ------------------------------------------------------------------------

    def _user_message(
        self, user_id: int, chat: dict[str, Any], content: dict[str, Any], first_name: str | None = None
    ) -> dict[str, Any]:
        with self._lock:
            user = self._user(user_id, first_name)
            message = self._new_message(chat, "user", content, user)
            keyboard = self._reply_keyboards.get(chat["id"])
            if keyboard and keyboard.get("one_time_keyboard"):
                self._reply_keyboards[chat["id"]] = None
            return self._enqueue({"message": copy.deepcopy(message.data)})

    def send_text(
        self, user_id: int, text: str, first_name: str = "Claire", chat_type: str = "private"
    ) -> dict[str, Any]:
        """A text message from a user ("/start" and the like get a bot_command entity). Returns the update.

        ``chat_type`` "private" (chat id = user id) or "group" (chat id = -user id).
        """
        content: dict[str, Any] = {"text": text}
        entities = command_entities(text)
        if entities:
            content["entities"] = entities
        with self._lock:
            user = self._user(user_id, first_name)
            chat = self._private_chat(user) if chat_type == "private" else self._group_chat(-abs(user_id))
            return self._user_message(user_id, chat, content, first_name)

    def send_in_group(
        self, user_id: int, group_chat_id: int, text: str, title: str | None = None
    ) -> dict[str, Any]:
        """A text message from a user in a group chat (created on first use). Returns the update."""
        content: dict[str, Any] = {"text": text}
        entities = command_entities(text)
        if entities:
            content["entities"] = entities
        with self._lock:
            self._user(user_id)
            chat = self._group_chat(group_chat_id, title)
            return self._user_message(user_id, chat, content)

    def share_contact(
        self, user_id: int, phone_number: str, contact_user_id: int | None | object = _DEFAULT
    ) -> dict[str, Any]:
        """A shared contact (message.contact). ``contact_user_id`` defaults to the sender; None omits it."""
        with self._lock:
            user = self._user(user_id)
            contact: dict[str, Any] = {"phone_number": phone_number, "first_name": user["first_name"]}
            linked = user_id if contact_user_id is _DEFAULT else contact_user_id
            if linked is not None:
                contact["user_id"] = linked
            return self._user_message(user_id, self._private_chat(user), {"contact": contact})

    def send_sticker(self, user_id: int) -> dict[str, Any]:
        """A sticker from a user (no text). Returns the update."""
        sticker = {
            "file_id": "CAACAgIAAxkBAAIBQ2Test",
            "file_unique_id": "AgADTest",
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": "👍",
        }
        with self._lock:
            user = self._user(user_id)
            return self._user_message(user_id, self._private_chat(user), {"sticker": sticker})

    def send_photo(self, user_id: int, caption: str | None = None) -> dict[str, Any]:
        """A photo from a user. Returns the update."""
        photo = [
            {
                "file_id": f"AgACAgQAAxkBPhoto{size}",
                "file_unique_id": f"AQADPhoto{size}",
                "width": size,
                "height": size,
                "file_size": size * 40,
            }
            for size in (90, 320, 800)
        ]
        content: dict[str, Any] = {"photo": photo}
        if caption:
            content["caption"] = caption
        with self._lock:
            user = self._user(user_id)
            return self._user_message(user_id, self._private_chat(user), content)

    def edit_text(self, user_id: int, message_id: int, text: str) -> dict[str, Any]:
        """The user edits one of their text messages: an edited_message update."""
        with self._lock:
            message = self._messages.get(user_id, {}).get(message_id)
            if message is None or message.sender != "user" or message.deleted or "text" not in message.data:
                raise LookupError(f"no text message {message_id} of user {user_id} in their private chat")
            new = copy.deepcopy(message.data)
            new["text"] = text
            new.pop("entities", None)
            if command_entities(text):
                new["entities"] = command_entities(text)
            new["edit_date"] = int(time.time())
            message.history.append(message.data)
            message.data = new
            return self._enqueue({"edited_message": copy.deepcopy(new)})

    def press(
        self,
        user_id: int,
        label: str | None = None,
        data: str | None = None,
        message_id: int | None = None,
        chat_id: int | None = None,
    ) -> dict[str, Any]:
        """The user presses an inline button: a callback_query update.

        The button is found by ``label`` and/or ``data`` on message ``message_id``, by default on the
        latest bot message of the chat (``chat_id`` defaults to the private chat) holding such a button.
        Raises LookupError if there is none, ValueError if the button sends no callback data.
        """
        if label is None and data is None:
            raise ValueError("press() needs a label or callback data")
        chat_id = user_id if chat_id is None else chat_id
        with self._lock:
            user = self._user(user_id)
            messages = [
                m for m in self._messages.get(chat_id, {}).values() if m.sender == "bot" and not m.deleted
            ]
            if message_id is not None:
                messages = [m for m in messages if m.message_id == message_id]
            for message in reversed(messages):
                for row in message.inline_keyboard():
                    for button in row:
                        if label is not None and button.get("text") != label:
                            continue
                        if data is not None and button.get("callback_data") != data:
                            continue
                        if not button.get("callback_data"):
                            raise ValueError(
                                f"button {button.get('text')!r} sends no callback data: {button}"
                            )
                        query_id = str(4_000_000_000_000_000 + next(self._callback_ids))
                        self._callbacks[query_id] = {
                            "user_id": user_id,
                            "chat_id": chat_id,
                            "message_id": message.message_id,
                            "data": button["callback_data"],
                            "at": time.monotonic(),
                            "answer": None,
                        }
                        query = {
                            "id": query_id,
                            "from": dict(user),
                            "message": copy.deepcopy(message.data),
                            "chat_instance": str(-4_000_000_000 - abs(chat_id)),
                            "data": button["callback_data"],
                        }
                        return self._enqueue({"callback_query": query})
            shown = [
                (m.message_id, [b.get("text") for row in m.inline_keyboard() for b in row]) for m in messages
            ]
            raise LookupError(
                f"no button label={label!r} data={data!r} in chat {chat_id}; "
                f"bot messages and their buttons: {shown}"
            )

    def inject_raw(self, update: dict[str, Any]) -> dict[str, Any]:
        """Queue any update as given (an update_id is assigned if it has none). Returns it."""
        return self._enqueue(copy.deepcopy(update))

    def redeliver(self, update_id: int) -> dict[str, Any]:
        """Deliver an update again, with the same update_id, whatever the client confirmed since."""
        with self._lock:
            update = self._all_updates.get(update_id)
            if update is None:
                raise KeyError(f"no update {update_id} was injected")
            self._forced.append(copy.deepcopy(update))
            self._last_activity = time.monotonic()
        self._notify()
        return copy.deepcopy(update)

    def block_bot(self, user_id: int, blocked: bool = True) -> None:
        """The user blocks (or unblocks) the bot: sendMessage answers 403 "bot was blocked by the user"."""
        with self._lock:
            (self._blocked.add if blocked else self._blocked.discard)(user_id)

    # Reading (what the bot did) -----------------------------------------------------------------------

    @property
    def calls(self) -> list[Call]:
        """Every request received, in order (a copy)."""
        with self._lock:
            return list(self._calls)

    def calls_of(self, method: str, *, ok_only: bool = False) -> list[dict[str, Any]]:
        """The parameters of every call to ``method``, in order (only the successful ones if ok_only)."""
        canonical = self.validator.method_name(method) or method
        with self._lock:
            return [c.params for c in self._calls if c.method == canonical and (c.ok or not ok_only)]

    @staticmethod
    def _view(message: _Message) -> dict[str, Any]:
        keyboard = message.inline_keyboard()
        view: dict[str, Any] = {
            "message_id": message.message_id,
            "sender": message.sender,
            "kind": message.kind,
            "text": message.data.get("text", message.data.get("caption")),
            "keyboard": copy.deepcopy(keyboard),
            "buttons": [button.get("text") for row in keyboard for button in row],
            "data": [button.get("callback_data") for row in keyboard for button in row],
            "edited": bool(message.history),
        }
        if "contact" in message.data:
            view["contact"] = dict(message.data["contact"])
        if message.deleted:
            view["deleted_by"] = message.deleted_by
        return view

    def visible_messages(self, chat_id: int) -> list[dict[str, Any]]:
        """The chat as the user sees it now: messages after edits and deletions, oldest first.

        Each is {"message_id", "sender": "bot"|"user", "kind", "text", "keyboard" (rows of inline
        buttons), "buttons" (labels), "data" (callback data), "edited"} (+ "contact").
        """
        with self._lock:
            return [self._view(m) for m in self._messages.get(chat_id, {}).values() if not m.deleted]

    def last_bot_message(self, chat_id: int) -> dict[str, Any] | None:
        with self._lock:
            for message in reversed(list(self._messages.get(chat_id, {}).values())):
                if message.sender == "bot" and not message.deleted:
                    return self._view(message)
        return None

    def buttons(self, chat_id: int) -> list[str]:
        """The labels of the last bot message's inline keyboard ([] if it has none)."""
        message = self.last_bot_message(chat_id)
        return message["buttons"] if message else []

    def reply_keyboard(self, chat_id: int) -> list[list[str]] | None:
        """The labels of the reply keyboard shown in the chat, None if there is none."""
        with self._lock:
            keyboard = self._reply_keyboards.get(chat_id)
            if not keyboard:
                return None
            return [[b if isinstance(b, str) else b.get("text") for b in row] for row in keyboard["keyboard"]]

    def message_history(self, chat_id: int, message_id: int) -> list[dict[str, Any]]:
        """Every version of a message, oldest first, the current one last (deleted ones included)."""
        with self._lock:
            message = self._messages.get(chat_id, {}).get(message_id)
            if message is None:
                raise LookupError(f"no message {message_id} in chat {chat_id}")
            return copy.deepcopy([*message.history, message.data])

    def deleted_user_messages(self, chat_id: int) -> list[dict[str, Any]]:
        with self._lock:
            return [
                self._view(m)
                for m in self._messages.get(chat_id, {}).values()
                if m.deleted and m.sender == "user"
            ]

    def unanswered_callbacks(self) -> list[str]:
        """The ids of the callback queries never answered with answerCallbackQuery."""
        with self._lock:
            return [query_id for query_id, query in self._callbacks.items() if query["answer"] is None]

    def callback_answer(self, query_id: str) -> dict[str, Any] | None:
        """The answerCallbackQuery parameters of a callback query, None if unanswered."""
        with self._lock:
            query = self._callbacks.get(query_id)
            return dict(query["answer"]) if query and query["answer"] else None

    def commands(self, scope: dict[str, Any] | None = None, language_code: str = "") -> list[dict[str, str]]:
        """The commands set with setMyCommands for a scope (default scope by default)."""
        key = json.dumps(scope or {"type": "default"}, sort_keys=True)
        with self._lock:
            return copy.deepcopy(self._commands.get((key, language_code), []))

    def webhook(self) -> dict[str, Any]:
        with self._lock:
            return dict(self._webhook)

    def assert_no_violations(self, ignore: Iterable[str] = ()) -> None:
        """Fail if the bot made an invalid call (descriptions containing an ``ignore`` string excepted)."""
        ignored = tuple(ignore)
        with self._lock:
            found = [v for v in self.violations if not any(part in v.description for part in ignored)]
        if found:
            lines = "\n".join(f"  {v.method}: {v.description}  params={v.params}" for v in found)
            raise AssertionError(f"{len(found)} invalid Bot API call(s):\n{lines}")

    # Waiting (from the test's own event loop) --------------------------------------------------------

    def _recent(self, count: int = 15) -> str:
        with self._lock:
            calls = self._calls[-count:]
            violations = list(self.violations)
        text = "\n".join(f"  {call.summary()}" for call in calls) or "  (none)"
        if violations:
            text += "\nviolations:\n" + "\n".join(f"  {v.method}: {v.description}" for v in violations)
        return text

    async def wait_for(self, predicate: Callable[[BotApiDouble], Any], timeout: float = 10.0) -> Any:
        """Poll until ``predicate(double)`` is true and return its value; TimeoutError shows recent calls."""
        deadline = time.monotonic() + timeout
        last_error: BaseException | None = None
        while True:
            try:
                value = predicate(self)
            except Exception as exc:  # noqa: BLE001 - a predicate may look at what is not there yet
                last_error, value = exc, None
            else:
                last_error = None
            if value:
                return value
            if time.monotonic() >= deadline:
                detail = f" (last error in the predicate: {last_error!r})" if last_error else ""
                raise TimeoutError(
                    f"condition not met within {timeout} s{detail}; recent calls:\n{self._recent()}"
                )
            await asyncio.sleep(0.01)

    async def wait_idle(self, quiet: float = 0.2, timeout: float = 10.0) -> None:
        """Wait until every injected update was delivered and confirmed, no call is being processed
        (long polls excepted) and no call arrived for ``quiet`` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                now = time.monotonic()
                retries = list(self._expected_retries.values())
                awaited = any(until > now for until in retries)
                settled = not self._pending and not self._forced and self._in_flight == 0 and not awaited
                quiet_for = now - max([self._last_activity, *retries])
                pending = [u["update_id"] for u in self._forced + self._pending]
            if settled and quiet_for >= quiet:
                return
            if time.monotonic() >= deadline:
                raise TimeoutError(
                    f"not idle within {timeout} s: unconfirmed updates {pending}, "
                    f"{self._in_flight} call(s) in progress, "
                    f"retries awaited of {sorted(self._expected_retries)}; "
                    f"recent calls:\n{self._recent()}"
                )
            await asyncio.sleep(0.01)
