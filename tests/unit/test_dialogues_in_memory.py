"""The real engine and dialogues on the in-memory store with the demo base: no file, no SQL."""

from __future__ import annotations

import pytest

from bot.runtime import demo
from flows.engine import Engine
from flows.rules.model import AccountKind, Avis, Step, Voie
from flows.school import results as council
from storage.memory import MemoryStore

from ..support import (
    CLAIRE_PASSWORD,
    Clock,
    Driver,
    activate_claire,
    enter_seed_intentions,
    last_code,
    light_hasher,
    start_sms_activation,
)


@pytest.fixture
def store(clock: Clock) -> MemoryStore:
    memory = MemoryStore()
    demo.load(memory, light_hasher(), clock())
    return memory


@pytest.fixture
def engine(store: MemoryStore, clock: Clock) -> Engine:
    return Engine(store, light_hasher(), clock)


async def test_activation_and_intentions_are_saved(store: MemoryStore, engine: Engine) -> None:
    claire = Driver(engine, "claire")
    await activate_claire(claire, store)
    await enter_seed_intentions(claire)
    saved = store.requests("E-LUCAS", Step.INTENTIONS)
    assert saved is not None
    assert [item.voie for item in saved.items] == [Voie.CAP, Voie.PRO]
    assert [item.metier for item in saved.items] == ["Ebéniste", "Menuisier, charpentier"]
    account = store.account_of(AccountKind.GUARDIAN, saved.editor_guardian_id)
    assert account is not None and account.status == "active"
    assert any(m["kind"] == "email" for m in store.outbox())  # the confirmation


async def test_the_council_opinion_is_acknowledged(store: MemoryStore, engine: Engine,
                                                   clock: Clock) -> None:
    claire = Driver(engine, "claire")
    await activate_claire(claire, store)
    await enter_seed_intentions(claire)
    clock.advance(days=15)
    council.record(store, "E-LUCAS", [Avis.FAVORABLE, Avis.RESERVE], Voie.GT, "Bien.", clock())
    await claire.send("/menu")
    await claire.press("J'ai un compte")
    await claire.send("c.martin1")
    await claire.send(CLAIRE_PASSWORD)
    await claire.press("Orientation")
    await claire.press("Avis provisoire du conseil de classe")
    await claire.press("☐")
    await claire.press("Valider")
    assert store.acknowledgement("E-LUCAS", Step.INTENTIONS) is not None
    assert engine.internal_errors == 0


async def test_a_wrong_code_changes_nothing_but_the_attempts(store: MemoryStore,
                                                            engine: Engine) -> None:
    claire = Driver(engine, "claire")
    await start_sms_activation(claire)
    before = store.activation_code("R-CLAIRE")
    sent = last_code(store, "+33612345678")
    await claire.send("000000" if sent != "000000" else "000001")
    after = store.activation_code("R-CLAIRE")
    assert before is not None and after is not None
    assert after.attempts == before.attempts + 1
    assert store.bound_account("test", "claire") is None
