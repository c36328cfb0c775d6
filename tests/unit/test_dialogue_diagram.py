"""The committed picture of the dialogue (docs/dialogue.mmd) is what its script draws from the table now."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from types import ModuleType

from flows.dialogue.machine import SCREENS, TRIGGERS

ROOT = Path(__file__).resolve().parents[2]


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("dialogue_diagram",
                                                  ROOT / "scripts" / "dialogue_diagram.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_committed_diagram_is_current():
    committed = (ROOT / "docs" / "dialogue.mmd").read_text(encoding="utf-8")
    assert committed == _script().render(), "run: python scripts/dialogue_diagram.py"


def test_every_state_and_trigger_is_drawn():
    arrows = re.findall(r"^    (\w+) --> (\w+): (.*)$", _script().render(), re.MULTILINE)
    drawn_states = {state for source, dest, _ in arrows for state in (source, dest)}
    assert set(SCREENS) <= drawn_states
    drawn_triggers = {item.split()[0] for *_, labels in arrows for item in labels.split(", ")}
    assert set().union(*TRIGGERS.values()) == drawn_triggers
