"""Server-side SVG charts of a fairness report (``FairnessReport.to_dict()``), readable without JavaScript.

The charts are shown in the Django admin and embedded in WeasyPrint PDF reports, so they are plain SVG 1.1
strings built with the standard library only: inline presentation attributes, no CSS, no scripts, no external
fonts or images, explicit ``width``/``height`` plus a ``viewBox``, and a generic font-family fallback. Nothing
here imports Django; the module reads the report's JSON and never recomputes a statistic.

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
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Final, Literal
from xml.sax.saxutils import escape

from governance.fairness.engine.policy import DEFAULT_POLICY, PolicyRule, evaluate_policy
from governance.fairness.engine.report import FairnessReport
from governance.fairness.engine.views import INTERSECTION

__all__ = [
    "DEFAULT_CHART_METRICS",
    "GUIDE_BAND",
    "ThresholdLine",
    "disparity_chart_svg",
    "metric_chart_svg",
    "policy_threshold_lines",
    "report_charts",
]

ReportLike = FairnessReport | Mapping[str, Any]
Measure = Literal["ratio", "difference"]

DEFAULT_CHART_METRICS: Final = ("selection_rate", "true_positive_rate", "false_positive_rate", "accuracy")
"""The metrics of a report page: demographic parity, the two equalized-odds rates, and accuracy."""
GUIDE_BAND: Final = (0.8, 1.25)
"""The four-fifths convention, drawn (lighter, labelled "guide") for ratios that no policy rule covers."""

_FONT_FAMILY: Final = "Helvetica, Arial, sans-serif"
_INK: Final = "#1f2328"
_MUTED: Final = "#59616b"
_GRID: Final = "#dde1e6"
_STRIPE: Final = "#f5f6f8"
_POINT: Final = "#0072b2"  # Okabe-Ito blue
_FAIL: Final = "#c8102e"
_WARN: Final = "#9a6100"
_OVERALL: Final = "#3d4248"
_THRESHOLD: Final = "#8e3b8e"
_BAND: Final = "#d7ecd2"
_GUIDE: Final = "#eceff3"
_PAD: Final = 16.0

_METRIC_TITLES: Final = {
    "base_rate": "Base rate",
    "selection_rate": "Selection rate",
    "true_positive_rate": "True positive rate",
    "false_positive_rate": "False positive rate",
    "false_negative_rate": "False negative rate",
    "true_negative_rate": "True negative rate",
    "positive_predictive_value": "Precision (PPV)",
    "negative_predictive_value": "Negative predictive value",
    "false_discovery_rate": "False discovery rate",
    "false_omission_rate": "False omission rate",
    "accuracy": "Accuracy",
    "error_rate": "Error rate",
}
_RULE_PATHS: Final = {
    "ratio": "the ratio lowest / highest over all compared groups",
    "difference": "the difference highest - lowest over all compared groups",
    "reference.min_ratio": "the lowest ratio of a group to the reference group",
    "reference.max_ratio": "the highest ratio of a group to the reference group",
    "reference.max_abs_difference": "the largest |group - reference group|",
    "to_overall.ratio": "the lowest group / overall ratio (folded to at most 1)",
    "to_overall.difference": "the largest |group - overall|",
}
_XML_ILLEGAL = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


@dataclass(frozen=True)
class ThresholdLine:
    """A vertical reference line on a metric chart.

    ``tag`` is drawn above the line, ``description`` (what crossing the line means) goes to the legend, and
    ``source`` (e.g. the policy rule the line derives from) is printed once per chart however many lines
    share it.
    """

    value: float
    tag: str
    description: str
    source: str = ""


# --------------------------------------------------------------------------------------------- public API


def metric_chart_svg(
    report: ReportLike,
    view: str,
    metric: str,
    *,
    thresholds: Sequence[ThresholdLine] | None = None,
    width: int = 720,
    row_height: int = 24,
    title: str | None = None,
) -> str:
    """Dot chart of ``metric`` for every group of ``view``, with the overall value and ``thresholds``.

    Groups keep the report's order (the engine sorts them by label), so charts of two model versions line
    up row by row. Rate metrics use a fixed 0..1 axis, so a visual gap means the same on every chart.
    """
    data = _report_data(report)
    block = _view_block(data, view)
    min_size = int(data.get("min_group_size") or 1)
    reference = _reference_group(block, metric)
    rows = [_group_row(group, metric, min_size, reference) for group in block.get("groups", [])]
    overall = block.get("overall", {})
    overall_value = _number(overall.get("metrics", {}).get(metric))
    lines = list(thresholds or ())
    known = [r.value for r in rows if r.value is not None]
    known += [end for r in rows if r.interval for end in r.interval]
    if overall_value is not None:
        known.append(overall_value)
    low, high = _domain(known, unit=all(0.0 <= v <= 1.0 for v in known))

    metric_title = _metric_title(metric)
    view_title = _view_title(block, view)
    heading = title if title is not None else f"{metric_title} by group \N{EM DASH} {view_title}"
    svg = _Canvas(width)
    width_f = float(width)
    label_w = min(max(width_f * 0.25, 120.0), 260.0)
    n_right = _PAD + label_w + 60.0
    value_w = 58.0
    plot = _Scale(low, high, n_right + 18.0, width_f - _PAD - value_w - 10.0)

    y = svg.heading(heading, _definition(data, metric))
    y += 8.0
    svg.text(_PAD, y, "Group", size=10.5, fill=_MUTED, weight="bold")
    svg.text(n_right, y, "n", size=10.5, fill=_MUTED, weight="bold", anchor="end")
    svg.text(width_f - _PAD, y, "Value", size=10.5, fill=_MUTED, weight="bold", anchor="end")

    marks = [(plot.x(overall_value), "overall")] if overall_value is not None else []
    drawn_lines = [line for line in lines if plot.contains(line.value)]
    marks += [(plot.x(line.value), line.tag) for line in drawn_lines]
    lanes = _assign_lanes(marks, plot.left, plot.right)
    tag_top = y + 6.0
    rows_top = tag_top + 12.0 * (max((lane for *_, lane in lanes), default=-1) + 1) + 6.0
    rows_bottom = rows_top + row_height * len(rows)

    for index in range(0, len(rows), 2):
        svg.rect(_PAD, rows_top + index * row_height, width_f - 2 * _PAD, row_height, fill=_STRIPE)
    plot.grid(svg, rows_top, rows_bottom)

    if overall_value is not None:
        svg.vline(
            plot.x(overall_value),
            rows_top - 4.0,
            rows_bottom,
            stroke=_OVERALL,
            dash="5 3",
            css="overall-line",
            tooltip=f"overall {metric}: {_fmt(overall_value)} (all rows)",
        )
    for line in drawn_lines:
        svg.vline(
            plot.x(line.value),
            rows_top - 4.0,
            rows_bottom,
            stroke=_THRESHOLD,
            dash="1.5 2.5",
            width=1.6,
            css="threshold-line",
            tooltip=line.description,
        )
    for x, tag, lane in lanes:
        color = _OVERALL if tag == "overall" else _THRESHOLD
        svg.text(x, tag_top + 9.0 + 12.0 * lane, tag, size=9.5, fill=color, anchor="middle", css="line-tag")

    for index, row in enumerate(rows):
        middle = rows_top + index * row_height + row_height / 2
        svg.open_group("group-row", _row_tooltip(row, metric))
        svg.text(
            _PAD + 4.0,
            middle + 4.0,
            _truncate(row.label, label_w - 8.0, 12.0),
            size=12.0,
            weight="bold" if row.is_reference else None,
        )
        svg.text(
            n_right,
            middle + 4.0,
            "\N{EM DASH}" if row.n is None else f"{row.n:,}",
            size=11.0,
            fill=_MUTED,
            anchor="end",
        )
        if row.value is None:
            _na_note(svg, plot, middle, row.reason, _STRIPE if index % 2 == 0 else "#ffffff")
            svg.text(width_f - _PAD, middle + 4.0, "n/a", size=11.0, fill=_MUTED, anchor="end")
        else:
            if row.interval is not None:
                svg.whisker(plot.x(row.interval[0]), plot.x(row.interval[1]), middle, _POINT)
            svg.circle(plot.x(row.value), middle, 5.0, fill=_POINT, css="group-marker")
            svg.text(width_f - _PAD, middle + 4.0, _fmt(row.value), size=11.0, anchor="end")
        svg.close_group()

    y = plot.axis(svg, rows_bottom, f"{metric_title} ({metric})")
    legend = _Legend(svg, y + 10.0, width_f)
    legend.entry("dot", f"{metric_title} of the group (point estimate); the value is printed on the right.")
    if any(row.interval for row in rows):
        legend.entry("whisker", f"Whisker: {_interval_text(data, simultaneous=False)} of the group's value.")
    else:
        legend.entry(
            "none",
            "No per-group confidence intervals in this report (the engine computes bootstrap intervals "
            "for disparities; see the disparity chart).",
        )
    if overall_value is not None:
        legend.entry("dashed", f"overall: {metric_title.lower()} over all rows = {_fmt(overall_value)}.")
    for line in lines:
        text = line.description
        if not plot.contains(line.value):
            text += f" ({_fmt(line.value)} is beyond the axis; not drawn.)"
        legend.entry("dotted", text)
    for source in dict.fromkeys(line.source for line in lines if line.source):
        legend.entry("none", source)
    notes = "n = rows in the group; n/a = value undefined, reason given (never drawn as 0)."
    if reference is not None:
        notes += f" Bold label: reference group ({_label(reference)})."
    if data.get("weighted"):
        notes += " Metrics use sample weights; n counts rows."
    legend.entry("none", notes)
    summary = "; ".join(
        f"{row.label}: {'n/a' if row.value is None else _fmt(row.value)} (n={row.n})" for row in rows
    )
    return svg.finish(legend.bottom, heading, f"{heading}. {summary}.")


def disparity_chart_svg(
    report: ReportLike,
    view: str,
    *,
    metrics: Sequence[str] | None = None,
    policy: Sequence[PolicyRule] | None = None,
    measure: Measure = "ratio",
    simultaneous: bool = False,
    guide_band: tuple[float, float] | None = GUIDE_BAND,
    width: int = 720,
    title: str | None = None,
) -> str:
    """Per metric the between-group disparity of ``view`` with its bootstrap interval and pass band.

    ``measure="ratio"`` plots ``disparities[m].ratio`` (lowest / highest group value, fairlearn's ratio) and
    ``"difference"`` plots ``max - min``. The shaded band of a metric is the band of the ``policy`` rules on
    ``disparities.<m>.<measure>`` (several rules: their intersection), and the verdict is
    :func:`evaluate_policy`'s, including ``use_interval`` rules. A metric that no rule covers gets the lighter
    ``guide_band`` (ratios only) and a "within"/"outside" note instead of a verdict: the chart must not invent
    a policy. ``simultaneous=True`` draws the Bonferroni-adjusted intervals instead of the per-interval ones.
    """
    data = _report_data(report)
    block = _view_block(data, view)
    rules = tuple(DEFAULT_POLICY if policy is None else policy)
    chosen = DEFAULT_CHART_METRICS if metrics is None else metrics
    wanted = [m for m in chosen if m in block.get("disparities", {})]
    rows = [_disparity_row(data, block, view, m, measure, rules, simultaneous, guide_band) for m in wanted]
    known = [1.0] if measure == "ratio" else [0.0]
    for row in rows:
        known += [v for v in (row.value, *(row.interval or ()), *(row.band or ())) if v is not None]
    low, high = _domain(known, unit=False, margin=0.04)

    view_title = _view_title(block, view)
    what = "ratio (lowest / highest group value)" if measure == "ratio" else "difference (highest - lowest)"
    heading = title if title is not None else f"Disparity {what} \N{EM DASH} {view_title}"
    svg = _Canvas(width)
    width_f = float(width)
    label_w = min(max(width_f * 0.24, 130.0), 240.0)
    value_w = 132.0
    verdict_w = 58.0
    plot = _Scale(low, high, _PAD + label_w + 12.0, width_f - _PAD - verdict_w - value_w - 12.0)
    row_height = 36.0

    y = svg.heading(
        heading,
        _sentence(_interval_text(data, simultaneous)) + " per disparity."
        if data.get("bootstrap")
        else "This report has no bootstrap intervals.",
    )
    y += 8.0
    svg.text(_PAD, y, "Metric", size=10.5, fill=_MUTED, weight="bold")
    svg.text(
        width_f - _PAD - verdict_w - 8.0,
        y,
        f"{measure.capitalize()} [interval]",
        size=10.5,
        fill=_MUTED,
        weight="bold",
        anchor="end",
    )
    svg.text(width_f - _PAD, y, "Verdict", size=10.5, fill=_MUTED, weight="bold", anchor="end")
    rows_top = y + 8.0
    rows_bottom = rows_top + row_height * len(rows)
    for index, row in enumerate(rows):
        top = rows_top + index * row_height
        if index % 2 == 0:
            svg.rect(_PAD, top, width_f - 2 * _PAD, row_height, fill=_STRIPE)
        if row.band is not None:
            lo, hi = (plot.clamp(row.band[0]), plot.clamp(row.band[1]))
            fill, dash = (_BAND, None) if row.rules else (_GUIDE, "3 2")
            svg.rect(
                lo,
                top + 3.0,
                hi - lo,
                row_height - 6.0,
                fill=fill,
                stroke="#8fbf86" if row.rules else "#a9b0b8",
                dash=dash,
                css="pass-band" if row.rules else "guide-band",
            )
    plot.grid(svg, rows_top, rows_bottom, over_bands=True)
    if plot.contains(1.0) and measure == "ratio":
        svg.vline(
            plot.x(1.0),
            rows_top,
            rows_bottom,
            stroke=_OVERALL,
            width=1.0,
            css="parity-line",
            tooltip="ratio 1: every compared group has the same value",
        )

    for index, row in enumerate(rows):
        top = rows_top + index * row_height
        middle = top + row_height / 2 + 2.0
        svg.open_group("disparity-row", row.tooltip)
        svg.text(_PAD + 4.0, top + 15.0, _truncate(row.title, label_w - 6.0, 12.0), size=12.0)
        svg.text(
            _PAD + 4.0, top + 28.0, _truncate(row.groups_note, label_w - 6.0, 9.5), size=9.5, fill=_MUTED
        )
        value_x = width_f - _PAD - verdict_w - 8.0
        if row.value is None:
            _na_note(svg, plot, middle, row.reason, _STRIPE if index % 2 == 0 else "#ffffff")
            svg.text(value_x, middle + 4.0, "n/a", size=11.0, fill=_MUTED, anchor="end")
        else:
            color = {"fail": _FAIL, "outside": _WARN}.get(row.status, _POINT)
            if row.interval is not None:
                svg.whisker(plot.x(row.interval[0]), plot.x(row.interval[1]), middle, color)
            if row.status in ("fail", "outside"):
                svg.diamond(plot.x(row.value), middle, 6.5, fill=color, css=f"disparity-marker {row.status}")
            else:
                svg.circle(plot.x(row.value), middle, 5.0, fill=color, css="disparity-marker")
            interval = "" if row.interval is None else f" [{_fmt(row.interval[0])}, {_fmt(row.interval[1])}]"
            svg.text(value_x, middle + 4.0, _fmt(row.value) + interval, size=11.0, anchor="end")
        verdict = {"pass": "PASS", "fail": "FAIL", "within": "within", "outside": "outside"}.get(
            row.status, ""
        )
        verdict_color = {"fail": _FAIL, "outside": _WARN, "pass": "#2e6b27"}.get(row.status, _MUTED)
        svg.text(
            width_f - _PAD,
            middle + 4.0,
            verdict or "\N{EM DASH}",
            size=11.0,
            fill=verdict_color,
            weight="bold" if row.status in ("pass", "fail") else None,
            anchor="end",
            css="verdict",
        )
        svg.close_group()

    y = plot.axis(svg, rows_bottom, f"Disparity {measure}")
    legend = _Legend(svg, y + 10.0, width_f)
    explained: set[str] = set()
    for row in rows:
        if row.rules and row.band is not None and row.band_text not in explained:
            explained.add(row.band_text)
            legend.entry("band", row.band_text)
    if any(row.band is not None and not row.rules for row in rows) and guide_band is not None:
        legend.entry(
            "guide",
            f"Guide band [{_fmt_bound(guide_band[0])}, {_fmt_bound(guide_band[1])}] (four-fifths convention) "
            'for metrics no policy rule covers: "within"/"outside" is information, not a policy verdict.',
        )
    legend.entry("dot", "Disparity (point estimate) inside its band, or no band applies.")
    if any(row.rules for row in rows):
        legend.entry(
            "diamond",
            "FAIL: outside the policy band (a use_interval rule also fails when any part of the interval "
            "leaves the band). The verdict is the deploy gate's own (evaluate_policy).",
        )
    if any(not row.rules and row.band is not None for row in rows):
        legend.entry("warn", '"outside": outside the guide band only; no policy rule applies.')
    if any(row.interval for row in rows):
        legend.entry("whisker", f"Whisker: {_interval_text(data, simultaneous)}.")
    if measure == "ratio":
        legend.entry(
            "solid",
            "Ratio 1 = parity. Ratio = lowest / highest value over groups with "
            f"n \N{GREATER-THAN OR EQUAL TO} min_group_size ({data.get('min_group_size')}).",
        )
    legend.entry("none", "n/a = disparity undefined, reason given.")
    for row in rows:
        legend.entry("none", row.extremes)
    summary = "; ".join(
        f"{row.title}: {'n/a' if row.value is None else _fmt(row.value)} {row.status}".strip() for row in rows
    )
    return svg.finish(legend.bottom, heading, f"{heading}. {summary}.")


def report_charts(
    report: ReportLike, view: str = INTERSECTION, policy: Sequence[PolicyRule] | None = None
) -> dict[str, str]:
    """The charts of a report page: one per metric of :data:`DEFAULT_CHART_METRICS`, then ``"disparity"``.

    Threshold lines of each metric chart come from ``policy`` (default: the four-fifths rule) through
    :func:`policy_threshold_lines`, so the page shows the band the deploy gate actually enforces.
    """
    data = _report_data(report)
    block = _view_block(data, view)
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


def policy_threshold_lines(
    report: ReportLike, view: str, metric: str, policy: Sequence[PolicyRule] | None = None
) -> list[ThresholdLine]:
    """The policy bands on ``metric``'s disparities of ``view``, as lines on the metric's own scale.

    A band on a ratio (``disparities.<m>.ratio`` or ``.reference.min_ratio``/``max_ratio``) becomes
    ``lower x ref`` and ``upper x ref``, where ``ref`` is the reference group's value: a group left of the
    lower line has a ratio to the reference group below the band (for the four-fifths rule: it is selected
    at less than 4/5 of the reference rate). A band on a difference (``.difference``,
    ``.reference.max_abs_difference``) becomes ``ref +- upper``. Bands on ``.to_overall`` are scaled by the
    overall value instead. The rule itself compares all groups (min / max), which the disparity chart shows.
    """
    data = _report_data(report)
    block = _view_block(data, view)
    reference = _reference_group(block, metric)
    ref_value = None
    if reference is not None:
        for group in block.get("groups", []):
            if group.get("group") == reference:
                ref_value = _number(group.get("metrics", {}).get(metric))
    overall_value = _number(block.get("overall", {}).get("metrics", {}).get(metric))
    prefix = f"disparities.{metric}."
    lines: list[ThresholdLine] = []
    title = _metric_title(metric).lower()
    for rule in DEFAULT_POLICY if policy is None else policy:
        if not rule.metric.startswith(prefix) or (rule.views is not None and view not in rule.views):
            continue
        path = rule.metric[len(prefix) :]
        if path.startswith("to_overall."):
            base, tag_base = overall_value, "overall"
            base_name = "the overall value" + ("" if base is None else f" ({_fmt(base)})")
        else:
            base, tag_base = ref_value, "ref"
            base_name = f"the reference group's value ({_label(reference or {})}: {_fmt(base or 0.0)})"
        if base is None:
            continue
        band = (
            f'Policy "{rule.name}" requires {_RULE_PATHS.get(path, path)} '
            f"{_band_words(rule.lower, rule.upper)}; the dotted lines apply that band to each group against "
            "one base value, the disparity chart shows the rule's own verdict."
        )
        if path.endswith("ratio"):
            for bound in (rule.lower, rule.upper):
                if bound is None:
                    continue
                value = base * bound
                side = "left" if bound <= 1 else "right"
                text = (
                    f"{_fmt_bound(bound)} \N{MULTIPLICATION SIGN} {base_name} = {_fmt(value)}: "
                    f"a group {side} of this line has a {title} of {'less' if bound <= 1 else 'more'} than "
                    f"{_fmt_bound(bound)} times that value."
                )
                tag = f"{_fmt_bound(bound)}\N{MULTIPLICATION SIGN} {tag_base}"
                lines.append(ThresholdLine(value, tag, text, band))
        elif path.endswith("difference") and rule.upper is not None:
            for sign in (-1.0, 1.0):
                value = base + sign * rule.upper
                symbol = "\N{MINUS SIGN}" if sign < 0 else "+"
                text = (
                    f"{_sentence(base_name)} {symbol} {_fmt_bound(rule.upper)} = {_fmt(value)}: "
                    f"a group beyond this line differs from that value by more than {_fmt_bound(rule.upper)}."
                )
                tag = f"{tag_base} {symbol} {_fmt_bound(rule.upper)}"
                lines.append(ThresholdLine(value, tag, text, band))
    unique: dict[float, ThresholdLine] = {}
    for line in lines:
        unique.setdefault(round(line.value, 12), line)
    return sorted(unique.values(), key=lambda line: line.value)


# ------------------------------------------------------------------------------------------ report reading


@dataclass(frozen=True)
class _GroupRow:
    label: str
    n: int | None
    value: float | None
    reason: str | None
    interval: tuple[float, float] | None
    is_reference: bool


@dataclass(frozen=True)
class _DisparityRow:
    title: str
    groups_note: str
    value: float | None
    reason: str | None
    interval: tuple[float, float] | None
    band: tuple[float, float] | None
    band_text: str
    rules: tuple[str, ...]
    status: str
    tooltip: str
    extremes: str


def _report_data(report: ReportLike) -> Mapping[str, Any]:
    return report.to_dict() if isinstance(report, FairnessReport) else report


def _view_block(data: Mapping[str, Any], view: str) -> Mapping[str, Any]:
    """The view's JSON; an unknown name is a caller bug, so it raises with the names that exist."""
    attributes = data.get("attributes") or {}
    block = data.get("intersection") if view == INTERSECTION else attributes.get(view)
    if not isinstance(block, Mapping):
        known = [INTERSECTION, *attributes]
        raise ValueError(f"view {view!r} is not in the report; views are {known}")
    return block


def _reference_group(block: Mapping[str, Any], metric: str) -> Mapping[str, Any] | None:
    reference = (block.get("disparities", {}).get(metric) or {}).get("reference") or {}
    group = reference.get("group")
    return group if isinstance(group, Mapping) else None


def _group_row(
    group: Mapping[str, Any], metric: str, min_size: int, reference: Mapping[str, Any] | None
) -> _GroupRow:
    labels = group.get("group") or {}
    n = group.get("n")
    n_rows = int(n) if isinstance(n, int | float) and not isinstance(n, bool) else None
    value = _number((group.get("metrics") or {}).get(metric))
    reason = (group.get("null_reasons") or {}).get(metric)
    if n_rows is not None and n_rows < min_size:
        value, reason = None, f"group has {n_rows} row(s), below min_group_size={min_size}"
    elif value is None and not reason:
        reason = "no value in the report"
    interval = (
        _interval((group.get("ci") or {}).get(metric), simultaneous=False) if value is not None else None
    )
    return _GroupRow(
        _label(labels), n_rows, value, reason, interval, reference is not None and labels == reference
    )


def _disparity_row(
    data: Mapping[str, Any],
    block: Mapping[str, Any],
    view: str,
    metric: str,
    measure: Measure,
    rules: Sequence[PolicyRule],
    simultaneous: bool,
    guide_band: tuple[float, float] | None,
) -> _DisparityRow:
    entry = block["disparities"][metric]
    value = _number(entry.get(measure))
    reason = (entry.get("null_reasons") or {}).get(measure)
    interval = _interval((entry.get("ci") or {}).get(measure), simultaneous) if value is not None else None
    path = f"disparities.{metric}.{measure}"
    matching = [r for r in rules if r.metric == path and (r.views is None or view in r.views)]
    band: tuple[float, float] | None = None
    band_text = ""
    status = ""
    verdict_reasons: list[str] = []
    if matching:
        lows = [r.lower for r in matching if r.lower is not None]
        highs = [r.upper for r in matching if r.upper is not None]
        lower, upper = (max(lows) if lows else None), (min(highs) if highs else None)
        band = (-math.inf if lower is None else lower, math.inf if upper is None else upper)
        names = ", ".join(f'"{r.name}"' for r in matching)
        band_text = (
            f"Policy band {names}: {measure} {_band_words(lower, upper)} ({_metric_title(metric).lower()})."
        )
        outcomes = evaluate_policy(data, [replace(r, views=(view,)) for r in matching]).outcomes
        status = "pass" if all(o.passed for o in outcomes) else "fail"
        verdict_reasons = [f"{o.rule}: {'pass' if o.passed else 'FAIL'}, {o.reason}" for o in outcomes]
    elif guide_band is not None and measure == "ratio":
        band = guide_band
        if value is not None:
            status = "within" if guide_band[0] <= value <= guide_band[1] else "outside"
    if value is None and not reason:
        reason = "no value in the report"
    low_group, high_group = entry.get("min_group"), entry.get("max_group")
    if isinstance(low_group, Mapping) and isinstance(high_group, Mapping):
        sign = "/" if measure == "ratio" else "\N{MINUS SIGN}"
        first, second = (low_group, high_group) if measure == "ratio" else (high_group, low_group)
        groups_note = f"{_label(first)} {sign} {_label(second)}"
    else:
        groups_note = f"{entry.get('groups_compared', 0)} group(s) compared"
    excluded = entry.get("excluded_groups") or []
    extremes = f"{_metric_title(metric)}: {entry.get('groups_compared', 0)} group(s) compared"
    if isinstance(low_group, Mapping) and isinstance(high_group, Mapping):
        for word, group in (("lowest", low_group), ("highest", high_group)):
            shown = next(
                (
                    _number((g.get("metrics") or {}).get(metric))
                    for g in block["groups"]
                    if g.get("group") == group
                ),
                None,
            )
            extremes += f"; {word} {_label(group)}" + ("" if shown is None else f" ({_fmt(shown)})")
    if excluded:
        extremes += f"; {len(excluded)} excluded (below min_group_size or value undefined)"
    tip = [f"{metric} {measure}: " + ("n/a (" + str(reason) + ")" if value is None else _fmt(value))]
    if interval is not None:
        tip.append(f"interval [{_fmt(interval[0])}, {_fmt(interval[1])}]")
    tip.append(
        f"{groups_note}; {entry.get('groups_compared', 0)} group(s) compared, {len(excluded)} excluded"
    )
    tip.extend(verdict_reasons)
    return _DisparityRow(
        _metric_title(metric),
        groups_note,
        value,
        None if reason is None else str(reason),
        interval,
        band,
        band_text,
        tuple(r.name for r in matching),
        status,
        "; ".join(tip),
        extremes + ".",
    )


def _interval(ci: Any, simultaneous: bool) -> tuple[float, float] | None:
    if not isinstance(ci, Mapping):
        return None
    source = ci.get("bonferroni") if simultaneous else ci
    if not isinstance(source, Mapping):
        return None
    low, high = _number(source.get("lower")), _number(source.get("upper"))
    return None if low is None or high is None else (low, high)


def _interval_text(data: Mapping[str, Any], simultaneous: bool) -> str:
    """How the intervals were made, from the report's own ``bootstrap`` section."""
    settings = data.get("bootstrap") or {}
    if not settings:
        return "confidence interval given in the report (no bootstrap settings recorded)"
    replicates, seed = settings.get("replicates"), settings.get("seed")
    if simultaneous:
        level = _number(settings.get("bonferroni_confidence")) or 0.0
        text = (
            f"simultaneous (Bonferroni, {settings.get('comparisons')} comparisons) bootstrap percentile "
            f"interval at {level:.4%}"
        )
    else:
        level = _number(settings.get("confidence")) or 0.95
        text = f"{level:.0%} bootstrap percentile interval, not adjusted for multiple comparisons"
    return f"{text} ({replicates} replicates, seed {seed})"


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def _label(group: Mapping[str, Any]) -> str:
    """``sex=F, race=B``; the engine's missing-value group (label ``null``) reads ``(missing)``."""
    return ", ".join(f"{column}={'(missing)' if value is None else value}" for column, value in group.items())


def _view_title(block: Mapping[str, Any], view: str) -> str:
    columns = block.get("columns") or [view]
    return " \N{MULTIPLICATION SIGN} ".join(str(column) for column in columns)


def _metric_title(metric: str) -> str:
    return _METRIC_TITLES.get(metric, metric.replace("_", " ").capitalize())


def _definition(data: Mapping[str, Any], metric: str) -> str:
    text = (data.get("definitions") or {}).get(metric)
    return f"{metric}: {text}" if text else metric


def _row_tooltip(row: _GroupRow, metric: str) -> str:
    text = f"{row.label} (n={row.n}): {metric} = "
    text += f"n/a ({row.reason})" if row.value is None else _fmt(row.value)
    if row.interval is not None:
        text += f", interval [{_fmt(row.interval[0])}, {_fmt(row.interval[1])}]"
    return text + (" [reference group]" if row.is_reference else "")


# ----------------------------------------------------------------------------------------------- drawing


def _na_note(svg: _Canvas, plot: _Scale, middle: float, reason: str | None, background: str) -> None:
    """Draw "n/a" and the reason on a box in the row's colour, so no grid or reference line crosses it."""
    note = _truncate(f"n/a \N{EM DASH} {reason}" if reason else "n/a", plot.right - plot.left - 12.0, 11.0)
    svg.rect(plot.left + 2.0, middle - 8.0, _text_width(note, 11.0) + 8.0, 16.0, fill=background)
    svg.text(plot.left + 6.0, middle + 4.0, note, size=11.0, fill=_MUTED, style="italic", css="na-label")


def _sentence(text: str) -> str:
    """Upper-case the first letter only (``str.capitalize`` would lower-case names like Bonferroni)."""
    return text[:1].upper() + text[1:]


def _band_words(lower: float | None, upper: float | None) -> str:
    """``in [0.8, 1.25]``, ``at most 0.1`` or ``at least 0.8``: a band as a reader says it."""
    if lower is not None and upper is not None:
        return f"in [{_fmt_bound(lower)}, {_fmt_bound(upper)}]"
    if upper is not None:
        return f"at most {_fmt_bound(upper)}"
    return f"at least {_fmt_bound(lower)}"


def _fmt(value: float) -> str:
    return f"{value:.3f}"


def _fmt_bound(value: float | None) -> str:
    if value is None or math.isinf(value):
        return "-inf" if value is not None and value < 0 else "inf" if value is not None else "none"
    return f"{value:g}"


def _coord(value: float) -> str:
    """Coordinates with two decimals (0.01 px) and no ``-0``: short, stable output."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _clean(text: str) -> str:
    """Replace characters that XML 1.0 forbids (control characters, lone surrogates) by U+FFFD."""
    return _XML_ILLEGAL.sub("\ufffd", text)


def _text_escape(text: str) -> str:
    return escape(_clean(text))


def _attr_escape(text: str) -> str:
    return escape(_clean(text), {'"': "&quot;", "\n": "&#10;", "\r": "&#13;", "\t": "&#9;"})


def _char_width(char: str) -> float:
    """Approximate advance of ``char`` in em, tuned to DejaVu Sans (the usual ``sans-serif`` on Linux servers,
    where WeasyPrint renders) and wider than Helvetica/Arial, so an estimate never overflows its column."""
    if unicodedata.combining(char):
        return 0.0
    if unicodedata.east_asian_width(char) in ("W", "F"):
        return 1.0
    if char in "ijl.,:;|!' ":
        return 0.32
    if char in "ftr()[]/":
        return 0.42
    if char in "mwMW@%":
        return 1.0
    if char in "=<>+~#&" or char.isupper():
        return 0.84
    return 0.64


def _text_width(text: str, size: float) -> float:
    return size * sum(_char_width(char) for char in text)


def _truncate(text: str, max_width: float, size: float) -> str:
    """Shorten ``text`` to ``max_width`` px with an ellipsis (the full text stays in the row's title)."""
    if _text_width(text, size) <= max_width:
        return text
    budget = max_width - _text_width("\N{HORIZONTAL ELLIPSIS}", size)
    out = ""
    for char in text:
        if _text_width(out + char, size) > budget:
            break
        out += char
    return out.rstrip() + "\N{HORIZONTAL ELLIPSIS}"


def _wrap(text: str, max_width: float, size: float) -> list[str]:
    lines: list[str] = []
    current = ""
    for word in text.split():
        candidate = f"{current} {word}" if current else word
        if current and _text_width(candidate, size) > max_width:
            lines.append(current)
            current = word
        else:
            current = candidate
    if current:
        lines.append(current)
    return [_truncate(line, max_width, size) for line in lines] or [""]


def _nice_step(raw: float) -> float:
    exponent = math.floor(math.log10(raw))
    fraction = raw / 10**exponent
    for nice in (1.0, 2.0, 2.5, 5.0, 10.0):
        if fraction <= nice + 1e-9:
            return nice * 10.0**exponent
    return 10.0 ** (exponent + 1)


def _domain(values: Iterable[float], *, unit: bool, margin: float = 0.0) -> tuple[float, float]:
    """Axis range: exactly [0, 1] for rates (comparable across charts), else rounded to a nice step."""
    finite = [v for v in values if math.isfinite(v)]
    if unit or not finite:
        return 0.0, 1.0
    low, high = min(0.0, *finite), max(finite)
    span = high - low or 1.0
    high += span * margin
    step = _nice_step((high - low or 1.0) / 5)
    return math.floor(low / step + 1e-9) * step, math.ceil(high / step - 1e-9) * step


def _assign_lanes(
    marks: Sequence[tuple[float, str]], left: float, right: float
) -> list[tuple[float, str, int]]:
    """Place line tags (x, text) in up to three stacked lanes so that tags of close lines do not overlap.

    Returns (centre x, text, lane) per placed tag; a tag is nudged inwards at the plot edges and dropped when
    all lanes are taken (the legend still explains its line).
    """
    lane_ends: list[float] = []
    placed: list[tuple[float, str, int]] = []
    for x, tag in sorted(marks):
        half = _text_width(tag, 9.5) / 2 + 3.0
        center = min(max(x, left + half), right + 24.0 - half)
        lane = next((i for i, end in enumerate(lane_ends) if center - half > end), len(lane_ends))
        if lane == len(lane_ends):
            if lane == 3:
                continue
            lane_ends.append(0.0)
        lane_ends[lane] = center + half
        placed.append((center, tag, lane))
    return placed


@dataclass(frozen=True)
class _Scale:
    """Linear map from data values to x pixels of the plot area."""

    low: float
    high: float
    left: float
    right: float

    def x(self, value: float) -> float:
        return self.left + (value - self.low) / (self.high - self.low) * (self.right - self.left)

    def contains(self, value: float) -> bool:
        return self.low - 1e-12 <= value <= self.high + 1e-12

    def clamp(self, value: float) -> float:
        return self.x(min(max(value, self.low), self.high))

    def ticks(self) -> list[float]:
        step = _nice_step((self.high - self.low) / max(2, int((self.right - self.left) // 48)))
        count = round((self.high - self.low) / step)
        return [round(self.low + i * step, 10) for i in range(count + 1)]

    def grid(self, svg: _Canvas, top: float, bottom: float, *, over_bands: bool = False) -> None:
        for tick in self.ticks():
            svg.vline(
                self.x(tick),
                top,
                bottom,
                stroke=_GRID if not over_bands else "#c9ced4",
                width=0.8,
                opacity=0.7 if over_bands else None,
            )

    def axis(self, svg: _Canvas, y: float, caption: str) -> float:
        """Axis line, tick marks with labels and a caption; returns the y below it."""
        svg.line(self.left, y, self.right, y, stroke=_MUTED, width=1.0)
        ticks = self.ticks()
        step = ticks[1] - ticks[0] if len(ticks) > 1 else 1.0
        decimals = max(0, -math.floor(math.log10(step) + 1e-9)) + (
            1 if round(step / 10 ** math.floor(math.log10(step)), 6) == 2.5 else 0
        )
        for tick in ticks:
            x = self.x(tick)
            svg.raw(
                f'<g class="tick"><line x1="{_coord(x)}" y1="{_coord(y)}" x2="{_coord(x)}" '
                f'y2="{_coord(y + 4)}" stroke="{_MUTED}" stroke-width="1"/>'
                f'<text x="{_coord(x)}" y="{_coord(y + 15)}" font-size="10" fill="{_MUTED}" '
                f'text-anchor="middle">{tick:.{decimals}f}</text></g>'
            )
        svg.text((self.left + self.right) / 2, y + 30.0, caption, size=10.5, fill=_MUTED, anchor="middle")
        return y + 32.0


class _Canvas:
    """Collects SVG elements as strings; every text and attribute value goes through the escapers."""

    def __init__(self, width: int) -> None:
        self.width = width
        self.parts: list[str] = []

    def raw(self, markup: str) -> None:
        self.parts.append(markup)

    def heading(self, title: str, subtitle: str) -> float:
        self.text(_PAD, 24.0, _truncate(title, self.width - 2 * _PAD, 15.0), size=15.0, weight="bold")
        y = 24.0
        for line in _wrap(subtitle, self.width - 2 * _PAD, 10.5)[:2]:
            y += 15.0
            self.text(_PAD, y, line, size=10.5, fill=_MUTED)
        return y + 12.0

    def text(
        self,
        x: float,
        y: float,
        content: str,
        *,
        size: float,
        fill: str = _INK,
        weight: str | None = None,
        style: str | None = None,
        anchor: str | None = None,
        css: str | None = None,
    ) -> None:
        attrs = _attrs(
            {
                "class": css,
                "x": _coord(x),
                "y": _coord(y),
                "font-size": _coord(size),
                "fill": fill,
                "font-weight": weight,
                "font-style": style,
                "text-anchor": anchor,
            }
        )
        self.parts.append(f"<text{attrs}>{_text_escape(content)}</text>")

    def rect(
        self,
        x: float,
        y: float,
        width: float,
        height: float,
        *,
        fill: str,
        stroke: str | None = None,
        dash: str | None = None,
        css: str | None = None,
    ) -> None:
        attrs = _attrs(
            {
                "class": css,
                "x": _coord(x),
                "y": _coord(y),
                "width": _coord(max(width, 0.0)),
                "height": _coord(height),
                "fill": fill,
                "stroke": stroke,
                "stroke-width": "0.8" if stroke else None,
                "stroke-dasharray": dash,
            }
        )
        self.parts.append(f"<rect{attrs}/>")

    def line(
        self,
        x1: float,
        y1: float,
        x2: float,
        y2: float,
        *,
        stroke: str,
        width: float = 1.0,
        dash: str | None = None,
        css: str | None = None,
        opacity: float | None = None,
    ) -> None:
        attrs = _attrs(
            {
                "class": css,
                "x1": _coord(x1),
                "y1": _coord(y1),
                "x2": _coord(x2),
                "y2": _coord(y2),
                "stroke": stroke,
                "stroke-width": _coord(width),
                "stroke-dasharray": dash,
                "stroke-opacity": None if opacity is None else _coord(opacity),
            }
        )
        self.parts.append(f"<line{attrs}/>")

    def vline(
        self,
        x: float,
        top: float,
        bottom: float,
        *,
        stroke: str,
        width: float = 1.2,
        dash: str | None = None,
        css: str | None = None,
        tooltip: str | None = None,
        opacity: float | None = None,
    ) -> None:
        if tooltip:
            self.open_group(None, tooltip)
        self.line(x, top, x, bottom, stroke=stroke, width=width, dash=dash, css=css, opacity=opacity)
        if tooltip:
            self.close_group()

    def circle(self, x: float, y: float, radius: float, *, fill: str, css: str) -> None:
        attrs = _attrs(
            {
                "class": css,
                "cx": _coord(x),
                "cy": _coord(y),
                "r": _coord(radius),
                "fill": fill,
                "stroke": "#ffffff",
                "stroke-width": "1.5",
            }
        )
        self.parts.append(f"<circle{attrs}/>")

    def diamond(self, x: float, y: float, radius: float, *, fill: str, css: str) -> None:
        points = f"M{_coord(x)} {_coord(y - radius)}L{_coord(x + radius)} {_coord(y)}"
        points += f"L{_coord(x)} {_coord(y + radius)}L{_coord(x - radius)} {_coord(y)}Z"
        attrs = _attrs({"class": css, "d": points, "fill": fill, "stroke": "#ffffff", "stroke-width": "1.2"})
        self.parts.append(f"<path{attrs}/>")

    def whisker(self, x1: float, x2: float, y: float, color: str) -> None:
        """An interval bar with end caps: ``|---|`` from ``x1`` to ``x2``."""
        d = f"M{_coord(x1)} {_coord(y)}H{_coord(x2)}M{_coord(x1)} {_coord(y - 4)}V{_coord(y + 4)}"
        d += f"M{_coord(x2)} {_coord(y - 4)}V{_coord(y + 4)}"
        attrs = _attrs(
            {"class": "ci-whisker", "d": d, "fill": "none", "stroke": color, "stroke-width": "1.6"}
        )
        self.parts.append(f"<path{attrs}/>")

    def open_group(self, css: str | None, tooltip: str | None) -> None:
        self.parts.append(f"<g{_attrs({'class': css})}>")
        if tooltip:
            self.parts.append(f"<title>{_text_escape(tooltip)}</title>")

    def close_group(self) -> None:
        self.parts.append("</g>")

    def finish(self, height: float, title: str, description: str) -> str:
        """The complete ``<svg>`` with explicit size, viewBox and accessible name/description."""
        total = math.ceil(height + 12.0)
        head = (
            f'<svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="{self.width}" height="{total}" '
            f'viewBox="0 0 {self.width} {total}" role="img" aria-label="{_attr_escape(title)}" '
            f'font-family="{_FONT_FAMILY}">'
            f"<title>{_text_escape(title)}</title><desc>{_text_escape(description)}</desc>"
            f'<rect x="0" y="0" width="{self.width}" height="{total}" fill="#ffffff"/>'
        )
        return head + "".join(self.parts) + "</svg>"


def _attrs(attrs: Mapping[str, str | None]) -> str:
    return "".join(f' {name}="{_attr_escape(value)}"' for name, value in attrs.items() if value is not None)


class _Legend:
    """A vertical list of legend entries: a drawn glyph, then text wrapped to the chart's width."""

    def __init__(self, svg: _Canvas, top: float, width: float) -> None:
        self.svg = svg
        self.bottom = top
        self.width = width

    def entry(self, glyph: str, text: str) -> None:
        x, y = _PAD + 4.0, self.bottom + 11.0
        svg = self.svg
        if glyph == "dot":
            svg.circle(x + 10.0, y - 4.0, 4.5, fill=_POINT, css="legend-glyph")
        elif glyph in ("diamond", "warn"):
            svg.diamond(
                x + 10.0, y - 4.0, 5.5, fill=_FAIL if glyph == "diamond" else _WARN, css="legend-glyph"
            )
        elif glyph == "whisker":
            svg.raw(
                f'<path class="legend-glyph" d="M{_coord(x + 2)} {_coord(y - 4)}H{_coord(x + 18)}'
                f'M{_coord(x + 2)} {_coord(y - 8)}V{_coord(y)}M{_coord(x + 18)} {_coord(y - 8)}V{_coord(y)}"'
                f' fill="none" stroke="{_POINT}" stroke-width="1.6"/>'
            )
        elif glyph in ("dashed", "dotted", "solid"):
            dash = {"dashed": "5 3", "dotted": "1.5 2.5", "solid": None}[glyph]
            color = _THRESHOLD if glyph == "dotted" else _OVERALL
            svg.line(x + 10.0, y - 11.0, x + 10.0, y + 2.0, stroke=color, width=1.6, dash=dash)
        elif glyph in ("band", "guide"):
            svg.rect(
                x + 2.0,
                y - 10.0,
                16.0,
                11.0,
                fill=_BAND if glyph == "band" else _GUIDE,
                stroke="#8fbf86" if glyph == "band" else "#a9b0b8",
                dash=None if glyph == "band" else "3 2",
            )
        for line in _wrap(text, self.width - x - 28.0 - _PAD, 10.5):
            svg.text(x + 28.0, y, line, size=10.5, fill=_INK)
            y += 14.0
        self.bottom = y - 11.0 + 4.0
