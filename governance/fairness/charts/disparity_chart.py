"""The disparity chart: per metric the between-group ratio (or difference), its interval and pass band."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Final

from governance.fairness.charts.layout import Legend, Scale, axis_domain, na_note
from governance.fairness.charts.reading import (
    Measure,
    ReportLike,
    as_number,
    group_label,
    interval_text,
    metric_title_of,
    read_interval,
    report_data,
    view_block,
    view_title_of,
)
from governance.fairness.charts.svg import BAND, FAIL, GUIDE, MUTED, OVERALL, PAD, POINT, STRIPE, WARN, Canvas
from governance.fairness.charts.text import band_words, fmt, fmt_bound, sentence, truncate
from governance.fairness.engine.policy import DEFAULT_POLICY, PolicyRule, evaluate_policy

DEFAULT_CHART_METRICS: Final = ("selection_rate", "true_positive_rate", "false_positive_rate", "accuracy")
"""The metrics of a report page: demographic parity, the two equalized-odds rates, and accuracy."""
GUIDE_BAND: Final = (0.8, 1.25)
"""The four-fifths convention, drawn (lighter, labelled "guide") for ratios that no policy rule covers."""


@dataclass(frozen=True)
class DisparityRow:
    """One metric's line on a disparity chart: value, interval, band, verdict and the words for them."""

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
    data = report_data(report)
    block = view_block(data, view)
    rules = tuple(DEFAULT_POLICY if policy is None else policy)
    chosen = DEFAULT_CHART_METRICS if metrics is None else metrics
    wanted = [m for m in chosen if m in block.get("disparities", {})]
    rows = [disparity_row(data, block, view, m, measure, rules, simultaneous, guide_band) for m in wanted]
    known = [1.0] if measure == "ratio" else [0.0]
    for row in rows:
        known += [v for v in (row.value, *(row.interval or ()), *(row.band or ())) if v is not None]
    low, high = axis_domain(known, unit=False, margin=0.04)

    view_title = view_title_of(block, view)
    what = "ratio (lowest / highest group value)" if measure == "ratio" else "difference (highest - lowest)"
    heading = title if title is not None else f"Disparity {what} \N{EM DASH} {view_title}"
    svg = Canvas(width)
    width_f = float(width)
    label_w = min(max(width_f * 0.24, 130.0), 240.0)
    value_w = 132.0
    verdict_w = 58.0
    plot = Scale(low, high, PAD + label_w + 12.0, width_f - PAD - verdict_w - value_w - 12.0)
    row_height = 36.0

    y = svg.heading(
        heading,
        sentence(interval_text(data, simultaneous)) + " per disparity."
        if data.get("bootstrap")
        else "This report has no bootstrap intervals.",
    )
    y += 8.0
    svg.text(PAD, y, "Metric", size=10.5, fill=MUTED, weight="bold")
    svg.text(
        width_f - PAD - verdict_w - 8.0,
        y,
        f"{measure.capitalize()} [interval]",
        size=10.5,
        fill=MUTED,
        weight="bold",
        anchor="end",
    )
    svg.text(width_f - PAD, y, "Verdict", size=10.5, fill=MUTED, weight="bold", anchor="end")
    rows_top = y + 8.0
    rows_bottom = rows_top + row_height * len(rows)
    for index, row in enumerate(rows):
        top = rows_top + index * row_height
        if index % 2 == 0:
            svg.rect(PAD, top, width_f - 2 * PAD, row_height, fill=STRIPE)
        if row.band is not None:
            lo, hi = (plot.clamp(row.band[0]), plot.clamp(row.band[1]))
            fill, dash = (BAND, None) if row.rules else (GUIDE, "3 2")
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
            stroke=OVERALL,
            width=1.0,
            css="parity-line",
            tooltip="ratio 1: every compared group has the same value",
        )

    for index, row in enumerate(rows):
        top = rows_top + index * row_height
        middle = top + row_height / 2 + 2.0
        svg.open_group("disparity-row", row.tooltip)
        svg.text(PAD + 4.0, top + 15.0, truncate(row.title, label_w - 6.0, 12.0), size=12.0)
        svg.text(PAD + 4.0, top + 28.0, truncate(row.groups_note, label_w - 6.0, 9.5), size=9.5, fill=MUTED)
        value_x = width_f - PAD - verdict_w - 8.0
        if row.value is None:
            na_note(svg, plot, middle, row.reason, STRIPE if index % 2 == 0 else "#ffffff")
            svg.text(value_x, middle + 4.0, "n/a", size=11.0, fill=MUTED, anchor="end")
        else:
            color = {"fail": FAIL, "outside": WARN}.get(row.status, POINT)
            if row.interval is not None:
                svg.whisker(plot.x(row.interval[0]), plot.x(row.interval[1]), middle, color)
            if row.status in ("fail", "outside"):
                svg.diamond(plot.x(row.value), middle, 6.5, fill=color, css=f"disparity-marker {row.status}")
            else:
                svg.circle(plot.x(row.value), middle, 5.0, fill=color, css="disparity-marker")
            interval = "" if row.interval is None else f" [{fmt(row.interval[0])}, {fmt(row.interval[1])}]"
            svg.text(value_x, middle + 4.0, fmt(row.value) + interval, size=11.0, anchor="end")
        verdict = {"pass": "PASS", "fail": "FAIL", "within": "within", "outside": "outside"}.get(
            row.status, ""
        )
        verdict_color = {"fail": FAIL, "outside": WARN, "pass": "#2e6b27"}.get(row.status, MUTED)
        svg.text(
            width_f - PAD,
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
    legend = Legend(svg, y + 10.0, width_f)
    explained: set[str] = set()
    for row in rows:
        if row.rules and row.band is not None and row.band_text not in explained:
            explained.add(row.band_text)
            legend.entry("band", row.band_text)
    if any(row.band is not None and not row.rules for row in rows) and guide_band is not None:
        legend.entry(
            "guide",
            f"Guide band [{fmt_bound(guide_band[0])}, {fmt_bound(guide_band[1])}] (four-fifths convention) "
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
        legend.entry("whisker", f"Whisker: {interval_text(data, simultaneous)}.")
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
        f"{row.title}: {'n/a' if row.value is None else fmt(row.value)} {row.status}".strip() for row in rows
    )
    return svg.finish(legend.bottom, heading, f"{heading}. {summary}.")


def disparity_row(
    data: Mapping[str, Any],
    block: Mapping[str, Any],
    view: str,
    metric: str,
    measure: Measure,
    rules: Sequence[PolicyRule],
    simultaneous: bool,
    guide_band: tuple[float, float] | None,
) -> DisparityRow:
    entry = block["disparities"][metric]
    value = as_number(entry.get(measure))
    reason = (entry.get("null_reasons") or {}).get(measure)
    interval = (
        read_interval((entry.get("ci") or {}).get(measure), simultaneous) if value is not None else None
    )
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
            f"Policy band {names}: {measure} {band_words(lower, upper)} ({metric_title_of(metric).lower()})."
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
        groups_note = f"{group_label(first)} {sign} {group_label(second)}"
    else:
        groups_note = f"{entry.get('groups_compared', 0)} group(s) compared"
    excluded = entry.get("excluded_groups") or []
    extremes = f"{metric_title_of(metric)}: {entry.get('groups_compared', 0)} group(s) compared"
    if isinstance(low_group, Mapping) and isinstance(high_group, Mapping):
        for word, group in (("lowest", low_group), ("highest", high_group)):
            shown = next(
                (
                    as_number((g.get("metrics") or {}).get(metric))
                    for g in block["groups"]
                    if g.get("group") == group
                ),
                None,
            )
            extremes += f"; {word} {group_label(group)}" + ("" if shown is None else f" ({fmt(shown)})")
    if excluded:
        extremes += f"; {len(excluded)} excluded (below min_group_size or value undefined)"
    tip = [f"{metric} {measure}: " + ("n/a (" + str(reason) + ")" if value is None else fmt(value))]
    if interval is not None:
        tip.append(f"interval [{fmt(interval[0])}, {fmt(interval[1])}]")
    tip.append(
        f"{groups_note}; {entry.get('groups_compared', 0)} group(s) compared, {len(excluded)} excluded"
    )
    tip.extend(verdict_reasons)
    return DisparityRow(
        metric_title_of(metric),
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
