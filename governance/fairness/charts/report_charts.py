"""The set of charts on a bias report page (admin and PDF): one per metric, then the disparity chart."""

from __future__ import annotations

from collections.abc import Sequence

from governance.fairness.charts.disparity_chart import DEFAULT_CHART_METRICS, disparity_chart_svg
from governance.fairness.charts.metric_chart import metric_chart_svg, policy_threshold_lines
from governance.fairness.charts.reading import ReportLike, report_data, view_block
from governance.fairness.engine.policy import PolicyRule
from governance.fairness.engine.views import INTERSECTION


def report_charts(
    report: ReportLike, view: str = INTERSECTION, policy: Sequence[PolicyRule] | None = None
) -> dict[str, str]:
    """The charts of a report page: one per metric of :data:`DEFAULT_CHART_METRICS`, then ``"disparity"``.

    Threshold lines of each metric chart come from ``policy`` (default: the four-fifths rule) through
    :func:`policy_threshold_lines`, so the page shows the band the deploy gate actually enforces.
    """
    data = report_data(report)
    block = view_block(data, view)
    present = block.get("overall", {}).get("metrics", {})
    charts = {
        metric: metric_chart_svg(
            data, view, metric, thresholds=policy_threshold_lines(data, view, metric, policy)
        )
        for metric in DEFAULT_CHART_METRICS
        if metric in present
    }
    charts["disparity"] = disparity_chart_svg(data, view, policy=policy)
    return charts
