"""Audit log append throughput, against a plain insert of the same rows measured in the same run.

Run: ``.venv/bin/python -m bench.audit_append [--events 2000] [--threads 1 4] [--rounds 5]`` (uses
DATABASE_URL, so ``DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres`` measures PostgreSQL). It
creates and drops a throwaway database of its own (``var/bench-audit.sqlite3`` or
``governance_bench_audit``), never touching the configured one or a test run's.

What it shows: an append serialises on the log head row, canonicalises (RFC 8785), hashes and
updates the compact range. The ratio to a bare INSERT of an equally sized row (one transaction per
row, like a service write) is the cost of tamper evidence; absolute numbers drift on shared machines.
"""

from __future__ import annotations

import argparse
import itertools
import os
import statistics
import threading
import time

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "governance.settings")
django.setup()

from django.db import connection, connections, transaction  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

from audit.models import AuditEvent, AuditLogHead  # noqa: E402
from audit.services import audit_append  # noqa: E402
from bench.report import MIN_ROUNDS, Figure, emit, progress  # noqa: E402
from governance.accounts.principal import cli_principal  # noqa: E402

PAYLOAD = {"changes": {"description": ["old text", "new text"], "metrics": {"auc": [0.78, 0.79]}}}


def run_threads(threads: int, per_thread: int, body) -> float:  # type: ignore[no-untyped-def]
    barrier = threading.Barrier(threads + 1)

    errors: list[BaseException] = []

    def worker(n: int) -> None:
        barrier.wait()
        try:
            for i in range(per_thread):
                body(n, i)
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


def _bench_action() -> str:
    """The benchmark's own action; where the audit vocabulary exists, it refuses undeclared actions."""
    try:
        from audit.vocabulary import declare
    except ImportError:
        return "bench.append"
    return declare("bench.append", "Benchmark event (bench/audit_append.py).", required=tuple(PAYLOAD)).name


BENCH_ACTION = _bench_action()


def append(n: int, i: int) -> None:
    audit_append(actor=cli_principal(f"bench-{n}"), action=BENCH_ACTION, target_id=str(i), payload=PAYLOAD)


_insert_seq = itertools.count(10_000_000)


def plain_insert(n: int, i: int) -> None:
    with transaction.atomic():  # same row shape, no head lock, no hashing
        AuditEvent.objects.create(
            seq=next(_insert_seq),
            created_at=django.utils.timezone.now(),
            actor="bench",
            actor_label="bench",
            action="bench.insert",
            target_type="",
            target_id=str(i),
            payload=PAYLOAD,
            canonical=b"x" * 300,
            leaf_hash="0" * 64,
        )


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=2000, help="events per measurement")
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 4])
    parser.add_argument("--rounds", type=int, default=MIN_ROUNDS, help="timed rounds of every measurement")
    parser.add_argument("--json", action="store_true", help="one JSON figure a line (for python -m bench)")
    args = parser.parse_args()

    setup_test_environment()
    # A database of its own, so a concurrent test run's test database is never clobbered.
    sqlite = connection.vendor == "sqlite"
    name = "var/bench-audit.sqlite3" if sqlite else "governance_bench_audit"
    connection.settings_dict["TEST"]["NAME"] = name
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        progress(f"audit_append: database {connection.vendor}, {args.events} events per run")
        times: dict[int, dict[str, list[float]]] = {t: {"insert": [], "append": []} for t in args.threads}
        for round_ in range(args.rounds):
            for threads in args.threads:
                per = args.events // threads
                times[threads]["insert"].append(run_threads(threads, per, plain_insert))
                times[threads]["append"].append(run_threads(threads, per, append))
            progress(f"audit_append round {round_ + 1}/{args.rounds} done")
        head = AuditLogHead.objects.get()
        seqs = list(
            AuditEvent.objects.filter(action="bench.append").order_by("seq").values_list("seq", flat=True)
        )
        expected = args.rounds * sum((args.events // t) * t for t in args.threads)
        intact = seqs == list(range(head.size)) and head.size == expected
        chain = f"sequence 0..{head.size - 1} without gaps" if intact else "CHAIN FORKED OR SKIPPED"
        figures = []
        for threads in args.threads:
            total = (args.events // threads) * threads
            appends = times[threads]["append"]
            figures.append(
                Figure(
                    benchmark=f"audit log append, {connection.vendor}",
                    size=f"{total:,} events, {threads} thread{'s' if threads > 1 else ''}",
                    measured="audit_append, one transaction each",
                    baseline="plain INSERT of the same row, one transaction each",
                    measured_seconds=appends,
                    baseline_seconds=times[threads]["insert"],
                    check=f"{total / statistics.median(appends):,.0f} appends/s median; {chain}",
                )
            )
        emit(figures, args.json)
        return 0 if intact else 1
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    raise SystemExit(main())
