"""Property-based test of the dialogue: random text and forged button data in every reachable state.

For every state of `flows.dialogue.machine` a scripted path (tests/states.py) brings a chat there
on a fresh database, with bystanders signed in on other chats. Hypothesis then sends one to five
inbounds, each drawn against the screen the chat is on: arbitrary text (control characters, emoji,
up to 3000 characters), digits, dates, commands, own credentials, labels of the current buttons
typed as text, and button data that is random, from an older screen, from this screen with another
action or sequence prefix, or from another chat's screen.

Each inbound is classified the way the engine must see it, then checked:

* always: the engine does not raise, `internal_errors` stays 0, the inbound gets exactly one
  reply with non-empty text, and neither its text nor its buttons show another family's data;
  nothing a chat of this family may never touch changes: the school base, the other chats'
  conversations and bindings, the other families' accounts, requests, opinions, acknowledgements
  and link flags; the chat is bound, if at all, to an account of its own family; new audit
  entries concern its own children; new outgoing messages carry no other family's data;
* junk (button data not offered on the current screen, text in a state that takes none, empty
  or over-long text): the reply carries the expected notice ("Ce choix n'est plus valable…" for
  data) and nothing at all changes but the screen counter: same state, same draft, same buttons;
* a command, or free text where the state asks for some: the family's own protected data —
  its saved requests, opinions, acknowledgements, link flags, and its accounts' identity,
  status and password hashes — does not change either; the only exceptions are the ones the
  dialogue grants to typed text (a pending account is reserved once the birth dates are
  confirmed; the password typed twice activates the account being activated);
* a legitimate press (data of a current button, or text equal to a current label, as the engine
  accepts): may change the family's own data, so only the "always" checks apply. Data drawn from
  another chat's screen that happens to equal a current button's (same counter, same action) is
  that button; data drawn from an older screen of the same chat must never be offered again.

A failed log-in counts against the account typed (`failed_logins`, `locked_until`): this is the
brute-force lock working, so these two columns are left out of the account checks, and codes sent
by SMS (`activation_codes`) are left out too, as typing a name and a mobile on file is how an
activation starts.
"""

from __future__ import annotations

import asyncio
import json
import os
import tempfile
import unicodedata
from collections.abc import Callable, Iterable
from enum import Enum
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flows.dialogue.machine import (
    ANONYMOUS_STATES,
    MACHINE,
    SCREENS,
    SIGNED_IN_STATES,
    TRIGGERS,
)
from flows.engine import MAX_INPUT_LENGTH, command_of
from flows.exchange import Inbound, Reply
from flows.rules.identity import fold
from flows.rules.model import Conversation
from flows.texts import t

from ..states import (
    CLAIRE_MOBILE,
    SCENARIOS,
    THI_MOBILE,
    TWINS_BIRTH_DATE,
    Family,
    RecordingDriver,
    Scenario,
    World,
    leaked_tokens,
    reach,
)
from ..support import activate_claire

ALL_STATES = set(ANONYMOUS_STATES + SIGNED_IN_STATES)
CHANNEL = "test"
# Examples per state; DIALOGUE_FUZZ_EXAMPLES=500 makes a longer hunt.
EXAMPLES_PER_STATE = int(os.environ.get("DIALOGUE_FUZZ_EXAMPLES", "30"))

BASE_TABLES = ("schools", "calendar_windows", "students", "guardians", "guardian_links")
STUDENT_TABLES = ("link_flags", "request_sets", "request_items", "council_opinions",
                  "opinion_items", "acknowledgements")
# Columns of `accounts` a failed log-in legitimately changes (the lock against guessing).
LOGIN_COUNTERS = ("failed_logins", "locked_until")

# Button actions and arguments of every screen, and some no screen offers, to forge data with.
ACTIONS = sorted(MACHINE.events) + [
    "child:0", "child:1", "child:2", "child:99", "child:-1", "child:", "child:x", "item:0",
    "item:1", "item:2", "item:3", "item:-1", "item:01", "voie:gt", "voie:pro", "voie:cap",
    "voie:GT", "voie:", "st:scolaire", "st:apprenti", "st:", "st:autre", "", ":", "validate:1",
    "ok:logout", "text:x", "cmd_logout:", "__init__", "trigger", "to_menu", "to_welcome",
]
COMMAND_VARIANTS = ["/menu", "/MENU", "/aide", " /aide ", "/start", "/annuler", "/deconnexion",
                    "/Deconnexion", "/unknown", "/", "/menu now", "\u200b/menu\u200b", "//menu"]
