"""Reads of the audit log: roots, proofs and the head, computed from the stored leaf hashes."""

from __future__ import annotations

from collections.abc import Iterator

from audit.models import AuditEvent, AuditLogHead, Checkpoint
from audit.pure import merkle


def log_size() -> int:
    return AuditLogHead.objects.values_list("size", flat=True).get(pk=1)


def leaf_hashes(size: int) -> list[bytes]:
    """The first ``size`` leaf hashes in sequence order (32 bytes each: a million leaves is 32 MB)."""
    hashes = [
        bytes.fromhex(h)
        for h in AuditEvent.objects.filter(seq__lt=size).order_by("seq").values_list("leaf_hash", flat=True)
    ]
    if len(hashes) != size:
        raise ValueError(f"the log holds {len(hashes)} events below sequence {size}")
    return hashes


def iter_events(batch: int = 2000) -> Iterator[AuditEvent]:
    """Every integrated event in sequence order, in keyset-paginated batches (constant memory)."""
    last: int = -1
    while True:
        rows = list(AuditEvent.objects.filter(seq__gt=last).order_by("seq")[:batch])
        if not rows:
            return
        yield from rows
        last = rows[-1].seq or 0  # integrated rows only: seq is set


def head_root() -> tuple[int, bytes]:
    """Size and root of the whole log from the head's compact range (no leaf reads)."""
    head = AuditLogHead.objects.get(pk=1)
    tree = merkle.CompactRange(head.size, [bytes.fromhex(p) for p in head.peaks])
    return tree.size, tree.root()


def inclusion_proof(seq: int, tree_size: int) -> tuple[bytes, list[bytes], bytes]:
    """(leaf hash, audit path, root) proving event ``seq`` is in the tree of ``tree_size``."""
    hashes = leaf_hashes(tree_size)
    return hashes[seq], merkle.inclusion_proof(seq, hashes), merkle.root(hashes)


def consistency_proof(first: int, second: int) -> tuple[list[bytes], bytes, bytes]:
    """(proof, first root, second root) that the tree of ``second`` extends the tree of ``first``."""
    hashes = leaf_hashes(second)
    return merkle.consistency_proof(first, hashes), merkle.root(hashes[:first]), merkle.root(hashes)


def pending_count() -> int:
    """Accepted entries not yet integrated (normally zero or a few; the health page shows it)."""
    return AuditEvent.objects.filter(seq__isnull=True).count()


def checkpoint_latest() -> Checkpoint | None:
    return Checkpoint.objects.order_by("-size").first()
