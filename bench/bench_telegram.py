"""Telegram benchmark: the bot through python-telegram-bot and through httpx, against a bare echo bot.

Why: the engine, its storage and its rules should cost no more than the Telegram framework itself,
so the bot's throughput on Telegram should be at least half of a bare python-telegram-bot echo bot's
on the same Bot API server and the same workload. This module measures both, plus the fallback
transport (the bot speaking the Bot API with httpx), and prints the figures for a person and as
`key=value` lines for a machine, like `bench.bench_engine`.

Run it from the project root (`make bench` runs it after the engine benchmark):

    python -m bench.bench_telegram                          # 200 guardians, 20 updates each
    python -m bench.bench_telegram --guardians 50 --updates 10 --synchronous NORMAL
    python -m bench.bench_telegram --profile ptb            # cProfile of the event loop's thread

One process, one asyncio loop for the bot; the Bot API double (`tests/botapi/double.py`, a real
HTTP server on the loopback interface, in its own thread) plays Telegram, long polling included.
For each of three bots in turn, each on a fresh double:

1. "echo": a bare python-telegram-bot application (`concurrent_updates(True)`, polling): a text
   is answered with the same text and a one-button inline keyboard (sendMessage); a button press
   is answered (answerCallbackQuery) and its message edited (editMessageText);
2. "ptb": the bot's whole Telegram service (`bot.runtime.run.run_telegram`) with the
   python-telegram-bot transport, on a fresh SQLite file holding the demo base (argon2id at
   production parameters, as in production: the demo's loading hashes two passwords);
3. "httpx": the same with the httpx transport (the fallback).

N guardians (`--guardians`, default 200), each in their own private chat, send K updates each
(`--updates`, default 20) in rounds: every guardian's next update is injected into the double, then
the driver waits until every one of them has been answered, then the next round. The updates need
no password hash: "/start", then buttons "Je n'ai pas de compte", "Je suis représentant légal",
"Retour", "Retour", "J'ai un compte", "Retour", then the texts "bonjour" (the "not understood"
screen), "/aide" and "/menu"; and again. The echo bot gets the same sequence, text for text and
press for press, so both answer a text with one call and a press with two (`calls_per_update`).
Before the measured rounds, a few other chats run one cycle to warm the connections up.

Throughput = updates injected / the sum over rounds of the time from the round's first injection
to the arrival at the double of the round's last answering call (sendMessage or editMessageText):
the driver's own waiting is not counted. Latency = arrival of the update's answering call minus
its injection. Every answer is checked: the screen expected for the step (its text, and an edit in
place for a press), every callback query answered, no invalid Bot API call, no internal error of
the engine. A benchmark of error screens would be worthless.

The double shares the process, hence the GIL, with the bot: its work is counted in every bot's
wall time alike. The CPU seconds of the loop's thread and of the double's thread are reported per
update (`loop_cpu_ms_per_update`, `double_cpu_ms_per_update`) to tell the two apart.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import io
import logging
import os
import pstats
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import Application, CallbackQueryHandler, ContextTypes, MessageHandler, filters

from bench.bench_engine import Histogram
from bot.channels.telegram.channel import ALLOWED_UPDATES
from bot.runtime.bootstrap import App, build
from bot.runtime.config import Config, TelegramConfig
from bot.runtime.hashing import Argon2Hasher
from bot.runtime.run import run_telegram
from flows.texts import t
from tests.botapi.double import BotApiDouble, Call

BOTS = ("echo", "ptb", "httpx")
BOT_NAMES = {"echo": "bare python-telegram-bot echo bot",
             "ptb": "the bot, python-telegram-bot transport",
             "httpx": "the bot, httpx transport (fallback)"}
ANSWERS = frozenset({"sendMessage", "editMessageText"})
TARGET_RATIO = 0.5
FIRST_USER, WARM_UP_USER, WARM_UP_CHATS = 100_000, 10_000, 10
ROUND_TIMEOUT = 60.0
POLL_TIMEOUT = 1  # seconds the double holds a getUpdates request open
ECHO_LABEL, ECHO_DATA = "Encore", "encore"
ECHO_KEYBOARD = InlineKeyboardMarkup([[InlineKeyboardButton(ECHO_LABEL, callback_data=ECHO_DATA)]])


class BenchFailure(Exception):
    """An answer was not the expected screen: the figures would measure error screens."""


# ---- the workload --------------------------------------------------------------------------------

@dataclass(frozen=True)
class Step:
    """One update of a guardian: a text sent, or a button pressed (by its catalogue key); `screen`
    is the catalogue key of the text the bot's answer starts with."""

    kind: str  # "text" or "press"
    value: str  # the text, or the catalogue key of the button's label
    screen: str

    @property
    def label(self) -> str:
        return t(self.value)


