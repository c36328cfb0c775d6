"""Scripted paths to every state of the dialogue, for tests that need a chat standing in a given state.

A `World` is a fresh SQLite file with the demo base, an engine and a movable clock. Each
`Scenario` names a state, the chat driven to it, the family that chat belongs to, and the
bystander chats set up first (other people, signed in elsewhere), so that a test can check that
what happens in one chat leaves the others alone. `SCENARIOS` has one scenario per state.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path

from bot.runtime import demo
from flows.engine import Engine
from flows.exchange import Inbound, Reply
from flows.rules.identity import format_mobile
from flows.rules.model import Avis, Voie
from flows.school import results as council
from storage import SqliteStore

from .support import (
    CLAIRE_PASSWORD,
    Clock,
    Driver,
    activate,
    activate_claire,
    activate_karim,
    enter_seed_intentions,
    last_code,
    light_hasher,
)

THI_PASSWORD = "Nguyen-Thi-2026#"
CLAIRE_MOBILE = "06 12 34 56 78"
THI_MOBILE = "06 11 22 33 44"
TWINS_BIRTH_DATE = "03/07/2012"


# ---- families ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Family:
    """The people of one demo family (guardians and children), and the credentials they know."""

    name: str
    guardians: frozenset[str]
    students: frozenset[str]
    credentials: tuple[tuple[str, str], ...] = ()

    @property
    def persons(self) -> frozenset[str]:
        return self.guardians | self.students

    def private_tokens(self) -> set[str]:
        """What of this family must not be shown to another family: names, contact details,
        identifiers handed out by the school."""
        tokens: set[str] = set()
        for student in demo.STUDENTS:
            if student.id in self.students:
                tokens |= {student.nom, student.prenom}
        for guardian, _ in demo.GUARDIANS:
            if guardian.id in self.guardians:
                tokens |= {guardian.nom, guardian.prenom}
                tokens |= {value for value in (guardian.email, guardian.mobile) if value}
                if guardian.mobile:
                    tokens.add(format_mobile(guardian.mobile))
        for identifier, _, person, _ in demo.TEMP_ACCOUNTS:
            if person in self.persons:
                tokens.add(identifier)
        return tokens


def _demo_families() -> dict[str, Family]:
    """Group the demo's guardians and students into families (linked by a child in common)."""
    groups: list[tuple[set[str], set[str]]] = []
    for guardian, children in demo.GUARDIANS:
        group = next((g for g in groups if g[1] & set(children)), None)
        if group is None:
            group = (set(), set())
            groups.append(group)
        group[0].add(guardian.id)
        group[1].update(children)
    names = {s.id: s.nom for s in demo.STUDENTS}
    return {names[sorted(students)[0]].lower(): Family(names[sorted(students)[0]],
                                                       frozenset(guardians), frozenset(students))
            for guardians, students in groups}


FAMILIES = _demo_families()
MARTIN = replace(FAMILIES["martin"], credentials=(
    ("c.martin1", CLAIRE_PASSWORD), ("l.martin1", "Provisoire-Lucas-2026")))
NGUYEN = replace(FAMILIES["nguyen"], credentials=(("t.nguyen1", THI_PASSWORD),))
SCHOOL_NAMES = tuple(school.name for school in (demo.JEAN_MOULIN, demo.VICTOR_HUGO,
                                                demo.AIME_CESAIRE))


def forbidden_tokens(family: Family, store: SqliteStore | None = None) -> set[str]:
    """The private data of every other demo family (minus what this family shares with them),
    with the identifiers of their accounts in `store` when given."""
    others: set[str] = set()
    for other in FAMILIES.values():
        if other.name != family.name:
            others |= other.private_tokens()
            if store is not None:
                others |= {row[0] for row in store.conn.execute(
                    "SELECT identifier, person_id FROM accounts").fetchall()
                    if row[1] in other.persons}
    return others - family.private_tokens()


