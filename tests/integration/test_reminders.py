"""Reminders: the storage reads, and a whole campaign on a fake clock (the rules' tables are unit
tests: tests/unit/test_reminder_rules.py).

The campaign runs over the demo base from before step 1's reminders to after the acknowledgement
deadline, hour by hour, with families acting midway, a crash in the middle of a pass and restarts of
the scheduler and the sender; the outbox must hold exactly the expected reminders, each once.
"""

from __future__ import annotations

import asyncio
import io
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.runtime import demo
from bot.runtime import reminders as planner
from flows.engine import Engine
from flows.rules.calendar import AVIS, INTENTIONS
from flows.rules.model import Account, AccountKind, Avis, Step, Voie
from flows.rules.reminders import (
    Offset,
    Rules,
    Settings,
)
from flows.school import results as council
from flows.texts import catalogue, has
from storage import SqliteStore

from ..support import (
    CLAIRE_PASSWORD,
    DEMO_NOW,
    Clock,
    Driver,
    activate,
    activate_claire,
    enter_seed_intentions,
    light_hasher,
    log_in,
)

PARIS = ZoneInfo("Europe/Paris")
JEAN_MOULIN, AIME_CESAIRE = demo.JEAN_MOULIN.uai, demo.AIME_CESAIRE.uai

# The catalogue entries the lead adds to messages.po; used here only while the catalogue lacks them.
TEXTS = {
    "remind.intentions": "Rappel Scolarité Services : les intentions d'orientation de {prenom} sont "
                         "à saisir et valider au plus tard le {date}.",
    "remind.intentions.today": "Rappel Scolarité Services : dernier jour aujourd'hui ({date}) pour "
                               "saisir et valider les intentions d'orientation de {prenom}.",
    "remind.avis": "Rappel Scolarité Services : l'avis provisoire du conseil de classe pour {prenom} "
                   "est publié. Accusez-en réception au plus tard le {date}.",
    "remind.avis.today": "Rappel Scolarité Services : dernier jour aujourd'hui ({date}) pour accuser "
                         "réception de l'avis provisoire du conseil de classe pour {prenom}.",
}


@pytest.fixture(autouse=True)
def _reminder_texts(monkeypatch):
    for key, text in TEXTS.items():
        if not has(key):
            monkeypatch.setitem(catalogue("fr"), key, text)  # as t() reads it


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


# ---- the planner on the demo base ----------------------------------------------------------------

D7_PARIS = utc(2026, 11, 29, 7)  # 08:00 in Paris, 7 days before step 1 closes (06/12)


def keys(reminders) -> set[tuple[str, str, str, str]]:
    return {(r.guardian_id, r.student_id, r.kind, r.recipient) for r in reminders}


def test_plan_at_the_first_reminder(store):
    planned = planner.plan(store, D7_PARIS)
    # Léa's guardian has neither a chat nor a mobile; Emma is not in 3e; Martinique is asleep.
    assert keys(planned) == {
        ("R-CLAIRE", "E-LUCAS", "sms", "+33612345678"), ("R-KARIM", "E-LUCAS", "sms", "+33798765432"),
        ("R-THI", "E-HUGO", "sms", "+33611223344"), ("R-THI", "E-JADE", "sms", "+33611223344")}
    karim = next(r for r in planned if r.guardian_id == "R-KARIM")
    assert karim.body == ("Rappel Scolarité Services : les intentions d'orientation de Lucas sont à "
                          "saisir et valider au plus tard le 06/12/2026.")
    assert karim.dedupe_key == (
        "remind:R-KARIM:E-LUCAS:intentions:2026-12-06T23:59:59.999999+01:00:d7")
    assert (karim.deadline_key, karim.offset, karim.send_at) == ("intentions", "d7", D7_PARIS)
    assert [r.guardian_id for r in planner.plan(store, utc(2026, 11, 29, 12))].count("R-MARIE") == 1


def test_planning_reads_nothing_more_when_nothing_is_due(store):
    assert planner.plan(store, utc(2026, 11, 29, 6, 59)) == []
    assert planner.enqueue_due(store, utc(2026, 11, 29, 6, 59)) == []


