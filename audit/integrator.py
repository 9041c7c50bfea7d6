"""Integrating accepted audit entries into the Merkle tree, in batches.

Services only insert pending entries (``audit.services``). The integrator takes them in acceptance
order, assigns consecutive sequence numbers, extends the tree's compact range and moves the head,
all in one short transaction of its own. It runs:

* right after a commit that accepted entries: ``nudge_after_commit`` wakes this process's
  integrator thread (or, with ``AUDIT_INTEGRATE_MODE = "inline"``, integrates in the committing
  thread), which skips at once if another integrator holds the head;
* from a periodic sweeper (beat task ``audit.tasks.audit_integrate``), so nothing needs a
  dedicated daemon and an entry whose nudge was lost (a process killed after commit) is still
  integrated within ``AUDIT_INTEGRATE_SWEEP_SECONDS``.

Exactly one integrator wins each batch: on PostgreSQL the head row is taken ``FOR UPDATE SKIP
LOCKED``; on every database the head moves only from the size the batch was planned on, and
``seq`` is unique, so a racing or replayed batch fails whole and changes nothing. Killing an
integrator mid-batch rolls its transaction back: nothing is lost, nothing integrated twice.

Closing the race with the nudge: an integrator that finds no more pending entries re-checks
*after* releasing the head. An entry committed while the head was held is therefore seen either by
that re-check or by its own nudge, which then finds the head free.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
from collections.abc import Sequence

from django.conf import settings
from django.db import DatabaseError, IntegrityError, close_old_connections, connection, transaction
from django.utils import timezone

from audit.models import AuditEvent, AuditLogHead
from audit.pure.merkle import CompactRange

log = logging.getLogger(__name__)

BATCH_SIZE = 2000
IDLE_CLOSE_SECONDS = 1.0


class _LostRace(Exception):
    """Another integrator moved the head first; this batch is rolled back and retried by it."""


def _lock_head(wait: bool = False) -> AuditLogHead | None:
    """The head, locked for this transaction; None if another integrator holds it (PostgreSQL),
    unless ``wait``: then it waits for that integrator to finish.

    On SQLite the IMMEDIATE transaction already holds the database's write lock. A flushed database
    (tests) has lost the migration's row: it is recreated, racing creators converging on pk 1.
    """
    postgres = connection.vendor == "postgresql"
    qs = AuditLogHead.objects.filter(pk=1)
    locked = qs.select_for_update(skip_locked=not wait) if postgres else qs
    head = locked.first()
    if head is not None or (postgres and qs.exists()):
        return head
    AuditLogHead.objects.get_or_create(pk=1)
    return locked.first()


def _assign(pending: Sequence[tuple[int, str]], first_seq: int) -> None:
    """Set ``seq`` (and ``integrated_at``) of each pending row, in one statement on PostgreSQL."""
    now = timezone.now()
    rows = [(pk, first_seq + offset) for offset, (pk, _) in enumerate(pending)]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            values = ", ".join(["(%s, %s)"] * len(rows))
            cursor.execute(  # only placeholders are interpolated into the statement
                "UPDATE audit_auditevent AS e SET seq = v.seq, integrated_at = %s "  # noqa: S608
                f"FROM (VALUES {values}) AS v(id, seq) WHERE e.id = v.id AND e.seq IS NULL",
                [now, *[x for row in rows for x in row]],
            )
            updated = cursor.rowcount
        else:
            cursor.executemany(
                "UPDATE audit_auditevent SET seq = %s, integrated_at = %s WHERE id = %s AND seq IS NULL",
                [(seq, now, pk) for pk, seq in rows],
            )
            updated = len(rows) if cursor.rowcount in (-1, None) else cursor.rowcount
    if updated != len(rows):
        raise _LostRace


def integrate_batch(batch_size: int = BATCH_SIZE, *, wait: bool = False) -> int | None:
    """Integrate up to ``batch_size`` pending entries; None if another integrator is busy (or, with
    ``wait``, won the race for this batch)."""
    try:
        with transaction.atomic():
            head = _lock_head(wait)
            if head is None:
                return None
            pending = list(
                AuditEvent.objects.filter(seq__isnull=True)
                .order_by("id")
                .values_list("id", "leaf_hash")[:batch_size]
            )
            if not pending:
                return 0
            tree = CompactRange(head.size, [bytes.fromhex(p) for p in head.peaks])
            for _, leaf in pending:
                tree.append(bytes.fromhex(leaf))
            _assign(pending, head.size)
            moved = AuditLogHead.objects.filter(pk=1, size=head.size).update(
                size=tree.size, peaks=[p.hex() for p in tree.peaks]
            )
            if moved != 1:
                raise _LostRace
            return len(pending)
    except (_LostRace, IntegrityError):
        return None


def audit_integrate(batch_size: int = BATCH_SIZE, *, wait: bool = False) -> int:
    """Integrate every pending entry (batch after batch); returns how many this call integrated.

    Returns early if another integrator is busy: that one re-checks after it finishes. With
    ``wait`` it waits for the head instead and returns only when nothing is pending (a process
    about to exit, whose own integrator thread dies with it, must not rely on that re-check).
    """
    total = 0
    while True:
        done = integrate_batch(batch_size, wait=wait)
        if done is None:
            if wait:
                continue  # lost a race to another integrator: take the next batch
            return total
        total += done
        if done < batch_size and not AuditEvent.objects.filter(seq__isnull=True).exists():
            return total  # checked after the head was released: see the module docstring


# --- The nudge ------------------------------------------------------------------------------------


class _IntegratorThread:
    """One background integrator per process, woken by commits (a fork starts its own)."""

    def __init__(self) -> None:
        self.wake = threading.Event()
        self.pid = 0
        self.lock = threading.Lock()

    def nudge(self) -> None:
        if self.pid != os.getpid():
            with self.lock:
                if self.pid != os.getpid():
                    self.wake = threading.Event()
                    threading.Thread(target=self._run, name="audit-integrator", daemon=True).start()
                    atexit.register(_flush_at_exit)
                    self.pid = os.getpid()
        self.wake.set()

    def _run(self) -> None:
        while True:
            if not self.wake.wait(timeout=IDLE_CLOSE_SECONDS):
                connection.close()  # idle: give the connection back (and let test databases drop)
                self.wake.wait()
            self.wake.clear()
            try:
                close_old_connections()
                audit_integrate()
            except Exception:  # the thread must outlive any failure: the next nudge or the sweeper retries
                log.warning("audit integration failed; the sweeper will retry", exc_info=True)


_thread = _IntegratorThread()


def _flush_at_exit() -> None:
    """A process that accepted entries integrates what is still pending before it exits (a command,
    a recycled web worker), instead of leaving it to the sweeper."""
    if settings.AUDIT_INTEGRATE_MODE != "thread":  # switched off since the thread started (tests)
        return
    try:
        audit_integrate(wait=True)
    except Exception:
        log.warning("audit integration at exit failed; the sweeper will retry", exc_info=True)


def nudge_after_commit() -> None:
    """Called on commit of a transaction that accepted entries. Cheap: it never waits for the head."""
    mode = settings.AUDIT_INTEGRATE_MODE
    if mode == "thread":
        _thread.nudge()
    elif mode == "inline":
        try:
            audit_integrate()
        except DatabaseError:
            log.warning("audit integration failed; the sweeper will retry", exc_info=True)
    # "off": only the sweeper (or an explicit audit_integrate()) integrates
