"""Test support: a movable clock, a light argon2 hasher, and a driver that talks to the engine."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from bot.runtime.hashing import Argon2Hasher
from flows.engine import Engine
from flows.exchange import Inbound, Reply
from flows.ports import Store
from flows.rules.identity import normalize_mobile

DEMO_NOW = datetime(2026, 11, 29, 10, 0, tzinfo=UTC)  # demo loaded on this day: step 1 open
CLAIRE_PASSWORD = "TresSolide-2026!"
KARIM_PASSWORD = "Karim-Martin-2026?"


def light_hasher() -> Argon2Hasher:
    """Real argon2id with small parameters: tests hash hundreds of times."""
    return Argon2Hasher(time_cost=1, memory_cost=8, parallelism=1)


class Clock:
    def __init__(self, now: datetime = DEMO_NOW) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


class Driver:
    """One person in one chat: send text, press buttons by label, read the last reply."""

    def __init__(self, engine: Engine, address: str = "chat-1", channel: str = "test") -> None:
        self.engine = engine
        self.channel = channel
        self.address = address
        self.last: Reply | None = None

    @property
    def text(self) -> str:
        return self.last.text if self.last else ""

    @property
    def labels(self) -> list[str]:
        return [b.label for b in self.last.flat_buttons] if self.last else []

    async def _take(self, inbound: Inbound) -> Reply:
        replies = await self.engine.handle(inbound)
        assert len(replies) == 1, replies
        self.last = replies[0]
        return self.last

    async def open(self) -> Reply:
        self.last = (await self.engine.show(self.channel, self.address))[0]
        return self.last

    async def send(self, text: str) -> Reply:
        return await self._take(Inbound(self.channel, self.address, text=text))

    async def press(self, label: str) -> Reply:
        """Press the button whose label starts with `label` (exactly one must match)."""
        matches = [b for b in self.last.flat_buttons if b.label.startswith(label)]
        assert len(matches) == 1, f"no single button {label!r} in {self.labels}"
        return await self._take(Inbound(self.channel, self.address, choice=matches[0].data))

    async def choose(self, data: str) -> Reply:
        return await self._take(Inbound(self.channel, self.address, choice=data))


def last_code(store: Store, mobile: str) -> str:
    """The activation code in the last SMS queued for `mobile`."""
    bodies = [m["body"] for m in store.outbox() if m["kind"] == "sms" and m["recipient"] == mobile]
    assert bodies, f"no SMS to {mobile}"
    return re.search(r"\b(\d{6})\b", bodies[-1]).group(1)


async def start_sms_activation(driver: Driver, nom: str = "Martin", prenom: str = "Claire",
                               mobile: str = "06 12 34 56 78") -> Reply:
    """From the welcome to the answer to the mobile number (the code screen when it matched)."""
    await driver.open()
    await driver.press("Je n'ai pas de compte")
    await driver.press("Je suis représentant légal")
    await driver.press("Activer mon compte par SMS")
    await driver.send(nom)
    await driver.send(prenom)
    return await driver.send(mobile)


async def log_in(driver: Driver, identifier: str, password: str) -> Reply:
    await driver.send("/start")
    await driver.press("J'ai un compte")
    await driver.send(identifier)
    return await driver.send(password)


async def activate(driver: Driver, store: Store, nom: str, prenom: str, mobile: str,
                   dates: list[str], password: str) -> None:
    """The whole activation by SMS code, ending on the services menu."""
    await start_sms_activation(driver, nom, prenom, mobile)
    assert "Un code d'activation vous a été envoyé" in driver.text, driver.text
    await driver.send(last_code(store, normalize_mobile(mobile)))
    for day in dates:
        await driver.send(day)
    await driver.send(password)
    await driver.send(password)
    assert "Le compte est activé" in driver.text, driver.text


async def activate_claire(driver: Driver, store: Store) -> None:
    await activate(driver, store, "Martin", "Claire", "06 12 34 56 78",
                   ["14/05/2012", "02/09/2016"], CLAIRE_PASSWORD)


async def activate_karim(driver: Driver, store: Store) -> None:
    await activate(driver, store, "Martin", "Karim", "07 98 76 54 32",
                   ["14/05/2012", "02/09/2016"], KARIM_PASSWORD)


async def enter_seed_intentions(driver: Driver) -> None:
    """From the services menu: the seed's two intentions for Lucas, validated."""
    await driver.press("Orientation")
    await driver.press("Saisir les intentions")
    await driver.press("Ajouter une intention")
    await driver.press("1re année de CAP")
    await driver.send("Ebéniste")
    await driver.press("☐ Sous statut scolaire")
    await driver.press("Continuer")
    await driver.press("Ajouter une intention")
    await driver.press("2de professionnelle")
    await driver.send("Menuisier, charpentier")
    await driver.press("☐ Sous statut scolaire")
    await driver.press("Continuer")
    await driver.press("Valider")
    assert "Vos intentions ont bien été validées" in driver.text, driver.text
