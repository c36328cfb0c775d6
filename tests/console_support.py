"""Test support for the school console: staff accounts, an HTTP client that logs in, a live server.

The console is always tested mounted in the bot's own HTTP app (`bot.runtime.http.create_app`), as
`python -m bot run` serves it.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import re
import threading
from collections.abc import AsyncIterator, Callable
from datetime import date, datetime
from pathlib import Path

import httpx
import uvicorn

from bot.runtime.http import create_app
from bot.school.console import create_console
from bot.school.console.serving import bind
from flows.rules.model import School, Student
from flows.school.staff import add_staff
from storage import SqliteStore

HEAD_PASSWORD = "Direction-2026!JM"
TEACHER_PASSWORD = "Professeur-3eB-2026?"
OTHER_PASSWORD = "Autre-College-2026#"
# A second school, with a class name of its own and one that Jean Moulin also has.
OTHER_SCHOOL = School("0750001A", "Collège Olympe de Gouges", "01 40 00 00 00",
                      "college.olympe@example.org")
ZOE = Student("E-ZOE", "Durand", "Zoé", date(2012, 3, 8), "0750001A", "3e Z", "3e")
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def add_other_school(store: SqliteStore) -> None:
    with store.transaction():
        store.put_school(OTHER_SCHOOL)
        store.put_student(ZOE)


def make_staff(store: SqliteStore, hasher, now: datetime) -> None:
    """Jean Moulin's head (`direction`) and a teacher (`prof.3eb`); the other school's head."""
    add_staff(store, hasher, "0699999Z", "direction", "head", HEAD_PASSWORD, now)
    add_staff(store, hasher, "0699999Z", "prof.3eb", "teacher", TEACHER_PASSWORD, now)
    add_other_school(store)
    add_staff(store, hasher, OTHER_SCHOOL.uai, "direction.og", "head", OTHER_PASSWORD, now)


def http_app(store: SqliteStore, clock: Callable[[], datetime], hasher, **options):
    return create_app(console=create_console(store, clock, hasher, **options))


def client(app, base_url: str = "http://127.0.0.1") -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=base_url)


def text(answer: httpx.Response) -> str:
    """The page's text with HTML entities decoded (Jinja escapes apostrophes)."""
    return html.unescape(answer.text)


def csrf_of(page: str) -> str:
    match = CSRF.search(page)
    assert match, "no CSRF field in the page"
    return match.group(1)


async def log_in(http: httpx.AsyncClient, login: str, password: str) -> httpx.Response:
    """Open the log-in page and submit it; returns the answer (303 to the dashboard on success)."""
    page = await http.get("/console/connexion")
    return await http.post("/console/connexion", data={
        "csrf_token": csrf_of(page.text), "identifiant": login, "mot_de_passe": password,
        "suite": ""})


@contextlib.asynccontextmanager
async def logged_in(app, login: str = "direction", password: str = HEAD_PASSWORD,
                    base_url: str = "http://127.0.0.1") -> AsyncIterator[httpx.AsyncClient]:
    async with client(app, base_url) as http:
        answer = await log_in(http, login, password)
        assert answer.status_code == 303, answer.text
        yield http


async def token_of(http: httpx.AsyncClient, path: str = "/console/tableau") -> str:
    """The session's CSRF token, read from a page's forms."""
    page = await http.get(path)
    assert page.status_code == 200, page.status_code
    return csrf_of(page.text)


class LiveServer:
    """The bot's HTTP app with the console under real uvicorn on loopback, in its own thread with
    its own event loop and its own connection to the database file (as a second process would)."""

    def __init__(self, db_path: Path, clock: Callable[[], datetime], hasher) -> None:
        self.db_path = db_path
        self.clock = clock
        self.hasher = hasher
        self.sock = bind("127.0.0.1", 0)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.server: uvicorn.Server | None = None
        self.ready = threading.Event()
        self.thread = threading.Thread(target=self._run, name="console-server", daemon=True)

    def _run(self) -> None:
        store = SqliteStore(self.db_path, synchronous="NORMAL")
        try:
            app = http_app(store, self.clock, self.hasher)
            self.server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
            asyncio.run(self._serve())
        finally:
            store.close()

    async def _serve(self) -> None:
        task = asyncio.create_task(self.server.serve(sockets=[self.sock]))
        while not self.server.started and not task.done():
            await asyncio.sleep(0.01)
        self.ready.set()
        await task

    def __enter__(self) -> LiveServer:
        self.thread.start()
        assert self.ready.wait(10), "the console server did not start"
        return self

    def __exit__(self, *exc: object) -> None:
        if self.server is not None:
            self.server.should_exit = True
        self.thread.join(10)
        self.sock.close()
