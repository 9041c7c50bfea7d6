"""Reads of fairness checks and reports, narrowed to the principal's teams."""

from __future__ import annotations

from django.db.models import QuerySet

from governance.accounts.principal import Principal
from governance.fairness.models import BiasReport, FairnessCheck


def fairness_check_list(*, principal: Principal) -> QuerySet[FairnessCheck]:
    qs = FairnessCheck.objects.select_related("model_version", "model_version__model")
    return qs if principal.read_all_teams else qs.filter(model_version__model__team_id__in=principal.team_ids)


def bias_report_latest(*, model_version_id: int) -> BiasReport | None:
    """The report that counts for a version (gate, approvals): its newest."""
    return BiasReport.objects.filter(model_version_id=model_version_id).order_by("-created_at").first()
