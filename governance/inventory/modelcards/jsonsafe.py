"""Guards for untrusted card input: size limits and conversion to plain JSON values.

Cards are stored in JSON columns and hashed into the audit trail, so imported data must be plain
JSON. YAML front matter is the risky part: ``safe_load`` never runs tags, but it does produce dates,
sets, bytes and non-finite floats, and aliases let a small file describe a huge (even cyclic) tree
("billion laughs"). :func:`to_json_value` walks the loaded data with budgets derived from the input
size, so expanding aliases can never cost more than a plain document of the allowed size.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any

from governance.inventory.modelcards.errors import MAX_INPUT_BYTES, CardFormatError, CardIssue, format_path

MAX_DEPTH = 64


def check_size(text: str | bytes, what: str, max_bytes: int = MAX_INPUT_BYTES) -> None:
    """Reject oversized input before any parsing work is spent on it."""
    size = len(text) if isinstance(text, bytes) else len(text.encode("utf-8", "surrogatepass"))
    if size > max_bytes:
        raise CardFormatError(f"{what} is {size} bytes; the limit is {max_bytes} bytes.")


@dataclass
class _Budget:
    """Without aliases a document of N bytes has fewer than N/2 values and at most N characters of
    text; a tree that expands beyond that can only come from aliases and is refused."""

    nodes: int
    chars: int

    def spend(self, nodes: int, chars: int, path: tuple[str | int, ...]) -> None:
        self.nodes -= nodes
        self.chars -= chars
        if self.nodes < 0 or self.chars < 0:
            where = format_path(path) or "the document"
            raise CardFormatError(
                [
                    CardIssue(
                        format_path(path), f"Data expands far beyond its size at {where} (YAML alias bomb?)."
                    )
                ]
            )


def to_json_value(value: Any, *, max_bytes: int = MAX_INPUT_BYTES) -> Any:
    """A deep copy of ``value`` made of dict/list/str/int/float/bool/None only.

    Dates and datetimes become ISO 8601 strings (YAML turns ``2024-05-01`` into a date, but a card
    means the text); everything else that JSON cannot hold is rejected with its path, because
    guessing a conversion would store something the author did not write.
    """
    return _convert(value, (), _Budget(nodes=max_bytes // 2 + 16, chars=max_bytes))


def _convert(value: Any, path: tuple[str | int, ...], budget: _Budget) -> Any:
    if len(path) > MAX_DEPTH:
        # Named by its top-level key: the full path of a cyclic alias is just a wall of [0]s.
        raise CardFormatError([CardIssue(format_path(path[:1]), f"Nested deeper than {MAX_DEPTH} levels.")])
    if isinstance(value, str):
        budget.spend(1, len(value), path)
        return value
    budget.spend(1, 0, path)
    if value is None or isinstance(value, (bool, int)):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise CardFormatError([CardIssue(format_path(path), f"{value} is not a JSON number.")])
        return value
    if isinstance(value, (dt.date, dt.datetime)):  # datetime is a date subclass; isoformat fits both
        return value.isoformat()
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise CardFormatError([CardIssue(format_path(path), f"Keys must be strings, got {key!r}.")])
            budget.spend(0, len(key), path)
            out[key] = _convert(item, (*path, key), budget)
        return out
    if isinstance(value, list):
        return [_convert(item, (*path, i), budget) for i, item in enumerate(value)]
    raise CardFormatError(
        [
            CardIssue(
                format_path(path), f"Values of type {type(value).__name__} are not allowed in a model card."
            )
        ]
    )
