"""The Bot API test double itself: real HTTP on loopback, spoken to by httpx and by python-telegram-bot.

The double must accept what Telegram accepts and refuse, with Telegram's answers, what Telegram refuses;
these tests pin that down before the bot's own tests rely on it.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import json
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import telegram
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from telegram import BotCommand, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, RetryAfter

from ..botapi import BOT_ID, BOT_USERNAME, BotApiDouble
from ..botapi.double import FACTS_PATH, NOT_MODIFIED, PARSE_MODE_NOT_DOUBLED, WEBHOOK_CONFLICT

PROJECT_ROOT = Path(__file__).resolve().parents[2]
KEYBOARD = {
    "inline_keyboard": [[{"text": "Oui", "callback_data": "1.ok"}, {"text": "Non", "callback_data": "1.no"}]]
}


@pytest.fixture
def double() -> Iterator[BotApiDouble]:
    with BotApiDouble() as fake:
        yield fake


@pytest.fixture
def api(double: BotApiDouble) -> Iterator[Any]:
    """call(method, **params) -> (HTTP status, JSON body), parameters sent as a JSON body."""
    with httpx.Client(timeout=5) as client:

        def call(method: str, **params: Any) -> tuple[int, dict[str, Any]]:
            response = client.post(double.api_url(method), json=params)
            return response.status_code, response.json()

        yield call


def refused(body: dict[str, Any], description: str, code: int = 400) -> bool:
    return body == {"ok": False, "error_code": code, "description": description}


# ---------------------------------------------------------------------------------------------------------
# Plain HTTP.
# ---------------------------------------------------------------------------------------------------------


def test_get_me(double: BotApiDouble, api: Any) -> None:
    status, body = api("getMe")
    assert status == 200 and body["ok"] is True
    assert body["result"]["id"] == BOT_ID == 123456
    assert body["result"]["username"] == BOT_USERNAME and body["result"]["is_bot"] is True
    assert double.base_url == f"http://127.0.0.1:{double.port}/bot"
    assert double.calls == [("getMe", {})]


def test_send_message_with_inline_keyboard_is_visible(double: BotApiDouble, api: Any) -> None:
    double.send_text(42, "/start")
    status, body = api("sendMessage", chat_id=42, text="Bonjour Claire", reply_markup=KEYBOARD)
    assert status == 200, body
    message = body["result"]
    assert message["chat"] == {"id": 42, "type": "private", "first_name": "Claire"}
    assert message["from"]["id"] == BOT_ID and message["reply_markup"] == KEYBOARD
    assert message["message_id"] == 2  # the user's /start was message 1 of this chat
    seen = double.visible_messages(42)
    assert [(m["sender"], m["text"]) for m in seen] == [("user", "/start"), ("bot", "Bonjour Claire")]
    assert seen[1]["buttons"] == ["Oui", "Non"] and seen[1]["data"] == ["1.ok", "1.no"]
    assert double.buttons(42) == ["Oui", "Non"]
    assert double.last_bot_message(42)["message_id"] == 2
    assert double.calls_of("sendMessage")[0]["reply_markup"] == KEYBOARD
    double.assert_no_violations()


def test_form_multipart_and_query_string_parameters(double: BotApiDouble) -> None:
    double.send_text(42, "salut")
    markup = json.dumps(KEYBOARD)
    with httpx.Client(timeout=5) as client:
        form = client.post(
            double.api_url("sendMessage"), data={"chat_id": "42", "text": "form", "reply_markup": markup}
        )
        multipart = client.post(
            double.api_url("sendMessage"),
            data={"chat_id": "42", "text": "multipart"},
            files={"unused": ("a.txt", b"data", "text/plain")},
        )
        query = client.get(double.api_url("sendMessage"), params={"chat_id": "42", "text": "query"})
    assert [r.status_code for r in (form, multipart, query)] == [200, 200, 200]
    assert [c.encoding for c in double.calls] == ["form", "multipart", "query"]
    assert double.calls_of("sendMessage")[0] == {"chat_id": 42, "text": "form", "reply_markup": KEYBOARD}
    assert [m["text"] for m in double.visible_messages(42)] == ["salut", "form", "multipart", "query"]
    assert any("unknown parameter 'unused'" in w for w in double.warnings)
    double.assert_no_violations()


@pytest.mark.parametrize(
    ("params", "description"),
    [
        ({"text": "Bonjour"}, "Bad Request: chat_id is empty"),
        ({"chat_id": 42, "text": ""}, "Bad Request: message text is empty"),
        ({"chat_id": 42}, "Bad Request: message text is empty"),
        ({"chat_id": 42, "text": "  \n "}, "Bad Request: text must be non-empty"),
        ({"chat_id": 42, "text": "é" * 4097}, "Bad Request: message is too long"),
        ({"chat_id": 7, "text": "Bonjour"}, "Bad Request: chat not found"),
        (
            {
                "chat_id": 42,
                "text": "x",
                "reply_markup": {"inline_keyboard": [[{"text": "A", "callback_data": "é" * 33}]]},
            },
            "Bad Request: BUTTON_DATA_INVALID",
        ),
        (
            {"chat_id": 42, "text": "x", "reply_markup": {"inline_keyboard": [[{"text": "A"}]]}},
            "Bad Request: can't parse inline keyboard button: "
            "Text buttons are unallowed in the inline keyboard",
        ),
        (
            {"chat_id": 42, "text": "x", "reply_markup": {"inline_keyboard": [[{"callback_data": "a"}]]}},
            "Bad Request: can't parse inline keyboard button: Can't find field \"text\"",
        ),
        (
            {
                "chat_id": 42,
                "text": "x",
                "reply_markup": {"inline_keyboard": [{"text": "A", "callback_data": "a"}]},
            },
            'Bad Request: field "inline_keyboard" of the InlineKeyboardMarkup must be an Array of Arrays',
        ),
        (
            {"chat_id": 42, "text": "x", "reply_markup": "{not json"},
            "Bad Request: can't parse reply keyboard markup JSON object",
        ),
        ({"chat_id": 42, "text": "x", "reply_markup": [1]}, "Bad Request: object expected as reply markup"),
        (
            {"chat_id": {"id": 42}, "text": "x"},
            'Bad Request: parameter "chat_id" must be of type Integer or String',
        ),
        ({"chat_id": 42, "text": "<b>gras</b>", "parse_mode": "HTML"}, PARSE_MODE_NOT_DOUBLED),
        ({"chat_id": 42, "text": "*gras*", "parse_mode": "MarkdownV2"}, PARSE_MODE_NOT_DOUBLED),
        ({"chat_id": 42, "text": "x", "parse_mode": "Textile"}, "Bad Request: unsupported parse_mode"),
    ],
)
def test_invalid_send_message_is_refused_and_recorded(
    double: BotApiDouble, api: Any, params: dict[str, Any], description: str
) -> None:
    double.send_text(42, "/start")
    status, body = api("sendMessage", **params)
    assert status == 400 and refused(body, description), body
    assert [v.description for v in double.violations] == [description]
    assert double.visible_messages(42)[-1]["sender"] == "user"  # nothing was sent
    with pytest.raises(AssertionError, match="invalid Bot API call"):
        double.assert_no_violations()


def test_limits_are_inclusive(double: BotApiDouble, api: Any) -> None:
    double.send_text(42, "/start")
    button = {"text": "A", "callback_data": "é" * 32}  # 64 bytes
    status, body = api(
        "sendMessage", chat_id=42, text="é" * 4096, reply_markup={"inline_keyboard": [[button]]}
    )
    assert status == 200, body
    double.assert_no_violations()


def test_unknown_method_and_wrong_token(double: BotApiDouble) -> None:
    with httpx.Client(timeout=5) as client:
        unknown = client.post(double.api_url("sendMesage"), json={"chat_id": 1, "text": "x"})
        wrong = client.post(double.api_url("getMe", token="999:other"))
        lower = client.post(double.api_url("getme"))  # method names are case-insensitive
    assert unknown.status_code == 404 and refused(unknown.json(), "Not Found", 404)
    assert wrong.status_code == 401 and refused(wrong.json(), "Unauthorized", 401)
    assert lower.status_code == 200
    assert [(v.method, v.description) for v in double.violations] == [
        ("sendMesage", "Not Found"),
        ("getMe", "Unauthorized"),
    ]


def test_other_methods_are_validated(double: BotApiDouble, api: Any) -> None:
    double.send_text(42, "/start")
    checks = [
        (
            ("setMyCommands", {"commands": [{"command": "Start", "description": "x"}]}),
            "Bad Request: BOT_COMMAND_INVALID",
        ),
        (
            ("setMyCommands", {"commands": [{"command": "start", "description": " "}]}),
            "Bad Request: command description must be non-empty",
        ),
        (
            ("setMyCommands", {"commands": [{"command": "a" * 33, "description": "x"}]}),
            "Bad Request: command length must not exceed 32",
        ),
        (
            ("setMyCommands", {"commands": [{"command": "start"}]}),
            "Bad Request: can't parse BotCommand: Can't find field \"description\"",
        ),
        (("setMyCommands", {}), 'Bad Request: parameter "commands" is required'),
        (
            ("setMyCommands", {"commands": [], "scope": {"type": "nowhere"}}),
            "Bad Request: can't parse BotCommandScope: Unsupported type specified",
        ),
        (
            ("answerCallbackQuery", {"callback_query_id": "1", "text": "x" * 201}),
            "Bad Request: MESSAGE_TOO_LONG",
        ),
        (
            ("answerCallbackQuery", {"callback_query_id": "1"}),
            "Bad Request: query is too old and response timeout expired or query ID is invalid",
        ),
        (("deleteMessage", {"chat_id": 42, "message_id": 99}), "Bad Request: message to delete not found"),
        (("deleteMessage", {"chat_id": 42}), "Bad Request: message identifier is not specified"),
        (
            ("editMessageText", {"chat_id": 42, "message_id": 99, "text": "x"}),
            "Bad Request: message to edit not found",
        ),
        (
            ("editMessageText", {"chat_id": 42, "message_id": 1, "text": "x"}),
            "Bad Request: message can't be edited",
        ),
        (("editMessageReplyMarkup", {"text": "x"}), "Bad Request: message identifier is not specified"),
        (
            ("setWebhook", {"url": "https://example.org/hook", "secret_token": "a+b"}),
            "Bad Request: secret token contains unallowed characters",
        ),
        (
            ("setWebhook", {"url": "http://example.org/hook"}),
            "Bad Request: bad webhook: An HTTPS URL must be provided for webhook",
        ),
        (("getUpdates", {"timeout": "soon"}), 'Bad Request: parameter "timeout" must be an Integer'),
        (
            ("sendMessage", {"chat_id": 42, "text": "x", "disable_notification": "maybe"}),
            'Bad Request: parameter "disable_notification" must be a Boolean',
        ),
    ]
    for (method, params), description in checks:
        status, body = api(method, **params)
        assert status == 400 and refused(body, description), (method, params, body)
    assert [v.description for v in double.violations] == [description for _, description in checks]


def test_set_my_commands_accepts_the_documented_form(double: BotApiDouble, api: Any) -> None:
    commands = [
        {"command": "start", "description": "Commencer"},
        {"command": "/aide", "description": " Aide "},
    ]
    status, body = api(
        "setMyCommands", commands=commands, scope={"type": "all_private_chats"}, language_code="fr"
    )
    assert status == 200 and body["result"] is True
    expected = [{"command": "start", "description": "Commencer"}, {"command": "aide", "description": "Aide"}]
    assert double.commands({"type": "all_private_chats"}, "fr") == expected
    assert (
        api("getMyCommands", scope={"type": "all_private_chats"}, language_code="fr")[1]["result"] == expected
    )
    assert api("deleteMyCommands", scope={"type": "all_private_chats"}, language_code="fr")[0] == 200
    assert double.commands({"type": "all_private_chats"}, "fr") == []
    double.assert_no_violations()


def test_edits_keep_history_and_an_identical_edit_is_not_modified(double: BotApiDouble, api: Any) -> None:
    double.send_text(42, "/start")
    sent = api("sendMessage", chat_id=42, text="Choisissez", reply_markup=KEYBOARD)[1]["result"]
    message_id = sent["message_id"]
    status, body = api(
        "editMessageText", chat_id=42, message_id=message_id, text="Choisissez", reply_markup=KEYBOARD
    )
    assert status == 400 and refused(body, NOT_MODIFIED)
    assert double.violations == [] and len(double.not_modified) == 1
    status, body = api("editMessageText", chat_id=42, message_id=message_id, text="Choisissez")
    assert status == 200 and "reply_markup" not in body["result"]  # no reply_markup: the keyboard goes
    assert api("editMessageReplyMarkup", chat_id=42, message_id=message_id, reply_markup=KEYBOARD)[0] == 200
    history = double.message_history(42, message_id)
    assert [("reply_markup" in version) for version in history] == [True, False, True]
    assert double.visible_messages(42)[-1]["edited"] is True
    double.assert_no_violations()


def test_deletions_of_bot_and_user_messages(double: BotApiDouble, api: Any) -> None:
    user_message = double.send_text(42, "mon mot de passe")["message"]
    bot_message = api("sendMessage", chat_id=42, text="Reçu")[1]["result"]
    assert api("deleteMessage", chat_id=42, message_id=user_message["message_id"])[0] == 200
    assert [m["text"] for m in double.visible_messages(42)] == ["Reçu"]
    assert [m["text"] for m in double.deleted_user_messages(42)] == ["mon mot de passe"]
    assert api("deleteMessage", chat_id=42, message_id=bot_message["message_id"])[0] == 200
    assert double.visible_messages(42) == [] and double.last_bot_message(42) is None
    double.send_in_group(42, -100, "bonjour le groupe")
    assert (
        api("deleteMessage", chat_id=-100, message_id=1)[1]["description"]
        == "Bad Request: message can't be deleted"
    )


async def test_get_updates_long_polling(double: BotApiDouble) -> None:
    async with httpx.AsyncClient(timeout=5) as client:

        async def get_updates(**params: Any) -> list[dict[str, Any]]:
            response = await client.post(double.api_url("getUpdates"), json=params)
            assert response.status_code == 200, response.text
            return response.json()["result"]

        # A 30 s poll: held while there is nothing to deliver, answered as soon as an update comes
        # (the client gives up after 5 s, so a poll held to its end fails the test).
        poll = asyncio.create_task(get_updates(timeout=30))
        await double.wait_for(lambda d: d.calls_of("getUpdates"))
        assert not poll.done()
        double.send_text(42, "bonjour")
        updates = await poll
        assert [u["message"]["text"] for u in updates] == ["bonjour"]
        first = updates[0]["update_id"]

        assert [u["update_id"] for u in await get_updates(timeout=0)] == [first]  # not confirmed yet
        double.send_text(42, "deux")
        double.send_text(42, "trois")
        updates = await get_updates(offset=first + 1, limit=1)
        assert [u["message"]["text"] for u in updates] == ["deux"]
        updates = await get_updates(offset=updates[0]["update_id"] + 1, timeout=1)
        assert [u["message"]["text"] for u in updates] == ["trois"]
        started = time.monotonic()
        assert await get_updates(offset=updates[0]["update_id"] + 1, timeout=1) == []
        # Held until the timeout expired (a lower bound, which no load can break); a poll held
        # past it would meet the client's 5 s time-out.
        assert time.monotonic() - started > 0.9

        # redelivery: the same update, with the same update_id, although it was confirmed
        again = double.redeliver(first)
        assert await get_updates(timeout=0) == [again] and again["update_id"] == first
        # allowed_updates holds for the updates created afterwards
        assert await get_updates(offset=-1, allowed_updates=["callback_query"]) == []
        double.send_text(42, "ignoré")
        assert await get_updates(timeout=0) == [] and len(double.dropped_updates) == 1
    await double.wait_idle(quiet=0.05, timeout=2)
    double.assert_no_violations()


async def test_two_pollers_conflict(double: BotApiDouble) -> None:
    async with httpx.AsyncClient(timeout=5) as client:
        first = asyncio.create_task(client.post(double.api_url("getUpdates"), json={"timeout": 3}))
        await double.wait_for(lambda d: d.calls_of("getUpdates"))
        second = await client.post(double.api_url("getUpdates"), json={"timeout": 0})
        answer = await first
    assert second.status_code == 200
    assert answer.status_code == 409 and answer.json()["description"].startswith(
        "Conflict: terminated by other"
    )
    assert double.violations == [] and len(double.conflicts) == 1


async def test_faults(double: BotApiDouble) -> None:
    double.send_text(42, "/start")
    double.fail_next("sendMessage", status=429, retry_after=3)
    double.fail_next("sendMessage", status=500)
    double.fail_next("sendMessage", status=502)
    double.hang_next("sendMessage", seconds=0.5)
    params = {"chat_id": 42, "text": "Bonjour"}
    async with httpx.AsyncClient(timeout=5) as client:
        url = double.api_url("sendMessage")
        too_many = await client.post(url, json=params)
        internal = await client.post(url, json=params)
        gateway = await client.post(url, json=params)
        with pytest.raises(httpx.ReadTimeout):
            await client.post(url, json=params, timeout=0.2)
        await double.wait_for(lambda d: d.last_bot_message(42))  # sent all the same, after the hang
        assert (await client.post(url, json=params)).status_code == 200
    assert too_many.status_code == 429 and too_many.json() == {
        "ok": False,
        "error_code": 429,
        "description": "Too Many Requests: retry after 3",
        "parameters": {"retry_after": 3},
    }
    assert refused(internal.json(), "Internal Server Error", 500) and internal.status_code == 500
    assert refused(gateway.json(), "Bad Gateway", 502) and gateway.status_code == 502
    assert [(c.fault, c.status) for c in double.calls] == [
        ("429", 429),
        ("500", 500),
        ("502", 502),
        ("hang", 200),
        (None, 200),
    ]
    assert len([m for m in double.visible_messages(42) if m["sender"] == "bot"]) == 2
    double.assert_no_violations()


async def test_wait_idle_waits_for_the_retry_of_a_rate_limited_call(double: BotApiDouble, api: Any) -> None:
    double.fail_next("getMe", status=429, retry_after=1, retry_within=0.3)
    assert api("getMe")[0] == 429
    started = time.monotonic()
    await double.wait_idle(quiet=0.05, timeout=5)  # no retry came: idle once the window has passed
    assert time.monotonic() - started >= 0.3  # a lower bound, which no load can break
    double.fail_next("getMe", status=429, retry_after=1)  # a retry is now awaited for 2 s
    assert api("getMe")[0] == 429
    threading.Timer(0.1, api, args=("getMe",)).start()
    # The retry came after 0.1 s: idle soon after it, not at the end of the 2 s window (the
    # double's own deadline says so, not a duration measured here).
    await double.wait_idle(quiet=0.05, timeout=1.5)
    assert double.calls[-1].ok


class Receiver:
    """A small webhook receiver on loopback: records what it gets, fails the first ``failures`` times."""

    def __init__(self, failures: int = 0, reply: dict[str, Any] | None = None) -> None:
        self.received: list[tuple[dict[str, Any], str | None]] = []
        self.failures = failures

        async def hook(request: Request) -> JSONResponse:
            self.received.append(
                (await request.json(), request.headers.get("x-telegram-bot-api-secret-token"))
            )
            if self.failures:
                self.failures -= 1
                return JSONResponse({"error": "busy"}, status_code=500)
            return JSONResponse(reply or {})

        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        self.sock.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}/hook"
        app = Starlette(routes=[Route("/hook", hook, methods=["POST"])])
        self.server = uvicorn.Server(uvicorn.Config(app, log_config=None, lifespan="off", loop="asyncio"))
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True)

    @contextlib.contextmanager
    def running(self) -> Iterator[Receiver]:
        self.thread.start()
        while not self.server.started:
            time.sleep(0.005)
        try:
            yield self
        finally:
            self.server.should_exit = True
            self.thread.join(5)
            self.sock.close()


async def test_webhook_delivery_with_secret_and_retries(double: BotApiDouble, api: Any) -> None:
    reply = {"method": "sendMessage", "chat_id": 42, "text": "Réponse dans le webhook"}
    with Receiver(failures=1, reply=reply).running() as receiver:
        status, body = api(
            "setWebhook", url=receiver.url, secret_token="s3cr3t_-x", allowed_updates=["message"]
        )
        assert status == 200 and body == {"ok": True, "result": True, "description": "Webhook was set"}
        update = double.send_text(42, "bonjour")
        await double.wait_for(
            lambda d: d.webhook_deliveries and "status" in d.webhook_deliveries[-1], timeout=5
        )
        assert receiver.received == [(update, "s3cr3t_-x"), (update, "s3cr3t_-x")]  # retried after a 500
        await double.wait_for(lambda d: d.last_bot_message(42))  # the method call in the webhook's answer
        assert double.last_bot_message(42)["text"] == "Réponse dans le webhook"
        status, body = api("getUpdates")
        assert status == 409 and refused(body, WEBHOOK_CONFLICT, 409)
        info = api("getWebhookInfo")[1]["result"]
        assert info["url"] == receiver.url and info["pending_update_count"] == 0
        assert info["last_error_message"] == "Wrong response from the webhook: 500 Internal Server Error"
        assert api("deleteWebhook", drop_pending_updates=True)[1]["description"] == "Webhook was deleted"
    double.send_text(42, "après")
    status, body = api("getUpdates")
    assert [u["message"]["text"] for u in body["result"]] == ["après"]
    double.assert_no_violations()


def test_press_finds_the_button_or_says_why_not(double: BotApiDouble, api: Any) -> None:
    double.send_text(42, "/start")
    api(
        "sendMessage",
        chat_id=42,
        text="Ancien",
        reply_markup={"inline_keyboard": [[{"text": "Oui", "callback_data": "0.ok"}]]},
    )
    api("sendMessage", chat_id=42, text="Nouveau", reply_markup=KEYBOARD)
    api(
        "sendMessage",
        chat_id=42,
        text="Lien",
        reply_markup={"inline_keyboard": [[{"text": "Site", "url": "https://example.org"}]]},
    )
    update = double.press(42, "Oui")
    assert (
        update["callback_query"]["data"] == "1.ok"
        and update["callback_query"]["message"]["text"] == "Nouveau"
    )
    assert double.press(42, data="0.ok")["callback_query"]["message"]["text"] == "Ancien"
    with pytest.raises(LookupError, match="Peut-être"):
        double.press(42, "Peut-être")
    with pytest.raises(ValueError, match="no callback data"):
        double.press(42, "Site")
    assert len(double.unanswered_callbacks()) == 2
    first = update["callback_query"]["id"]
    assert api("answerCallbackQuery", callback_query_id=first, text="C'est noté")[0] == 200
    assert double.callback_answer(first) == {"callback_query_id": first, "text": "C'est noté"}
    status, body = api("answerCallbackQuery", callback_query_id=first)
    assert body["description"].startswith("Bad Request: query is too old")  # answered twice
    assert len(double.unanswered_callbacks()) == 1
    forged = {"id": "forged-1", "chat_instance": "x", "data": "9.x", "from": {"id": 42, "is_bot": False}}
    double.inject_raw({"callback_query": forged})  # raw callback queries can be answered too
    assert api("answerCallbackQuery", callback_query_id="forged-1")[0] == 200


def test_user_inputs_build_telegram_updates(double: BotApiDouble) -> None:
    start = double.send_text(42, "/start", first_name="Karim")["message"]
    assert start["entities"] == [{"type": "bot_command", "offset": 0, "length": 6}]
    assert start["from"]["first_name"] == "Karim" and start["chat"]["type"] == "private"
    contact = double.share_contact(42, "+33612345678")["message"]["contact"]
    assert contact == {"phone_number": "+33612345678", "first_name": "Karim", "user_id": 42}
    assert (
        "user_id" not in double.share_contact(42, "+33600000000", contact_user_id=None)["message"]["contact"]
    )
    assert double.send_sticker(42)["message"]["sticker"]["is_animated"] is False
    assert len(double.send_photo(42)["message"]["photo"]) == 3
    edited = double.edit_text(42, start["message_id"], "/menu")["edited_message"]
    assert edited["text"] == "/menu" and "edit_date" in edited
    group = double.send_in_group(7, -1001, "/start@orientation_test_bot")["message"]
    assert group["chat"]["type"] == "group" and group["entities"][0]["length"] == 27
    raw = double.inject_raw({"my_chat_member": {"chat": {"id": 42, "type": "private"}}})
    assert raw["update_id"] > 0 and raw["my_chat_member"]["chat"]["id"] == 42
    assert [m["kind"] for m in double.visible_messages(42)] == [
        "text",
        "contact",
        "contact",
        "sticker",
        "photo",
    ]


async def test_wait_for_reports_recent_calls_on_timeout(double: BotApiDouble, api: Any) -> None:
    api("getMe")
    with pytest.raises(TimeoutError, match="getMe -> 200"):
        await double.wait_for(lambda d: d.buttons(42), timeout=0.1)


def test_facts_are_facts_only_and_up_to_date() -> None:
    facts = json.loads(FACTS_PATH.read_text(encoding="utf-8"))
    assert facts["version"].startswith("Bot API ")
    entries = [*facts["methods"].values(), *facts["types"].values()]
    assert all(
        set(entry) <= {"returns", "fields", "subtypes", "subtype_of", "exactly_one_of"} for entry in entries
    )
    field_keys = {"types", "required", "required_unless", "const", "one_of"}
    assert all(set(f) <= field_keys for entry in entries for f in entry["fields"].values())
    assert facts["methods"]["sendMessage"]["fields"]["chat_id"] == {
        "types": ["Integer", "String"],
        "required": True,
    }
    assert facts["limits"]["InlineKeyboardButton.callback_data"] == {"min": 1, "max": 64, "unit": "bytes"}
    spec = importlib.util.spec_from_file_location(
        "extract_botapi", PROJECT_ROOT / "scripts/extract_botapi.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    spec_path = module.DEFAULT_SPEC
    if not spec_path.exists():
        pytest.skip("the Bot API reference is not beside the project: facts.json cannot be compared")
    assert module.extract(json.loads(spec_path.read_text(encoding="utf-8"))) == facts


# ---------------------------------------------------------------------------------------------------------
# python-telegram-bot 22.
# ---------------------------------------------------------------------------------------------------------


async def test_python_telegram_bot_is_accepted(double: BotApiDouble) -> None:
    bot = telegram.Bot(double.token, base_url=double.base_url)
    async with bot:
        me = await bot.get_me()
        assert (me.id, me.username, me.is_bot) == (BOT_ID, BOT_USERNAME, True)
        assert await bot.set_my_commands([BotCommand("start", "Commencer"), BotCommand("aide", "Aide")])

        double.send_text(42, "/start")
        updates = await bot.get_updates(timeout=1)
        assert [u.message.text for u in updates] == ["/start"]
        assert updates[0].message.entities[0].type == "bot_command"

        keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Oui", callback_data="1.ok")]])
        sent = await bot.send_message(42, "Bonjour", reply_markup=keyboard)
        assert sent.reply_markup == keyboard and double.buttons(42) == ["Oui"]

        double.press(42, "Oui")
        updates = await bot.get_updates(offset=updates[-1].update_id + 1, timeout=1)
        query = updates[0].callback_query
        assert query.data == "1.ok" and query.message.message_id == sent.message_id
        assert await bot.answer_callback_query(query.id, text="C'est noté")
        edited = await bot.edit_message_text("Bonjour Claire", chat_id=42, message_id=sent.message_id)
        assert edited.text == "Bonjour Claire" and edited.reply_markup is None
        assert await bot.delete_message(42, sent.message_id)
        assert await bot.get_updates(offset=updates[-1].update_id + 1, timeout=0) == ()

    assert double.unanswered_callbacks() == [] and double.visible_messages(42)[-1]["text"] == "/start"
    assert double.commands() == [
        {"command": "start", "description": "Commencer"},
        {"command": "aide", "description": "Aide"},
    ]
    assert {c.encoding for c in double.calls} <= {"form", "none"}
    double.assert_no_violations()
    assert double.warnings == []


@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
async def test_python_telegram_bot_sees_telegram_errors(double: BotApiDouble) -> None:
    double.send_text(42, "/start")
    bot = telegram.Bot(double.token, base_url=double.base_url)
    async with bot:
        double.fail_next("sendMessage", status=429, retry_after=2)
        with pytest.raises(RetryAfter):
            await bot.send_message(42, "Bonjour")
        sent = await bot.send_message(42, "Bonjour")
        with pytest.raises(BadRequest, match="Message is not modified"):
            await bot.edit_message_text("Bonjour", chat_id=42, message_id=sent.message_id)
        with pytest.raises(BadRequest, match="Button_data_invalid"):
            await bot.send_message(
                42,
                "x",
                reply_markup=InlineKeyboardMarkup([[InlineKeyboardButton("A", callback_data="x" * 65)]]),
            )
    assert len(double.not_modified) == 1
    assert [v.description for v in double.violations] == ["Bad Request: BUTTON_DATA_INVALID"]
