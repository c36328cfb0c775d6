"""Telegram webhook mode and transport choice (the configuration's parsing is a unit test:
tests/unit/test_config.py)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from bot.runtime.bootstrap import build
from bot.runtime.config import Config, TelegramConfig
from bot.runtime.run import telegram_transport

from ..botapi.double import BotApiDouble
from ..support import Clock, light_hasher
from ..telegram_support import CLAIRE, WEBHOOK_SECRET, free_port, running_bot

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def double():
    with BotApiDouble() as server:
        yield server


@pytest.mark.parametrize("transport", ["ptb", "httpx"])
async def test_webhook_mode(double, tmp_path, transport):
    port = free_port()
    async with running_bot(double, tmp_path, transport, Clock(), webhook_port=port) as app:
        await double.wait_for(lambda d: d.webhook()["url"])
        assert double.webhook()["url"] == f"http://127.0.0.1:{port}/telegram/webhook"
        double.send_text(CLAIRE, "/start")
        await double.wait_for(lambda d: d.last_bot_message(CLAIRE))
        assert "Avez-vous déjà un compte ?" in double.last_bot_message(CLAIRE)["text"]
        double.press(CLAIRE, label="J'ai un compte")
        await double.wait_for(lambda d: "identifiant" in d.last_bot_message(CLAIRE)["text"])

        url = f"http://127.0.0.1:{port}/telegram/webhook"
        forged = {"update_id": 999, "message": {
            "message_id": 1, "date": 0, "text": "/start",
            "chat": {"id": 77, "type": "private"}, "from": {"id": 77, "is_bot": False,
                                                            "first_name": "X"}}}
        async with httpx.AsyncClient() as client:
            for headers in ({}, {"X-Telegram-Bot-Api-Secret-Token": "wrong-secret-0123456"}):
                answer = await client.post(url, json=forged, headers=headers)
                assert answer.status_code == 403
            good = {"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET}
            assert (await client.post(url, content=b"{not json", headers=good)).status_code == 400
            assert (await client.post(url, json=[1, 2], headers=good)).status_code == 400
            assert (await client.get(url)).status_code == 405
        assert app.store.conversation("telegram", "77") is None  # refused: no effect
    double.assert_no_violations()


def _config(tmp_path, transport: str) -> Config:
    return Config(tmp_path / "db.sqlite3", None, "NORMAL", False,
                  TelegramConfig("1:x", "http://127.0.0.1:9/bot", transport, None, ""))


def test_transport_is_chosen_by_configuration(tmp_path):
    app = build(_config(tmp_path, "httpx"), light_hasher())
    assert type(telegram_transport(app, app.config.telegram)).__name__ == "HttpxTransport"
    app = build(_config(tmp_path, "ptb"), light_hasher())
    assert type(telegram_transport(app, app.config.telegram)).__name__ == "PtbTransport"


def test_httpx_is_used_when_python_telegram_bot_cannot_be_imported(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "telegram", None)  # makes `import telegram` fail
    monkeypatch.delitem(sys.modules, "bot.channels.telegram.via_ptb", raising=False)
    app = build(_config(tmp_path, "ptb"), light_hasher())
    assert type(telegram_transport(app, app.config.telegram)).__name__ == "HttpxTransport"


def test_the_httpx_path_imports_no_framework():
    code = ("import sys, bot.runtime.run, bot.channels.telegram.via_httpx; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in "
            "('telegram', 'aiogram', 'telebot', 'pyrogram')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
                         check=True).stdout
    assert out.strip() == "[]"


@pytest.mark.parametrize("transport", ["ptb", "httpx"])
def test_a_refused_token_stops_with_one_line(double, tmp_path, transport):
    env = {"TELEGRAM_BOT_TOKEN": "999:refused-token", "TELEGRAM_TRANSPORT": transport,
           "TELEGRAM_API_BASE_URL": double.base_url, "PATH": ""}
    result = subprocess.run([sys.executable, "-m", "bot", "--db", str(tmp_path / "d.sqlite3"),
                             "run"], capture_output=True, text=True, cwd=ROOT, env=env,
                            timeout=60)
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip().splitlines()[-1] == (
        "error: Telegram refused TELEGRAM_BOT_TOKEN (check it with BotFather)")
