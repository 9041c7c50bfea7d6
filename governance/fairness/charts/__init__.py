"""Server-side SVG charts of a fairness report (``FairnessReport.to_dict()``), readable without JavaScript.

The charts are shown in the Django admin and embedded in WeasyPrint PDF reports, so they are plain SVG 1.1
strings built with the standard library only: inline presentation attributes, no CSS, no scripts, no external
fonts or images, explicit ``width``/``height`` plus a ``viewBox``, and a generic font-family fallback. Nothing
here imports Django; the package reads the report's JSON and never recomputes a statistic.

Reading rules that the charts encode (and state in a legend inside every SVG, because a PDF has no tooltips):

* **Per-group metric chart** (:func:`metric_chart_svg`): one row per group of a view with a dot at the group's
  value, the row count ``n`` and the exact value beside it. A dashed line marks the overall value (all rows);
  dotted lines mark thresholds (:class:`ThresholdLine`, e.g. :func:`policy_threshold_lines`: the policy band
  scaled by the reference group's value, ``0.8 x`` and ``1.25 x`` for the four-fifths rule). The engine
  reports bootstrap intervals for *disparities*, not for per-group values, so whiskers appear on this chart
  only if a report carries ``groups[i].ci[metric]``; otherwise the legend says so and points to the
  disparity chart.
* **Disparity chart** (:func:`disparity_chart_svg`): per metric the min/max ratio (or max - min difference)
  over compared groups, its bootstrap percentile interval as a whisker, and the pass band shaded. Verdicts
  come from :func:`~governance.fairness.engine.policy.evaluate_policy` itself, so the chart can never disagree
  with the deploy gate; a failure is drawn as a red diamond *and* labelled "FAIL", so it does not rely on
  colour.
* A ``null`` value is drawn as "n/a" with the engine's reason (visible text, and a ``<title>`` tooltip),
  never as a point at 0; a group below ``min_group_size`` is treated the same even if a value is present.

Every string from the report (group labels come from user data) is sanitised to XML-legal characters and
escaped, so ``<script>`` in a category renders as text. Output is deterministic: same report, same bytes.

Modules, by concern: :mod:`.text` (text measurement and number wording), :mod:`.svg` (palette, escaping and
the element writer), :mod:`.layout` (scales, axes, tag lanes, legends), :mod:`.reading` (what a chart reads
from the report's JSON), and one module per chart (:mod:`.metric_chart`, :mod:`.disparity_chart`), with
:mod:`.report_charts` assembling a report page's set.
"""

from governance.fairness.charts.disparity_chart import DEFAULT_CHART_METRICS, GUIDE_BAND, disparity_chart_svg
from governance.fairness.charts.metric_chart import ThresholdLine, metric_chart_svg, policy_threshold_lines
from governance.fairness.charts.report_charts import report_charts

__all__ = [
    "DEFAULT_CHART_METRICS",
    "GUIDE_BAND",
    "ThresholdLine",
    "disparity_chart_svg",
    "metric_chart_svg",
    "policy_threshold_lines",
    "report_charts",
]
