"""The per-group metric chart: one dot per group, the overall value, and policy threshold lines."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from governance.fairness.charts.layout import Legend, Scale, assign_lanes, axis_domain, na_note
from governance.fairness.charts.reading import (
    RULE_PATHS,
    ReportLike,
    as_number,
    group_label,
    group_row,
    interval_text,
    metric_definition,
    metric_title_of,
    reference_group,
    report_data,
    row_tooltip,
    view_block,
    view_title_of,
)
from governance.fairness.charts.svg import MUTED, OVERALL, PAD, POINT, STRIPE, THRESHOLD, Canvas
from governance.fairness.charts.text import band_words, fmt, fmt_bound, sentence, truncate
from governance.fairness.engine.policy import DEFAULT_POLICY, PolicyRule


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
    data = report_data(report)
    block = view_block(data, view)
    min_size = int(data.get("min_group_size") or 1)
    reference = reference_group(block, metric)
    rows = [group_row(group, metric, min_size, reference) for group in block.get("groups", [])]
    overall = block.get("overall", {})
    overall_value = as_number(overall.get("metrics", {}).get(metric))
    lines = list(thresholds or ())
    known = [r.value for r in rows if r.value is not None]
    known += [end for r in rows if r.interval for end in r.interval]
    if overall_value is not None:
        known.append(overall_value)
    low, high = axis_domain(known, unit=all(0.0 <= v <= 1.0 for v in known))

    metric_title = metric_title_of(metric)
    view_title = view_title_of(block, view)
    heading = title if title is not None else f"{metric_title} by group \N{EM DASH} {view_title}"
    svg = Canvas(width)
    width_f = float(width)
    label_w = min(max(width_f * 0.25, 120.0), 260.0)
    n_right = PAD + label_w + 60.0
    value_w = 58.0
    plot = Scale(low, high, n_right + 18.0, width_f - PAD - value_w - 10.0)

    y = svg.heading(heading, metric_definition(data, metric))
    y += 8.0
    svg.text(PAD, y, "Group", size=10.5, fill=MUTED, weight="bold")
    svg.text(n_right, y, "n", size=10.5, fill=MUTED, weight="bold", anchor="end")
    svg.text(width_f - PAD, y, "Value", size=10.5, fill=MUTED, weight="bold", anchor="end")

    marks = [(plot.x(overall_value), "overall")] if overall_value is not None else []
    drawn_lines = [line for line in lines if plot.contains(line.value)]
    marks += [(plot.x(line.value), line.tag) for line in drawn_lines]
    lanes = assign_lanes(marks, plot.left, plot.right)
    tag_top = y + 6.0
    rows_top = tag_top + 12.0 * (max((lane for *_, lane in lanes), default=-1) + 1) + 6.0
    rows_bottom = rows_top + row_height * len(rows)

    for index in range(0, len(rows), 2):
        svg.rect(PAD, rows_top + index * row_height, width_f - 2 * PAD, row_height, fill=STRIPE)
    plot.grid(svg, rows_top, rows_bottom)

    if overall_value is not None:
        svg.vline(
            plot.x(overall_value),
            rows_top - 4.0,
            rows_bottom,
            stroke=OVERALL,
            dash="5 3",
            css="overall-line",
            tooltip=f"overall {metric}: {fmt(overall_value)} (all rows)",
        )
    for line in drawn_lines:
        svg.vline(
            plot.x(line.value),
            rows_top - 4.0,
            rows_bottom,
            stroke=THRESHOLD,
            dash="1.5 2.5",
            width=1.6,
            css="threshold-line",
            tooltip=line.description,
        )
    for x, tag, lane in lanes:
        color = OVERALL if tag == "overall" else THRESHOLD
        svg.text(x, tag_top + 9.0 + 12.0 * lane, tag, size=9.5, fill=color, anchor="middle", css="line-tag")

    for index, row in enumerate(rows):
        middle = rows_top + index * row_height + row_height / 2
        svg.open_group("group-row", row_tooltip(row, metric))
        svg.text(
            PAD + 4.0,
            middle + 4.0,
            truncate(row.label, label_w - 8.0, 12.0),
            size=12.0,
            weight="bold" if row.is_reference else None,
        )
        svg.text(
            n_right,
            middle + 4.0,
            "\N{EM DASH}" if row.n is None else f"{row.n:,}",
            size=11.0,
            fill=MUTED,
            anchor="end",
        )
        if row.value is None:
            na_note(svg, plot, middle, row.reason, STRIPE if index % 2 == 0 else "#ffffff")
            svg.text(width_f - PAD, middle + 4.0, "n/a", size=11.0, fill=MUTED, anchor="end")
        else:
            if row.interval is not None:
                svg.whisker(plot.x(row.interval[0]), plot.x(row.interval[1]), middle, POINT)
            svg.circle(plot.x(row.value), middle, 5.0, fill=POINT, css="group-marker")
            svg.text(width_f - PAD, middle + 4.0, fmt(row.value), size=11.0, anchor="end")
        svg.close_group()

    y = plot.axis(svg, rows_bottom, f"{metric_title} ({metric})")
    legend = Legend(svg, y + 10.0, width_f)
    legend.entry("dot", f"{metric_title} of the group (point estimate); the value is printed on the right.")
    if any(row.interval for row in rows):
        legend.entry("whisker", f"Whisker: {interval_text(data, simultaneous=False)} of the group's value.")
    else:
        legend.entry(
            "none",
            "No per-group confidence intervals in this report (the engine computes bootstrap intervals "
            "for disparities; see the disparity chart).",
        )
    if overall_value is not None:
        legend.entry("dashed", f"overall: {metric_title.lower()} over all rows = {fmt(overall_value)}.")
    for line in lines:
        text = line.description
        if not plot.contains(line.value):
            text += f" ({fmt(line.value)} is beyond the axis; not drawn.)"
        legend.entry("dotted", text)
    for source in dict.fromkeys(line.source for line in lines if line.source):
        legend.entry("none", source)
    notes = "n = rows in the group; n/a = value undefined, reason given (never drawn as 0)."
    if reference is not None:
        notes += f" Bold label: reference group ({group_label(reference)})."
    if data.get("weighted"):
        notes += " Metrics use sample weights; n counts rows."
    legend.entry("none", notes)
    summary = "; ".join(
        f"{row.label}: {'n/a' if row.value is None else fmt(row.value)} (n={row.n})" for row in rows
    )
    return svg.finish(legend.bottom, heading, f"{heading}. {summary}.")


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
    data = report_data(report)
    block = view_block(data, view)
    reference = reference_group(block, metric)
    ref_value = None
    if reference is not None:
        for group in block.get("groups", []):
            if group.get("group") == reference:
                ref_value = as_number(group.get("metrics", {}).get(metric))
    overall_value = as_number(block.get("overall", {}).get("metrics", {}).get(metric))
    prefix = f"disparities.{metric}."
    lines: list[ThresholdLine] = []
    title = metric_title_of(metric).lower()
    for rule in DEFAULT_POLICY if policy is None else policy:
        if not rule.metric.startswith(prefix) or (rule.views is not None and view not in rule.views):
            continue
        path = rule.metric[len(prefix) :]
        if path.startswith("to_overall."):
            base, tag_base = overall_value, "overall"
            base_name = "the overall value" + ("" if base is None else f" ({fmt(base)})")
        else:
            base, tag_base = ref_value, "ref"
            base_name = f"the reference group's value ({group_label(reference or {})}: {fmt(base or 0.0)})"
        if base is None:
            continue
        band = (
            f'Policy "{rule.name}" requires {RULE_PATHS.get(path, path)} '
            f"{band_words(rule.lower, rule.upper)}; the dotted lines apply that band to each group against "
            "one base value, the disparity chart shows the rule's own verdict."
        )
        if path.endswith("ratio"):
            for bound in (rule.lower, rule.upper):
                if bound is None:
                    continue
                value = base * bound
                side = "left" if bound <= 1 else "right"
                text = (
                    f"{fmt_bound(bound)} \N{MULTIPLICATION SIGN} {base_name} = {fmt(value)}: "
                    f"a group {side} of this line has a {title} of {'less' if bound <= 1 else 'more'} than "
                    f"{fmt_bound(bound)} times that value."
                )
                tag = f"{fmt_bound(bound)}\N{MULTIPLICATION SIGN} {tag_base}"
                lines.append(ThresholdLine(value, tag, text, band))
        elif path.endswith("difference") and rule.upper is not None:
            for sign in (-1.0, 1.0):
                value = base + sign * rule.upper
                symbol = "\N{MINUS SIGN}" if sign < 0 else "+"
                text = (
                    f"{sentence(base_name)} {symbol} {fmt_bound(rule.upper)} = {fmt(value)}: "
                    f"a group beyond this line differs from that value by more than {fmt_bound(rule.upper)}."
                )
                tag = f"{tag_base} {symbol} {fmt_bound(rule.upper)}"
                lines.append(ThresholdLine(value, tag, text, band))
    unique: dict[float, ThresholdLine] = {}
    for line in lines:
        unique.setdefault(round(line.value, 12), line)
    return sorted(unique.values(), key=lambda line: line.value)
