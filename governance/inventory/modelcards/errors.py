"""Errors shared by the model-card interchange modules.

Every problem is reported as a :class:`CardIssue` with a dotted field path so the API layer can
turn it into a field-level error that points at the offending part of the submitted card, instead
of a single opaque "invalid card" message.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

#: Largest import accepted (README text or encoded MCT JSON). Cards are documents, not datasets:
#: anything bigger is a mistake or an attack, and parsing it would tie up a worker.
MAX_INPUT_BYTES = 1024 * 1024


@dataclass(frozen=True, slots=True)
class CardIssue:
    """One problem with a card: where it is (``model_details.licenses[0]``; empty for the whole
    document) and what is wrong, phrased for the person who submitted it."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


class CardFormatError(ValueError):
    """Input that cannot be turned into a valid card. ``issues`` lists every problem found so the
    client can fix them all in one go; ``str()`` summarises them."""

    def __init__(self, issues: Iterable[CardIssue] | str) -> None:
        self.issues: tuple[CardIssue, ...] = (
            (CardIssue("", issues),) if isinstance(issues, str) else tuple(issues)
        )
        super().__init__("; ".join(str(i) for i in self.issues) or "invalid model card")


def format_path(parts: Sequence[str | int]) -> str:
    """``("model_details", "licenses", 0)`` -> ``model_details.licenses[0]`` (the form the API uses)."""
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else part
    return out
