"""What a JSON value from a client may hold, so that storing and hashing it can never fail.

The audit log hashes RFC 8785 canonical JSON, which (like JavaScript) has exact integers only up to
2**53 - 1; PostgreSQL's jsonb refuses NUL characters; lone UTF-16 surrogates cannot be encoded as
UTF-8. A client that sends such values gets a 422 naming the field, instead of a 500 mid-write.
"""

from __future__ import annotations

import math
from typing import Any

MAX_SAFE_INTEGER = 2**53 - 1
MAX_DEPTH = 32


def json_problem(value: Any, path: str = "", depth: int = 0) -> tuple[str, str] | None:
    """The first ``(path, message)`` that makes ``value`` unsafe to store and hash, or None."""
    if depth > MAX_DEPTH:
        return path, f"Nested deeper than {MAX_DEPTH} levels."
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        if abs(value) > MAX_SAFE_INTEGER:
            return path, f"Integers must lie within ±{MAX_SAFE_INTEGER} (exact in JSON everywhere)."
        return None
    if isinstance(value, float):
        return None if math.isfinite(value) else (path, "Numbers must be finite.")
    if isinstance(value, str):
        return _text_problem(value, path)
    if isinstance(value, dict):
        for key, item in value.items():
            label = _printable(str(key))
            child = f"{path}.{label}" if path else label
            problem = _text_problem(str(key), child) or json_problem(item, child, depth + 1)
            if problem:
                return problem
        return None
    if isinstance(value, list | tuple):
        for index, item in enumerate(value):
            problem = json_problem(item, f"{path}[{index}]", depth + 1)
            if problem:
                return problem
        return None
    return None  # files and other parsed objects are checked by their own fields


def _text_problem(text: str, path: str) -> tuple[str, str] | None:
    if "\x00" in text:
        return path, "Text must not contain NUL characters."
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return path, "Text must be valid Unicode (no lone surrogates)."
    return None


def _printable(text: str) -> str:
    """A key as it can appear in an error message (which must itself be valid JSON text)."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8").replace("\x00", "\\x00")