def test_latest_active_chat_and_flagged_links(store):
    with store.transaction():
        karim = store.save_account(Account(None, "k.martin1", AccountKind.GUARDIAN, "R-KARIM",
                                           status="pending"))
        claire = store.save_account(Account(None, "c.martin1", AccountKind.GUARDIAN, "R-CLAIRE",
                                            status="active"))
        store.bind("telegram", "1001", claire.id, utc(2026, 11, 28, 9))
        store.bind("terminal", "local", claire.id, utc(2026, 11, 28, 10))
        store.bind("telegram", "2002", karim.id, utc(2026, 11, 28, 9))  # not active: not used
        store.flag_link("R-THI", "E-JADE", utc(2026, 11, 28, 9))
    assert store.latest_chats() == {"R-CLAIRE": ("terminal", "local")}
    assert keys(planner.plan(store, D7_PARIS)) == {
        ("R-CLAIRE", "E-LUCAS", "push", "terminal:local"), ("R-KARIM", "E-LUCAS", "sms", "+33798765432"),
        ("R-THI", "E-HUGO", "sms", "+33611223344")}


def test_a_school_s_own_rules(store):
    settings = Settings(schools={AIME_CESAIRE: Rules(offsets=(Offset(3),), start=time(9),
                                                     end=time(18))})
    # 3 days before 06/12 at 09:00 in Fort-de-France; nothing on the default days
    def martinique(now):
        return [(r.guardian_id, r.offset) for r in planner.plan(store, now, settings)
                if r.uai == AIME_CESAIRE]
    assert martinique(utc(2026, 11, 29, 13)) == []
    assert martinique(utc(2026, 12, 3, 12, 59)) == []
    assert martinique(utc(2026, 12, 3, 13)) == [("R-MARIE", "d3")]
    assert martinique(utc(2026, 12, 3, 22)) == []  # 18:00 there: that school's quiet hours
    assert len(planner.plan(store, utc(2026, 11, 29, 7), settings)) == 4  # Paris: the defaults


def test_per_school_settings_from_the_settings_table(store):
    assert store.reminder_rules() == Settings()  # no row: the defaults everywhere
    store.conn.execute("INSERT INTO reminder_settings VALUES (?, '3', '09:00-18:00'), "
                       "(?, NULL, '08:30-19:00')", (AIME_CESAIRE, JEAN_MOULIN))
    loaded = store.reminder_rules()
    assert loaded.for_school(AIME_CESAIRE) == Rules((Offset(3),), time(9), time(18))
    assert loaded.for_school(JEAN_MOULIN) == Rules(Rules().offsets, time(8, 30), time(19))
    assert loaded.for_school("0699998Y") == Rules()


def test_command_lists_then_queues_once(store):
    out = io.StringIO()
    assert planner.command(store, D7_PARIS, dry_run=True, out=out) == 0
    assert "4 reminder(s) due (dry run: nothing queued)" in out.getvalue()
    assert "sms +33798765432 intentions d7 (due since 2026-11-29 08:00) R-KARIM/E-LUCAS: Rappel" \
           in out.getvalue()
    assert [m for m in store.outbox() if (m["dedupe_key"] or "").startswith("remind:")] == []
    planner.command(store, D7_PARIS, dry_run=False, out=out)
    assert "4 reminder(s) queued" in out.getvalue()
    planner.command(store, D7_PARIS + timedelta(minutes=5), dry_run=False, out=out)
    assert out.getvalue().endswith("0 reminder(s) queued\n")
    reminders = [m for m in store.outbox() if (m["dedupe_key"] or "").startswith("remind:")]
    assert len(reminders) == 4
    assert {m["created_at"] for m in reminders} == {D7_PARIS.isoformat()}


def test_the_last_day_says_so(store):
    planned = planner.plan(store, utc(2026, 12, 6, 12))
    noah = next(r for r in planned if r.student_id == "E-NOAH")
    assert noah.body == ("Rappel Scolarité Services : dernier jour aujourd'hui (06/12/2026) pour "
                         "saisir et valider les intentions d'orientation de Noah.")


class PassClock(Clock):
    """The loop's clock, counting its reads: each pass of the loop reads it once, when it starts."""

    def __init__(self, now: datetime) -> None:
        super().__init__(now)
        self.reads = 0

    def __call__(self) -> datetime:
        self.reads += 1
        return super().__call__()


