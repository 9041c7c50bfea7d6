"""Validating with, and pruning to, our MCT v0.0.2 schema (:mod:`.card_schema`).

The schema is Python data in the package, so there is nothing to load: validators are built once
per process (validation runs on every card write and import) and the pruning/unknown-field walks
read the same tree. Messages are rewritten to stay short and say what to fix, with dotted paths
such as ``model_details.licenses[0]`` that the API turns into field-level errors.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import re
from collections.abc import Iterator, Mapping
from typing import Any

from jsonschema import Draft7Validator, FormatChecker
from jsonschema.exceptions import ValidationError

from governance.inventory.modelcards.card_schema import MCT_DOCUMENT_SCHEMA, section_schema
from governance.inventory.modelcards.errors import CardIssue, format_path

_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)
_URI_RE = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:[^\s\x00-\x1f\x7f]*")


def _is_date(value: object) -> bool:
    if not isinstance(value, str):
        return True
    if not _DATE_RE.fullmatch(value):
        return False
    try:
        dt.date.fromisoformat(value)
    except ValueError:
        return False
    return True


def _is_uri(value: object) -> bool:
    return not isinstance(value, str) or bool(_URI_RE.fullmatch(value))


def _format_checker() -> FormatChecker:
    """Checks the two formats the schema uses, without optional packages.

    jsonschema's own ``uri`` check silently passes when ``rfc3987`` is not installed, which would make
    validation depend on the environment. Here ``date`` is an RFC 3339 full-date and ``uri`` an
    absolute URI (scheme, no whitespace or control characters), the same everywhere.
    """
    checker = FormatChecker(formats=())
    checker.checks("date")(_is_date)
    checker.checks("uri")(_is_uri)
    return checker


FORMAT_CHECKER = _format_checker()


@functools.cache
def _validator(section: str | None) -> Draft7Validator:
    """A validator for the whole document (``section=None``) or for one section's sub-schema."""
    schema = MCT_DOCUMENT_SCHEMA if section is None else section_schema(section)
    return Draft7Validator(schema, format_checker=FORMAT_CHECKER)


def section_validator(section: str) -> Draft7Validator:
    return _validator(section)


def document_validator() -> Draft7Validator:
    return _validator(None)


def issues_from(
    validator: Draft7Validator, instance: object, prefix: tuple[str | int, ...] = ()
) -> list[CardIssue]:
    """All schema violations as issues, ordered by where they occur in the document."""
    errors = sorted(validator.iter_errors(instance), key=lambda e: _sort_key(prefix + tuple(e.absolute_path)))
    return [CardIssue(format_path(prefix + tuple(e.absolute_path)), _message(e)) for e in errors]


def _sort_key(parts: tuple[str | int, ...]) -> tuple[tuple[int, int, str], ...]:
    return tuple((0, p, "") if isinstance(p, int) else (1, 0, p) for p in parts)


def _describe(value: object) -> str:
    text = json.dumps(value, ensure_ascii=False, default=repr)
    return text if len(text) <= 60 else text[:57] + "..."


def _json_type(value: object) -> str:
    for py, name in (
        (bool, "boolean"),
        (str, "string"),
        (int, "integer"),
        (float, "number"),
        (list, "array"),
    ):
        if isinstance(value, py):
            return name
    return "object" if isinstance(value, dict) else "null" if value is None else type(value).__name__


def _message(error: ValidationError) -> str:
    """jsonschema's messages embed the whole offending value; these stay short and say what to do."""
    kind, expected = error.validator, error.validator_value
    if kind == "type":
        return f"Expected {expected}, got {_json_type(error.instance)}."
    if kind == "format":
        return f"{_describe(error.instance)} is not a valid {expected}."
    if kind == "oneOf" and all(isinstance(s, dict) and set(s) == {"required"} for s in expected):
        names = " or ".join(repr(r) for s in expected for r in s["required"])
        return f"Give exactly one of {names}."
    message = str(error.message)
    if kind == "additionalProperties":
        return message.replace("Additional properties are not allowed", "Unknown field(s) not allowed")
    return message if len(message) <= 200 else message[:197] + "..."


def is_empty(value: object) -> bool:
    """MCT (protobuf-backed) treats empty strings, lists and objects as "not set"."""
    return value is None or (isinstance(value, (str, list, dict)) and not value)


def prune(value: Any, node: Mapping[str, Any]) -> Any:
    """Keep only what the schema describes and drop empty values, so equal cards compare equal.

    Values of the wrong type are kept as they are: pruning must never hide a validation error.
    """
    if isinstance(value, dict) and "properties" in node:
        props = node["properties"]
        kept = {k: prune(v, props[k]) for k, v in value.items() if k in props}
        return {k: v for k, v in kept.items() if not is_empty(v)}
    if isinstance(value, list) and "items" in node:
        return [item for item in (prune(v, node["items"]) for v in value) if not is_empty(item)]
    return value


def unknown_fields(value: Any, node: Mapping[str, Any], path: tuple[str | int, ...]) -> Iterator[CardIssue]:
    """Fields the schema does not describe. The schema allows them, but export would drop them, so a
    stored card reports them (usually typos such as ``licence``) instead of losing them silently."""
    if isinstance(value, dict) and "properties" in node:
        for key, child in value.items():
            if key in node["properties"]:
                yield from unknown_fields(child, node["properties"][key], (*path, key))
            else:
                yield CardIssue(format_path((*path, key)), "Unknown field; MCT v0.0.2 has no such property.")
    elif isinstance(value, list) and "items" in node:
        for i, child in enumerate(value):
            yield from unknown_fields(child, node["items"], (*path, i))
