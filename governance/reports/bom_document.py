"""A model version's records -> a CycloneDX 1.6 ML-BOM (pure: no Django).

The library (cyclonedx-python-lib, the reference implementation) builds and serialises everything its
model knows: metadata, the ``machine-learning-model`` component with its hashes and artifact reference,
one ``data`` component per dataset version. Release 11 has no model for ``modelCard``, so the card is
added to the serialised component from the 1.6 schema's field names (every value a string there), and
the whole document must then pass the library's strict JSON validator: an invalid BOM is never served.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from cyclonedx.model import (
    ExternalReference,
    ExternalReferenceType,
    HashAlgorithm,
    HashType,
    Property,
    XsUri,
)
from cyclonedx.model.bom import Bom, BomMetaData
from cyclonedx.model.component import Component, ComponentType
from cyclonedx.model.tool import ToolRepository
from cyclonedx.output.json import JsonV1Dot6
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator

MEDIA_TYPE = "application/vnd.cyclonedx+json; version=1.6"
TOOL_NAME = "modelops-governance"
PROPERTY_PREFIX = "modelops-governance"
GROUP_METRICS = (
    "selection_rate",
    "true_positive_rate",
    "false_positive_rate",
    "false_negative_rate",
    "positive_predictive_value",
    "accuracy",
)
"""Per-group rates exported for every view (the columns of the bias report page)."""
INTERSECTION = "intersection"


class BomInvalidError(Exception):
    """The assembled document fails CycloneDX 1.6 strict validation; it must not be served."""


@dataclass(frozen=True)
class DatasetRecord:
    """One dataset version the model version is linked to, with every usage of the link."""

    key: str  # stable id, e.g. the dataset version's primary key
    name: str
    version: str
    uri: str
    digest: str  # sha256:<hex>
    usages: tuple[str, ...]
    description: str = ""
    contains_personal_data: bool = False

    @property
    def bom_ref(self) -> str:
        return f"dataset-version:{self.key}"


@dataclass(frozen=True)
class FairnessRecord:
    """The latest bias report: the engine's report JSON, the verdict and what it was computed on."""

    key: str
    report: Mapping[str, Any]
    passed: bool
    input_sha256: str
    rows: int
    policy_result: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class BomRecords:
    """Everything the ML-BOM says about one model version."""

    key: str
    model_name: str
    version: str
    artifact_uri: str
    artifact_digest: str  # sha256:<hex> or empty before hashing
    generated_at: dt.datetime
    tool_version: str
    description: str = ""
    framework: str = ""
    team: str = ""
    risk_tier: str = ""
    status: str = ""
    datasets: tuple[DatasetRecord, ...] = ()
    card: Mapping[str, Any] | None = None  # MCT sections of the latest card revision, plus hf_metadata
    card_revision: int | None = None
    fairness: FairnessRecord | None = None

    @property
    def bom_ref(self) -> str:
        return f"model-version:{self.key}"


def bom_document(records: BomRecords) -> dict[str, Any]:
    """The validated ML-BOM of ``records`` as JSON data; :class:`BomInvalidError` if it fails 1.6."""
    document: dict[str, Any] = json.loads(JsonV1Dot6(_library_bom(records)).output_as_string())
    card = model_card(records)
    if card:
        for component in document.get("components", []):
            if component.get("bom-ref") == records.bom_ref:
                component["modelCard"] = card
    bom_validate(document)
    return document


def bom_validate(document: Mapping[str, Any]) -> None:
    """Refuse a document the library's strict CycloneDX 1.6 validator rejects."""
    error = JsonStrictValidator(SchemaVersion.V1_6).validate_str(json.dumps(document))
    if error is not None:
        raise BomInvalidError(f"the ML-BOM fails CycloneDX 1.6 validation: {error}")


def _library_bom(records: BomRecords) -> Bom:
    model = Component(
        type=ComponentType.MACHINE_LEARNING_MODEL,
        bom_ref=records.bom_ref,
        name=records.model_name,
        version=records.version,
        group=records.team or None,
        description=records.description or None,
        hashes=_hashes(records.artifact_digest),
        external_references=[
            ExternalReference(type=ExternalReferenceType.DISTRIBUTION, url=_uri(records.artifact_uri))
        ],
        properties=_properties(
            ("framework", records.framework),
            ("risk-tier", records.risk_tier),
            ("status", records.status),
        ),
    )
    data = [
        Component(
            type=ComponentType.DATA,
            bom_ref=ds.bom_ref,
            name=ds.name,
            version=ds.version,
            description=ds.description or None,
            hashes=_hashes(ds.digest),
            external_references=[
                ExternalReference(type=ExternalReferenceType.DISTRIBUTION, url=_uri(ds.uri))
            ],
            properties=_properties(
                *(("usage", usage) for usage in ds.usages),
                ("contains-personal-data", "true" if ds.contains_personal_data else "false"),
            ),
        )
        for ds in records.datasets
    ]
    metadata = BomMetaData(
        timestamp=records.generated_at,
        # CycloneDX 1.5+ names tools as components (the 1.4 ``tools`` list is deprecated).
        tools=ToolRepository(
            components=[
                Component(type=ComponentType.APPLICATION, name=TOOL_NAME, version=records.tool_version)
            ]
        ),
    )
    return Bom(metadata=metadata, components=[model, *data])


