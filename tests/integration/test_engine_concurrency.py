"""The engine under concurrency: hashing runs off the event loop, and one chat's events stay in order."""

from __future__ import annotations

import asyncio
import threading

from argon2 import PasswordHasher

from bot.runtime.hashing import Argon2Hasher
from flows.engine import Engine
from flows.exchange import Inbound

from ..support import CLAIRE_PASSWORD, Driver, activate_claire


class GatedHasher:
    """A real hasher whose verification waits until the test opens the gate."""

    def __init__(self, inner) -> None:
        self.inner = inner
        self.entered = threading.Event()
        self.gate = threading.Event()

    def hash(self, secret: str) -> str:
        return self.inner.hash(secret)

    def verify(self, stored: str, secret: str) -> bool:
        self.entered.set()
        assert self.gate.wait(10), "the test never opened the gate"
        return self.inner.verify(stored, secret)


async def test_a_password_check_does_not_hold_up_other_chats(store, clock, hasher):
    await activate_claire(Driver(Engine(store, hasher, clock), "setup"), store)
    gated = GatedHasher(hasher)
    engine = Engine(store, gated, clock)
    claire, other = Driver(engine, "claire"), Driver(engine, "other")
    await claire.open()
    await claire.press("J'ai un compte")
    await claire.send("c.martin1")
    login = asyncio.create_task(claire.send(CLAIRE_PASSWORD))
    await asyncio.to_thread(gated.entered.wait, 10)  # Claire's check is running in a thread
    assert not login.done()
    reply = await other.open()  # another family is answered meanwhile
    await other.press("Je n'ai pas de compte")
    assert "Je suis représentant légal" in other.labels and reply.text
    gated.gate.set()
    await login
    assert "Bienvenue Claire Martin" in claire.text
    assert engine.slow_events == 1


async def test_events_of_one_chat_are_handled_in_order(store, clock, hasher):
    await activate_claire(Driver(Engine(store, hasher, clock), "setup"), store)
    gated = GatedHasher(hasher)
    engine = Engine(store, gated, clock)
    claire = Driver(engine, "claire")
    await claire.open()
    await claire.press("J'ai un compte")
    await claire.send("c.martin1")
    first = asyncio.create_task(engine.handle(Inbound("test", "claire", text=CLAIRE_PASSWORD)))
    await asyncio.to_thread(gated.entered.wait, 10)
    second = asyncio.create_task(engine.handle(Inbound("test", "claire", text="Orientation")))
    await asyncio.sleep(0.05)
    assert not second.done()  # waits for the first event of the same chat
    gated.gate.set()
    (after_login,), (after_menu,) = await asyncio.gather(first, second)
    assert "Bienvenue Claire Martin" in after_login.text
    assert "SERVICE EN LIGNE ORIENTATION — Lucas Martin" in after_menu.text


def test_production_hashing_is_argon2id_with_the_library_defaults():
    hasher = Argon2Hasher()
    defaults = PasswordHasher()
    assert hasher.parameters == {"time_cost": defaults.time_cost,
                                 "memory_cost": defaults.memory_cost,
                                 "parallelism": defaults.parallelism}
    stored = hasher.hash("TresSolide-2026!")
    assert stored.startswith("$argon2id$") and "TresSolide" not in stored
    assert hasher.verify(stored, "TresSolide-2026!")
    assert not hasher.verify(stored, "TresSolide-2026?")
    assert not hasher.verify("", "x") and not hasher.verify("not a hash", "x")
    assert hasher.hash("same") != hasher.hash("same")  # salted


async def test_effects_queued_within_the_event_commit_with_it_or_not_at_all(engine, store):
    """A channel queuing its replies with `within` gets them in the event's transaction: when
    queuing fails, the event's state change is rolled back too."""
    from flows.rules.model import OutMessage

    def queue(replies):
        for reply in replies:
            store.enqueue(OutMessage("sms", "+33600000000", reply.text,
                                     dedupe_key="reply:1"), engine.clock())

    replies = await engine.handle(Inbound("test", "a", text="/start", message_id="1"), within=queue)
    assert [row["body"] for row in store.outbox()] == [replies[0].text]
    state = store.conversation("test", "a").state

    def broken(replies):
        raise OSError("disk full")

    await engine.handle(Inbound("test", "a", choice=replies[0].buttons[0][0].data,
                                message_id="2"), within=broken)
    assert store.conversation("test", "a").state == state  # the press was rolled back
    assert len(store.outbox()) == 1 and engine.internal_errors == 1


async def test_one_key_s_holders_run_in_arrival_order_and_other_keys_alongside():
    from flows.ordering import KeyedLock
    locks, order = KeyedLock(), []
    release = asyncio.Event()

    async def hold(key: str, name: str, wait: bool = False) -> None:
        async with locks.hold(key):
            order.append(f"{name} in")
            if wait:
                await release.wait()
            order.append(f"{name} out")

    first = asyncio.create_task(hold("a", "a1", wait=True))
    rest = [asyncio.create_task(hold("a", "a2")), asyncio.create_task(hold("b", "b1"))]
    await asyncio.sleep(0)
    assert order == ["a1 in", "b1 in", "b1 out"] and len(locks) == 1  # "b" ran; "a2" waits
    release.set()
    await asyncio.gather(first, *rest)
    assert order[3:] == ["a1 out", "a2 in", "a2 out"] and len(locks) == 0  # keys not kept
