"""Text in a chart: how wide a string renders (no font files on the server), and how numbers read."""

from __future__ import annotations

import math
import unicodedata


def sentence(text: str) -> str:
    """Upper-case the first letter only (``str.capitalize`` would lower-case names like Bonferroni)."""
    return text[:1].upper() + text[1:]


def band_words(lower: float | None, upper: float | None) -> str:
    """``in [0.8, 1.25]``, ``at most 0.1`` or ``at least 0.8``: a band as a reader says it."""
    if lower is not None and upper is not None:
        return f"in [{fmt_bound(lower)}, {fmt_bound(upper)}]"
    if upper is not None:
        return f"at most {fmt_bound(upper)}"
    return f"at least {fmt_bound(lower)}"


def fmt(value: float) -> str:
    return f"{value:.3f}"


def fmt_bound(value: float | None) -> str:
    if value is None or math.isinf(value):
        return "-inf" if value is not None and value < 0 else "inf" if value is not None else "none"
    return f"{value:g}"


def char_width(char: str) -> float:
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


def text_width(text: str, size: float) -> float:
    return size * sum(char_width(char) for char in text)


def truncate(text: str, max_width: float, size: float) -> str:
    """Shorten ``text`` to ``max_width`` px with an ellipsis (the full text stays in the row's title)."""
    if text_width(text, size) <= max_width:
        return text
    budget = max_width - text_width("\N{HORIZONTAL ELLIPSIS}", size)
    out = ""
    for char in text:
        if text_width(out + char, size) > budget:
            break
        out += char
    return out.rstrip() + "\N{HORIZONTAL ELLIPSIS}"


def wrap(text: str, max_width: float, size: float) -> list[str]:
    lines: list[str] = []
    current = ""
    for word in text.split():
        candidate = f"{current} {word}" if current else word
        if current and text_width(candidate, size) > max_width:
            lines.append(current)
            current = word
        else:
            current = candidate
    if current:
        lines.append(current)
    return [truncate(line, max_width, size) for line in lines] or [""]