def leaked_tokens(text: str, family: Family, typed: list[str],
                  store: SqliteStore | None = None) -> list[str]:
    """The other families' data that `text` shows, leaving out school names (public, and one
    holds "Hugo") and whatever the chat typed itself (an echo of one's own input is no leak)."""
    for school in SCHOOL_NAMES:
        text = text.replace(school, "")
    typed_folded = [entry.casefold() for entry in typed]
    found = []
    for token in sorted(forbidden_tokens(family, store)):
        if any(token.casefold() in entry for entry in typed_folded):
            continue
        if re.search(rf"(?<!\w){re.escape(token)}(?!\w)", text):
            found.append(token)
    return found


# ---- a world of chats --------------------------------------------------------------------------

class RecordingDriver(Driver):
    """A driver that keeps every reply it got and every text it typed."""

    def __init__(self, engine: Engine, address: str) -> None:
        super().__init__(engine, address)
        self.replies: list[Reply] = []
        self.typed: list[str] = []

    def record(self, inbound: Inbound, replies: list[Reply]) -> None:
        for text in (inbound.text, inbound.contact_phone):
            if text:
                self.typed.append(text)
        self.replies.extend(replies)
        if replies:
            self.last = replies[-1]

    async def _take(self, inbound: Inbound) -> Reply:
        reply = await super()._take(inbound)
        self.record(inbound, [reply])
        return reply

    async def open(self) -> Reply:
        reply = await super().open()
        self.replies.append(reply)
        return reply

    def older_button_data(self) -> list[str]:
        """The data of the buttons of every screen this chat was shown before the current one."""
        return [button.data for reply in self.replies[:-1] for button in reply.flat_buttons]


class World:
    """A fresh database with the demo base, an engine on it, and the chats talking to it."""

    def __init__(self, directory: Path) -> None:
        self.clock = Clock()
        self.hasher = light_hasher()
        self.store = SqliteStore(directory / "orientation.sqlite3", synchronous="OFF")
        demo.load(self.store, self.hasher, self.clock())
        self.engine = Engine(self.store, self.hasher, self.clock)
        self.chats: dict[str, RecordingDriver] = {}

    def chat(self, address: str) -> RecordingDriver:
        if address not in self.chats:
            self.chats[address] = RecordingDriver(self.engine, address)
        return self.chats[address]

    def state_of(self, address: str) -> str | None:
        conv = self.store.conversation("test", address)
        return conv.state if conv else None

    def close(self) -> None:
        self.store.close()


PathFn = Callable[[World, RecordingDriver], Awaitable[None]]


@dataclass(frozen=True)
class Scenario:
    state: str
    path: PathFn
    chat: str = "claire"
    family: Family = MARTIN
    bystanders: tuple[str, ...] = ("karim", "thi")


SCENARIOS: dict[str, Scenario] = {}


def scenario(state: str, **options: object) -> Callable[[PathFn], PathFn]:
    def register(path: PathFn) -> PathFn:
        assert state not in SCENARIOS, state
        SCENARIOS[state] = Scenario(state, path, **options)
        return path
    return register


# ---- bystanders: other people signed in on other chats -----------------------------------------

async def _karim_at_menu(world: World) -> None:
    await activate_karim(world.chat("karim"), world.store)


async def _thi_activated(world: World, driver: RecordingDriver) -> None:
    await activate(driver, world.store, "Nguyen", "Thi", THI_MOBILE,
                   [TWINS_BIRTH_DATE, TWINS_BIRTH_DATE], THI_PASSWORD)


async def _thi_choosing_a_child(world: World) -> None:
    """Thi Nguyen validated an intention for Hugo and acknowledged the council's opinion."""
    driver = world.chat("thi")
    await _thi_activated(world, driver)
    await driver.press("Orientation")
    await driver.press("Hugo")
    await driver.press("Saisir les intentions")
    await driver.press("Ajouter une intention")
    await driver.press("2de générale")
    await driver.press("Valider")
    council.record(world.store, "E-HUGO", [Avis.FAVORABLE], None, "", world.clock())
    await driver.press("Retour à l'accueil Orientation")
    await driver.press("Avis provisoire du conseil de classe")
    await driver.press("☐ J'ai bien pris connaissance")
    await driver.press("Valider")
    assert "accusé réception" in driver.text, driver.text
    await driver.press("Retour à l'accueil Orientation")
    await driver.press("Changer d'élève")