SAMPLE_TEXTS = [
    "0", "000000", "123456", "999999", "12 34 56", "1234567", "14/05/2012", "02/09/2016",
    TWINS_BIRTH_DATE, "31/02/2010", "29/02/2012", "30/02/2012", "00/00/0000", "99/99/9999",
    "3 septembre 2010", "1er mai 2012", "14 mai 2012", "31 fevrier 2010", CLAIRE_MOBILE,
    "+33612345678", "0033612345678", THI_MOBILE, "+596 696 12 34 56", "+33 0 00", "Martin",
    "Claire", "Nguyen", "Thi", "Bernard", "c.martin1", "k.martin1", "t.nguyen1", "s.bernard1",
    "l.martin1", "Ebéniste", "Menuisier, charpentier", "a" * 101, "Valider", "OK", "ok",
    "annuler", "ANNULER", "retour", "Retour au menu", "oui", "non", "child:0", "1.login",
    "%s %d {x} {0} {{}}", "'; DROP TABLE accounts; --", "<b>gras</b>", "NaN", "None", "-1",
    "9" * 50, "😀", "👨‍👩‍👧‍👦", "\x00", "\u202e", "\ufeff", "\u200b", "\r\n", "\t", "é" * 61,
    "Jean-Pierre O’Brien", "Aa1!" * 3, "Zz9#zz9#zz9#",
]


# ---- what the engine must make of an inbound ---------------------------------------------------

class Kind(Enum):
    PRESS = "a press of a current button (its data, or its label typed)"
    COMMAND = "a command"
    TEXT = "free text where the state asks for some"
    STALE = "button data not on the current screen"
    TOO_LONG = "over-long text"
    EMPTY = "empty text"
    USE_BUTTONS = "text where the state takes none"


JUNK_NOTICES = {
    Kind.STALE: t("input.stale"),
    Kind.TOO_LONG: t("input.too_long", max=MAX_INPUT_LENGTH),
    Kind.EMPTY: t("input.empty"),
    Kind.USE_BUTTONS: t("input.use_buttons"),
}


def offered(conv: Conversation | None) -> list[tuple[str, str, str]]:
    """The buttons of the chat's current screen: (data, action, label)."""
    return [tuple(entry) for entry in (conv.data.get("offered", []) if conv else [])]


def classify(inbound: Inbound, conv: Conversation | None) -> Kind:
    buttons = offered(conv)
    if inbound.choice is not None:
        return Kind.PRESS if any(data == inbound.choice for data, _, _ in buttons) else Kind.STALE
    raw = inbound.contact_phone or inbound.text or ""
    if len(raw) > MAX_INPUT_LENGTH:
        return Kind.TOO_LONG
    text = "".join(c for c in raw if unicodedata.category(c) not in ("Cc", "Cf")).strip()
    if not text:
        return Kind.EMPTY
    if command_of(text) is not None:
        return Kind.COMMAND
    if any(fold(label) == fold(text) for _, _, label in buttons):
        return Kind.PRESS
    state = conv.state if conv else "welcome"
    return Kind.TEXT if "text" in TRIGGERS[state] else Kind.USE_BUTTONS


# ---- the inbounds, drawn against the current screen --------------------------------------------