def _uri(uri: str) -> XsUri:
    """The stored URI as an RFC 3986 reference: anything outside ASCII (which 1.6's ``iri-reference``
    may refuse, e.g. private-use characters) percent-encoded as UTF-8; existing escapes kept."""
    return XsUri(quote(uri, safe=":/?#[]@!$&'()*+,;=%~-._"))


def _hashes(digest: str) -> list[HashType]:
    algorithm, _, value = digest.partition(":")
    if algorithm != "sha256" or not value:
        return []
    return [HashType(alg=HashAlgorithm.SHA_256, content=value)]


def _properties(*pairs: tuple[str, str]) -> list[Property]:
    return [Property(name=f"{PROPERTY_PREFIX}:{name}", value=value) for name, value in pairs if value]


# --- modelCard (CycloneDX 1.6 schema; the library has no model for it) ---------------------------


def model_card(records: BomRecords) -> dict[str, Any]:
    """The component's ``modelCard`` from the card and the bias report; absent parts are omitted."""
    card = records.card or {}
    fairness = records.fairness
    sections = {
        "modelParameters": _model_parameters(records, card, fairness),
        "quantitativeAnalysis": _quantitative_analysis(card, fairness),
        "considerations": _considerations(card, fairness),
        "properties": _card_properties(records),
    }
    return {name: value for name, value in sections.items() if value}


def _model_parameters(
    records: BomRecords, card: Mapping[str, Any], fairness: FairnessRecord | None
) -> dict[str, Any]:
    params = _mapping(card.get("model_parameters"))
    hf = _mapping(card.get("hf_metadata"))
    task = _text(hf.get("pipeline_tag")) or (_text(fairness.report.get("task")) if fairness else "")
    out: dict[str, Any] = {
        "task": task,
        "modelArchitecture": _text(params.get("model_architecture")),
        "datasets": [{"ref": ds.bom_ref} for ds in records.datasets],
        "inputs": _formats(params, "input_format"),
        "outputs": _formats(params, "output_format"),
    }
    return {name: value for name, value in out.items() if value}


def _formats(params: Mapping[str, Any], key: str) -> list[dict[str, str]]:
    formats = [_text(params.get(key))]
    formats += [
        f"{_text(entry.get('key'))}: {_text(entry.get('value'))}"
        for entry in _items(params.get(f"{key}_map"))
        if _text(entry.get("key"))
    ]
    return [{"format": text} for text in formats if text]


def _quantitative_analysis(card: Mapping[str, Any], fairness: FairnessRecord | None) -> dict[str, Any]:
    analysis = _mapping(card.get("quantitative_analysis"))
    metrics = [_card_metric(m) for m in _items(analysis.get("performance_metrics"))]
    metrics = [m for m in metrics if m]
    if fairness is not None:
        metrics += fairness_metrics(fairness.report)
    return {"performanceMetrics": metrics} if metrics else {}


