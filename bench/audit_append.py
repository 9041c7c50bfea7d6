"""Audit log at scale: service appends vs plain inserts, a slow transaction, integration delay, verification.

Run: ``.venv/bin/python -m bench.audit_append [--events 4000] [--threads 1 4 16] [--processes 4]``
(uses DATABASE_URL, so ``DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres`` measures PostgreSQL).
It creates and drops a throwaway database of its own (``var/bench-audit.sqlite3`` or
``governance_bench_audit``), never touching the configured one or a test run's.

Every figure is median [min-max] over ``--rounds`` interleaved rounds, against a baseline measured in
the same round:

* **appends/s**: ``audit_append`` in its own transaction per event, from N threads (one process) or N
  processes, with the production integrator (a background thread per process, nudged by commits),
  against plain ORM inserts of the same rows (same table, same size, one transaction each, no
  hashing, never integrated).
* **integration delay**: from an entry's acceptance (its ``created_at``, before commit, so the figure
  is an upper bound) to ``integrated_at``, p99 over every entry of the round.
* **slow transaction**: writers' p99 latency while another transaction accepts an entry and then stays
  open for 5 s, against the same writers' p99 without it.
* **verification**: ``verify_log`` (what ``govctl verify log`` runs) over the exported log, against a
  plain SHA-256 hash chain over the same bytes.
"""

from __future__ import annotations

import argparse
import atexit
import itertools
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "governance.settings")
django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection, connections, transaction  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402
from django.utils import timezone  # noqa: E402

from audit.export import verifier_tuples  # noqa: E402
from audit.integrator import IDLE_CLOSE_SECONDS, _flush_at_exit, audit_integrate  # noqa: E402
from audit.models import AuditEvent, AuditLogHead  # noqa: E402
from audit.pure.log_verify import verify_log  # noqa: E402
from audit.services import audit_append  # noqa: E402
from audit.vocabulary import registry  # noqa: E402
from bench.report import MIN_ROUNDS, Figure, emit, progress  # noqa: E402
from governance.accounts.principal import cli_principal  # noqa: E402

PAYLOAD = {"changes": {"description": ["old text", "new text"], "metrics": {"auc": [0.78, 0.79]}}}
ROOT = Path(__file__).resolve().parents[1]
if "bench.append" not in registry:
    registry.declare("bench.append", "Benchmark event (bench/audit_append.py).", required=tuple(PAYLOAD))


def append(n: int, i: int) -> None:
    with transaction.atomic():  # a service write: its own transaction, the event inside it
        audit_append(
            actor=cli_principal(f"bench-{n}"), action="bench.append", target_id=str(i), payload=PAYLOAD
        )


_insert_seq = itertools.count(10**12)


def plain_insert(n: int, i: int) -> None:
    with transaction.atomic():  # the same row, no hashing, never pending
        AuditEvent.objects.create(
            entry_id=uuid.uuid4(),
            seq=next(_insert_seq),
            created_at=timezone.now(),
            integrated_at=timezone.now(),
            actor="bench",
            actor_label="bench",
            action="bench.insert",
            target_type="",
            target_id=str(i),
            payload=PAYLOAD,
            canonical=b"x" * 330,
            leaf_hash="0" * 64,
        )


def run_threads(threads: int, per_thread: int, body, latencies: list[float] | None = None) -> float:  # type: ignore[no-untyped-def]
    barrier = threading.Barrier(threads + 1)
    errors: list[BaseException] = []

    def worker(n: int) -> None:
        barrier.wait()
        try:
            for i in range(per_thread):
                began = time.perf_counter()
                body(n, i)
                if latencies is not None:
                    latencies.append(time.perf_counter() - began)
        except BaseException as exc:  # a failed append must fail the benchmark, not vanish with its thread
            errors.append(exc)
        finally:
            connections.close_all()

    pool = [threading.Thread(target=worker, args=(n,)) for n in range(threads)]
    for thread in pool:
        thread.start()
    barrier.wait()
    start = time.perf_counter()
    for thread in pool:
        thread.join()
    elapsed = time.perf_counter() - start
    if errors:
        raise errors[0]
    return elapsed


CHILD = """
import os, sys, time
import django
django.setup()
from bench import audit_append as bench
go, per, kind, n = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
body = bench.append if kind == "append" else bench.plain_insert
if kind == "insert":
    bench._insert_seq = __import__("itertools").count(10**14 + os.getpid() * 10**7)
print("ready", flush=True)
while not os.path.exists(go):
    time.sleep(0.002)
for i in range(per):
    body(n, i)
"""