def _repeated(pattern_and_size: tuple[str, int]) -> str:
    pattern, size = pattern_and_size
    return (pattern * (size // len(pattern) + 1))[:size]


def _date(parts: tuple[int, int, int, str]) -> str:
    day, month, year, separator = parts
    return f"{day:02d}{separator}{month:02d}{separator}{year}"


TEXTS = st.one_of(
    st.text(max_size=40),
    st.text(st.characters(categories=("Cc", "Cf", "Zs", "Zl", "Zp", "So", "Sk", "Mn", "Co")),
            max_size=12),
    st.tuples(st.text(min_size=1, max_size=6), st.integers(990, 3000)).map(_repeated),
    st.from_regex(r"[0-9 .\-+]{1,16}", fullmatch=True),
    st.tuples(st.integers(0, 40), st.integers(0, 14), st.integers(1900, 2100),
              st.sampled_from("/.- ")).map(_date),
    st.sampled_from(SAMPLE_TEXTS),
)
RANDOM_DATA = st.one_of(
    st.text(max_size=30),
    st.from_regex(r"[0-9a-f]{1,3}\.[a-z_]{1,12}(:[a-z0-9\-]{0,4})?", fullmatch=True),
)


def _label_variants(label: str) -> list[str]:
    return [label, label.upper(), fold(label), f"  {label}\n", f"\u200b{label}", label[:-1],
            label + ".", label.replace(" ", "  ")]


def inbounds(world: World, chat: RecordingDriver, family: Family) -> st.SearchStrategy:
    """(origin, inbound) pairs for the chat's current screen."""
    conv = world.store.conversation(CHANNEL, chat.address)
    buttons = offered(conv)
    seq = int(conv.data.get("seq", 0)) if conv else 0
    own = st.sampled_from([part for pair in family.credentials for part in pair] or ["x"])

    def text(value: str) -> Inbound:
        return Inbound(CHANNEL, chat.address, text=value)

    def data(value: str) -> Inbound:
        return Inbound(CHANNEL, chat.address, choice=value)

    options: list[tuple[int, str, st.SearchStrategy]] = [  # (weight, origin, inbounds)
        (4, "text", st.one_of(TEXTS, own).map(text)),
        (2, "command", st.sampled_from(COMMAND_VARIANTS).map(text)),
        (1, "contact", st.sampled_from([CLAIRE_MOBILE, THI_MOBILE, "+33612345678", "non", ""])
         .map(lambda phone: Inbound(CHANNEL, chat.address, contact_phone=phone))),
        (2, "random data", RANDOM_DATA.map(data)),
        (2, "forged action", st.sampled_from(ACTIONS).map(lambda a: data(f"{seq:x}.{a}"))),
    ]
    if buttons:
        labels = [label for _, _, label in buttons]
        datas = [d for d, _, _ in buttons]
        prefixes = st.one_of(
            st.integers(0, seq + 3).filter(lambda n: n != seq).map(lambda n: f"{n:x}"),
            st.sampled_from([str(seq), f"{seq:X}", f"0{seq:x}", f" {seq:x}", ""]))
        options += [
            (3, "label", st.sampled_from(labels).flatmap(
                lambda label: st.sampled_from(_label_variants(label))).map(text)),
            (1, "current", st.sampled_from(datas).map(data)),
            (2, "forged prefix", st.tuples(prefixes, st.sampled_from(
                [action for _, action, _ in buttons])).map(lambda p: data(f"{p[0]}.{p[1]}"))),
            (1, "mangled", st.sampled_from(datas).flatmap(lambda d: st.sampled_from(
                [d + " ", d.upper(), d + ":0", d + "x", d[:-1], d.replace(".", ":")])).map(data)),
        ]
    if chat.older_button_data():
        options.append((2, "older screen", st.sampled_from(chat.older_button_data()).map(data)))
    elsewhere = [d for address in world.chats if address != chat.address
                 for d, _, _ in offered(world.store.conversation(CHANNEL, address))]
    if elsewhere:
        options.append((1, "other chat", st.sampled_from(elsewhere).map(data)))
    return st.one_of([st.tuples(st.just(origin), strategy)
                      for weight, origin, strategy in options for _ in range(weight)])


# ---- views of the database ---------------------------------------------------------------------

Dump = dict[str, list[dict]]


def dump(world: World) -> Dump:
    conn = world.store.conn
    names = [row[0] for row in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
        "ORDER BY name")]
    out: Dump = {}
    for name in names:
        cursor = conn.execute(f"SELECT * FROM {name}")  # noqa: S608 - table names from the schema
        columns = [c[0] for c in cursor.description]
        out[name] = _sorted(dict(zip(columns, row, strict=True)) for row in cursor.fetchall())
    return out


def _sorted(rows: Iterable[dict]) -> list[dict]:
    return sorted(rows, key=lambda row: json.dumps(row, sort_keys=True, default=str))


def _account_identities(rows: Iterable[dict]) -> list[dict]:
    """Accounts without their log-in counters, which a wrong password legitimately moves."""
    return _sorted({k: v for k, v in row.items() if k not in LOGIN_COUNTERS} for row in rows)


def never_touched(db: Dump, family: Family, address: str) -> dict:
    """What a chat of `family` at `address` may never change, whatever it does."""
    view: dict = {name: db[name] for name in BASE_TABLES}
    view["inbound_seen"] = db["inbound_seen"]
    for name in ("conversations", "bindings"):
        view[name] = [row for row in db[name] if row["address"] != address]
    view["accounts"] = _account_identities(row for row in db["accounts"]
                                           if row["person_id"] not in family.persons)
    for name in STUDENT_TABLES:
        view[name] = [row for row in db[name] if row["student_id"] not in family.students]
    return view


def own_protected(db: Dump, family: Family, existing: set[int], skip: int | None) -> dict:
    """The family's own data that typed text and commands may not change."""
    view: dict = {"accounts": _account_identities(
        row for row in db["accounts"]
        if row["person_id"] in family.persons and row["id"] in existing and row["id"] != skip)}
    for name in STUDENT_TABLES:
        view[name] = [row for row in db[name] if row["student_id"] in family.students]
    return view


def _screen_only(row: dict | None) -> tuple:
    """A conversation row without what every render changes (the counter, the data's prefix)."""
    if row is None:
        return (None,)
    data = json.loads(row["data"])
    seq = data.pop("seq", None)
    buttons = [(d.partition(".")[2], action, label) for d, action, label in data.pop("offered", [])]
    return row["state"], data, buttons, seq


def _row_of(db: Dump, address: str) -> dict | None:
    return next((row for row in db["conversations"] if row["address"] == address), None)


def _new_rows(before: Dump, after: Dump, table: str) -> list[dict]:
    known = {row["id"] for row in before[table]}
    return [row for row in after[table] if row["id"] not in known]


# ---- the test ----------------------------------------------------------------------------------

def check_reply(world: World, case: Scenario, chat: RecordingDriver, replies: list[Reply],
                where: str) -> None:
    assert world.engine.internal_errors == 0, f"{where}: the engine hit a bug (see the log)"
    assert len(replies) == 1, f"{where}: {len(replies)} replies: {replies}"
    reply = replies[0]
    assert reply.text.strip(), f"{where}: empty reply"
    shown = "\n".join([reply.text, *(b.label for b in reply.flat_buttons)])
    leaks = leaked_tokens(shown, case.family, chat.typed, world.store)
    assert not leaks, f"{where}: another family's data {leaks} shown:\n{shown}"


def check_never_touched(world: World, case: Scenario, before: Dump, after: Dump,
                        where: str) -> None:
    family, address = case.family, case.chat
    assert never_touched(after, family, address) == never_touched(before, family, address), \
        f"{where}: data of another chat or family changed"
    binding = next((row for row in after["bindings"] if row["address"] == address), None)
    if binding is not None:
        account = next(row for row in after["accounts"] if row["id"] == binding["account_id"])
        assert account["person_id"] in family.persons, \
            f"{where}: the chat is now bound to {account['identifier']}"
    for entry in _new_rows(before, after, "audit_log"):
        assert entry["student_id"] in (None, *family.students), f"{where}: audit {entry}"
    for message in _new_rows(before, after, "outbox"):
        leaks = leaked_tokens(message["body"], family, [], world.store)
        assert not leaks, f"{where}: outgoing message shows {leaks}: {message}"


def check_own_data(case: Scenario, before: Dump, after: Dump, state_before: str,
                   act_account: int | None, where: str) -> None:
    existing = {row["id"] for row in before["accounts"]}
    skip = act_account if state_before == "act_password2" else None
    assert own_protected(after, case.family, existing, skip) == own_protected(
        before, case.family, existing, skip), f"{where}: the family's saved data changed"
    for account in _new_rows(before, after, "accounts"):
        assert state_before == "act_birth" and account["status"] == "pending" \
            and account["password_hash"] is None, f"{where}: new account {account}"


async def fuzz(state: str, draw: Callable[..., Any]) -> None:
    case = SCENARIOS[state]
    with tempfile.TemporaryDirectory() as directory:
        world = World(Path(directory))
        try:
            chat = await reach(world, case)
            for reply in chat.replies:
                check_reply(world, case, chat, [reply], f"on the path to {state}")
            steps = draw(st.integers(1, 5), label="steps")
            for step in range(steps):
                conv = world.store.conversation(CHANNEL, chat.address)
                assert conv is not None
                origin, inbound = draw(inbounds(world, chat, case.family), label=f"inbound {step}")
                kind = classify(inbound, conv)
                where = f"state {conv.state}, {origin} {inbound!r} ({kind.value})"
                if origin == "older screen":
                    assert kind is Kind.STALE, \
                        f"{where}: a button of an older screen is offered again"
                before = dump(world)
                replies = await world.engine.handle(inbound)
                chat.record(inbound, replies)
                after = dump(world)
                check_reply(world, case, chat, replies, where)
                check_never_touched(world, case, before, after, where)
                if kind in JUNK_NOTICES:
                    assert JUNK_NOTICES[kind] in replies[0].text, f"{where}: {replies[0].text}"
                    changed = [name for name in after if name != "conversations"
                               and after[name] != before[name]]
                    assert not changed, f"{where}: junk changed {changed}"
                    old = _screen_only(_row_of(before, chat.address))
                    new = _screen_only(_row_of(after, chat.address))
                    assert new[:3] == old[:3], f"{where}: junk changed the conversation"
                    assert new[3] == old[3] + 1, f"{where}: the screen counter did not move on"
                elif kind in (Kind.COMMAND, Kind.TEXT):
                    check_own_data(case, before, after, conv.state,
                                   conv.data.get("act", {}).get("account"), where)
        finally:
            world.close()


@pytest.mark.parametrize("state", sorted(SCENARIOS))
@settings(max_examples=EXAMPLES_PER_STATE, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data())
def test_random_input_in_every_state(state: str, data: st.DataObject) -> None:
    asyncio.run(fuzz(state, data.draw))


def test_every_state_has_a_path() -> None:
    assert set(SCENARIOS) == ALL_STATES == set(SCREENS)


def test_the_paths_reach_every_state() -> None:
    async def reached(case: Scenario) -> str | None:
        with tempfile.TemporaryDirectory() as directory:
            world = World(Path(directory))
            try:
                chat = await reach(world, case)
                assert world.engine.internal_errors == 0
                return world.state_of(chat.address)
            finally:
                world.close()

    states = {asyncio.run(reached(case)) for case in SCENARIOS.values()}
    assert states == ALL_STATES


@pytest.mark.parametrize("ending", ["logout", "idle", "idle_sweep", "unbound"])
def test_buttons_of_an_ended_session_stay_stale(ending: str) -> None:
    """Ending a session clears the conversation's data, but not its screen counter: otherwise the
    buttons of the first screens (the welcome's "1.login"…) would be valid again."""
    async def run() -> None:
        with tempfile.TemporaryDirectory() as directory:
            world = World(Path(directory))
            try:
                chat = world.chat("claire")
                first = await chat.open()
                await activate_claire(chat, world.store)
                if ending == "logout":
                    await chat.send("/deconnexion")
                elif ending == "unbound":  # the binding removed behind the conversation's back
                    world.store.unbind(CHANNEL, "claire")
                    await chat.send("/menu")
                else:
                    world.clock.advance(minutes=31)
                    if ending == "idle_sweep":
                        assert world.engine.end_idle_sessions() == 1
                    await chat.send("/menu")
                assert world.state_of("claire") == "welcome"
                current = {button.data for button in chat.last.flat_buttons}
                assert not current & set(chat.older_button_data())
                await chat.choose(first.flat_buttons[0].data)
                assert chat.text.startswith(t("input.stale")), chat.text
                assert world.state_of("claire") == "welcome"
                assert world.engine.internal_errors == 0
            finally:
                world.close()

    asyncio.run(run())
