"""Every screen of every dialogue, rendered for SMS, fits: each SMS in 2 segments of the GSM alphabet.

The states are those `tests/states.py` reaches (one scripted path per state of the dialogue, so a
state added later is checked as soon as it has its path). For each, the screen the state shows is
rendered as the SMS channel sends it; most fit in one SMS, and the few that hold a family's whole
file (the recap after validation, the council's opinion) in two. Every answer met on the way
(notices above a screen included, in the wording the scenarios' chats got) is checked too: spelled
in the GSM alphabet and split as the SMS channel splits.
"""

from __future__ import annotations

import pytest

from bot.channels.sms.render import render
from bot.channels.sms.segments import count
from flows.dialogue.machine import SCREENS
from flows.texts import SMS_PROFILE

from ..states import SCENARIOS, World, reach

MAX_SMS_PER_SCREEN = 2


def check(texts: list[str], where: str) -> None:
    assert texts, where
    for text in texts:
        measured = count(text)
        assert measured.segments <= 2, f"{where}: {measured.segments} segments\n{text}"
        assert measured.encoding == "GSM-7", f"{where}: UCS-2 because of {text!r}"


def test_every_state_has_a_path():
    assert set(SCENARIOS) >= set(SCREENS), sorted(set(SCREENS) - set(SCENARIOS))


@pytest.mark.parametrize("state", sorted(SCENARIOS))
async def test_every_screen_fits_in_two_segments(tmp_path, state):
    world = World(tmp_path)
    try:
        case = SCENARIOS[state]
        driver = await reach(world, case)
        screen = (await world.engine.show("test", case.chat, profile=SMS_PROFILE))[0]
        texts = render(screen)
        check(texts, state)
        assert len(texts) <= MAX_SMS_PER_SCREEN, texts
        if screen.buttons:
            assert texts[-1].splitlines()[-1].startswith(("Répondez 1", f"{len(screen.flat_buttons)} "))
        for chat in world.chats.values():
            for reply in chat.replies:
                check(render(reply, takes_text=False), f"an answer on the way to {state}")
        assert driver.replies
    finally:
        world.close()