CYCLE: tuple[Step, ...] = (
    Step("text", "/start", "welcome"),
    Step("press", "btn.no_account", "who"),
    Step("press", "btn.i_am_guardian", "rl_intro"),
    Step("press", "btn.back", "who"),
    Step("press", "btn.back", "welcome"),
    Step("press", "btn.have_account", "login.id"),
    Step("press", "btn.back", "welcome"),
    Step("text", "bonjour", "input.use_buttons"),
    Step("text", "/aide", "help.welcome"),
    Step("text", "/menu", "welcome"),
)


def workload(count: int) -> list[Step]:
    return [CYCLE[index % len(CYCLE)] for index in range(count)]


def screen_start(key: str) -> str:
    """The fixed beginning of a catalogue text (up to its first placeholder)."""
    return t(key).split("{", 1)[0][:60]


def expected_text(bot: str, step: Step) -> str:
    if bot != "echo":
        return screen_start(step.screen)
    return step.value if step.kind == "text" else ECHO_DATA + " "


# ---- measuring -----------------------------------------------------------------------------------

def thread_cpu_s(native_id: int | None) -> float:
    """CPU seconds (user + system) of one thread of this process, from /proc; 0 where unknown."""
    if native_id is None:
        return 0.0
    try:
        fields = Path(f"/proc/self/task/{native_id}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime


def double_thread_id(double: BotApiDouble) -> int | None:
    thread = getattr(double, "_thread", None)
    return getattr(thread, "native_id", None)


@dataclass
class Run:
    bot: str
    updates: int = 0
    calls: int = 0
    wall_s: float = 0.0  # the rounds' spans, first injection to last answer, summed
    span_s: float = 0.0  # first injection of the first round to last answer of the last one
    inject_s: float = 0.0
    loop_cpu_s: float = 0.0
    double_cpu_s: float = 0.0
    latency: Histogram = field(default_factory=Histogram)
    profile: str = ""

    @property
    def per_second(self) -> float:
        return self.updates / self.wall_s if self.wall_s else 0.0

    @property
    def calls_per_update(self) -> float:
        return self.calls / self.updates if self.updates else 0.0


class Round:
    """One update per chat injected into the double, and their answers found in its call log."""

    def __init__(self, double: BotApiDouble, bot: str, step: Step, users: list[int]) -> None:
        self.double, self.bot, self.step = double, bot, step
        self.seen = len(double.calls)  # calls before this round are not its answers
        self.injected: dict[int, float] = {}
        self.answered: dict[int, Call] = {}
        self.callbacks_answered = 0
        self.users = users

    def inject(self) -> None:
        if self.step.kind == "text":
            for user in self.users:
                self.injected[user] = time.monotonic()
                self.double.send_text(user, self.step.value)
            return
        label = ECHO_LABEL if self.bot == "echo" else self.step.label
        for user in self.users:
            self.injected[user] = time.monotonic()
            self.double.press(user, label=label)

    def _take(self, call: Call) -> None:
        if call.method == "answerCallbackQuery":
            self.callbacks_answered += call.ok
            return
        if call.method not in ANSWERS:
            raise BenchFailure(f"{self.bot}: unexpected call {call.summary()}")
        chat = call.params.get("chat_id")
        if not call.ok or chat not in self.injected or chat in self.answered:
            raise BenchFailure(f"{self.bot}: unexpected answer {call.summary()}")
        wanted = "editMessageText" if self.step.kind == "press" else "sendMessage"
        expected = expected_text(self.bot, self.step)
        text = str(call.params.get("text", ""))
        if call.method != wanted or not text.startswith(expected):
            raise BenchFailure(f"{self.bot}, chat {chat}, step {self.step}: expected {wanted} "
                               f"starting {expected!r}, got {call.method} {text[:200]!r}")
        self.answered[chat] = call

    def collect(self) -> bool:
        """Read the new calls; True once every chat of the round has its answer."""
        calls = self.double.calls
        while self.seen < len(calls):
            call = calls[self.seen]
            if call.method == "getUpdates":
                self.seen += 1
                continue
            if call.status is None:
                break  # still being processed: read again next time
            self._take(call)
            self.seen += 1
        presses = len(self.users) if self.step.kind == "press" else 0
        return len(self.answered) == len(self.users) and self.callbacks_answered == presses

    async def finish(self) -> None:
        deadline = time.monotonic() + ROUND_TIMEOUT
        while not self.collect():
            if time.monotonic() > deadline:
                recent = "\n".join(f"  {c.summary()}" for c in self.double.calls[-10:])
                raise BenchFailure(f"{self.bot}: {len(self.answered)} of {len(self.users)} answers "
                                   f"after {ROUND_TIMEOUT:.0f} s; recent calls:\n{recent}")
            await asyncio.sleep(0.005)

    @property
    def first_injection(self) -> float:
        return min(self.injected.values())

    @property
    def last_answer(self) -> float:
        return max(call.at for call in self.answered.values())


async def drive(double: BotApiDouble, bot: str, users: list[int], steps: list[Step],
                run: Run | None = None) -> None:
    """Every step, in rounds: all chats' update injected, then all their answers awaited."""
    first: float | None = None
    for step in steps:
        calls_before = len(double.calls)
        current = Round(double, bot, step, users)
        inject_start = time.perf_counter()
        current.inject()
        inject_s = time.perf_counter() - inject_start
        await current.finish()
        if run is None:
            continue
        first = current.first_injection if first is None else first
        run.updates += len(users)
        run.wall_s += current.last_answer - current.first_injection
        run.span_s = current.last_answer - first
        run.inject_s += inject_s
        run.calls += sum(1 for call in double.calls[calls_before:] if call.method != "getUpdates")
        for user, call in current.answered.items():
            run.latency.add(int((call.at - current.injected[user]) * 1e9))


# ---- the three bots ------------------------------------------------------------------------------

async def _echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await update.message.reply_text(update.message.text, reply_markup=ECHO_KEYBOARD)


async def _again(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    await query.answer()
    await query.edit_message_text(f"{query.data} {update.update_id}", reply_markup=ECHO_KEYBOARD)


@contextlib.asynccontextmanager
async def echo_bot(double: BotApiDouble) -> AsyncIterator[None]:
    application = (Application.builder().token(double.token).base_url(double.base_url)
                   .concurrent_updates(True).build())
    application.add_handler(MessageHandler(filters.TEXT, _echo))
    application.add_handler(CallbackQueryHandler(_again))
    async with application:
        await application.start()
        await application.updater.start_polling(timeout=POLL_TIMEOUT, allowed_updates=ALLOWED_UPDATES)
        try:
            yield
        finally:
            await application.updater.stop()
            await application.stop()


@contextlib.asynccontextmanager
async def our_bot(double: BotApiDouble, transport: str, synchronous: str) -> AsyncIterator[App]:
    with tempfile.TemporaryDirectory(prefix="bench-telegram-") as tmp:
        config = Config(Path(tmp) / "orientation.sqlite3", None, synchronous, True,
                        TelegramConfig(double.token, double.base_url, transport, None, ""))
        app = build(config, Argon2Hasher())
        app.transport_options = {"timeout": 15.0, "poll_timeout": POLL_TIMEOUT}
        stop = asyncio.Event()
        task = asyncio.create_task(run_telegram(app, stop))
        try:
            yield app
        finally:
            stop.set()
            await asyncio.wait_for(task, timeout=30)
            app.store.close()
        if app.engine.internal_errors:
            raise BenchFailure(f"{transport}: engine.internal_errors = {app.engine.internal_errors}")


async def polling(double: BotApiDouble) -> None:
    await double.wait_for(lambda d: d.calls_of("getUpdates"), timeout=30)


@dataclass
class Options:
    guardians: int
    updates: int
    synchronous: str
    profile: str | None


async def measure(bot: str, options: Options) -> Run:
    run = Run(bot)
    users = [FIRST_USER + index for index in range(options.guardians)]
    warm_up = [WARM_UP_USER + index for index in range(WARM_UP_CHATS)]
    with BotApiDouble() as double:
        running = echo_bot(double) if bot == "echo" else our_bot(double, bot, options.synchronous)
        async with running:
            await polling(double)
            await drive(double, bot, warm_up, list(CYCLE))
            profiler = cProfile.Profile() if options.profile == bot else None
            loop_cpu, double_cpu = time.thread_time(), thread_cpu_s(double_thread_id(double))
            if profiler:
                profiler.enable()
            await drive(double, bot, users, workload(options.updates), run)
            if profiler:
                profiler.disable()
            run.loop_cpu_s = time.thread_time() - loop_cpu
            run.double_cpu_s = thread_cpu_s(double_thread_id(double)) - double_cpu
        double.assert_no_violations()
        if double.unanswered_callbacks():
            raise BenchFailure(f"{bot}: unanswered callback queries {double.unanswered_callbacks()[:5]}")
    if profiler:
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(30)
        run.profile = out.getvalue()
    return run


# ---- the report ----------------------------------------------------------------------------------

def _ms(value: float) -> str:
    return f"{value:.3f}" if value < 10 else f"{value:.1f}"


def _per_update_ms(seconds: float, run: Run) -> str:
    return f"{seconds * 1e3 / run.updates:.3f}" if run.updates else "0"


def run_line(run: Run, options: Options) -> str:
    h = run.latency
    return (f"bench telegram_{run.bot} updates_per_s={run.per_second:.0f} updates={run.updates} "
            f"p50_ms={_ms(h.percentile_ms(.5))} p99_ms={_ms(h.percentile_ms(.99))} "
            f"max_ms={_ms(h.max_ns / 1e6)} calls_per_update={run.calls_per_update:.2f} "
            f"loop_cpu_ms_per_update={_per_update_ms(run.loop_cpu_s, run)} "
            f"double_cpu_ms_per_update={_per_update_ms(run.double_cpu_s, run)} "
            f"wall_s={run.wall_s:.2f} span_s={run.span_s:.2f} inject_s={run.inject_s:.2f} "
            f"guardians={options.guardians} synchronous={options.synchronous}")


def ratio(run: Run, echo: Run) -> float:
    return run.per_second / echo.per_second if echo.per_second else 0.0


def key_values(runs: dict[str, Run], options: Options) -> list[str]:
    echo, ptb, httpx = runs["echo"], runs["ptb"], runs["httpx"]
    return [
        f"bench telegram bot_updates_per_s={ptb.per_second:.0f} "
        f"echo_updates_per_s={echo.per_second:.0f} ratio={ratio(ptb, echo):.2f} "
        f"httpx_updates_per_s={httpx.per_second:.0f} httpx_ratio={ratio(httpx, echo):.2f} "
        f"guardians={options.guardians} updates={ptb.updates} synchronous={options.synchronous}",
        *(run_line(runs[bot], options) for bot in BOTS),
    ]


def verdict(value: float) -> str:
    return "met" if value >= TARGET_RATIO else "MISSED"


def human_run(run: Run) -> str:
    h = run.latency
    return (f"   {BOT_NAMES[run.bot]}: {run.updates:,} updates in {run.wall_s:.2f} s, "
            f"{run.per_second:,.0f} updates/s; latency p50 {_ms(h.percentile_ms(.5))} ms, "
            f"p99 {_ms(h.percentile_ms(.99))} ms, max {_ms(h.max_ns / 1e6)} ms; "
            f"{run.calls_per_update:.2f} Bot API calls per update; CPU per update: loop thread "
            f"{_per_update_ms(run.loop_cpu_s, run)} ms, double {_per_update_ms(run.double_cpu_s, run)} ms"
            f"; injecting took {run.inject_s:.2f} s; {run.span_s:.2f} s from the first injection to "
            "the last answer, waits between rounds included")


def human_report(runs: dict[str, Run], options: Options) -> list[str]:
    echo = runs["echo"]
    presses = sum(step.kind == "press" for step in CYCLE)
    lines = [
        f"== telegram: {options.guardians:,} guardians x {options.updates} updates, in rounds "
        f"({presses} presses and {len(CYCLE) - presses} texts in every {len(CYCLE)}), over loopback "
        f"HTTP to the Bot API double, synchronous={options.synchronous}",
        *(human_run(runs[bot]) for bot in BOTS),
    ]
    for bot in ("ptb", "httpx"):
        value = ratio(runs[bot], echo)
        lines.append(f"   {BOT_NAMES[bot]} / echo bot: {value:.2f}  [>= {TARGET_RATIO}: {verdict(value)}]")
    lines.append("   checks: every answer the expected screen, every callback query answered, no "
                 "invalid Bot API call, no internal error")
    return lines


# ---- command line --------------------------------------------------------------------------------

def parse_options(argv: list[str] | None) -> Options:
    parser = argparse.ArgumentParser(
        prog="python -m bench.bench_telegram",
        description="Measure the bot on Telegram against a bare echo bot (see the module docstring).")
    parser.add_argument("--guardians", type=int, default=200,
                        help="guardians, each in their own chat, all in flight (default 200)")
    parser.add_argument("--updates", type=int, default=20,
                        help="updates sent by each guardian, in rounds (default 20)")
    parser.add_argument("--synchronous", type=str.upper, default="FULL", choices=("NORMAL", "FULL"),
                        help="the bot's SQLite PRAGMA synchronous (default FULL, as in production)")
    parser.add_argument("--profile", choices=BOTS, default=None,
                        help="print a cProfile of the event loop's thread for this bot's rounds")
    args = parser.parse_args(argv)
    if args.guardians < 1 or args.updates < 1:
        parser.error("--guardians and --updates must be positive")
    return Options(args.guardians, args.updates, args.synchronous, args.profile)


async def run_all(options: Options) -> dict[str, Run]:
    runs = {}
    for bot in BOTS:
        print(f"running {BOT_NAMES[bot]}...", flush=True)
        runs[bot] = await measure(bot, options)
        if runs[bot].profile:
            print(runs[bot].profile, flush=True)
    return runs


def main(argv: list[str] | None = None) -> int:
    options = parse_options(argv)
    logging.basicConfig(level=logging.WARNING)
    start = time.perf_counter()
    try:
        runs = asyncio.run(run_all(options))
    except (BenchFailure, AssertionError) as failure:
        print(f"bench FAILED: {failure}", file=sys.stderr)
        return 1
    print("\n".join(human_report(runs, options)))
    print(f"   total run time {time.perf_counter() - start:.1f} s")
    print()
    print("\n".join(key_values(runs, options)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
