"""The audit log: one append-only chain of events, hashed as leaves of an RFC 6962 Merkle tree."""

from __future__ import annotations

from django.db import models


class AuditLogHead(models.Model):
    """The integrated tree: its size and compact range. Only the integrator locks this row, briefly;
    services never do (they insert pending entries), so no business transaction waits on it."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    size = models.PositiveBigIntegerField(default=0)
    # RFC 6962 compact range (hex subtree roots, largest first): the root at ``size`` in O(log n)
    # without reading the log. Verification recomputes it from the leaves and compares.
    peaks = models.JSONField(default=list)

    class Meta:
        constraints = [models.CheckConstraint(condition=models.Q(id=1), name="auditloghead_singleton")]

    def __str__(self) -> str:
        return f"audit log size {self.size}"


class AuditEvent(models.Model):
    """One recorded state change. ``canonical`` holds the RFC 8785 bytes that were hashed.

    An entry is *accepted* in the business transaction that caused it (``entry_id`` and leaf hash
    fixed at once, ``seq`` empty: pending) and *integrated* later by the batching integrator, which
    assigns its position ``seq`` in the Merkle tree, as transparency logs separate the two. The
    columns beside ``canonical`` exist for querying only: the API and the export serve the event
    decoded from ``canonical``, and verification checks that the columns still agree with it.
    """

    entry_id = models.UUIDField(unique=True, editable=False, help_text="The entry's identity (in its bytes).")
    seq = models.PositiveBigIntegerField(
        unique=True,
        null=True,
        blank=True,
        editable=False,
        help_text="Position in the log; empty while pending.",
    )
    created_at = models.DateTimeField(editable=False, db_index=True)
    integrated_at = models.DateTimeField(null=True, blank=True, editable=False)
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
        ordering = ["id"]
        indexes = [
            models.Index(fields=["target_type", "target_id"], name="audit_target_idx"),
            # The integrator's queue: pending entries in acceptance order.
            models.Index(fields=["id"], condition=models.Q(seq__isnull=True), name="audit_pending_idx"),
        ]

    def __str__(self) -> str:
        where = f"#{self.seq}" if self.seq is not None else "pending"
        return f"{where} {self.action} {self.target_type}:{self.target_id}"

    @property
    def is_integrated(self) -> bool:
        return self.seq is not None


class SigningKey(models.Model):
    """An ECDSA P-256 key the service signs with. One is active; retired keys keep their public part
    so everything they signed stays verifiable (JWKS), and lose their private part."""

    class Status(models.TextChoices):
        ACTIVE = "active"
        RETIRED = "retired"
        # Retired because it was (or may have been) compromised: nothing it signed is trusted.
        REVOKED = "revoked"

    key_id = models.CharField(max_length=64, unique=True, help_text="sha256 of the DER SubjectPublicKeyInfo")
    algorithm = models.CharField(max_length=10, default="ES256")
    public_key_pem = models.TextField()
    # Encrypted PKCS#8 (passphrase from SIGNING_KEY_PASSPHRASE); emptied when the key is retired.
    private_key_pem = models.TextField(blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    created_at = models.DateTimeField()
    retired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["status"], condition=models.Q(status="active"), name="signingkey_one_active"
            )
        ]

    def __str__(self) -> str:
        return f"{self.key_id[:16]}… ({self.status})"


class Checkpoint(models.Model):
    """A signed C2SP tlog-checkpoint of the audit log: origin, size and root, signed as a note.

    Customers export these and keep them elsewhere: a later log that does not extend them is
    caught even if the database and the service's keys were both compromised afterwards.
    """

    origin = models.CharField(max_length=200)
    size = models.PositiveBigIntegerField()
    root_hash = models.CharField(max_length=64)
    note = models.TextField(help_text="The signed note, verbatim.")
    key_id = models.CharField(max_length=64)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-size"]
        get_latest_by = "size"
        constraints = [models.UniqueConstraint(fields=["origin", "size"], name="checkpoint_unique_size")]

    def __str__(self) -> str:
        return f"checkpoint {self.origin} @ {self.size}"


class LogVerificationRun(models.Model):
    """One full verification of the stored log (leaves, tree, head, every checkpoint), kept as a record.

    Reviewers see the latest on the admin dashboard: when the log was last proven intact, and up to
    which signed checkpoint. Runs come from the beat task and ``manage.py audit_verify``.
    """

    verified_at = models.DateTimeField()
    ok = models.BooleanField()
    size = models.PositiveBigIntegerField(help_text="Entries checked.")
    verified_size = models.PositiveBigIntegerField(help_text="Size of the largest checkpoint verified.")
    checkpoints_checked = models.PositiveIntegerField()
    problem_count = models.PositiveIntegerField(default=0)
    headline = models.TextField(blank=True)
    seconds = models.FloatField()

    class Meta:
        ordering = ["-verified_at"]
        get_latest_by = "verified_at"

    def __str__(self) -> str:
        return f"log verification at {self.verified_at:%Y-%m-%d %H:%M} ({'ok' if self.ok else 'FAILED'})"


class Attestation(models.Model):
    """A signed in-toto statement about something the service recorded (artifact, card, report,
    decision), kept as the Sigstore bundle a verifier needs."""

    predicate_type = models.CharField(max_length=200, db_index=True)
    subject_type = models.CharField(max_length=100)
    subject_id = models.CharField(max_length=100)
    subject_digest = models.CharField(max_length=64, help_text="hex sha256 of the attested content")
    audit_entry_id = models.UUIDField(
        null=True, help_text="the audit entry (id) the attestation was logged at"
    )
    audit_seq = models.PositiveBigIntegerField(
        null=True,
        blank=True,
        help_text="legacy: the sequence number signed into attestations made before entry ids",
    )
    key_id = models.CharField(max_length=64)
    bundle = models.JSONField()
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["subject_type", "subject_id"], name="attestation_subject_idx")]

    def __str__(self) -> str:
        return f"{self.predicate_type.rsplit('/', 2)[-2]} for {self.subject_type}:{self.subject_id}"