async def _claire_at_home(world: World) -> None:
    """Claire Martin validated the seed's intentions for Lucas."""
    driver = world.chat("claire")
    await activate_claire(driver, world.store)
    await enter_seed_intentions(driver)
    await driver.press("Retour à l'accueil Orientation")


BYSTANDERS: dict[str, Callable[[World], Awaitable[None]]] = {
    "karim": _karim_at_menu, "thi": _thi_choosing_a_child, "claire": _claire_at_home}


async def reach(world: World, case: Scenario) -> RecordingDriver:
    """Set up the bystanders, then drive the scenario's chat to its state (checked)."""
    for name in case.bystanders:
        await BYSTANDERS[name](world)
    driver = world.chat(case.chat)
    await case.path(world, driver)
    state = world.state_of(case.chat)
    assert state == case.state, f"the path to {case.state} ended in {state}: {driver.text}"
    return driver


# ---- the paths, one per state ------------------------------------------------------------------

@scenario("welcome")
async def _welcome(world: World, d: RecordingDriver) -> None:
    await d.open()


@scenario("who")
async def _who(world: World, d: RecordingDriver) -> None:
    await _welcome(world, d)
    await d.press("Je n'ai pas de compte")


@scenario("rl_intro")
async def _rl_intro(world: World, d: RecordingDriver) -> None:
    await _who(world, d)
    await d.press("Je suis représentant légal")


@scenario("student_intro")
async def _student_intro(world: World, d: RecordingDriver) -> None:
    await _who(world, d)
    await d.press("Je suis élève")


@scenario("nophone_intro")
async def _nophone_intro(world: World, d: RecordingDriver) -> None:
    await _rl_intro(world, d)
    await d.press("Je ne souhaite pas utiliser")


@scenario("act_nom")
async def _act_nom(world: World, d: RecordingDriver) -> None:
    await _rl_intro(world, d)
    await d.press("Activer mon compte par SMS")


@scenario("act_prenom")
async def _act_prenom(world: World, d: RecordingDriver) -> None:
    await _act_nom(world, d)
    await d.send("Martin")


@scenario("act_mobile")
async def _act_mobile(world: World, d: RecordingDriver) -> None:
    await _act_prenom(world, d)
    await d.send("Claire")


@scenario("act_code")
async def _act_code(world: World, d: RecordingDriver) -> None:
    await _act_mobile(world, d)
    await d.send(CLAIRE_MOBILE)


@scenario("act_birth")
async def _act_birth(world: World, d: RecordingDriver) -> None:
    await _act_code(world, d)
    await d.send(last_code(world.store, "+33612345678"))


@scenario("act_password")
async def _act_password(world: World, d: RecordingDriver) -> None:
    await _act_birth(world, d)
    await d.send("14/05/2012")
    await d.send("02/09/2016")


@scenario("act_password2")
async def _act_password2(world: World, d: RecordingDriver) -> None:
    await _act_password(world, d)
    await d.send(CLAIRE_PASSWORD)


@scenario("login_id")
async def _login_id(world: World, d: RecordingDriver) -> None:
    """Claire activated her account, logged out, and comes back to log in."""
    await activate_claire(d, world.store)
    await d.send("/deconnexion")
    await d.press("J'ai un compte")


@scenario("login_pw")
async def _login_pw(world: World, d: RecordingDriver) -> None:
    await _login_id(world, d)
    await d.send("c.martin1")


@scenario("menu")
async def _menu(world: World, d: RecordingDriver) -> None:
    await activate_claire(d, world.store)


@scenario("account")
async def _account(world: World, d: RecordingDriver) -> None:
    await _menu(world, d)
    await d.press("Mon compte")


@scenario("contact")
async def _contact(world: World, d: RecordingDriver) -> None:
    await _menu(world, d)
    await d.press("Contact")


@scenario("child", chat="thi", family=NGUYEN, bystanders=("karim", "claire"))
async def _child(world: World, d: RecordingDriver) -> None:
    """Claire has one child in 3e; Thi Nguyen has two (the twins Hugo and Jade)."""
    await _thi_activated(world, d)
    await d.press("Orientation")


