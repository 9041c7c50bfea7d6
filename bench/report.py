"""One result shape and one table for every benchmark (``python -m bench`` prints them together).

A :class:`Figure` pairs what we measure with the baseline it is compared to, timed in the same rounds
(interleaved, so drift on a shared machine hits both alike). The ratio of round *i* is
``baseline_seconds[i] / measured_seconds[i]``: the measured thing's speed relative to its baseline
(> 1 faster, < 1 slower). A table row shows the median and the min-max over the rounds of that ratio
and of both times; one timing is never reported alone.
"""

from __future__ import annotations

import json
import statistics
import sys
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

MIN_ROUNDS = 5
"""Figures for the README come from at least this many rounds (``--rounds`` may go lower while developing)."""


@dataclass(frozen=True)
class Figure:
    """One comparison: ``measured`` against ``baseline``, both timed in every round."""

    benchmark: str
    size: str
    measured: str
    baseline: str
    measured_seconds: list[float]
    baseline_seconds: list[float]
    check: str = ""
    """What was verified on the way (numbers equal, digests agree, ...) or a memory figure."""
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.measured_seconds or len(self.measured_seconds) != len(self.baseline_seconds):
            raise ValueError(f"{self.benchmark}: measured and baseline need the same rounds (>= 1)")

    @property
    def rounds(self) -> int:
        return len(self.measured_seconds)

    @property
    def ratios(self) -> list[float]:
        return [b / m for m, b in zip(self.measured_seconds, self.baseline_seconds, strict=True)]

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> Figure:
        return cls(**json.loads(text))


def spread(values: Sequence[float], fmt: str, unit: str = "") -> str:
    """``median [min-max]`` of ``values``, each formatted with ``fmt``."""
    median = statistics.median(values)
    return f"{median:{fmt}}{unit} [{min(values):{fmt}}-{max(values):{fmt}}]"


def seconds_format(values: Sequence[float]) -> str:
    largest = max(values)
    return ".3f" if largest < 10 else ".1f"


def ratio_format(values: Sequence[float]) -> str:
    largest = max(values)
    return ".2f" if largest < 10 else ".0f"


COLUMNS = (
    "benchmark",
    "size",
    "measured",
    "baseline",
    "measured s",
    "baseline s",
    "speed vs baseline",
    "rounds",
    "check",
)


def rows(figures: Iterable[Figure]) -> list[tuple[str, ...]]:
    out: list[tuple[str, ...]] = []
    for f in figures:
        out.append(
            (
                f.benchmark,
                f.size,
                f.measured,
                f.baseline,
                spread(f.measured_seconds, seconds_format(f.measured_seconds)),
                spread(f.baseline_seconds, seconds_format(f.baseline_seconds)),
                spread(f.ratios, ratio_format(f.ratios), unit="x"),
                str(f.rounds),
                f.check,
            )
        )
    return out


def markdown_table(figures: Iterable[Figure]) -> str:
    """The one table: Markdown, so it reads in a terminal and pastes into the README as it is."""
    body = rows(figures)
    widths = [max(len(c), *(len(r[i]) for r in body)) if body else len(c) for i, c in enumerate(COLUMNS)]
    lines = ["| " + " | ".join(c.ljust(w) for c, w in zip(COLUMNS, widths, strict=True)) + " |"]
    lines.append("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    lines += ["| " + " | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) + " |" for r in body]
    return "\n".join(lines)


LEGEND = (
    "Times are seconds, median [min-max] over the rounds; 'speed vs baseline' is baseline time / measured "
    "time per round (> 1: faster than the baseline), median [min-max]."
)


def emit(figures: Sequence[Figure], as_json: bool) -> None:
    """What a benchmark module prints: its table, or (for ``python -m bench``) one JSON figure a line."""
    if as_json:
        for figure in figures:
            print(figure.to_json(), flush=True)
    else:
        print(markdown_table(figures))
        print(LEGEND)


def progress(message: str) -> None:
    """Progress goes to stderr so stdout stays the table (or the JSON lines)."""
    print(message, file=sys.stderr, flush=True)
