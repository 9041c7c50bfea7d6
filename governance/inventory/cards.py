"""Bridge between ModelCard rows and the pure interchange formats (MCT JSON, Hugging Face README)."""

from __future__ import annotations

import copy
from typing import Any

from governance.core.exceptions import ConflictError
from governance.inventory.models import ModelCard, ModelVersion
from governance.inventory.services import CARD_SECTIONS


def card_document(card: ModelCard) -> dict[str, Any]:
    """The card as a plain document, with identity fields filled from the version it describes.

    A card written before its model had a name in ``model_details`` should still export as a card
    that says which model and version it is about.
    """
    doc: dict[str, Any] = {section: copy.deepcopy(getattr(card, section)) for section in CARD_SECTIONS}
    details = doc["model_details"]
    mv: ModelVersion = card.model_version
    details.setdefault("name", mv.model.name)
    version = details.setdefault("version", {})
    if isinstance(version, dict):
        version.setdefault("name", mv.version)
    if mv.artifact_uri:
        details.setdefault("path", mv.artifact_uri)
    return doc


def card_export(card: ModelCard, fmt: str) -> tuple[str | dict[str, Any], str]:
    """Export as ``mct`` (JSON object) or ``huggingface`` (README.md text); returns (body, media type)."""
    from governance.inventory.modelcards.huggingface import card_to_huggingface
    from governance.inventory.modelcards.mct import CardFormatError, card_to_mct

    doc = card_document(card)
    # Cards are validated on write, so a failure here means a stored card predates a stricter rule;
    # it surfaces as a ConflictError naming the problem rather than as a server error.
    try:
        if fmt == "mct":
            return card_to_mct(doc), "application/json"
        return card_to_huggingface(doc), "text/markdown; charset=utf-8"
    except CardFormatError as exc:
        raise ConflictError(f"This card revision cannot be exported as {fmt}: {exc}", field="format") from exc
