"""Hugging Face README (YAML front matter + Markdown) export and import.

Export writes what the Hub and ``huggingface_hub`` understand (``license``, ``datasets``,
``model-index``, plus the ``hf_metadata`` keys such as ``pipeline_tag``, ``language``, ``tags``) and a
Markdown body following the Hub's card template. Those standard keys cannot carry a whole card, so
the complete structured document also goes under one namespaced key, ``model_card_governance``
(unknown keys are kept by the Hub and by ``ModelCardData``). Import prefers that key, which makes
``card_from_huggingface(card_to_huggingface(doc)) == normalize_card(doc)``; READMEs written elsewhere
are mapped from the standard keys and the body's well-known sections instead.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from governance.inventory.modelcards import hfmeta
from governance.inventory.modelcards.document import (
    CARD_KEYS,
    HF_NAMESPACE_KEY,
    HF_RESERVED_KEYS,
    CardDocument,
    require_valid,
)
from governance.inventory.modelcards.errors import MAX_INPUT_BYTES, CardFormatError, CardIssue
from governance.inventory.modelcards.frontmatter import dump_front_matter, split_front_matter
from governance.inventory.modelcards.markdown import parse_body, render_body

__all__ = ["HF_NAMESPACE_KEY", "CardFormatError", "card_from_huggingface", "card_to_huggingface"]

#: Hub keys written first, in the order the Hub's own template uses.
_LEADING_KEYS = (
    "language",
    "license",
    "library_name",
    "base_model",
    "pipeline_tag",
    "tags",
    "datasets",
    "metrics",
)


def card_to_huggingface(doc: Mapping[str, Any]) -> str:
    """The card as a Hugging Face ``README.md``.

    Raises :class:`CardFormatError` if the document is invalid (including ``hf_metadata`` keys the
    export derives itself), rather than publish a card that would not import back.
    """
    card = require_valid(doc)
    hf_metadata: dict[str, Any] = dict(card.get("hf_metadata", {}))
    derived: dict[str, Any] = {
        "license": hfmeta.license_to_hf(card.get("model_details", {}).get("licenses")),
        "datasets": hfmeta.datasets_to_hf(card.get("model_parameters", {}).get("data")) or None,
    }
    metadata: dict[str, Any] = {}
    for key in _LEADING_KEYS:
        value = derived[key] if key in derived else hf_metadata.pop(key, None)
        if value is not None:
            metadata[key] = value
    metadata.update(hf_metadata)
    model_index = hfmeta.model_index_from_card(card, metadata.get("pipeline_tag"))
    if model_index:
        metadata["model-index"] = model_index
    # Last key, ending with its one-line schema_version: see dump_front_matter for why.
    structured = {k: v for k, v in card.items() if k not in ("hf_metadata", "schema_version")}
    metadata[HF_NAMESPACE_KEY] = {**structured, "schema_version": card["schema_version"]}
    return f"{dump_front_matter(metadata)}\n{render_body(card)}"


def card_from_huggingface(text: object, *, max_bytes: int = MAX_INPUT_BYTES) -> CardDocument:
    """A card from a Hugging Face ``README.md``.

    Raises :class:`CardFormatError` for oversized input, malformed or non-mapping front matter,
    values JSON cannot hold, or (for the structured key) a card that fails validation.
    """
    if not isinstance(text, str):
        raise CardFormatError("Hugging Face content must be the README.md text.")
    metadata, body = split_front_matter(text, max_bytes=max_bytes)
    hf_metadata = {k: v for k, v in metadata.items() if k not in HF_RESERVED_KEYS}
    if HF_NAMESPACE_KEY in metadata:
        doc = _from_namespace(metadata[HF_NAMESPACE_KEY])
    else:
        doc = _from_hub_metadata(metadata, body)
    doc["hf_metadata"] = hf_metadata
    return require_valid(doc)


def _from_namespace(payload: object) -> dict[str, Any]:
    if not isinstance(payload, dict):
        raise CardFormatError(
            [CardIssue(HF_NAMESPACE_KEY, "Expected a mapping holding the structured card.")]
        )
    misplaced = [k for k in payload if k not in CARD_KEYS or k == "hf_metadata"]
    if misplaced:
        raise CardFormatError(
            [
                CardIssue(f"{HF_NAMESPACE_KEY}.{k}", "Not a card section (Hub keys go at the top level).")
                for k in misplaced
            ]
        )
    return dict(payload)


def _from_hub_metadata(metadata: Mapping[str, Any], body: str) -> dict[str, Any]:
    """A card from a README written elsewhere: standard Hub keys plus what the body reveals."""
    doc = parse_body(body)
    details: dict[str, Any] = doc.setdefault("model_details", {})
    data = hfmeta.datasets_from_hf(metadata.get("datasets"))
    index_name, metrics, eval_data = hfmeta.metrics_from_model_index(
        metadata.get("model-index"), {d["name"] for d in data}
    )
    data += eval_data
    name = index_name or metadata.get("model_name")
    if isinstance(name, str) and name.strip():
        details["name"] = name.strip()
    if licenses := hfmeta.license_from_hf(metadata):
        details["licenses"] = licenses
    if data:
        doc["model_parameters"] = {"data": data}
    if metrics:
        doc["quantitative_analysis"] = {"performance_metrics": metrics}
    return doc
