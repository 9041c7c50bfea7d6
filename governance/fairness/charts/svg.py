"""SVG primitives: the palette, XML-safe escaping, and :class:`Canvas`, which writes the elements.

Every text and attribute value goes through the escapers here, so group labels taken from user data (even
``<script>`` or control characters) can only ever render as text.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Final
from xml.sax.saxutils import escape

from governance.fairness.charts.text import truncate, wrap

FONT_FAMILY: Final = "Helvetica, Arial, sans-serif"
INK: Final = "#1f2328"
MUTED: Final = "#59616b"
GRID: Final = "#dde1e6"
STRIPE: Final = "#f5f6f8"
POINT: Final = "#0072b2"  # Okabe-Ito blue
FAIL: Final = "#c8102e"
WARN: Final = "#9a6100"
OVERALL: Final = "#3d4248"
THRESHOLD: Final = "#8e3b8e"
BAND: Final = "#d7ecd2"
GUIDE: Final = "#eceff3"
PAD: Final = 16.0
_XML_ILLEGAL = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def coord(value: float) -> str:
    """Coordinates with two decimals (0.01 px) and no ``-0``: short, stable output."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def xml_clean(text: str) -> str:
    """Replace characters that XML 1.0 forbids (control characters, lone surrogates) by U+FFFD."""
    return _XML_ILLEGAL.sub("\ufffd", text)


def text_escape(text: str) -> str:
    return escape(xml_clean(text))


def attr_escape(text: str) -> str:
    return escape(xml_clean(text), {'"': "&quot;", "\n": "&#10;", "\r": "&#13;", "\t": "&#9;"})


def svg_attrs(attrs: Mapping[str, str | None]) -> str:
    return "".join(f' {name}="{attr_escape(value)}"' for name, value in attrs.items() if value is not None)


class Canvas:
    """Collects SVG elements as strings; every text and attribute value goes through the escapers."""

    def __init__(self, width: int) -> None:
        self.width = width
        self.parts: list[str] = []

    def raw(self, markup: str) -> None:
        self.parts.append(markup)

    def heading(self, title: str, subtitle: str) -> float:
        self.text(PAD, 24.0, truncate(title, self.width - 2 * PAD, 15.0), size=15.0, weight="bold")
        y = 24.0
        for line in wrap(subtitle, self.width - 2 * PAD, 10.5)[:2]:
            y += 15.0
            self.text(PAD, y, line, size=10.5, fill=MUTED)
        return y + 12.0

    def text(
        self,
        x: float,
        y: float,
        content: str,
        *,
        size: float,
        fill: str = INK,
        weight: str | None = None,
        style: str | None = None,
        anchor: str | None = None,
        css: str | None = None,
    ) -> None:
        attrs = svg_attrs(
            {
                "class": css,
                "x": coord(x),
                "y": coord(y),
                "font-size": coord(size),
                "fill": fill,
                "font-weight": weight,
                "font-style": style,
                "text-anchor": anchor,
            }
        )
        self.parts.append(f"<text{attrs}>{text_escape(content)}</text>")

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
        attrs = svg_attrs(
            {
                "class": css,
                "x": coord(x),
                "y": coord(y),
                "width": coord(max(width, 0.0)),
                "height": coord(height),
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
        attrs = svg_attrs(
            {
                "class": css,
                "x1": coord(x1),
                "y1": coord(y1),
                "x2": coord(x2),
                "y2": coord(y2),
                "stroke": stroke,
                "stroke-width": coord(width),
                "stroke-dasharray": dash,
                "stroke-opacity": None if opacity is None else coord(opacity),
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
        attrs = svg_attrs(
            {
                "class": css,
                "cx": coord(x),
                "cy": coord(y),
                "r": coord(radius),
                "fill": fill,
                "stroke": "#ffffff",
                "stroke-width": "1.5",
            }
        )
        self.parts.append(f"<circle{attrs}/>")

    def diamond(self, x: float, y: float, radius: float, *, fill: str, css: str) -> None:
        points = f"M{coord(x)} {coord(y - radius)}L{coord(x + radius)} {coord(y)}"
        points += f"L{coord(x)} {coord(y + radius)}L{coord(x - radius)} {coord(y)}Z"
        attrs = svg_attrs(
            {"class": css, "d": points, "fill": fill, "stroke": "#ffffff", "stroke-width": "1.2"}
        )
        self.parts.append(f"<path{attrs}/>")

    def whisker(self, x1: float, x2: float, y: float, color: str) -> None:
        """An interval bar with end caps: ``|---|`` from ``x1`` to ``x2``."""
        d = f"M{coord(x1)} {coord(y)}H{coord(x2)}M{coord(x1)} {coord(y - 4)}V{coord(y + 4)}"
        d += f"M{coord(x2)} {coord(y - 4)}V{coord(y + 4)}"
        attrs = svg_attrs(
            {"class": "ci-whisker", "d": d, "fill": "none", "stroke": color, "stroke-width": "1.6"}
        )
        self.parts.append(f"<path{attrs}/>")

    def open_group(self, css: str | None, tooltip: str | None) -> None:
        self.parts.append(f"<g{svg_attrs({'class': css})}>")
        if tooltip:
            self.parts.append(f"<title>{text_escape(tooltip)}</title>")

    def close_group(self) -> None:
        self.parts.append("</g>")

    def finish(self, height: float, title: str, description: str) -> str:
        """The complete ``<svg>`` with explicit size, viewBox and accessible name/description."""
        total = math.ceil(height + 12.0)
        head = (
            f'<svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="{self.width}" height="{total}" '
            f'viewBox="0 0 {self.width} {total}" role="img" aria-label="{attr_escape(title)}" '
            f'font-family="{FONT_FAMILY}">'
            f"<title>{text_escape(title)}</title><desc>{text_escape(description)}</desc>"
            f'<rect x="0" y="0" width="{self.width}" height="{total}" fill="#ffffff"/>'
        )
        return head + "".join(self.parts) + "</svg>"
