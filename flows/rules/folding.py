"""How typed texts compare (names, month names and option words are folded the same way), and the
one way a free text becomes one clean line."""

from __future__ import annotations

import re
import unicodedata

from .errors import DomainError


def fold(text: str) -> str:
    """Lower case, no accents, hyphens and apostrophes as spaces, single spaces: names compare so."""
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    bare = re.sub(r"[-'’_.]", " ", bare.casefold())
    return " ".join(bare.split())


def one_line(text: str, refused: str) -> str:
    """`text` on one line with single spaces; a control or invisible character left inside raises
    DomainError(`refused`): families read these texts in their chat."""
    cleaned = " ".join(text.split())
    if any(unicodedata.category(c).startswith("C") for c in cleaned):
        raise DomainError(refused)
    return cleaned
