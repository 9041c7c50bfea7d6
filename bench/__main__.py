"""``make bench`` (``python -m bench``): every benchmark at modest sizes, one table at the end.

Each benchmark runs in its own process (``python -m bench.<name> --json ...``), in turn, so they do not
load the machine at the same time and Django settings of one do not leak into another. Every figure is
the median [min-max] of at least 5 interleaved rounds of the measured thing and its named baseline; the
table's ratio column is what to compare across machines (absolute times drift on shared ones).

    .venv/bin/python -m bench                                  # all, modest sizes (~11 min on 2 shared cores)
    .venv/bin/python -m bench --only fairness_e2e artifact_hashing
    .venv/bin/python -m bench --engine-sizes 100000 1000000 --e2e-rows 100000000 --hash-mib 4096

Each module also runs on its own with more options: ``python -m bench.<name> --help``.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import time

from bench.report import LEGEND, MIN_ROUNDS, Figure, markdown_table, progress

BENCHMARKS = ("fairness_engine", "fairness_e2e", "artifact_hashing", "audit_append", "gate")


def runs(name: str, args: argparse.Namespace) -> list[list[str]]:
    """The command-line arguments of each run of one benchmark module."""
    rounds = ["--rounds", str(args.rounds)]
    if name == "fairness_engine":
        return [["--sizes", *map(str, args.engine_sizes), *rounds]]
    if name == "fairness_e2e":  # one file pair per size
        return [["--rows", str(rows), *rounds] for rows in args.e2e_rows]
    if name == "artifact_hashing":
        return [["--size-mib", str(args.hash_mib), *rounds]]
    if name == "gate":  # PostgreSQL and wrk: see bench/gate.py
        return [["--concurrency", *map(str, args.gate_clients), "--seconds", str(args.gate_seconds), *rounds]]
    return [["--events", str(args.audit_events), "--threads", "1", "4", *rounds]]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--only", nargs="+", choices=BENCHMARKS, default=list(BENCHMARKS))
    parser.add_argument("--rounds", type=int, default=MIN_ROUNDS, help=f"rounds per figure (>= {MIN_ROUNDS})")
    parser.add_argument("--engine-sizes", type=int, nargs="+", default=[100_000], help="fairness_engine rows")
    parser.add_argument(
        "--e2e-rows", type=int, nargs="+", default=[1_000_000, 10_000_000], help="fairness_e2e rows"
    )
    parser.add_argument("--hash-mib", type=int, default=1024, help="artifact_hashing file size")
    parser.add_argument("--audit-events", type=int, default=500, help="audit_append events per measurement")
    parser.add_argument(
        "--gate-clients", type=int, nargs="+", default=[1, 8, 32], help="gate: concurrent wrk clients"
    )
    parser.add_argument("--gate-seconds", type=float, default=5.0, help="gate: seconds of each wrk run")
    args = parser.parse_args(argv)
    if args.rounds < MIN_ROUNDS:
        parser.error(f"--rounds: figures come from at least {MIN_ROUNDS} rounds")

    figures: list[Figure] = []
    failed: list[str] = []
    started = time.perf_counter()
    for name in args.only:
        for arguments in runs(name, args):
            command = [sys.executable, "-m", f"bench.{name}", "--json", *arguments]
            progress(f"$ {' '.join(command[1:])}")
            begun = time.perf_counter()
            result = subprocess.run(command, stdout=subprocess.PIPE, text=True)
            figures += [Figure.from_json(line) for line in result.stdout.splitlines() if line.startswith("{")]
            progress(f"  {name}: {time.perf_counter() - begun:.0f} s, exit {result.returncode}")
            if result.returncode:
                failed.append(name)
    print(
        f"{platform.node()}: {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"{args.rounds} rounds, {time.perf_counter() - started:.0f} s in all"
    )
    print(markdown_table(figures))
    print(LEGEND)
    if failed:
        print(f"FAILED (a check did not hold or the benchmark crashed): {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
