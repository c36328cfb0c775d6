"""Extract the Bot API facts the Telegram channel relies on into ``tests/botapi/facts.json``.

The machine-readable Bot API reference lives outside the project (``../shared/telegram-bot-api/api.json``,
relative to the project root) and must not be copied into it: it carries the whole documentation. This
script keeps only facts, for the methods the bot calls and every type their fields reference
transitively:

* field names, accepted types (``["Integer", "String"]``, ``"Array of BotCommand"``...) and required flags;
* conditional requirements stated as "Required if X is not specified" (``required_unless``);
* the discriminator value of union members (``BotCommandScopeChat.type`` is ``"chat"``);
* documented enumerations ("Must be one of ...", "Currently, can be ...");
* the documented limits (lengths in characters or bytes, value ranges, item counts, character sets).

No description text is written. Re-run it when the Bot API changes::

    python scripts/extract_botapi.py [--spec PATH] [--out PATH]

It fails (exit status 1) if a limit the bot relies on can no longer be found in the descriptions.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SPEC = PROJECT_ROOT / "../shared/telegram-bot-api/api.json"
DEFAULT_OUT = PROJECT_ROOT / "tests/botapi/facts.json"

# The Bot API methods the Telegram channel calls (directly or through python-telegram-bot).
METHODS = (
    "getMe",
    "getUpdates",
    "sendMessage",
    "editMessageText",
    "editMessageReplyMarkup",
    "answerCallbackQuery",
    "deleteMessage",
    "setMyCommands",
    "deleteMyCommands",
    "getMyCommands",
    "setWebhook",
    "deleteWebhook",
    "getWebhookInfo",
    "logOut",
    "close",
)

# Answer types kept as well (own fields only), so that the test double's answers can be checked.
EXTRA_TYPES = ("User", "WebhookInfo")

# Limits the bot relies on: the extraction must find each of them, with these values.
REQUIRED_LIMITS: dict[str, dict[str, Any]] = {
    "sendMessage.text": {"min": 1, "max": 4096, "unit": "characters"},
    "editMessageText.text": {"min": 1, "max": 4096, "unit": "characters"},
    "InlineKeyboardButton.callback_data": {"min": 1, "max": 64, "unit": "bytes"},
    "answerCallbackQuery.text": {"min": 0, "max": 200, "unit": "characters"},
    "BotCommand.command": {"min": 1, "max": 32, "unit": "characters", "pattern": "^[a-z0-9_]*$"},
    "BotCommand.description": {"min": 1, "max": 256, "unit": "characters"},
    "setWebhook.secret_token": {"min": 1, "max": 256, "unit": "characters", "pattern": "^[A-Za-z0-9_-]*$"},
    "setMyCommands.commands": {"max_items": 100},
}

LENGTH_RE = re.compile(r"\b(\d+)-(\d+) (characters|bytes)\b")
VALUES_RE = re.compile(r"Values between (\d+)-(\d+) are accepted")
VALUE_RANGE_RE = re.compile(r", (\d+)-(\d+)\. Defaults to")
AT_MOST_RE = re.compile(r"At most (\d+) \w+ can be specified")
ONLY_CHARACTERS_RE = re.compile(r"Only characters (.+?) are allowed")
REQUIRED_IF_RE = re.compile(r"[Rr]equired if (.+?) (?:is|are)(?: not|n't) specified")
DISCRIMINATOR_RE = re.compile(r", must be ([a-z_]+)$")
ONE_OF_RE = re.compile(r"(?:Must be one of|Currently, can be|can be one of) (.+?)(?:\.(?:\s|$)|$)")
QUOTED_RE = re.compile(r"\"([^\"]+)\"|“([^”]+)”")

# Character-set sentences whose wording is not a list of ranges.
CHARSET_PHRASES = {
    "Can contain only lowercase English letters, digits and underscores": "^[a-z0-9_]*$",
}


def base_type(type_name: str) -> str:
    """``"Array of Array of KeyboardButton"`` -> ``"KeyboardButton"``."""
    while type_name.startswith("Array of "):
        type_name = type_name[len("Array of ") :]
    return type_name


def charset_pattern(description: str) -> str | None:
    """A regular expression for a documented character set, or None when none is documented."""
    for phrase, pattern in CHARSET_PHRASES.items():
        if phrase in description:
            return pattern
    match = ONLY_CHARACTERS_RE.search(description)
    if not match:
        return None
    parts = re.split(r", | and ", match.group(1))
    pieces = []
    for part in parts:
        part = part.strip()
        if re.fullmatch(r"[A-Za-z0-9]-[A-Za-z0-9]", part):
            pieces.append(part)
        elif len(part) == 1:
            pieces.append("\\-" if part == "-" else re.escape(part))
        else:
            raise ValueError(f"unexpected character set item {part!r} in {match.group(0)!r}")
    # Keep a literal hyphen last, as is customary in a character class.
    pieces.sort(key=lambda piece: piece == "\\-")
    body = "".join(piece if piece != "\\-" else "-" for piece in pieces)
    return f"^[{body}]*$"


def field_limit(description: str) -> dict[str, Any] | None:
    """The documented limits of one field, from its description."""
    limit: dict[str, Any] = {}
    match = LENGTH_RE.search(description)
    if match:
        limit.update(min=int(match.group(1)), max=int(match.group(2)), unit=match.group(3))
        if re.search(r"after entit(?:y|ies) parsing", description):
            limit["after_entities_parsing"] = True
    for regex in (VALUES_RE, VALUE_RANGE_RE):
        match = regex.search(description)
        if match:
            limit.update(min_value=int(match.group(1)), max_value=int(match.group(2)))
    match = AT_MOST_RE.search(description)
    if match:
        limit["max_items"] = int(match.group(1))
    pattern = charset_pattern(description)
    if pattern:
        limit["pattern"] = pattern
    return limit or None


def one_of(description: str) -> list[str] | None:
    """Documented enumerations such as 'Must be one of "danger" (red), "success" (green)...'."""
    match = ONE_OF_RE.search(description)
    if not match:
        return None
    values = [a or b for a, b in QUOTED_RE.findall(match.group(1))]
    return values or None


def field_facts(fields: list[dict[str, Any]], *, owner_is_union_member: bool) -> dict[str, Any]:
    """Facts of a list of fields, keyed by field name, in the documented order."""
    names = {field["name"] for field in fields}
    facts: dict[str, Any] = {}
    for field in fields:
        description = field.get("description", "")
        entry: dict[str, Any] = {"types": list(field["types"]), "required": bool(field["required"])}
        match = REQUIRED_IF_RE.search(description)
        if match and not field["required"]:
            others = [name for name in re.findall(r"[a-z_]+", match.group(1)) if name in names]
            if others:
                entry["required_unless"] = others
        if owner_is_union_member and field["name"] == "type":
            match = DISCRIMINATOR_RE.search(description)
            if match:
                entry["const"] = match.group(1)
        values = one_of(description)
        if values:
            entry["one_of"] = values
        facts[field["name"]] = entry
    return facts


def referenced_types(spec: dict[str, Any]) -> list[str]:
    """Every type referenced, transitively, by the methods' fields, plus the extra answer types."""
    types = spec["types"]
    todo: list[str] = []
    for method in METHODS:
        for field in spec["methods"][method].get("fields", []):
            todo.extend(base_type(t) for t in field["types"])
    seen: set[str] = set()
    while todo:
        name = todo.pop()
        if name in seen or name not in types:
            continue
        seen.add(name)
        entry = types[name]
        todo.extend(entry.get("subtypes", []))
        for field in entry.get("fields", []):
            todo.extend(base_type(t) for t in field["types"])
    seen.update(name for name in EXTRA_TYPES if name in types)
    return sorted(seen)