def _card_metric(metric: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {
        key: _text(metric.get(key)) for key in ("type", "value", "slice") if _text(metric.get(key))
    }
    interval = _mapping(metric.get("confidence_interval"))
    lower, upper = _text(interval.get("lower_bound")), _text(interval.get("upper_bound"))
    if lower and upper:
        out["confidenceInterval"] = {"lowerBound": lower, "upperBound": upper}
    return out


def fairness_metrics(report: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Per view: the headline fairness metrics with their bootstrap intervals, then each group's rates."""
    views = [(INTERSECTION, report.get(INTERSECTION))]
    views += list(_mapping(report.get("attributes")).items())
    out: list[dict[str, Any]] = []
    for name, block in views:
        view = _mapping(block)
        if not view:
            continue
        title = " x ".join(str(c) for c in view.get("columns") or [name])
        headline = _mapping(view.get("fairness_metrics"))
        intervals = _mapping(headline.get("ci"))
        for metric, value in headline.items():
            if metric in ("ci", "null_reasons") or _number(value) is None:
                continue
            entry = {"type": metric, "value": _number(value), "slice": f"{name} ({title})"}
            out.append(entry | _interval(intervals.get(metric)))
        for group in _items(view.get("groups")):
            label = ", ".join(
                f"{k}={'(missing)' if v is None else v}" for k, v in _mapping(group.get("group")).items()
            )
            values = _mapping(group.get("metrics"))
            for metric in GROUP_METRICS:
                number = _number(values.get(metric))
                if number is not None:
                    out.append({"type": metric, "value": number, "slice": f"{name}: {label}"})
    return out


def _interval(ci: Any) -> dict[str, Any]:
    bounds = _mapping(ci)
    lower, upper = _number(bounds.get("lower")), _number(bounds.get("upper"))
    if lower is None or upper is None:
        return {}
    return {"confidenceInterval": {"lowerBound": lower, "upperBound": upper}}


def _considerations(card: Mapping[str, Any], fairness: FairnessRecord | None) -> dict[str, Any]:
    section = _mapping(card.get("considerations"))
    out: dict[str, Any] = {
        "users": _descriptions(section.get("users")),
        "useCases": _descriptions(section.get("use_cases")),
        "technicalLimitations": _descriptions(section.get("limitations")),
        "performanceTradeoffs": _descriptions(section.get("tradeoffs")),
        "ethicalConsiderations": [
            {"name": _text(r.get("name"))}
            | (
                {"mitigationStrategy": _text(r.get("mitigation_strategy"))}
                if _text(r.get("mitigation_strategy"))
                else {}
            )
            for r in _items(section.get("ethical_considerations"))
            if _text(r.get("name"))
        ],
        "fairnessAssessments": _fairness_assessments(fairness) if fairness else [],
    }
    return {name: value for name, value in out.items() if value}


def _fairness_assessments(fairness: FairnessRecord) -> list[dict[str, str]]:
    """One assessment per failed policy rule: the group the gap disadvantages and the measured harm."""
    out = []
    for outcome in _items(fairness.policy_result.get("outcomes")):
        if outcome.get("passed"):
            continue
        view, metric = _text(outcome.get("view")), _text(outcome.get("metric"))
        block = (
            _mapping(fairness.report.get(INTERSECTION))
            if view == INTERSECTION
            else _mapping(_mapping(fairness.report.get("attributes")).get(view))
        )
        path = metric.split(".")  # e.g. disparities.selection_rate.ratio
        disparity = path[1] if len(path) > 1 and path[0] == "disparities" else metric
        lowest = _mapping(_mapping(_mapping(block.get("disparities")).get(disparity)).get("min_group"))
        group = ", ".join(f"{k}={v}" for k, v in lowest.items()) or view or "unspecified"
        value = _number(outcome.get("value"))
        harm = f"{metric} in view {view or 'all'} fails policy rule {_text(outcome.get('rule'))}"
        harm += f" (measured {value})" if value is not None else ""
        reason = _text(outcome.get("reason"))
        out.append({"groupAtRisk": group, "harms": f"{harm}: {reason}" if reason else harm})
    return out


def _card_properties(records: BomRecords) -> list[dict[str, str]]:
    pairs: list[tuple[str, str]] = []
    if records.card_revision is not None:
        pairs.append(("model-card-revision", str(records.card_revision)))
    if records.fairness is not None:
        fairness = records.fairness
        pairs += [
            ("bias-report", fairness.key),
            ("bias-report:passed", "true" if fairness.passed else "false"),
            ("bias-report:input-sha256", fairness.input_sha256),
            ("bias-report:rows", str(fairness.rows)),
        ]
        bootstrap = _mapping(fairness.report.get("bootstrap"))
        if bootstrap:
            pairs += [
                ("bias-report:interval-method", _text(bootstrap.get("method"))),
                ("bias-report:interval-confidence", _text(bootstrap.get("confidence"))),
                ("bias-report:interval-replicates", _text(bootstrap.get("replicates"))),
            ]
    return [{"name": f"{PROPERTY_PREFIX}:{name}", "value": value} for name, value in pairs if value]


# --- reading loosely shaped JSON --------------------------------------------------------------------


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _items(value: Any) -> Iterable[Mapping[str, Any]]:
    if not isinstance(value, Sequence) or isinstance(value, str):
        return []
    return [item for item in value if isinstance(item, Mapping)]


def _text(value: Any) -> str:
    if value is None or isinstance(value, Mapping | list):
        return ""
    return str(value).strip()


def _number(value: Any) -> str | None:
    """A report number as the schema's string (shortest round-tripping form); ``None`` when absent."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return repr(value)


def _descriptions(value: Any) -> list[str]:
    texts = [_text(item.get("description")) for item in _items(value)]
    return [text for text in texts if text]
