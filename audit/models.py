"""The audit log: one append-only chain of events, hashed as leaves of an RFC 6962 Merkle tree."""

from __future__ import annotations

from django.db import models


class AuditLogHead(models.Model):
    """The single row whose lock serialises appends, so sequence numbers never fork or skip."""

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


class SigningKey(models.Model):
    """An ECDSA P-256 key the service signs with. One is active; retired keys keep their public part
    so everything they signed stays verifiable (JWKS), and lose their private part."""

    class Status(models.TextChoices):
        ACTIVE = "active"
        RETIRED = "retired"

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


class Attestation(models.Model):
    """A signed in-toto statement about something the service recorded (artifact, card, report,
    decision), kept as the Sigstore bundle a verifier needs."""

    predicate_type = models.CharField(max_length=200, db_index=True)
    subject_type = models.CharField(max_length=100)
    subject_id = models.CharField(max_length=100)
    subject_digest = models.CharField(max_length=64, help_text="hex sha256 of the attested content")
    audit_seq = models.PositiveBigIntegerField(help_text="sequence number of the audit event it attests")
    key_id = models.CharField(max_length=64)
    bundle = models.JSONField()
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["subject_type", "subject_id"], name="attestation_subject_idx")]

    def __str__(self) -> str:
        return f"{self.predicate_type.rsplit('/', 2)[-2]} for {self.subject_type}:{self.subject_id}"
