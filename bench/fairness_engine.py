"""Benchmark: the count-table fairness engine vs fairlearn's MetricFrame on identical data.

Run ``python -m bench.fairness_engine`` (1e5 rows, 5 rounds by default) or ``--sizes 100000 1000000
10000000`` (fairlearn needs over a minute per round at 1e6 rows and over ten at 1e7 on 2 cores). Each
round times the engine and then fairlearn on the same data; the table shows median [min-max] of both
times and of their per-round ratio.

Both compute selection rate, true/false positive rates, false negative rate, accuracy and count for
4 x 3 intersectional groups (pandas Categorical sensitive features) plus the overall values; the script
checks in every round that every number agrees and reports the largest absolute difference. Engine time
covers building the count table from the arrays and the full analysis (all metrics, disparities, facets,
bootstrap intervals), i.e. strictly more work than the fairlearn call.
"""

from __future__ import annotations

import argparse
import time
import warnings
from typing import Any

import numpy as np
import pandas as pd

from bench.report import MIN_ROUNDS, Figure, emit, progress
from governance.fairness.engine import analyze, build_count_table

DEFAULT_SIZES = (100_000,)
"""What ``make bench`` runs; fairlearn needs ~75 s per round at 1e6 rows on 2 shared cores."""
METRIC_NAMES = (
    "selection_rate",
    "true_positive_rate",
    "false_positive_rate",
    "false_negative_rate",
    "accuracy",
)
TOLERANCE = 1e-12


def make_data(n: int, seed: int) -> dict[str, Any]:
    """Binary labels/predictions whose rates differ by group, with 4 x 3 categorical groups."""
    rng = np.random.default_rng(seed)
    sex = rng.integers(0, 4, n, dtype=np.int8)
    band = rng.integers(0, 3, n, dtype=np.int8)
    base = 0.3 + 0.1 * sex + 0.05 * band
    y_true = (rng.random(n) < base).astype(np.int8)
    flip = rng.random(n) < (0.1 + 0.05 * band)
    y_pred = np.where(flip, 1 - y_true, y_true).astype(np.int8)
    features = pd.DataFrame(
        {
            "gender": pd.Categorical.from_codes(sex, ["female", "male", "non-binary", "unknown"]),
            "age_band": pd.Categorical.from_codes(band, ["<30", "30-50", ">50"]),
        }
    )
    return {"y_true": y_true, "y_pred": y_pred, "features": features}


def run_engine(data: dict[str, Any]) -> tuple[float, dict[str, Any]]:
    """Seconds for count table + full analysis, and the report."""
    started = time.perf_counter()
    features = data["features"]
    table = build_count_table(
        y_true=data["y_true"],
        y_pred=data["y_pred"],
        sensitive_features={column: features[column] for column in features.columns},
    )
    report = analyze(table).to_dict()
    return time.perf_counter() - started, report


def run_fairlearn(data: dict[str, Any]) -> tuple[float, Any]:
    """Seconds for fairlearn's MetricFrame with the same metrics, and the frame."""
    import fairlearn.metrics as flm
    import sklearn.metrics as skm

    metrics = {
        "selection_rate": flm.selection_rate,
        "true_positive_rate": flm.true_positive_rate,
        "false_positive_rate": flm.false_positive_rate,
        "false_negative_rate": flm.false_negative_rate,
        "accuracy": skm.accuracy_score,
        "count": flm.count,
    }
    started = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        frame = flm.MetricFrame(
            metrics=metrics, y_true=data["y_true"], y_pred=data["y_pred"], sensitive_features=data["features"]
        )
        frame.by_group  # noqa: B018 - computed eagerly already; touched so the timing is unambiguous
    return time.perf_counter() - started, frame


def max_abs_difference(report: dict[str, Any], frame: Any) -> float:
    """Largest |engine - fairlearn| over every group value, count and overall value."""
    worst = 0.0
    view = report["intersection"]
    seen = 0
    for group in view["groups"]:
        row = frame.by_group.loc[tuple(group["group"].values())]
        for name in METRIC_NAMES:
            value = group["metrics"][name]
            if value is None:
                return float("inf")
            worst = max(worst, abs(value - float(row[name])))
        worst = max(worst, abs(group["n"] - float(row["count"])))
        seen += 1
    if seen != int(frame.by_group["count"].notna().sum()):
        return float("inf")
    for name in METRIC_NAMES:
        worst = max(worst, abs(view["overall"]["metrics"][name] - float(frame.overall[name])))
    return worst


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=list(DEFAULT_SIZES), help="row counts to run")
    parser.add_argument("--rounds", type=int, default=MIN_ROUNDS, help="timed rounds per size")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", action="store_true", help="one JSON figure a line (for python -m bench)")
    args = parser.parse_args(argv)
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")

    run_engine(make_data(1000, args.seed))  # warm-up: imports and first-call allocations
    run_fairlearn(make_data(1000, args.seed))
    figures = []
    all_match = True
    for size in args.sizes:
        data = make_data(size, args.seed)
        engine_times: list[float] = []
        fairlearn_times: list[float] = []
        worst = 0.0
        for round_ in range(args.rounds):  # interleaved: machine drift hits both alike
            engine_seconds, report = run_engine(data)
            fairlearn_seconds, frame = run_fairlearn(data)
            engine_times.append(engine_seconds)
            fairlearn_times.append(fairlearn_seconds)
            worst = max(worst, max_abs_difference(report, frame))
            progress(
                f"fairness_engine {size:,} rows round {round_ + 1}/{args.rounds}: "
                f"engine {engine_seconds:.3f}s, fairlearn {fairlearn_seconds:.2f}s"
            )
        matches = worst <= TOLERANCE
        all_match &= matches
        figures.append(
            Figure(
                benchmark="fairness metrics",
                size=f"{size:,} rows, 4x3 groups",
                measured="engine: build_count_table + analyze",
                baseline="fairlearn MetricFrame (5 metrics + count)",
                measured_seconds=engine_times,
                baseline_seconds=fairlearn_times,
                check=f"max abs diff {worst:.1g}" + ("" if matches else " MISMATCH"),
            )
        )
    emit(figures, args.json)
    return 0 if all_match else 1


if __name__ == "__main__":
    raise SystemExit(main())
