"""Layout shared by the charts: value scales and axes, stacked line tags, the legend and "n/a" notes."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from governance.fairness.charts.svg import (
    BAND,
    FAIL,
    GRID,
    GUIDE,
    INK,
    MUTED,
    OVERALL,
    PAD,
    POINT,
    THRESHOLD,
    WARN,
    Canvas,
    coord,
)
from governance.fairness.charts.text import text_width, truncate, wrap


def nice_step(raw: float) -> float:
    exponent = math.floor(math.log10(raw))
    fraction = raw / 10**exponent
    for nice in (1.0, 2.0, 2.5, 5.0, 10.0):
        if fraction <= nice + 1e-9:
            return nice * 10.0**exponent
    return 10.0 ** (exponent + 1)


def axis_domain(values: Iterable[float], *, unit: bool, margin: float = 0.0) -> tuple[float, float]:
    """Axis range: exactly [0, 1] for rates (comparable across charts), else rounded to a nice step."""
    finite = [v for v in values if math.isfinite(v)]
    if unit or not finite:
        return 0.0, 1.0
    low, high = min(0.0, *finite), max(finite)
    span = high - low or 1.0
    high += span * margin
    step = nice_step((high - low or 1.0) / 5)
    return math.floor(low / step + 1e-9) * step, math.ceil(high / step - 1e-9) * step


def assign_lanes(
    marks: Sequence[tuple[float, str]], left: float, right: float
) -> list[tuple[float, str, int]]:
    """Place line tags (x, text) in up to three stacked lanes so that tags of close lines do not overlap.

    Returns (centre x, text, lane) per placed tag; a tag is nudged inwards at the plot edges and dropped when
    all lanes are taken (the legend still explains its line).
    """
    lane_ends: list[float] = []
    placed: list[tuple[float, str, int]] = []
    for x, tag in sorted(marks):
        half = text_width(tag, 9.5) / 2 + 3.0
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
class Scale:
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
        step = nice_step((self.high - self.low) / max(2, int((self.right - self.left) // 48)))
        count = round((self.high - self.low) / step)
        return [round(self.low + i * step, 10) for i in range(count + 1)]

    def grid(self, svg: Canvas, top: float, bottom: float, *, over_bands: bool = False) -> None:
        for tick in self.ticks():
            svg.vline(
                self.x(tick),
                top,
                bottom,
                stroke=GRID if not over_bands else "#c9ced4",
                width=0.8,
                opacity=0.7 if over_bands else None,
            )

    def axis(self, svg: Canvas, y: float, caption: str) -> float:
        """Axis line, tick marks with labels and a caption; returns the y below it."""
        svg.line(self.left, y, self.right, y, stroke=MUTED, width=1.0)
        ticks = self.ticks()
        step = ticks[1] - ticks[0] if len(ticks) > 1 else 1.0
        decimals = max(0, -math.floor(math.log10(step) + 1e-9)) + (
            1 if round(step / 10 ** math.floor(math.log10(step)), 6) == 2.5 else 0
        )
        for tick in ticks:
            x = self.x(tick)
            svg.raw(
                f'<g class="tick"><line x1="{coord(x)}" y1="{coord(y)}" x2="{coord(x)}" '
                f'y2="{coord(y + 4)}" stroke="{MUTED}" stroke-width="1"/>'
                f'<text x="{coord(x)}" y="{coord(y + 15)}" font-size="10" fill="{MUTED}" '
                f'text-anchor="middle">{tick:.{decimals}f}</text></g>'
            )
        svg.text((self.left + self.right) / 2, y + 30.0, caption, size=10.5, fill=MUTED, anchor="middle")
        return y + 32.0


class Legend:
    """A vertical list of legend entries: a drawn glyph, then text wrapped to the chart's width."""

    def __init__(self, svg: Canvas, top: float, width: float) -> None:
        self.svg = svg
        self.bottom = top
        self.width = width

    def entry(self, glyph: str, text: str) -> None:
        x, y = PAD + 4.0, self.bottom + 11.0
        svg = self.svg
        if glyph == "dot":
            svg.circle(x + 10.0, y - 4.0, 4.5, fill=POINT, css="legend-glyph")
        elif glyph in ("diamond", "warn"):
            svg.diamond(x + 10.0, y - 4.0, 5.5, fill=FAIL if glyph == "diamond" else WARN, css="legend-glyph")
        elif glyph == "whisker":
            svg.raw(
                f'<path class="legend-glyph" d="M{coord(x + 2)} {coord(y - 4)}H{coord(x + 18)}'
                f'M{coord(x + 2)} {coord(y - 8)}V{coord(y)}M{coord(x + 18)} {coord(y - 8)}V{coord(y)}"'
                f' fill="none" stroke="{POINT}" stroke-width="1.6"/>'
            )
        elif glyph in ("dashed", "dotted", "solid"):
            dash = {"dashed": "5 3", "dotted": "1.5 2.5", "solid": None}[glyph]
            color = THRESHOLD if glyph == "dotted" else OVERALL
            svg.line(x + 10.0, y - 11.0, x + 10.0, y + 2.0, stroke=color, width=1.6, dash=dash)
        elif glyph in ("band", "guide"):
            svg.rect(
                x + 2.0,
                y - 10.0,
                16.0,
                11.0,
                fill=BAND if glyph == "band" else GUIDE,
                stroke="#8fbf86" if glyph == "band" else "#a9b0b8",
                dash=None if glyph == "band" else "3 2",
            )
        for line in wrap(text, self.width - x - 28.0 - PAD, 10.5):
            svg.text(x + 28.0, y, line, size=10.5, fill=INK)
            y += 14.0
        self.bottom = y - 11.0 + 4.0


def na_note(svg: Canvas, plot: Scale, middle: float, reason: str | None, background: str) -> None:
    """Draw "n/a" and the reason on a box in the row's colour, so no grid or reference line crosses it."""
    note = truncate(f"n/a \N{EM DASH} {reason}" if reason else "n/a", plot.right - plot.left - 12.0, 11.0)
    svg.rect(plot.left + 2.0, middle - 8.0, text_width(note, 11.0) + 8.0, 16.0, fill=background)
    svg.text(plot.left + 6.0, middle + 4.0, note, size=11.0, fill=MUTED, style="italic", css="na-label")
