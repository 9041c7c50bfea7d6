"""JSON parsing that refuses what ``json.load`` would silently accept or crash on.

* Pathological nesting raises RecursionError: a 400 instead of a 500.
* A key repeated in one object is kept by ``json.load`` with its last value, so
  ``{"team": "clinical-ml", "team": "credit-risk"}`` would file a model under whichever team a
  proxy or a log reader did *not* see: a 422 naming the key instead (RFC 8259 leaves duplicate
  names undefined; RFC 7493 I-JSON forbids them).
"""

from __future__ import annotations

import codecs
import json
from typing import Any

from django.conf import settings
from rest_framework import serializers
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser
from rest_framework.settings import api_settings


class DuplicateKeyError(ValueError):
    """A JSON object names the same key twice."""

    def __init__(self, key: str) -> None:
        super().__init__(f"Duplicate key {key!r}.")
        self.key = key


def _object_without_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise DuplicateKeyError(key)
        result[key] = value
    return result


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON.")


def loads_strict(text: str | bytes) -> Any:
    """``json.loads`` without duplicate keys or NaN/Infinity; raises DuplicateKeyError or ValueError."""
    return json.loads(text, object_pairs_hook=_object_without_duplicates, parse_constant=_reject_constant)


class SafeJSONParser(JSONParser):
    """DRF's JSON parser, refusing duplicate keys (422) and nesting too deep to parse (400)."""

    def parse(self, stream: Any, media_type: Any = None, parser_context: Any = None) -> Any:
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            decoded = codecs.getreader(encoding)(stream)
            return json.load(
                decoded,
                object_pairs_hook=_object_without_duplicates,
                parse_constant=_reject_constant if api_settings.STRICT_JSON else None,
            )
        except DuplicateKeyError as exc:
            key = _printable(exc.key)
            message = f"Duplicate key {key!r}: each key may appear once per object."
            raise serializers.ValidationError({key: [message]}, code="duplicate_key") from None
        except RecursionError:
            raise ParseError("JSON nested too deeply.") from None
        except ValueError as exc:
            raise ParseError(f"JSON parse error - {exc}") from None


def _printable(key: str) -> str:
    """A key as it can appear in an error's ``field`` (itself JSON text, so no lone surrogates)."""
    return key.encode("utf-8", "backslashreplace").decode("utf-8")
