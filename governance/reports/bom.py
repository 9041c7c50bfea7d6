"""Gathering a model version's records for its ML-BOM (the Django side of ``bom_document``)."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from typing import Any

from django.utils import timezone

from governance.fairness.models import BiasReport
from governance.inventory.models import ModelVersion
from governance.inventory.selectors import model_card_latest
from governance.reports.bom_document import BomRecords, DatasetRecord, FairnessRecord, bom_document


def model_version_bom(*, model_version: ModelVersion) -> dict[str, Any]:
    """The validated CycloneDX 1.6 ML-BOM of a version the caller may already see."""
    return bom_document(bom_records(model_version=model_version))


def bom_records(*, model_version: ModelVersion) -> BomRecords:
    """What the BOM says: the version, its linked dataset versions, latest card and latest bias report."""
    mv = model_version
    card = model_card_latest(model_version=mv)
    report = BiasReport.objects.filter(model_version=mv).order_by("-created_at", "-pk").first()
    return BomRecords(
        key=str(mv.pk),
        model_name=mv.model.name,
        version=mv.version,
        description=mv.description or mv.model.description,
        artifact_uri=mv.artifact_uri,
        artifact_digest=mv.artifact_digest,
        framework=mv.framework,
        team=mv.model.team.slug,
        risk_tier=mv.model.risk_tier,
        status=mv.status,
        generated_at=timezone.now(),
        tool_version=_tool_version(),
        datasets=_datasets(mv),
        card=None
        if card is None
        else {
            "model_parameters": card.model_parameters,
            "quantitative_analysis": card.quantitative_analysis,
            "considerations": card.considerations,
            "hf_metadata": card.hf_metadata,
        },
        card_revision=None if card is None else card.revision,
        fairness=None
        if report is None
        else FairnessRecord(
            key=str(report.pk),
            report=report.report,
            passed=report.passed,
            input_sha256=report.input_sha256,
            rows=report.rows,
            policy_result=report.policy_result,
        ),
    )


def _datasets(mv: ModelVersion) -> tuple[DatasetRecord, ...]:
    usages: dict[int, list[str]] = {}
    versions = {}
    for link in mv.dataset_links.select_related("dataset_version__dataset").order_by(
        "dataset_version_id", "usage"
    ):
        usages.setdefault(link.dataset_version_id, []).append(link.usage)
        versions[link.dataset_version_id] = link.dataset_version
    return tuple(
        DatasetRecord(
            key=str(pk),
            name=str(dv.dataset),
            version=dv.version,
            uri=dv.uri,
            digest=dv.digest,
            usages=tuple(usages[pk]),
            description=dv.dataset.description,
            contains_personal_data=dv.contains_personal_data,
        )
        for pk, dv in versions.items()
    )


def _tool_version() -> str:
    try:
        return version("modelops-governance")
    except PackageNotFoundError:
        return "unknown"
