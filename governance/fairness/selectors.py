"""Reads of fairness checks and reports, narrowed to the principal's teams."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import Coalesce

from governance.accounts.principal import Principal
from governance.fairness.models import BiasReport, FairnessCheck


def with_progress(qs: QuerySet[FairnessCheck]) -> QuerySet[FairnessCheck]:
    """Checks with their report and progress counters in the same query (lists stay O(1) queries)."""
    return (
        qs.select_related("model_version", "model_version__model", "report__attestation")
        .annotate(
            rows_counted=Coalesce(Sum("chunks__rows_done"), 0),
            chunks_counted=Count("chunks", filter=Q(chunks__counts__isnull=False)),
        )
        .order_by("-created_at", "-pk")
    )  # Meta.ordering does not apply to aggregating queries


def fairness_check_list(*, principal: Principal) -> QuerySet[FairnessCheck]:
    return with_progress(FairnessCheck.objects.visible_to(principal))


def check_progress(check: FairnessCheck) -> dict[str, Any]:
    """Rows counted so far (finished chunks plus in-flight progress) against the total, from the
    counters :func:`with_progress` annotates."""
    done: int = check.rows_counted  # type: ignore[attr-defined]
    total = check.rows_total
    return {
        "rows_done": done,
        "rows_total": total,
        "chunks_done": check.chunks_counted,  # type: ignore[attr-defined]
        "chunks_total": len(check.chunk_plan),
        "fraction": (min(done / total, 1.0) if total else (1.0 if check.status == "succeeded" else None)),
    }


def check_report(check: FairnessCheck) -> BiasReport | None:
    """The check's report, if built (select_related by :func:`with_progress`: no query)."""
    try:
        return check.report
    except BiasReport.DoesNotExist:
        return None


REPORT_BODIES = (
    "report__report",
    "report__counts",
    "report__config",
    "report__policy",
    "report__attestation__bundle",
)
"""A report's large JSON (about 300 KB per check): only the detail of one check serves it."""


def fairness_check_summaries(*, principal: Principal) -> QuerySet[FairnessCheck]:
    """Checks for a list page: progress and verdict in the same single query, report bodies left out."""
    return fairness_check_list(principal=principal).defer(*REPORT_BODIES)


def check_rule_counts(report: BiasReport) -> dict[str, int]:
    """How many policy outcomes (rule x view) the report was judged on, and how many failed."""
    outcomes = report.policy_result.get("outcomes", [])
    return {"evaluated": len(outcomes), "failed": sum(1 for o in outcomes if not o.get("passed"))}


def requester_labels(idents: Iterable[str]) -> dict[str, str]:
    """Readable names of the principals who requested checks, in two queries however many.

    ``user:3`` reads as the username and ``api_key:2`` as ``team/keyname`` (how principals label
    themselves); the service's own actors (``cli:seed_demo``, ``worker:fairness``) keep their id, which
    already says what they are. An account deleted since keeps its id, marked as such.
    """
    from django.contrib.auth import get_user_model

    from governance.accounts.models import ApiKey

    idents = list(idents)
    wanted: dict[str, set[int]] = {"user": set(), "api_key": set()}
    for ident in idents:
        kind, _, number = ident.partition(":")
        if kind in wanted and number.isdigit():
            wanted[kind].add(int(number))
    names: dict[str, str] = {}
    if wanted["user"]:
        users = get_user_model().objects.filter(pk__in=wanted["user"])
        names.update({f"user:{user.pk}": user.get_username() for user in users})
    if wanted["api_key"]:
        keys = ApiKey.objects.filter(pk__in=wanted["api_key"]).select_related("team")
        names.update({f"api_key:{key.pk}": f"{key.team.slug}/{key.name}" for key in keys})
    labels = {}
    for ident in idents:
        kind = ident.partition(":")[0]
        labels[ident] = names.get(ident) or (f"{ident} (deleted)" if kind in wanted else ident)
    return labels


def requester_label(ident: str) -> str:
    """The readable name of one requester (see :func:`requester_labels`)."""
    return requester_labels([ident])[ident]
