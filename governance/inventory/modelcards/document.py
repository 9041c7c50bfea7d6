"""The card document every interchange format converts to and from, and its validation.

A ``ModelCard`` row becomes a plain :class:`CardDocument` dict; MCT JSON and Hugging Face READMEs
are both produced from and parsed into it. Keeping the converters pure (no Django) means they can
be tested, and reused by the CLI, without a database.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypedDict

from governance.inventory.modelcards import schema as mct_schema
from governance.inventory.modelcards.card_schema import section_schema
from governance.inventory.modelcards.errors import CardFormatError, CardIssue

SCHEMA_VERSION = "0.0.2"

#: The MCT v0.0.2 sections, stored in the toolkit's own shape so MCT export is exact.
MCT_SECTIONS: tuple[str, ...] = (
    "model_details",
    "model_parameters",
    "quantitative_analysis",
    "considerations",
)

#: Everything a document may contain: the MCT sections plus what MCT has no place for.
CARD_KEYS: tuple[str, ...] = ("schema_version", *MCT_SECTIONS, "factors", "caveats", "hf_metadata")

#: The one front-matter key of a Hugging Face README that carries the whole structured card.
HF_NAMESPACE_KEY = "model_card_governance"

#: Front-matter keys the Hugging Face export derives from MCT fields (or that huggingface_hub would
#: misread). ``hf_metadata`` cannot hold them: it is for keys with *no* MCT equivalent, and a copy
#: there would silently disagree with the structured field it shadows.
HF_RESERVED_KEYS = frozenset(
    {"license", "datasets", "model-index", "eval_results", "ignore_metadata_errors", HF_NAMESPACE_KEY}
)


class CardDocument(TypedDict, total=False):
    """One model card. The four MCT sections follow the MCT v0.0.2 schema; the rest is ours."""

    schema_version: str
    model_details: dict[str, Any]
    model_parameters: dict[str, Any]
    quantitative_analysis: dict[str, Any]
    considerations: dict[str, Any]
    factors: list[dict[str, Any]]  # [{name, description}]: relevant factors; MCT has no place for them
    caveats: str  # caveats and recommendations
    hf_metadata: dict[str, Any]  # Hugging Face metadata keys with no MCT equivalent


def validate_mct_sections(doc: Mapping[str, Any]) -> list[CardIssue]:
    """Schema violations in the MCT sections of ``doc`` (other keys are ignored).

    Each section is checked against its sub-schema in our MCT v0.0.2 schema (:mod:`.card_schema`),
    so what we store is what the toolkit accepts. Paths are dotted from the document root, e.g.
    ``model_details.licenses[0]``.
    """
    issues: list[CardIssue] = []
    for section in MCT_SECTIONS:
        if section in doc:
            validator = mct_schema.section_validator(section)
            issues += mct_schema.issues_from(validator, doc[section], (section,))
    return issues


def validate_card(doc: object) -> list[CardIssue]:
    """Every problem with a whole document: schema violations, plus fields export would lose.

    Stricter than :func:`validate_mct_sections`: unknown keys (usually typos) are reported because
    MCT export keeps only schema fields and would drop them without a word.
    """
    if not isinstance(doc, Mapping):
        return [CardIssue("", "Expected a JSON object.")]
    issues = [CardIssue(str(k), "Unknown model card section.") for k in doc if k not in CARD_KEYS]
    version = doc.get("schema_version", SCHEMA_VERSION)
    if version != SCHEMA_VERSION:
        issues.append(
            CardIssue(
                "schema_version", f"Unsupported schema version {version!r}; expected {SCHEMA_VERSION!r}."
            )
        )
    issues += validate_mct_sections(doc)
    for section in MCT_SECTIONS:
        if section in doc:
            issues += mct_schema.unknown_fields(doc[section], section_schema(section), (section,))
    issues += _extension_issues(doc)
    return issues


def _extension_issues(doc: Mapping[str, Any]) -> list[CardIssue]:
    issues: list[CardIssue] = []
    factors = doc.get("factors", [])
    if not isinstance(factors, list):
        issues.append(CardIssue("factors", "Expected a list of {name, description} objects."))
    else:
        for i, factor in enumerate(factors):
            ok = (
                isinstance(factor, dict)
                and isinstance(factor.get("name"), str)
                and isinstance(factor.get("description", ""), str)
                and set(factor) <= {"name", "description"}
            )
            if not ok:
                issues.append(CardIssue(f"factors[{i}]", "Expected {name, description} with string values."))
    if not isinstance(doc.get("caveats", ""), str):
        issues.append(CardIssue("caveats", "Expected a string."))
    hf_metadata = doc.get("hf_metadata", {})
    if not isinstance(hf_metadata, dict):
        issues.append(CardIssue("hf_metadata", "Expected an object."))
    else:
        for key in hf_metadata:
            if not isinstance(key, str):
                issues.append(CardIssue("hf_metadata", f"Keys must be strings, got {key!r}."))
            elif key in HF_RESERVED_KEYS:
                issues.append(
                    CardIssue(
                        f"hf_metadata.{key}", "Derived from the MCT sections on export; set it there instead."
                    )
                )
    return issues


def normalize_card(doc: Mapping[str, Any]) -> CardDocument:
    """The canonical form of a document: what export writes and import returns.

    MCT sections keep only schema fields and lose empty values (MCT treats empty as unset), empty
    sections disappear, and ``schema_version`` is always set. Two documents that export identically
    normalise identically, which is what the round-trip guarantees are stated against.
    ``hf_metadata`` is third-party data and is kept verbatim (only dropped when empty).
    """
    out: dict[str, Any] = {"schema_version": SCHEMA_VERSION}
    for section in MCT_SECTIONS:
        value = mct_schema.prune(doc.get(section), section_schema(section))
        if not mct_schema.is_empty(value):
            out[section] = value
    factors = doc.get("factors")
    if isinstance(factors, list):  # anything else is kept as is for validation to report
        factors = [_prune_factor(f) for f in factors]
        factors = [f for f in factors if not mct_schema.is_empty(f)]
    if not mct_schema.is_empty(factors):
        out["factors"] = factors
    for key in ("caveats", "hf_metadata"):
        if not mct_schema.is_empty(doc.get(key)):
            out[key] = doc[key]
    return out  # type: ignore[return-value]  # keys are exactly CardDocument's


def _prune_factor(factor: object) -> object:
    if not isinstance(factor, dict):
        return factor
    return {k: v for k, v in factor.items() if k in ("name", "description") and not mct_schema.is_empty(v)}


def require_valid(doc: Mapping[str, Any]) -> CardDocument:
    """Normalise, then raise :class:`CardFormatError` listing every issue if the result is invalid."""
    normalized = normalize_card(doc)
    issues = validate_card(normalized)
    if issues:
        raise CardFormatError(issues)
    return normalized
