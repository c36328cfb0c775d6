"""The terminal chat: the bot in a terminal, for trying it and for scripted tests.

Each input line goes to the engine; the replies are printed, each button as its own line
`[n] label`. An input may be a button's number, its exact label, or free text. Works with piped
standard input: at the end of the input it exits with status 0. What the event queued (SMS,
e-mails) is sent right after the replies, by the configured transports; the embedded default
prints them as marked lines (see `bot.sending.printed`).
"""

from __future__ import annotations

import asyncio
import sys
import threading
from typing import TextIO

from flows.engine import Engine
from flows.exchange import Inbound, Reply
from flows.options import by_number

from ..sending.sender import OutboxSender

CHANNEL = "terminal"


class TerminalChat:
    def __init__(self, engine: Engine, sender: OutboxSender, address: str = "local",
                 stdin: TextIO | None = None, stdout: TextIO | None = None) -> None:
        self.engine = engine
        self.sender = sender
        self.address = address
        self.stdin = stdin or sys.stdin
        self.stdout = stdout or sys.stdout
        self.buttons: list[tuple[str, str]] = []  # (data, label) of the last screen
        self.echo = not self.stdin.isatty()

    def _print(self, text: str = "") -> None:
        print(text, file=self.stdout, flush=True)

    async def render(self, replies: list[Reply]) -> None:
        for reply in replies:
            self._print(reply.text)
            buttons = reply.flat_buttons
            if buttons:
                self.buttons = [(b.data, b.label) for b in buttons]
                for number, button in enumerate(buttons, start=1):
                    self._print(f"[{number}] {button.label}")
            self._print()
        while await self.sender.send_due():  # what the event queued leaves now, in order
            pass

    def inbound(self, line: str) -> Inbound:
        """A number picks a button of the last screen; anything else is sent as typed."""
        text = line.rstrip("\r\n")
        index = by_number(text, len(self.buttons))
        if index is not None:
            return Inbound(CHANNEL, self.address, choice=self.buttons[index][0])
        return Inbound(CHANNEL, self.address, text=text)

    def _start_reader(self) -> asyncio.Queue[str]:
        """Read standard input in a daemon thread: a blocked read must not delay exiting."""
        loop = asyncio.get_running_loop()
        lines: asyncio.Queue[str] = asyncio.Queue()

        def read() -> None:
            while True:
                line = self.stdin.readline()
                loop.call_soon_threadsafe(lines.put_nowait, line)
                if line == "":
                    return

        threading.Thread(target=read, name="terminal-input", daemon=True).start()
        return lines

    async def run(self) -> int:
        await self.render(await self.engine.show(CHANNEL, self.address))
        lines = self._start_reader()
        while True:
            line = await lines.get()
            if line == "":
                return 0
            replies = await self.engine.handle(self.inbound(line))
            if self.echo:
                secret = any(r.forget_inbound for r in replies)
                self._print("> " + ("••••••••" if secret else line.rstrip("\r\n")))
            await self.render(replies)