def run_processes(processes: int, per_process: int, kind: str) -> float:
    """Wall time for N processes (Django set up before the clock starts) to write ``per_process`` each."""
    env = dict(os.environ)
    db = connection.settings_dict
    if connection.vendor == "postgresql":
        env["DATABASE_URL"] = (
            f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
        )
    else:
        env["DATABASE_URL"] = f"sqlite:///{db['NAME']}"
    with tempfile.TemporaryDirectory() as tmp:
        go = os.path.join(tmp, "go")
        children = [
            subprocess.Popen(
                [sys.executable, "-c", CHILD, go, str(per_process), kind, str(n)],
                cwd=ROOT,
                env=env,
                stdout=subprocess.PIPE,
                text=True,
            )
            for n in range(processes)
        ]
        for child in children:
            assert child.stdout is not None and child.stdout.readline().strip() == "ready"
        start = time.perf_counter()
        Path(go).touch()
        for child in children:
            if child.wait(timeout=600) != 0:
                raise RuntimeError(f"a {kind} process failed")
        return time.perf_counter() - start


def wait_integrated(what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while AuditEvent.objects.filter(seq__isnull=True).exists():
        if time.monotonic() > deadline:
            pending = AuditEvent.objects.filter(seq__isnull=True).count()
            raise RuntimeError(f"{pending} entries stayed pending {timeout:g} s after {what}")
        time.sleep(0.01)


def delays_since(pk: int) -> list[float]:
    """Acceptance -> integration delay of every entry accepted after row ``pk``."""
    rows = AuditEvent.objects.filter(pk__gt=pk, action="bench.append").values_list(
        "created_at", "integrated_at"
    )
    return [(integrated - accepted).total_seconds() for accepted, integrated in rows if integrated]


def p99(values: list[float]) -> float:
    return sorted(values)[max(0, int(len(values) * 0.99) - 1)]


def last_pk() -> int:
    return AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def slow_transaction_round(writers: int, seconds: float) -> tuple[float, float]:
    """Writers' p99 latency without, then with, a transaction that audits and stays open 5 s."""
    quiet: list[float] = []
    run_threads(writers, 150, append, quiet)
    busy: list[float] = []
    opened = threading.Event()

    def slow() -> None:
        try:
            with transaction.atomic():
                append(999, 0)  # accepts an entry, then keeps the transaction open
                opened.set()
                time.sleep(seconds)
        finally:
            connections.close_all()

    holder = threading.Thread(target=slow)
    holder.start()
    opened.wait()
    deadline = time.monotonic() + seconds - 0.5
    while time.monotonic() < deadline:
        run_threads(writers, 25, append, busy)
    holder.join()
    return p99(quiet), p99(busy)


def verification_round() -> tuple[float, float, float, int]:
    """(full verify_log s, structure-only verify_log s, plain hash-chain s, events) over the log."""
    import hashlib

    records = list(
        verifier_tuples(
            AuditEvent.objects.filter(seq__lt=AuditLogHead.objects.get().size).order_by("seq").iterator()
        )
    )
    start = time.perf_counter()
    result = verify_log(iter(records), [], [], settings.AUDIT_LOG_ORIGIN)
    verify_seconds = time.perf_counter() - start
    if [p.kind for p in result.problems] != ["unsigned"]:  # no checkpoints are signed here
        raise RuntimeError(f"the benchmark log does not verify: {result.problems[:3]}")
    start = time.perf_counter()
    verify_log(iter(records), [], [], settings.AUDIT_LOG_ORIGIN, check_content=False)
    structure_seconds = time.perf_counter() - start
    start = time.perf_counter()
    digest = b""
    for record in records:
        digest = hashlib.sha256(digest + record[1]).digest()
    return verify_seconds, structure_seconds, time.perf_counter() - start, len(records)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=4000, help="events per measurement")
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 4, 16])
    parser.add_argument("--processes", type=int, default=4, help="writer processes (0: skip)")
    parser.add_argument("--slow-seconds", type=float, default=5.0)
    parser.add_argument("--rounds", type=int, default=MIN_ROUNDS, help="timed rounds of every measurement")
    parser.add_argument("--json", action="store_true", help="one JSON figure a line (for python -m bench)")
    args = parser.parse_args()

    setup_test_environment()
    sqlite = connection.vendor == "sqlite"
    name = str(ROOT / "var" / "bench-audit.sqlite3") if sqlite else "governance_bench_audit"
    connection.settings_dict["TEST"]["NAME"] = name
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        progress(
            f"audit_append: {connection.vendor}, {args.events} events per measurement, "
            f"integration {settings.AUDIT_INTEGRATE_MODE}"
        )
        configs = [(f"{t} thread{'s' if t > 1 else ''}", t, "thread") for t in args.threads]
        if args.processes:
            configs.append((f"{args.processes} processes", args.processes, "process"))
        times: dict[str, dict[str, list[float]]] = {
            label: {"insert": [], "append": []} for label, _, _ in configs
        }
        delay_p99: dict[str, list[float]] = {label: [] for label, _, _ in configs}
        slow: list[tuple[float, float]] = []
        verify: list[tuple[float, float, float, int]] = []
        for round_ in range(args.rounds):
            for label, width, kind in configs:
                per = args.events // width
                if kind == "thread":
                    times[label]["insert"].append(run_threads(width, per, plain_insert))
                    mark = last_pk()
                    times[label]["append"].append(run_threads(width, per, append))
                else:
                    times[label]["insert"].append(run_processes(width, per, "insert"))
                    mark = last_pk()
                    times[label]["append"].append(run_processes(width, per, "append"))
                wait_integrated(label)
                delay_p99[label].append(p99(delays_since(mark)))
            if not sqlite:  # SQLite has one writer at a time: any open write transaction blocks all
                slow.append(slow_transaction_round(4, args.slow_seconds))
            wait_integrated("the slow transaction")
            verify.append(verification_round())
            progress(f"audit_append round {round_ + 1}/{args.rounds} done")
        audit_integrate()
        head = AuditLogHead.objects.get()
        seqs = list(
            AuditEvent.objects.exclude(action="bench.insert").order_by("seq").values_list("seq", flat=True)
        )
        intact = seqs == list(range(head.size))
        tree = (
            f"one tree 0..{head.size - 1}, no gap or duplicate" if intact else "TREE HAS GAPS OR DUPLICATES"
        )
        figures = []
        for label, width, _ in configs:
            total = (args.events // width) * width
            appends = times[label]["append"]
            figures.append(
                Figure(
                    benchmark=f"audit append, {connection.vendor}",
                    size=f"{total:,} events, {label}",
                    measured="audit_append, a transaction each",
                    baseline="plain ORM insert of the same row, a transaction each",
                    measured_seconds=appends,
                    baseline_seconds=times[label]["insert"],
                    check=(
                        f"{total / statistics.median(appends):,.0f} appends/s "
                        f"[{total / max(appends):,.0f}-{total / min(appends):,.0f}]; integration delay p99 "
                        f"{statistics.median(delay_p99[label]) * 1000:,.0f} ms "
                        f"[{min(delay_p99[label]) * 1000:,.0f}-{max(delay_p99[label]) * 1000:,.0f}]; {tree}"
                    ),
                )
            )
        quiet, busy = [q for q, _ in slow], [b for _, b in slow]
        if slow:
            figures.append(
                Figure(
                    benchmark=f"audit append, {connection.vendor}",
                    size=f"4 writers beside a transaction open {args.slow_seconds:g} s",
                    measured="writers' p99 latency with the slow transaction",
                    baseline="the same writers' p99 without it",
                    measured_seconds=busy,
                    baseline_seconds=quiet,
                    check=(
                        f"p99 {statistics.median(busy) * 1000:.1f} ms with, "
                        f"{statistics.median(quiet) * 1000:.1f} ms without"
                    ),
                )
            )
        events = verify[-1][3]
        for column, what in (
            (1, "structure: positions, leaf hashes, tree, checkpoints"),
            (0, "full: + ids, RFC 8785 form, columns"),
        ):
            seconds = [v[column] for v in verify]
            rates = [v[3] / s for v, s in zip(verify, seconds, strict=True)]
            figures.append(
                Figure(
                    benchmark="audit log verification",
                    size=f"{events:,} events",
                    measured=f"verify_log ({what})",
                    baseline="plain SHA-256 hash chain over the same bytes",
                    measured_seconds=seconds,
                    baseline_seconds=[v[2] for v in verify],
                    check=f"{statistics.median(rates):,.0f} events/s [{min(rates):,.0f}-{max(rates):,.0f}]",
                )
            )
        emit(figures, args.json)
        return 0 if intact else 1
    finally:
        atexit.unregister(_flush_at_exit)  # the throwaway database is about to go
        time.sleep(IDLE_CLOSE_SECONDS + 0.5)  # the integrator thread gives its connection back
        connections.close_all()
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    raise SystemExit(main())
