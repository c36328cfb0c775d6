"""Benchmark of the outbox sender: does it hold Telegram's cap of 30 messages per second?

Queues chat messages to many distinct Telegram chats, then lets the sender (with the bot's own
Telegram push transport over loopback HTTP) deliver them to the Bot API double, paced at the
configured cap. Prints the sustained rate (from the second message to the last), the largest number
of messages in any one-second window, and how many 429 answers came back.

    python -m bench.bench_sender [--messages 600] [--cap 30]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from bot.channels.telegram.via_httpx import HttpxBotApi
from bot.sending.push import TelegramPush
from bot.sending.sender import OutboxSender
from flows.rules.model import OutMessage
from storage import SqliteStore
from tests.botapi.double import BotApiDouble

FIRST_CHAT = 500_000


def max_in_one_second(times: list[float]) -> int:
    best, start = 0, 0
    for end, moment in enumerate(times):
        while moment - times[start] >= 1.0:
            start += 1
        best = max(best, end - start + 1)
    return best


async def run(messages: int, cap: float) -> dict[str, float]:
    with BotApiDouble() as double, tempfile.TemporaryDirectory() as tmp:
        for index in range(messages):  # each chat exists: its person wrote to the bot once
            double.send_text(FIRST_CHAT + index, "/start")
        store = SqliteStore(Path(tmp) / "bench.sqlite3")
        now = datetime.now(UTC)
        with store.transaction():
            for index in range(messages):
                store.enqueue(OutMessage("push", f"telegram:{FIRST_CHAT + index}",
                                         f"Rappel n° {index}"), now)
        api = HttpxBotApi(double.token, double.base_url)
        sender = OutboxSender(store, {"push:telegram": TelegramPush(api)},
                              lambda: datetime.now(UTC), {"push:telegram": cap})
        started = time.perf_counter()
        while await sender.send_due(limit=500):
            pass
        elapsed = time.perf_counter() - started
        await api.aclose()
        sent = [c for c in double.calls if c.method == "sendMessage" and c.ok]
        assert len(sent) == messages, f"{len(sent)} of {messages} sent"
        assert all(row["status"] == "sent" for row in store.outbox())
        double.assert_no_violations()
        times = sorted(c.at for c in sent)
        store.close()
        return {"sent_per_s": (len(times) - 1) / (times[-1] - times[0]),
                "max_in_1s": max_in_one_second(times), "elapsed_s": elapsed,
                "http_429": sum(1 for c in double.calls if c.status == 429)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=600)
    parser.add_argument("--cap", type=float, default=30.0)
    options = parser.parse_args()
    result = asyncio.run(run(options.messages, options.cap))
    off = abs(result["sent_per_s"] - options.cap) / options.cap * 100
    print(f"sender: {options.messages} messages in {result['elapsed_s']:.1f} s, "
          f"{result['sent_per_s']:.2f}/s sustained for a cap of {options.cap:g}/s ({off:.1f} % off), "
          f"at most {result['max_in_1s']} in any second, {result['http_429']} answers 429")
    print(f"bench sender cap_per_s={options.cap:g} sent_per_s={result['sent_per_s']:.2f} "
          f"off_pct={off:.1f} max_in_1s={result['max_in_1s']} http_429={result['http_429']} "
          f"messages={options.messages}")


if __name__ == "__main__":
    main()
