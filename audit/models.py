"""The audit log: one append-only chain of events, hashed as leaves of an RFC 6962 Merkle tree."""

from __future__ import annotations

from django.db import models


class AuditLogHead(models.Model):
    """The single row whose lock serialises appends, so sequence numbers never fork or skip."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    size = models.PositiveBigIntegerField(default=0)

    class Meta:
        constraints = [models.CheckConstraint(condition=models.Q(id=1), name="auditloghead_singleton")]

    def __str__(self) -> str:
        return f"audit log size {self.size}"


class AuditEvent(models.Model):
    """One recorded state change. ``canonical`` holds the RFC 8785 bytes that were hashed.

    The columns beside ``canonical`` exist for querying; verification checks that they agree with
    the canonical bytes, and that the bytes hash to the leaf in the signed tree.
    """

    seq = models.PositiveBigIntegerField(unique=True, editable=False)
    created_at = models.DateTimeField(editable=False, db_index=True)
    actor = models.CharField(max_length=100, editable=False, db_index=True)
    actor_label = models.CharField(max_length=200, editable=False)
    action = models.CharField(max_length=100, editable=False, db_index=True)
    target_type = models.CharField(max_length=100, editable=False)
    target_id = models.CharField(max_length=100, editable=False)
    payload = models.JSONField(editable=False)
    request_id = models.CharField(max_length=128, blank=True, editable=False)
    source_ip = models.GenericIPAddressField(null=True, blank=True, editable=False)
    canonical = models.BinaryField(editable=False)
    leaf_hash = models.CharField(max_length=64, editable=False)

    class Meta:
        ordering = ["seq"]
        indexes = [models.Index(fields=["target_type", "target_id"], name="audit_target_idx")]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} {self.target_type}:{self.target_id}"