async def passes_started(clock: PassClock, count: int, timeout: float = 30.0) -> None:
    """Wait until the loop has started `count` more passes; a pass has ended when the next starts."""
    until = clock.reads + count

    async def reached() -> None:
        while clock.reads < until:
            await asyncio.sleep(0.005)

    await asyncio.wait_for(reached(), timeout)


def queued_reminders(store) -> list[dict]:
    return [m for m in store.outbox() if (m["dedupe_key"] or "").startswith("remind:")]


async def test_the_bot_s_loop_queues_what_is_due(store):
    clock = PassClock(D7_PARIS)
    stop = asyncio.Event()
    task = asyncio.create_task(planner.run_reminders(store, clock, stop, every=0.01))
    await passes_started(clock, 2)  # the first pass has queued what is due
    clock.advance(minutes=1)
    await passes_started(clock, 2)  # more passes: nothing new
    stop.set()
    await asyncio.wait_for(task, 5)
    assert len(queued_reminders(store)) == 4


async def test_the_bot_s_loop_stops_when_cancelled(store):
    clock = PassClock(D7_PARIS)
    task = asyncio.create_task(planner.run_reminders(store, clock, asyncio.Event(), every=0.01))
    await passes_started(clock, 2)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(task, 5)
    assert len(queued_reminders(store)) == 4


# ---- a whole campaign on a fake clock ------------------------------------------------------------

START = utc(2026, 11, 28, 0)
END = utc(2026, 12, 28, 12)
THI_PASSWORD = "Nguyen-Thi-2026!"


class Campaign:
    """The bot's scheduler and sender over the demo base, one pass an hour, with the families'
    actions at given hours; `interrupt` adds a crash mid-pass and restarts."""

    def __init__(self, path, interrupt: bool) -> None:
        self.path, self.interrupt = path, interrupt
        self.hasher = light_hasher()
        self.clock = Clock(DEMO_NOW)
        self.store = SqliteStore(path, synchronous="NORMAL")
        demo.load(self.store, self.hasher, self.clock())
        self.clock.now = START
        self._connect()
        self.sent: list[str] = []  # what the fake transport delivered, in order

    def _connect(self) -> None:
        self.engine = Engine(self.store, self.hasher, self.clock)
        self.claire = Driver(self.engine, "claire")
        self.thi = Driver(self.engine, "thi")

    def restart(self) -> None:
        """Kill and start again: a new store object (a new connection) on the same file."""
        self.store.close()
        self.store = SqliteStore(self.path, synchronous="NORMAL")
        self._connect()

    def send_due(self) -> None:
        for row in self.store.due_messages(self.clock(), limit=1000):
            self.sent.append(row["dedupe_key"])
            with self.store.transaction():
                self.store.mark_sent(row["id"], self.clock())

    async def act(self, now: datetime) -> None:
        """The families, the council and the interruptions at this hour."""
        store = self.store
        if now == START:
            await activate_claire(self.claire, store)  # her chat "test:claire" stays bound
        elif now == utc(2026, 11, 30, 10):  # after her first reminder, Claire validates
            await log_in(self.claire, store.account_of(AccountKind.GUARDIAN, "R-CLAIRE").identifier,
                         CLAIRE_PASSWORD)
            await enter_seed_intentions(self.claire)
        elif now == utc(2026, 12, 2, 10):  # Thi opens an account: her next reminders come by chat
            await activate(self.thi, store, "Nguyen", "Thi", "06 11 22 33 44",
                           ["03/07/2012", "03/07/2012"], THI_PASSWORD)
        elif now == utc(2026, 12, 14, 10):
            council.record(store, "E-LUCAS", [Avis.FAVORABLE, Avis.RESERVE], Voie.GT, "", now)
            council.record(store, "E-HUGO", [Avis.FAVORABLE], None, "", now)
        elif now == utc(2026, 12, 23, 14):  # published after Martinique's 7-day reminder
            council.record(store, "E-NOAH", [Avis.FAVORABLE], None, "", now)
        elif now == utc(2026, 12, 26, 10):  # Claire acknowledges after two reminders
            await log_in(self.claire, store.account_of(AccountKind.GUARDIAN, "R-CLAIRE").identifier,
                         CLAIRE_PASSWORD)
            await self.claire.press("Orientation")
            await self.claire.press("Avis provisoire du conseil de classe")
            await self.claire.press("☐ J'ai bien pris connaissance")
            await self.claire.press("Valider")
            assert store.acknowledgement("E-LUCAS", Step.INTENTIONS) is not None

    def scheduler_pass(self, now: datetime) -> None:
        if self.interrupt and now == utc(2026, 12, 4, 7):  # killed in the middle of a pass
            real = self.store.enqueue
            calls = []

            def dying(message, at):
                calls.append(message)
                if len(calls) == 2:
                    raise KeyboardInterrupt
                real(message, at)
            self.store.enqueue = dying
            with pytest.raises(KeyboardInterrupt):
                planner.enqueue_due(self.store, now)
            self.restart()
            assert not [m for m in self.store.outbox() if m["created_at"] == now.isoformat()]
        planner.enqueue_due(self.store, now)

    async def run(self) -> None:
        while self.clock.now <= END:
            now = self.clock.now
            await self.act(now)
            self.scheduler_pass(now)
            if self.interrupt and now == utc(2026, 11, 29, 7):
                self.restart()  # the sender dies before sending: the next pass sends it all
            elif self.interrupt and now == utc(2026, 12, 20, 12):
                self.restart()  # and again, between two passes
            else:
                self.send_due()
            self.clock.advance(hours=1)
        self.send_due()

    def reminders(self) -> list[dict]:
        return [m for m in self.store.outbox() if (m["dedupe_key"] or "").startswith("remind:")]


