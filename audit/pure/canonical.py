"""RFC 8785 (JCS) canonical JSON: the exact bytes that are hashed, signed and verified.

The audit log hashes these bytes, so two implementations (ours and an auditor's) must produce the
same bytes for the same event. ``to_jsonable`` turns the Python values services hand us (dates,
decimals, UUIDs) into plain JSON first.
"""

from __future__ import annotations

import datetime as dt
import decimal
import uuid
from collections.abc import Mapping, Sequence
from typing import Any


def to_jsonable(value: Any) -> Any:
    """Plain JSON types only; datetimes become RFC 3339 UTC strings with microseconds."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise ValueError("NaN and infinity cannot be represented in canonical JSON")
        return value
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            raise ValueError("naive datetime in audit payload")
        return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, Mapping):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, Sequence | set | frozenset) and not isinstance(value, bytes | bytearray):
        items = sorted(value) if isinstance(value, set | frozenset) else value
        return [to_jsonable(v) for v in items]
    raise TypeError(f"cannot put {type(value).__name__} into canonical JSON")


def canonical_bytes(value: Any) -> bytes:
    """The RFC 8785 serialisation of ``value`` (after ``to_jsonable``)."""
    import rfc8785  # here, not at the top: verifiers (govctl) import this module but never sign

    return rfc8785.dumps(to_jsonable(value))
