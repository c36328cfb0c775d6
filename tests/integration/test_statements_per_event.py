"""SQL statements per event for the screens families open most: each loads what it shows once.

The count covers the whole event (BEGIN IMMEDIATE, the de-duplication, the conversation, the
screen's reads, the saved conversation, COMMIT); it is a count, not a timing.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from flows.rules.model import Avis, Voie
from flows.school import results as council
from storage.statements import count_statements

from ..states import CLAIRE_PASSWORD, SCENARIOS, RecordingDriver, World, reach

MAX_STATEMENTS = 12


async def _open_home(world: World, d: RecordingDriver) -> Callable[[], Awaitable[object]]:
    await reach(world, SCENARIOS["menu"])
    return lambda: d.press("Orientation")


async def _open_editor(world: World, d: RecordingDriver) -> Callable[[], Awaitable[object]]:
    await reach(world, SCENARIOS["req_done"])
    return lambda: d.press("Modifier")


async def _open_opinion(world: World, d: RecordingDriver) -> Callable[[], Awaitable[object]]:
    await reach(world, SCENARIOS["req_done"])
    world.clock.advance(days=15)
    council.record(world.store, "E-LUCAS", [Avis.FAVORABLE, Avis.RESERVE], Voie.GT,
                   "Résultats fragiles en mathématiques.", world.clock())
    await d.send("/menu")
    await d.press("J'ai un compte")
    await d.send("c.martin1")
    await d.send(CLAIRE_PASSWORD)
    await d.press("Orientation")
    return lambda: d.press("Avis provisoire du conseil de classe")


OPENERS = {"home": _open_home, "req_edit": _open_editor, "opinion": _open_opinion}


async def statements_of(directory: Path, state: str) -> list[str]:
    """The statements of the event that opens `state`, Claire Martin's chat standing before it."""
    world = World(directory)
    try:
        event = await OPENERS[state](world, world.chat("claire"))
        with count_statements(world.store.conn) as count:
            await event()
        assert world.state_of("claire") == state
        return count.statements
    finally:
        world.close()


@pytest.mark.parametrize("state", sorted(OPENERS))
async def test_a_screen_costs_at_most_twelve_statements(tmp_path: Path, state: str) -> None:
    statements = await statements_of(tmp_path, state)
    assert len(statements) <= MAX_STATEMENTS, "\n".join(statements)
