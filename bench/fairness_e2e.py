"""Benchmark: a fairness check end to end from a predictions file (read + count + analyze).

Run from the repository root::

    .venv/bin/python -m bench.fairness_e2e                                  # 1e7 rows, 5 rounds
    .venv/bin/python -m bench.fairness_e2e --rows 100000000 --parquet-only  # the 100M-row memory check
    .venv/bin/python -m bench.fairness_e2e --rows 1000000 --rounds 7 --weights

It writes one Parquet and one CSV file with the same rows (two dictionary-encoded sensitive features,
0/1 labels and predictions, a score, a column the check does not read; optionally a weight), generated
batch by batch so that even 1e8 rows never sit in memory. Then, in each round and each in a fresh
subprocess (so that the peak RSS belongs to that one run; every run first reads a 10,000-row warm-up
file, untimed):

* ``reader`` (measured): ``count_file`` + ``analyze`` (y_true, y_pred, score and both sensitive features;
  the score adds per-group histograms for AUC/KS), with ``count_file``'s default worker threads;
* the raw reads of the same five columns, nothing else, which the reader is compared to:
  Parquet ``pyarrow.parquet.read_table(columns=..., use_threads=True)``; CSV
  ``pyarrow.csv.read_csv(..., ReadOptions(use_threads=True))`` and
  ``pyarrow.csv.open_csv(..., ReadOptions(use_threads=False))`` iterated to the end, both with the
  reader's column types (dictionary-encoded strings, float64 score);
* once, only the imports, so the reader's own memory is the difference.

One table row per (format, baseline): median [min-max] seconds of both and of the per-round ratio, and
peak RSS. The project's targets: >= 20 M rows/s end to end from Parquet on 2 cores, and a 100M-row
Parquet check under 1 GiB peak RSS. It exits 1 if the Parquet and CSV count tables differ.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from bench.report import MIN_ROUNDS, Figure, emit, progress

GENERATE_BATCH = 1 << 20
"""Rows generated and written at a time (also the Parquet row-group size)."""
GENDERS = ["female", "male", "non-binary", "unknown"]
AGE_BANDS = ["<30", "30-50", ">50"]
MIB = 1 << 20


def columns_config(weights: bool) -> dict[str, Any]:
    config: dict[str, Any] = {
        "y_true": "y_true",
        "y_pred": "y_pred",
        "score": "score",
        "sensitive_features": ["gender", "age_band"],
    }
    if weights:
        config["sample_weight"] = "weight"
    return config


def make_batch(rng: np.random.Generator, n: int, weights: bool) -> Any:
    """Rates differ by group, so the report has real disparities to compute."""
    import pyarrow as pa

    gender = rng.integers(0, len(GENDERS), n, dtype=np.int8)
    band = rng.integers(0, len(AGE_BANDS), n, dtype=np.int8)
    y_true = (rng.random(n) < 0.3 + 0.1 * gender + 0.05 * band).astype(np.int8)
    score = np.clip(0.4 * y_true + 0.6 * rng.random(n) * (0.7 + 0.1 * band), 0.0, 1.0)
    columns = {
        "gender": pa.DictionaryArray.from_arrays(gender, GENDERS),
        "age_band": pa.DictionaryArray.from_arrays(band, AGE_BANDS),
        "y_true": y_true,
        "y_pred": (score >= 0.5).astype(np.int8),
        "score": score,
        "customer_id": np.arange(n, dtype=np.int64),  # a column the check must not read
    }
    if weights:
        columns["weight"] = rng.gamma(2.0, 1.0, n)
    return pa.RecordBatch.from_pydict(columns)


def write_files(paths: dict[str, Path], rows: int, weights: bool, seed: int) -> None:
    """Write the same rows to every path (by suffix), batch by batch; a small warm-up file next to each."""
    write_rows(
        {fmt: path.with_name(f"warmup.{fmt}") for fmt, path in paths.items()}, 10_000, weights, seed + 1
    )
    write_rows(paths, rows, weights, seed)


def write_rows(paths: dict[str, Path], rows: int, weights: bool, seed: int) -> None:
    import pyarrow.csv as pcsv
    import pyarrow.parquet as pq

    rng = np.random.default_rng(seed)
    schema = make_batch(rng, 1, weights).schema
    parquet = pq.ParquetWriter(paths["parquet"], schema)
    text = pcsv.CSVWriter(paths["csv"], schema) if "csv" in paths else None
    written = 0
    while written < rows:
        batch = make_batch(rng, min(GENERATE_BATCH, rows - written), weights)
        parquet.write_batch(batch, row_group_size=GENERATE_BATCH)
        if text is not None:
            text.write_batch(batch)
        written += batch.num_rows
    parquet.close()
    if text is not None:
        text.close()


def measure(kind: str, fmt: str, path: str, weights: bool) -> dict[str, Any]:
    """One timed run in this (fresh) process; the parent starts one subprocess per measurement."""
    import pyarrow as pa
    import pyarrow.csv as pcsv
    import pyarrow.parquet as pq

    from governance.fairness.engine import analyze
    from governance.fairness.reader import FairnessColumns, count_file

    columns = FairnessColumns.from_dict(columns_config(weights))
    text = pa.dictionary(pa.int32(), pa.string())
    numeric = {columns.score, columns.sample_weight}
    csv_types = {name: pa.float64() if name in numeric else text for name in columns.needed}
    convert = pcsv.ConvertOptions(include_columns=list(columns.needed), column_types=csv_types)

    def run(source: str) -> dict[str, Any]:
        result: dict[str, Any] = {"kind": kind, "format": fmt}
        started = time.perf_counter()
        if kind == "reader":
            table = count_file(source, fmt, columns)
            counted = time.perf_counter()
            report = analyze(table).to_dict()
            result["count_seconds"] = counted - started
            result["rows"] = table.n_rows
            result["table"] = table.to_dict()
            result["groups"] = len(report["intersection"]["groups"])
        elif kind == "read_table":
            result["rows"] = pq.read_table(source, columns=list(columns.needed), use_threads=True).num_rows
        elif kind == "read_csv":
            result["rows"] = pcsv.read_csv(
                source,
                read_options=pcsv.ReadOptions(use_threads=True),
                convert_options=convert,
            ).num_rows
        elif kind == "open_csv":
            reader = pcsv.open_csv(
                source,
                read_options=pcsv.ReadOptions(use_threads=False, block_size=4 * MIB),
                convert_options=convert,
            )
            result["rows"] = sum(batch.num_rows for batch in reader)
        else:
            raise ValueError(kind)
        result["seconds"] = time.perf_counter() - started
        return result

    run(str(Path(path).with_name(f"warmup.{fmt}")))  # lazy imports, thread pools, allocator arenas
    result = run(path)
    result["max_rss"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    result["vm_hwm"] = peak_rss_from_proc()
    return result


def peak_rss_from_proc() -> int | None:
    """VmHWM of this process (Linux), a cross-check of getrusage's ``ru_maxrss``."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def run_measurement(kind: str, fmt: str, path: Path, weights: bool) -> dict[str, Any]:
    command = [sys.executable, "-m", "bench.fairness_e2e", "--measure", kind, "--format", fmt]
    command += ["--path", str(path)]
    if weights:
        command.append("--weights")
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    return dict(json.loads(output.strip().splitlines()[-1]))


