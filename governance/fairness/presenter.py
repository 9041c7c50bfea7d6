"""What a bias report page shows, built once for every place that shows it.

The admin's report page uses it, and so will the PDF compliance reports, which a Celery task renders
with no request: both read the same verdict, tables, charts, thresholds and signature facts, so a
reviewer and an auditor can never be shown two different readings of one report. Values come rounded
for reading, each with the report's exact number beside it (a PDF has no tooltips; an auditor may need
the digits the gate compared).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.utils.safestring import SafeString, mark_safe

from audit.models import Attestation, SigningKey
from governance.fairness.charts import report_charts
from governance.fairness.charts.reading import group_label, metric_title_of
from governance.fairness.engine import PolicyRule
from governance.fairness.engine.views import INTERSECTION
from governance.fairness.models import BiasReport
from governance.fairness.selectors import requester_label

ROW_METRICS = (
    "selection_rate",
    "true_positive_rate",
    "false_positive_rate",
    "false_negative_rate",
    "positive_predictive_value",
    "accuracy",
)
"""The per-group columns of a report page: the rates the usual fairness definitions compare."""
DECIMALS = 4


@dataclass(frozen=True)
class ReportValue:
    """A number as shown (rounded to :data:`DECIMALS`) and as the report holds it (``exact``)."""

    display: str
    exact: float | None
    reason: str = ""  # why there is no value (the engine's null reason)

    @property
    def exact_text(self) -> str:
        """The exact number as text (Python's shortest round-tripping form), or empty."""
        return "" if self.exact is None else repr(self.exact)


@dataclass(frozen=True)
class GroupLine:
    """One group of a view: its label, row count and a value per :data:`ROW_METRICS` column."""

    label: str
    n: int
    values: tuple[ReportValue, ...]


@dataclass(frozen=True)
class DisparityLine:
    """One metric's between-group disparity in a view, with its bootstrap interval when computed."""

    metric: str
    title: str
    ratio: ReportValue
    ratio_interval: str
    difference: ReportValue
    difference_interval: str
    lowest_group: str
    highest_group: str


@dataclass(frozen=True)
class ViewPresentation:
    """One view (all columns crossed, or one sensitive column) as tables and charts."""

    name: str
    title: str
    columns: tuple[str, ...]
    metrics: tuple[str, ...]
    groups: tuple[GroupLine, ...]
    disparities: tuple[DisparityLine, ...]
    charts: tuple[SafeString, ...]


@dataclass(frozen=True)
class PolicyLine:
    """One rule's verdict in one view, as the deploy gate decided it."""

    rule: str
    view: str
    metric: str
    value: ReportValue
    passed: bool
    reason: str


@dataclass(frozen=True)
class Threshold:
    """One rule of the policy the report was judged against, in words and numbers."""

    rule: str
    metric: str
    band: str
    lower: float | None
    upper: float | None
    views: str
    use_interval: bool


@dataclass(frozen=True)
class Signature:
    """Who signed the report and where its attestation sits in the audit log."""

    key_id: str
    algorithm: str
    key_status: str
    predicate_type: str
    report_sha256: str
    audit_entry: str  # the audit log entry the signature is bound to
    signed_at: dt.datetime


@dataclass(frozen=True)
class BiasReportPresentation:
    """Everything a bias report page shows; built by :func:`bias_report_presentation`."""

    report_id: int
    verdict: str
    passed: bool
    model: str
    version: str
    rows: int
    input_sha256: str
    requested_by: str
    created_at: dt.datetime
    policy: tuple[PolicyLine, ...]
    thresholds: tuple[Threshold, ...]
    views: tuple[ViewPresentation, ...]
    signature: Signature | None
    row_metrics: tuple[str, ...] = ROW_METRICS


def bias_report_presentation(report: BiasReport) -> BiasReportPresentation:
    """The page of ``report``: no request needed, so a Celery task rendering a PDF can call it too."""
    rules = [PolicyRule.from_dict(rule) for rule in report.policy]
    data = report.report
    names = [INTERSECTION, *data.get("attributes", {})]
    version = report.model_version
    return BiasReportPresentation(
        report_id=report.pk,
        verdict="PASS" if report.passed else "FAIL",
        passed=report.passed,
        model=version.model.name,
        version=version.version,
        rows=report.rows,
        input_sha256=report.input_sha256,
        requested_by=requester_label(report.fairness_check.requested_by),
        created_at=report.created_at,
        policy=tuple(_policy_line(outcome) for outcome in report.policy_result.get("outcomes", [])),
        thresholds=tuple(_threshold(rule) for rule in rules),
        views=tuple(_view(data, name, rules) for name in names),
        signature=_signature(report),
    )


def report_value(value: Any, reason: str = "") -> ReportValue:
    """A report number for reading: rounded to :data:`DECIMALS`, the exact value kept beside it."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return ReportValue("n/a", None, reason)
    return ReportValue(f"{value:.{DECIMALS}f}", float(value), reason)


def _view(data: Mapping[str, Any], name: str, rules: Sequence[PolicyRule]) -> ViewPresentation:
    block = data["intersection"] if name == INTERSECTION else data["attributes"][name]
    columns = tuple(str(column) for column in block.get("columns", [name]))
    crossed = " \N{MULTIPLICATION SIGN} ".join(columns)
    title = f"Intersectional groups ({crossed})" if name == INTERSECTION else f"By {name}"
    groups = tuple(_group_line(group) for group in block["groups"])
    disparities = tuple(
        _disparity(metric, entry) for metric, entry in block.get("disparities", {}).items() if entry
    )
    charts = report_charts(data, name, policy=rules)
    return ViewPresentation(
        name=name,
        title=title,
        columns=columns,
        metrics=ROW_METRICS,
        groups=groups,
        disparities=disparities,
        # Built and escaped by governance.fairness.charts: every label from the data is escaped there.
        charts=tuple(mark_safe(svg) for svg in charts.values()),  # noqa: S308
    )


def _group_line(group: Mapping[str, Any]) -> GroupLine:
    metrics, reasons = group.get("metrics") or {}, group.get("null_reasons") or {}
    return GroupLine(
        label=group_label(group["group"]),
        n=group["n"],
        values=tuple(report_value(metrics.get(m), str(reasons.get(m, ""))) for m in ROW_METRICS),
    )


def _disparity(metric: str, entry: Mapping[str, Any]) -> DisparityLine:
    reasons = entry.get("null_reasons") or {}
    ci = entry.get("ci") or {}
    low, high = entry.get("min_group"), entry.get("max_group")
    return DisparityLine(
        metric=metric,
        title=metric_title_of(metric),
        ratio=report_value(entry.get("ratio"), str(reasons.get("ratio", ""))),
        ratio_interval=_interval(ci.get("ratio")),
        difference=report_value(entry.get("difference"), str(reasons.get("difference", ""))),
        difference_interval=_interval(ci.get("difference")),
        lowest_group=group_label(low) if isinstance(low, Mapping) else "",
        highest_group=group_label(high) if isinstance(high, Mapping) else "",
    )


def _interval(ci: Any) -> str:
    if not isinstance(ci, Mapping):
        return ""
    lower, upper = report_value(ci.get("lower")), report_value(ci.get("upper"))
    if lower.exact is None or upper.exact is None:
        return ""
    return f"[{lower.display}, {upper.display}]"


def _policy_line(outcome: Mapping[str, Any]) -> PolicyLine:
    return PolicyLine(
        rule=str(outcome.get("rule", "")),
        view=str(outcome.get("view", "")),
        metric=str(outcome.get("metric", "")),
        value=report_value(outcome.get("value")),
        passed=bool(outcome.get("passed")),
        reason=str(outcome.get("reason") or ""),
    )


def _threshold(rule: PolicyRule) -> Threshold:
    if rule.lower is not None and rule.upper is not None:
        band = f"between {rule.lower:g} and {rule.upper:g}"
    elif rule.upper is not None:
        band = f"at most {rule.upper:g}"
    elif rule.lower is not None:
        band = f"at least {rule.lower:g}"
    else:
        band = "any value"
    return Threshold(
        rule=rule.name,
        metric=rule.metric,
        band=band,
        lower=rule.lower,
        upper=rule.upper,
        views="every view" if rule.views is None else ", ".join(rule.views),
        use_interval=rule.use_interval,
    )


def audit_entry_reference(attestation: Attestation) -> str:
    """The audit entry an attestation is bound to: its entry id, or ``#seq`` for older attestations."""
    entry = getattr(attestation, "audit_entry_id", None)  # entry ids are replacing sequence numbers
    return str(entry) if entry else f"#{attestation.audit_seq}"


def _signature(report: BiasReport) -> Signature | None:
    attestation = report.attestation
    if attestation is None:
        return None
    key = SigningKey.objects.filter(key_id=attestation.key_id).values("algorithm", "status").first()
    return Signature(
        key_id=attestation.key_id,
        algorithm=key["algorithm"] if key else "",
        key_status=key["status"] if key else "unknown key",
        predicate_type=attestation.predicate_type,
        report_sha256=attestation.subject_digest,
        audit_entry=audit_entry_reference(attestation),
        signed_at=attestation.created_at,
    )