def expected_reminders(store: SqliteStore) -> set[tuple[str, str, str, str]]:
    """(kind, recipient, dedupe key, created at) of every reminder of the campaign."""
    def deadline(uai, key):
        return store.calendar(uai).window(key).closes.isoformat()

    def one(kind, recipient, guardian, student, action, offset, at, uai=JEAN_MOULIN):
        window = INTENTIONS if action == "intentions" else AVIS
        key = f"remind:{guardian}:{student}:{action}:{deadline(uai, window)}:{offset}"
        return kind, recipient, key, at.isoformat()

    claire, karim, thi, marie = "test:claire", "+33798765432", "+33611223344", "+596696123456"
    return {
        # step 1, 7 days before: Claire by chat, the others by SMS; Martinique at its own 08:00
        one("push", claire, "R-CLAIRE", "E-LUCAS", "intentions", "d7", utc(2026, 11, 29, 7)),
        one("sms", karim, "R-KARIM", "E-LUCAS", "intentions", "d7", utc(2026, 11, 29, 7)),
        one("sms", thi, "R-THI", "E-HUGO", "intentions", "d7", utc(2026, 11, 29, 7)),
        one("sms", thi, "R-THI", "E-JADE", "intentions", "d7", utc(2026, 11, 29, 7)),
        one("sms", marie, "R-MARIE", "E-NOAH", "intentions", "d7", utc(2026, 11, 29, 12), AIME_CESAIRE),
        # 2 days before and the last morning: Lucas is done; Thi now has a chat
        one("push", "test:thi", "R-THI", "E-HUGO", "intentions", "d2", utc(2026, 12, 4, 7)),
        one("push", "test:thi", "R-THI", "E-JADE", "intentions", "d2", utc(2026, 12, 4, 7)),
        one("sms", marie, "R-MARIE", "E-NOAH", "intentions", "d2", utc(2026, 12, 4, 12), AIME_CESAIRE),
        one("push", "test:thi", "R-THI", "E-HUGO", "intentions", "d0", utc(2026, 12, 6, 7)),
        one("push", "test:thi", "R-THI", "E-JADE", "intentions", "d0", utc(2026, 12, 6, 7)),
        one("sms", marie, "R-MARIE", "E-NOAH", "intentions", "d0", utc(2026, 12, 6, 12), AIME_CESAIRE),
        # acknowledgement: Claire only (she entered the requests), until she acknowledges on the
        # 26th; Thi for Hugo (nobody entered his); Noah's opinion came after his 7-day reminder
        one("push", claire, "R-CLAIRE", "E-LUCAS", "avis", "d7", utc(2026, 12, 20, 7)),
        one("push", "test:thi", "R-THI", "E-HUGO", "avis", "d7", utc(2026, 12, 20, 7)),
        one("push", claire, "R-CLAIRE", "E-LUCAS", "avis", "d2", utc(2026, 12, 25, 7)),
        one("push", "test:thi", "R-THI", "E-HUGO", "avis", "d2", utc(2026, 12, 25, 7)),
        one("sms", marie, "R-MARIE", "E-NOAH", "avis", "d2", utc(2026, 12, 25, 12), AIME_CESAIRE),
        one("push", "test:thi", "R-THI", "E-HUGO", "avis", "d0", utc(2026, 12, 27, 7)),
        one("sms", marie, "R-MARIE", "E-NOAH", "avis", "d0", utc(2026, 12, 27, 12), AIME_CESAIRE),
    }