def type_facts(spec: dict[str, Any], name: str) -> dict[str, Any]:
    entry = spec["types"][name]
    facts: dict[str, Any] = {}
    if entry.get("subtypes"):
        facts["subtypes"] = list(entry["subtypes"])
    if entry.get("subtype_of"):
        facts["subtype_of"] = list(entry["subtype_of"])
    fields = entry.get("fields", [])
    facts["fields"] = field_facts(fields, owner_is_union_member=bool(entry.get("subtype_of")))
    type_description = " ".join(entry.get("description", []))
    match = re.search(r"Exactly one of the fields other than (.+?) must be used", type_description)
    if match:
        excluded = set(re.findall(r"[a-z_]+", match.group(1))) & {field["name"] for field in fields}
        facts["exactly_one_of"] = [field["name"] for field in fields if field["name"] not in excluded]
    return facts


def extract(spec: dict[str, Any]) -> dict[str, Any]:
    """The facts-only extract of ``spec`` (the parsed api.json)."""
    missing = [method for method in METHODS if method not in spec["methods"]]
    if missing:
        raise SystemExit(f"error: methods missing from the Bot API reference: {', '.join(missing)}")
    type_names = referenced_types(spec)

    methods: dict[str, Any] = {}
    limits: dict[str, Any] = {}
    for method in METHODS:
        entry = spec["methods"][method]
        fields = entry.get("fields", [])
        methods[method] = {
            "returns": list(entry.get("returns", [])),
            "fields": field_facts(fields, owner_is_union_member=False),
        }
        for field in fields:
            limit = field_limit(field.get("description", ""))
            if limit:
                limits[f"{method}.{field['name']}"] = limit

    types: dict[str, Any] = {}
    for name in type_names:
        types[name] = type_facts(spec, name)
        if name in EXTRA_TYPES:
            continue  # answer types: no limits needed
        for field in spec["types"][name].get("fields", []):
            limit = field_limit(field.get("description", ""))
            if limit:
                limits[f"{name}.{field['name']}"] = limit

    problems = []
    for key, expected in REQUIRED_LIMITS.items():
        found = limits.get(key, {})
        for item, value in expected.items():
            if found.get(item) != value:
                problems.append(f"{key}: expected {item}={value!r}, found {found.get(item)!r}")
    if problems:
        raise SystemExit("error: documented limits changed or not found:\n  " + "\n  ".join(problems))

    update_fields = [field["name"] for field in spec["types"]["Update"]["fields"]]
    return {
        "comment": (
            "Facts extracted from the Telegram Bot API reference by scripts/extract_botapi.py; "
            "do not edit by hand."
        ),
        "version": spec.get("version"),
        "release_date": spec.get("release_date"),
        "methods": methods,
        "types": types,
        "update_types": [name for name in update_fields if name != "update_id"],
        "limits": dict(sorted(limits.items())),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spec", type=Path, default=DEFAULT_SPEC, help="the Bot API reference (api.json)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="where to write the facts")
    args = parser.parse_args(argv)
    try:
        spec = json.loads(args.spec.read_text(encoding="utf-8"))
    except OSError as exc:
        print(f"error: cannot read the Bot API reference: {exc}", file=sys.stderr)
        return 1
    facts = extract(spec)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(facts, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(
        f"{facts['version']}: {len(facts['methods'])} methods, {len(facts['types'])} types, "
        f"{len(facts['limits'])} limits -> {args.out}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
