"""How typed texts compare: names, month names and option words are folded the same way."""

from __future__ import annotations

import re
import unicodedata


def fold(text: str) -> str:
    """Lower case, no accents, hyphens and apostrophes as spaces, single spaces: names compare so."""
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    bare = re.sub(r"[-'’_.]", " ", bare.casefold())
    return " ".join(bare.split())
