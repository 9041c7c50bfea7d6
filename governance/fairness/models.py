"""Fairness checks (jobs) and bias reports (their signed results)."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from governance.core.choices import JobStatus
from governance.core.visibility import TeamScopedQuerySet
from governance.inventory.models import ModelVersion


class FairnessCheck(models.Model):
    """A request to measure a model version's group fairness on a predictions file.

    The file is split into chunks whose count tables add up exactly, so any number of workers can
    count in parallel; the last chunk to finish builds the report. Every step is idempotent: a
    redelivered task (worker killed, ``acks_late``) recounts its chunk and nothing is counted twice.
    """

    TEAM_PATH = "model_version__model__team_id"  # one visibility rule: governance.core.visibility
    Status = JobStatus

    class Format(models.TextChoices):
        CSV = "csv"
        PARQUET = "parquet"

    model_version = models.ForeignKey(ModelVersion, on_delete=models.PROTECT, related_name="fairness_checks")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    config = models.JSONField(
        help_text="Columns, positive label, sensitive features, references, thresholds."
    )
    input_path = models.CharField(max_length=1024, help_text="Where workers read the predictions file.")
    input_name = models.CharField(max_length=255, blank=True, help_text="Uploaded file name or source URI.")
    input_format = models.CharField(max_length=10, choices=Format.choices)
    input_sha256 = models.CharField(max_length=64, blank=True)
    input_bytes = models.PositiveBigIntegerField(null=True, blank=True)
    rows_total = models.PositiveBigIntegerField(null=True, blank=True)
    chunk_plan = models.JSONField(default=list, blank=True)
    error = models.TextField(blank=True)
    error_field = models.CharField(max_length=200, blank=True)
    requested_by = models.CharField(max_length=100)
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = TeamScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"fairness check #{self.pk} of {self.model_version} ({self.status})"


class FairnessChunk(models.Model):
    """One chunk's progress and, once counted, its exact count table (``CountTable.to_dict``)."""

    # One visibility rule: governance.core.visibility
    TEAM_PATH = "fairness_check__model_version__model__team_id"
    fairness_check = models.ForeignKey(FairnessCheck, on_delete=models.CASCADE, related_name="chunks")
    index = models.PositiveIntegerField()
    rows_done = models.PositiveBigIntegerField(default=0)
    counts = models.JSONField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = TeamScopedQuerySet.as_manager()

    class Meta:
        ordering = ["fairness_check", "index"]
        constraints = [
            models.UniqueConstraint(fields=["fairness_check", "index"], name="fairnesschunk_unique_index")
        ]

    def __str__(self) -> str:
        return f"chunk {self.index} of check #{self.fairness_check_id}"


class BiasReport(models.Model):
    """The signed result of a fairness check: what reviewers read and the deploy gate checks."""

    TEAM_PATH = "model_version__model__team_id"  # one visibility rule: governance.core.visibility
    fairness_check = models.OneToOneField(FairnessCheck, on_delete=models.PROTECT, related_name="report")
    model_version = models.ForeignKey(ModelVersion, on_delete=models.PROTECT, related_name="bias_reports")
    config = models.JSONField()
    counts = models.JSONField(help_text="The merged count table every metric is computed from.")
    report = models.JSONField(help_text="Per-group metrics, disparities and confidence intervals.")
    policy = models.JSONField(help_text="The rules applied (thresholds per metric).")
    policy_result = models.JSONField()
    passed = models.BooleanField()
    input_sha256 = models.CharField(max_length=64)
    rows = models.PositiveBigIntegerField()
    attestation = models.ForeignKey("audit.Attestation", null=True, on_delete=models.PROTECT)
    created_at = models.DateTimeField(default=timezone.now)

    objects = TeamScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"bias report of {self.model_version} ({'pass' if self.passed else 'fail'})"
