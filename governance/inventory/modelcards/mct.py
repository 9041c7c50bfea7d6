"""Model Card Toolkit (MCT) v0.0.2 JSON export and import.

Export writes only schema fields, so the result always validates against the MCT v0.0.2 schema
(whose top level allows nothing else); factors, caveats and Hugging Face metadata have no MCT home
and are left out. Import validates first and reports every problem with its field path.
For any valid MCT document ``x``: ``card_to_mct(card_from_mct(x)) == normalize_mct(x)``, which is
``x`` itself when ``x`` has no empty values or non-schema fields.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from governance.inventory.modelcards import schema as mct_schema
from governance.inventory.modelcards.document import (
    MCT_SECTIONS,
    SCHEMA_VERSION,
    CardDocument,
    normalize_card,
    require_valid,
    validate_mct_sections,
)
from governance.inventory.modelcards.errors import MAX_INPUT_BYTES, CardFormatError, CardIssue
from governance.inventory.modelcards.jsonsafe import check_size, to_json_value

__all__ = ["CardFormatError", "card_from_mct", "card_from_mct_json", "card_to_mct", "normalize_mct"]


def card_to_mct(doc: Mapping[str, Any]) -> dict[str, Any]:
    """The card as MCT v0.0.2 JSON: schema fields only, empty values and sections dropped.

    Raises :class:`CardFormatError` rather than return JSON that would not validate.
    """
    normalized = normalize_card(doc)
    out: dict[str, Any] = {"schema_version": SCHEMA_VERSION}
    out.update({s: normalized[s] for s in MCT_SECTIONS if s in normalized})  # type: ignore[literal-required]
    issues = validate_mct_sections(out)
    if issues:
        raise CardFormatError(issues)
    return out


def normalize_mct(data: Mapping[str, Any]) -> dict[str, Any]:
    """The canonical form of an MCT document (what a round trip through a card returns)."""
    return card_to_mct(data)


def card_from_mct(data: object, *, max_bytes: int = MAX_INPUT_BYTES) -> CardDocument:
    """A card from an MCT JSON object (already decoded).

    The whole object is validated against the MCT schema first, so unknown top-level keys, wrong
    types, bad dates/URIs and licenses with neither ``identifier`` nor ``custom_text`` are reported
    together, each with its path. ``schema_version`` may be omitted, otherwise it must be 0.0.2.
    """
    if not isinstance(data, dict):
        raise CardFormatError("MCT content must be a JSON object.")
    try:
        encoded = json.dumps(data, ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise CardFormatError(f"MCT content is not plain JSON: {exc}.") from exc
    except RecursionError as exc:
        raise CardFormatError("MCT content is nested too deeply.") from exc
    check_size(encoded, "MCT content", max_bytes)
    plain: dict[str, Any] = to_json_value(data, max_bytes=max_bytes)
    issues = mct_schema.issues_from(mct_schema.document_validator(), plain)
    version = plain.get("schema_version", SCHEMA_VERSION)
    if isinstance(version, str) and version != SCHEMA_VERSION:
        issues.insert(
            0, CardIssue("schema_version", f"Unsupported MCT schema version {version!r}; expected 0.0.2.")
        )
    if issues:
        raise CardFormatError(issues)
    return require_valid({s: plain[s] for s in MCT_SECTIONS if s in plain})


def card_from_mct_json(text: str | bytes, *, max_bytes: int = MAX_INPUT_BYTES) -> CardDocument:
    """A card from MCT JSON text (e.g. an uploaded ``model_card.json``). Size is checked before
    parsing; ``NaN``/``Infinity``, which Python's json accepts but JSON does not, are rejected."""
    check_size(text, "MCT content", max_bytes)

    def reject_constant(name: str) -> Any:
        raise CardFormatError(f"MCT content is not valid JSON: {name} is not a JSON value.")

    try:
        data = json.loads(text, parse_constant=reject_constant)
    except json.JSONDecodeError as exc:
        raise CardFormatError(f"MCT content is not valid JSON: {exc}.") from exc
    except (RecursionError, UnicodeDecodeError) as exc:
        raise CardFormatError(f"MCT content cannot be decoded: {type(exc).__name__}.") from exc
    return card_from_mct(data, max_bytes=max_bytes)