@scenario("home")
async def _home(world: World, d: RecordingDriver) -> None:
    await _menu(world, d)
    await d.press("Orientation")


@scenario("req_voie")
async def _req_voie(world: World, d: RecordingDriver) -> None:
    """The first intention of a new list."""
    await _home(world, d)
    await d.press("Saisir les intentions")
    await d.press("Ajouter une intention")


@scenario("req_edit")
async def _req_edit(world: World, d: RecordingDriver) -> None:
    """The seed's intentions validated, then "Modifier": the draft starts from what is saved."""
    await _req_done(world, d)
    await d.press("Modifier")


@scenario("req_statut")
async def _req_statut(world: World, d: RecordingDriver) -> None:
    """Modifying the saved intentions: the statut of the first one (CAP, Ebéniste, scolaire)."""
    await _req_edit(world, d)
    await d.press("Intention 1")
    await d.press("Statut envisagé")


@scenario("req_metier")
async def _req_metier(world: World, d: RecordingDriver) -> None:
    """Modifying the saved intentions: the métier of the second one, which has one already."""
    await _req_edit(world, d)
    await d.press("Intention 2")
    await d.press("Métier ou formation")


@scenario("req_item")
async def _req_item(world: World, d: RecordingDriver) -> None:
    """Modifying the saved intentions, with a third added: the middle one moves up and down."""
    await _req_edit(world, d)
    await d.press("Ajouter une intention")
    await d.press("2de générale")
    await d.press("Intention 2")


@scenario("req_done")
async def _req_done(world: World, d: RecordingDriver) -> None:
    await _menu(world, d)
    await enter_seed_intentions(d)


@scenario("req_view")
async def _req_view(world: World, d: RecordingDriver) -> None:
    await _req_done(world, d)
    await d.press("Retour à l'accueil Orientation")
    await d.press("Consulter les intentions")


@scenario("opinion")
async def _opinion(world: World, d: RecordingDriver) -> None:
    """Two weeks after the intentions, the council's opinion is published; Claire logs in again."""
    await _req_done(world, d)
    world.clock.advance(days=15)
    council.record(world.store, "E-LUCAS", [Avis.FAVORABLE, Avis.RESERVE], Voie.GT,
                   "Résultats fragiles en mathématiques.", world.clock())
    await d.send("/menu")
    assert "Votre session a pris fin" in d.text, d.text
    await d.press("J'ai un compte")
    await d.send("c.martin1")
    await d.send(CLAIRE_PASSWORD)
    await d.press("Orientation")
    await d.press("Avis provisoire du conseil de classe")


@scenario("opinion_leave")
async def _opinion_leave(world: World, d: RecordingDriver) -> None:
    await _opinion(world, d)
    await d.press("Retour à l'accueil Orientation")


async def _log_in_again(d: RecordingDriver) -> None:
    """After days away, Claire's session has ended: she logs in and opens the orientation home."""
    await d.send("/menu")
    if "J'ai un compte" in d.labels:
        await d.press("J'ai un compte")
        await d.send("c.martin1")
        await d.send(CLAIRE_PASSWORD)
    await d.press("Orientation")


async def enter_choices_from_intentions(world: World, d: RecordingDriver) -> None:
    """Step 2 window: Claire takes her intentions as choices and validates them."""
    world.clock.now = Clock().now + timedelta(days=43)
    await _log_in_again(d)
    await d.press("Saisir les choix définitifs")
    await d.press("Reprendre mes intentions")
    await d.press("Valider")
    assert "Vos choix définitifs ont bien été validés" in d.text, d.text


@scenario("proposal")
async def _proposal(world: World, d: RecordingDriver) -> None:
    """Step 3: the council proposes the 2de professionnelle; Claire opens the proposal."""
    await _req_done(world, d)
    await enter_choices_from_intentions(world, d)
    world.clock.now = Clock().now + timedelta(days=78)
    council.record_proposals(world.store, "E-LUCAS", [(Voie.PRO, "")], world.clock())
    await _log_in_again(d)
    await d.press("Proposition et décision")


@scenario("proposal_confirm")
async def _proposal_confirm(world: World, d: RecordingDriver) -> None:
    await _proposal(world, d)
    await d.press("D'accord")
