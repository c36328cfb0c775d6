"""Guards on the project's shape: texts only from the catalogue, and dependencies pointing inwards."""

from __future__ import annotations

import ast
import re
import string
import unicodedata
from pathlib import Path

import pytest

from flows.rules.calendar import WINDOW_ORDER
from flows.rules.model import Avis, Voie
from flows.texts import catalogue

ROOT = Path(__file__).resolve().parents[2]
FLOWS = sorted((ROOT / "flows").rglob("*.py"))
KEY_CALLS = re.compile(
    r"""\b(?:t|notice|say|has|DomainError)\(\s*["']([a-z_]+\.[a-z_.0-9]+|[a-z_]+)["']"""
    r"""|_b\(\s*(?:ctx,\s*)?"[^"]*",\s*"([a-z_.]+)\"""")


def referenced_keys() -> set[str]:
    keys = set()
    for path in FLOWS + sorted((ROOT / "bot").rglob("*.py")):
        for match in KEY_CALLS.finditer(path.read_text(encoding="utf-8")):
            keys.add(match.group(1) or match.group(2))
    keys |= {f"voie.{v.value}" for v in Voie} | {f"avis.{a.value}" for a in Avis}
    keys |= {f"calendar.{k}" for k in WINDOW_ORDER}
    keys |= {f"phase.{kind}.{k}" for kind in ("open", "before") for k in WINDOW_ORDER}
    return keys


def test_every_referenced_message_exists():
    missing = sorted(referenced_keys() - set(catalogue()))
    assert missing == []


@pytest.mark.parametrize("key", sorted(catalogue()))
def test_every_message_formats(key):
    text = catalogue()[key]
    fields = {name for _, name, _, _ in string.Formatter().parse(text) if name}
    assert text.format(**dict.fromkeys(fields, "X"))
    assert text == text.strip(), "no stray spaces around a message"


def test_a_state_without_its_own_help_has_the_generic_one():
    # Every state's screen is looked up when the machine is built (an import error otherwise);
    # what can be missing is the help shown where a state has none of its own.
    assert "help.generic" in catalogue()


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("path", FLOWS, ids=lambda p: str(p.relative_to(ROOT)))
def test_flows_has_no_io_no_channel_no_sql(path):
    forbidden = {"storage", "bot", "sqlite3", "sqlite_utils", "httpx", "telegram", "socket",
                 "subprocess", "argon2", "os"}
    assert _imports(path) & forbidden == set()


@pytest.mark.parametrize("path", sorted((ROOT / "storage").rglob("*.py")),
                         ids=lambda p: str(p.relative_to(ROOT)))
def test_storage_does_not_reach_into_the_channels(path):
    assert "bot" not in _imports(path)


def _has_french_letters(text: str) -> bool:
    return any(ord(c) > 127 and unicodedata.category(c).startswith("L") for c in text)


@pytest.mark.parametrize("path", FLOWS, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_family_text_inline_in_the_rule_core(path):
    """Accented words in a string literal of flows/ would be a text outside the catalogue."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                  if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef |
                                ast.AsyncFunctionDef)
                  and node.body and isinstance(node.body[0], ast.Expr)}
    inline = [node.value for node in ast.walk(tree)
              if isinstance(node, ast.Constant) and isinstance(node.value, str)
              and id(node) not in docstrings and _has_french_letters(node.value)]
    assert inline == []


# ---- texts by key, profile, language and count ---------------------------------------------------

def test_a_profile_tries_its_variant_first_then_the_message():
    from flows.texts import SMS_PROFILE, Texts, t
    sms = Texts(profile=SMS_PROFILE)
    assert sms("who") == t("sms.who") != t("who")
    assert sms("act.prenom") == t("act.prenom")  # no variant: the message itself
    assert Texts()("who") == t("who")
    assert sms.alternatives(t("sms.btn.back_home")) == {t("sms.btn.back_home"), t("btn.back_home")}
    assert sms.alternatives(t("btn.back_home")) == {t("sms.btn.back_home"), t("btn.back_home")}


def test_every_language_falls_back_to_french_until_it_has_a_catalogue():
    from flows.texts import Texts, language_of, t
    assert [language_of(code) for code in ("fr", "fr-CA", "en", "pt_BR", None, "")] == ["fr"] * 6
    assert Texts(language_of("en"))("who") == t("who")


def test_counted_messages_take_the_plural_form_of_their_count():
    from flows.texts import t
    assert t("code.wait", seconds=1).endswith("dans 1 seconde.")
    assert t("code.wait", seconds=45).endswith("dans 45 secondes.")
    assert t("sms.code.wait", seconds=1).endswith("dans 1 seconde.")
    assert catalogue()["code.wait"].endswith("{seconds} secondes.")


CHANNEL_MODULES = sorted((ROOT / "bot" / "channels").rglob("*.py"))


@pytest.mark.parametrize("path", CHANNEL_MODULES, ids=lambda p: str(p.relative_to(ROOT)))
def test_channels_see_only_the_engine_s_boundary(path):
    """A channel translates its wire format to an `Inbound` and a `Reply` back: it does not reach
    into the dialogues, the session policies or a conversation's data."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    modules = {node.module for node in ast.walk(tree)
               if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module}
    inside = {m for m in modules if m.startswith(("flows.dialogue", "flows.sessions"))}
    private = [node.attr for node in ast.walk(tree) if isinstance(node, ast.Attribute)
               and node.attr in {"data", "conversation", "_locks", "end_idle_sessions"}
               and not (isinstance(node.value, ast.Name) and node.value.id in {"b", "button"})]
    assert inside == set() and private == []
