"""Audit log append throughput, against a plain insert of the same rows measured in the same run.

Run: ``.venv/bin/python -m bench.audit_append [--events 2000] [--threads 1 4]`` (uses DATABASE_URL,
so ``DATABASE_URL=postgres://postgres@127.0.0.1:5432/test`` measures PostgreSQL). It creates and
drops a throwaway test database, never touching the real one.

What it shows: an append serialises on the log head row, canonicalises (RFC 8785), hashes and
updates the compact range. The ratio to a bare INSERT of an equally sized row (one transaction per
row, like a service write) is the cost of tamper evidence; absolute numbers drift on shared machines.
"""

from __future__ import annotations

import argparse
import itertools
import os
import threading
import time

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "governance.settings")
django.setup()

from django.db import connection, connections, transaction  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

from audit.models import AuditEvent, AuditLogHead  # noqa: E402
from audit.services import audit_append  # noqa: E402
from governance.accounts.principal import cli_principal  # noqa: E402

PAYLOAD = {"changes": {"description": ["old text", "new text"], "metrics": {"auc": [0.78, 0.79]}}}


def run_threads(threads: int, per_thread: int, body) -> float:  # type: ignore[no-untyped-def]
    barrier = threading.Barrier(threads + 1)

    def worker(n: int) -> None:
        barrier.wait()
        try:
            for i in range(per_thread):
                body(n, i)
        finally:
            connections.close_all()

    pool = [threading.Thread(target=worker, args=(n,)) for n in range(threads)]
    for thread in pool:
        thread.start()
    barrier.wait()
    start = time.perf_counter()
    for thread in pool:
        thread.join()
    return time.perf_counter() - start


def append(n: int, i: int) -> None:
    audit_append(actor=cli_principal(f"bench-{n}"), action="bench.append", target_id=str(i), payload=PAYLOAD)


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


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=2000, help="events per measurement")
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 4])
    args = parser.parse_args()

    setup_test_environment()
    # A database of its own, so a concurrent test run's test database is never clobbered.
    sqlite = connection.vendor == "sqlite"
    name = "var/bench-audit.sqlite3" if sqlite else "governance_bench_audit"
    connection.settings_dict["TEST"]["NAME"] = name
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        print(f"database: {connection.vendor}, {args.events} events per run")
        print(f"{'threads':>7} {'append/s':>10} {'insert/s':>10} {'ratio':>7}")
        for threads in args.threads:
            per = args.events // threads
            t_insert = run_threads(threads, per, plain_insert)
            t_append = run_threads(threads, per, append)
            total = per * threads
            ratio = t_insert / t_append
            print(f"{threads:>7} {total / t_append:>10.0f} {total / t_insert:>10.0f} {ratio:>7.2f}")
        head = AuditLogHead.objects.get()
        seqs = list(
            AuditEvent.objects.filter(action="bench.append").order_by("seq").values_list("seq", flat=True)
        )
        assert seqs == list(range(head.size)), "the chain forked or skipped"
        print(f"chain intact: {head.size} events, sequence 0..{head.size - 1} without gaps")
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