def _school_tz(store: SqliteStore, student_id: str) -> ZoneInfo:
    return store.calendar(store.student(student_id).uai).tz


def _pending_when_sent(store: SqliteStore, reminder: dict) -> bool:
    _, _, student, action, *_ = reminder["dedupe_key"].split(":")
    created = datetime.fromisoformat(reminder["created_at"])
    if action == "intentions":
        saved = store.requests(student, Step.INTENTIONS)
        return saved is None or saved.validated_at > created
    ack = store.acknowledgement(student, Step.INTENTIONS)
    return ack is None or ack.at > created


@pytest.mark.parametrize("interrupt", [False, True], ids=["straight", "crash_and_restarts"])
async def test_a_whole_campaign(tmp_path, interrupt):
    campaign = Campaign(tmp_path / "campaign.sqlite3", interrupt)
    await campaign.run()
    store = campaign.store
    reminders = campaign.reminders()
    got = {(m["kind"], m["recipient"], m["dedupe_key"], m["created_at"]) for m in reminders}
    assert got == expected_reminders(store)
    assert len(reminders) == len(got)
    # each sent exactly once, in the sending hours of the student's school, while still to do
    sent = [key for key in campaign.sent if key and key.startswith("remind:")]
    assert sorted(sent) == sorted(m["dedupe_key"] for m in reminders)
    assert all(m["status"] == "sent" for m in reminders)
    for m in reminders:
        student = m["dedupe_key"].split(":")[2]
        for moment in (m["created_at"], m["sent_at"]):
            local = datetime.fromisoformat(moment).astimezone(_school_tz(store, student))
            assert time(8) <= local.time() < time(20), m
        assert _pending_when_sent(store, m), m
    bodies = {(m["recipient"], m["dedupe_key"].split(":")[-1], m["dedupe_key"].split(":")[3]): m["body"]
              for m in reminders}
    assert bodies[("+596696123456", "d0", "avis")] == (
        "Rappel Scolarité Services : dernier jour aujourd'hui (27/12/2026) pour accuser réception "
        "de l'avis provisoire du conseil de classe pour Noah.")
    assert bodies[("test:claire", "d7", "avis")] == (
        "Rappel Scolarité Services : l'avis provisoire du conseil de classe pour Lucas est publié. "
        "Accusez-en réception au plus tard le 27/12/2026.")
    store.close()


async def test_reminders_missed_while_the_bot_was_down(store):
    """Down from before the 2-day reminders to 21:00 in Paris that day: Martinique (16:00) gets it
    at once, Paris the next morning; the 7-day ones, never sent, are not sent any more."""
    back = utc(2026, 12, 4, 20)
    assert keys(planner.enqueue_due(store, back)) == {
        ("R-MARIE", "E-NOAH", "sms", "+596696123456")}
    assert [r.offset for r in planner.plan(store, back)] == []
    morning = planner.enqueue_due(store, utc(2026, 12, 5, 7))
    assert {(r.guardian_id, r.student_id, r.offset) for r in morning} == {
        ("R-CLAIRE", "E-LUCAS", "d2"), ("R-KARIM", "E-LUCAS", "d2"), ("R-THI", "E-HUGO", "d2"),
        ("R-THI", "E-JADE", "d2")}
    assert planner.enqueue_due(store, utc(2026, 12, 5, 12)) == []


def test_a_reminder_expires_at_the_end_of_the_sending_hours(store):
    planned = planner.plan(store, D7_PARIS)
    assert planned and all(r.send_by == utc(2026, 11, 29, 19) for r in planned  # 20:00 in Paris
                           if r.uai == "0699999Z")
    planner.enqueue_due(store, D7_PARIS)
    rows = [m for m in store.outbox() if (m["dedupe_key"] or "").startswith("remind:")]
    assert rows and all(m["expires_at"] for m in rows)