BASELINES = {
    "parquet": {"read_table": "pyarrow.parquet.read_table (multithreaded)"},
    "csv": {
        "read_csv": "pyarrow.csv.read_csv (multithreaded)",
        "open_csv": "pyarrow.csv.open_csv streaming (single thread)",
    },
}
"""Per format: raw reads of the same columns (the reader's column types) that the reader is compared to."""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--rounds", type=int, default=MIN_ROUNDS, help="timed rounds of every measurement")
    parser.add_argument("--parquet-only", action="store_true", help="skip the CSV file (e.g. at 1e8 rows)")
    parser.add_argument("--weights", action="store_true", help="add a sample-weight column to the check")
    parser.add_argument("--dir", type=Path, default=None, help="where to write the files (default: temp)")
    parser.add_argument("--keep", action="store_true", help="keep the generated files (and reuse them)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", action="store_true", help="one JSON figure a line (for python -m bench)")
    parser.add_argument(
        "--measure",
        choices=["reader", "read_table", "read_csv", "open_csv", "baseline", "generate"],
        help=argparse.SUPPRESS,
    )
    parser.add_argument("--format", choices=["parquet", "csv"], default="parquet", help=argparse.SUPPRESS)
    parser.add_argument("--path", default="", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")

    if args.measure:
        if args.measure == "baseline":
            import pyarrow.parquet  # noqa: F401 - the imports are what is measured

            import governance.fairness.reader  # noqa: F401

            rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
            print(json.dumps({"kind": "baseline", "max_rss": rss, "vm_hwm": peak_rss_from_proc()}))
        elif args.measure == "generate":
            targets = {Path(path).suffix[1:]: Path(path) for path in args.path.split(os.pathsep)}
            write_files(targets, args.rows, args.weights, args.seed)
        else:
            print(json.dumps(measure(args.measure, args.format, args.path, args.weights)))
        return 0

    from governance.fairness.reader.counting import DEFAULT_WORKERS

    directory = Path(args.dir or tempfile.mkdtemp(prefix="fairness-e2e-"))
    directory.mkdir(parents=True, exist_ok=True)
    formats = ["parquet"] if args.parquet_only else ["parquet", "csv"]
    paths = {fmt: directory / f"predictions-{args.rows}.{fmt}" for fmt in formats}
    started = time.perf_counter()
    if not (args.keep and all(path.exists() for path in paths.values())):
        # In a subprocess: a child inherits its parent's peak RSS through fork + exec (Linux keeps
        # ru_maxrss across execve), so the parent must stay small for the per-run numbers to be clean.
        command = [
            sys.executable,
            "-m",
            "bench.fairness_e2e",
            "--measure",
            "generate",
            "--rows",
            str(args.rows),
        ]
        command += ["--seed", str(args.seed), "--path", os.pathsep.join(str(p) for p in paths.values())]
        subprocess.run(command + (["--weights"] if args.weights else []), check=True)
    progress(
        f"fairness_e2e: rows={args.rows:,} cores={os.cpu_count()} weights={args.weights} "
        f"rounds={args.rounds}; files ready in {time.perf_counter() - started:.1f}s: "
        + ", ".join(f"{fmt} {paths[fmt].stat().st_size / MIB:,.0f} MiB" for fmt in formats)
    )
    imports_rss = run_measurement("baseline", "parquet", paths["parquet"], args.weights)["max_rss"]
    threads = max(1, min(DEFAULT_WORKERS, os.cpu_count() or 1))
    figures: list[Figure] = []
    tables: dict[str, Any] = {}
    for fmt in formats:
        kinds = ["reader", *BASELINES[fmt]]
        results: dict[str, list[dict[str, Any]]] = {kind: [] for kind in kinds}
        for round_ in range(args.rounds):  # interleaved, so machine drift hits all alike
            for kind in kinds:
                results[kind].append(run_measurement(kind, fmt, paths[fmt], args.weights))
            progress(
                f"fairness_e2e {fmt} round {round_ + 1}/{args.rounds}: "
                + ", ".join(f"{kind} {results[kind][-1]['seconds']:.3f}s" for kind in kinds)
            )
        for kind, runs in results.items():
            assert all(r["rows"] == args.rows for r in runs), (kind, runs)
        reader_runs = results["reader"]
        reader_seconds = [r["seconds"] for r in reader_runs]
        reader_rss = max(r["max_rss"] for r in reader_runs)
        count_median = statistics.median(r["count_seconds"] for r in reader_runs)
        tables[fmt] = reader_runs[0]["table"]
        for kind, name in BASELINES[fmt].items():
            baseline_rss = max(r["max_rss"] for r in results[kind])
            figures.append(
                Figure(
                    benchmark=f"fairness check end to end, {fmt}",
                    size=f"{args.rows:,} rows, {reader_runs[0]['groups']} groups",
                    measured=f"count_file ({threads} threads) + analyze",
                    baseline=name,
                    measured_seconds=reader_seconds,
                    baseline_seconds=[r["seconds"] for r in results[kind]],
                    check=(
                        f"count_file alone {count_median:.3f} s; peak RSS {reader_rss / MIB:,.0f} MiB vs "
                        f"{baseline_rss / MIB:,.0f} MiB (imports alone {imports_rss / MIB:,.0f} MiB)"
                    ),
                    extra={
                        "rows_per_second_median": args.rows / statistics.median(reader_seconds),
                        "count_seconds_median": count_median,
                    },
                )
            )
    agree = True
    if len(tables) == 2:
        parquet, csv = tables["parquet"], tables["csv"]
        agree = parquet["rows"] == csv["rows"] and parquet["keys"] == csv["keys"]
        verdict = "; Parquet and CSV counts agree" if agree else "; COUNTS DIFFER"
        figures = [dataclasses.replace(f, check=f.check + verdict) for f in figures]
    emit(figures, args.json)
    if not args.keep:
        if args.dir is None:
            shutil.rmtree(directory)
        else:
            for path in paths.values():
                path.unlink()
                path.with_name(f"warmup.{path.suffix[1:]}").unlink()
    return 0 if agree else 1


if __name__ == "__main__":
    raise SystemExit(main())
