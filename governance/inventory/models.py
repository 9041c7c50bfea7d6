"""Inventory records: what each model is, which versions exist, their cards and their data."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

from governance.accounts.models import Team
from governance.core.choices import JobStatus
from governance.core.visibility import TeamScopedQuerySet
from governance.inventory import lifecycle
from governance.inventory.choices import (
    Art9Condition,
    DatasetUsage,
    LawfulBasis,
    RiskTier,
    SpecialCategory,
)
from governance.inventory.validators import (
    validate_digest,
    validate_json_object,
    validate_json_safe,
    validate_metrics,
    validate_model_name,
    validate_regions,
    validate_tags,
    validate_uri,
    validate_version_label,
)


class RegisteredModel(models.Model):
    """A model the organisation runs or plans to run, owned by one team, with its EU AI Act tier."""

    TEAM_PATH = "team_id"  # one visibility rule: governance.core.visibility
    name = models.CharField(max_length=100, unique=True, validators=[validate_model_name])
    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="models")
    risk_tier = models.CharField(max_length=20, choices=RiskTier.choices)
    intended_use = models.TextField()
    domain = models.CharField(
        max_length=100, help_text="Business domain, e.g. consumer credit, hospital care."
    )
    description = models.TextField(blank=True)
    tags = models.JSONField(default=list, blank=True, validators=[validate_json_safe, validate_tags])
    created_by = models.CharField(max_length=100, editable=False, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = TeamScopedQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = "registered model"

    def __str__(self) -> str:
        return self.name


class ModelVersion(models.Model):
    """One trained artifact of a model. Frozen once submitted: a change means a new version.

    ``save()`` refuses illegal status transitions, status changes made outside
    ``model_version_transition`` (which audits them) and changes to frozen fields; on PostgreSQL a
    trigger refuses the same for ``QuerySet.update()`` and raw SQL. No path (API, admin, shell,
    task) can rewrite what reviewers approved.
    """

    TEAM_PATH = "model__team_id"  # one visibility rule: governance.core.visibility
    model = models.ForeignKey(RegisteredModel, on_delete=models.PROTECT, related_name="versions")
    version = models.CharField(max_length=64, validators=[validate_version_label])
    description = models.TextField(blank=True)
    artifact_uri = models.CharField(max_length=2048, validators=[validate_uri])
    artifact_digest = models.CharField(
        max_length=71,
        blank=True,
        validators=[validate_digest],
        help_text="sha256:<64 hex>; required before approval.",
    )
    framework = models.CharField(max_length=100, blank=True)
    training_run_ref = models.CharField(max_length=500, blank=True)
    metrics = models.JSONField(default=dict, blank=True, validators=[validate_json_safe, validate_metrics])
    status = models.CharField(
        max_length=20, choices=lifecycle.CHOICES, default=lifecycle.DRAFT, editable=False
    )
    datasets: models.ManyToManyField[DatasetVersion, ModelVersionDataset] = models.ManyToManyField(
        "DatasetVersion", through="ModelVersionDataset", related_name="model_versions"
    )
    created_by = models.CharField(max_length=100, editable=False, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = TeamScopedQuerySet.as_manager()

    class Meta:
        ordering = ["model__name", "-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["model", "version"], name="modelversion_unique_label"),
            models.CheckConstraint(
                condition=models.Q(status__in=[s.value for s in lifecycle.Status]),
                name="modelversion_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.model.name}@{self.version}" if self.model_id else self.version

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.guard_lifecycle()
        super().save(*args, **kwargs)

    @classmethod
    def from_db(cls, db: Any, field_names: Any, values: Any) -> ModelVersion:
        instance = super().from_db(db, field_names, values)
        instance._loaded = {
            name: getattr(instance, name)
            for name in (*lifecycle.FROZEN_FIELDS, "status")
            if name in instance.__dict__
        }
        return instance

    def guard_lifecycle(self) -> None:
        """Refuse writes that break the lifecycle (frozen fields, illegal transitions)."""
        loaded: dict[str, Any] = getattr(self, "_loaded", {})
        if not loaded:
            if self._state.adding and self.status != lifecycle.DRAFT:
                raise ValidationError({"status": "A new model version starts as a draft."})
            return
        old_status = loaded.get("status", self.status)
        if old_status != self.status:
            if not lifecycle.can_transition(old_status, self.status):
                raise ValidationError({"status": f"Illegal transition {old_status} -> {self.status}."})
            if not getattr(self, "_transition_in_service", False):
                raise ValidationError(
                    {"status": "Status changes go through model_version_transition, which audits them."}
                )
        if not lifecycle.is_editable(old_status):
            changed = [f for f in lifecycle.FROZEN_FIELDS if f in loaded and loaded[f] != getattr(self, f)]
            if changed:
                raise ValidationError(
                    dict.fromkeys(changed, f"Frozen once the version left draft (status {old_status}).")
                )

    def refresh_loaded_state(self) -> None:
        """After a successful save the saved values become the new baseline."""
        self._loaded = {name: getattr(self, name) for name in (*lifecycle.FROZEN_FIELDS, "status")}


class ModelCard(models.Model):
    """One immutable revision of a model version's card; editing adds a revision.

    The four MCT v0.0.2 sections are stored as the toolkit shapes them, so export is exact; the rest
    (factors, caveats, Hugging Face metadata) is what the MCT schema has no place for.
    """

    TEAM_PATH = "model_version__model__team_id"  # one visibility rule: governance.core.visibility
    model_version = models.ForeignKey(ModelVersion, on_delete=models.PROTECT, related_name="cards")
    revision = models.PositiveIntegerField(editable=False)
    schema_version = models.CharField(max_length=20, default="0.0.2")
    model_details = models.JSONField(
        default=dict, blank=True, validators=[validate_json_safe, validate_json_object]
    )
    model_parameters = models.JSONField(
        default=dict, blank=True, validators=[validate_json_safe, validate_json_object]
    )
    quantitative_analysis = models.JSONField(
        default=dict, blank=True, validators=[validate_json_safe, validate_json_object]
    )
    considerations = models.JSONField(
        default=dict, blank=True, validators=[validate_json_safe, validate_json_object]
    )
    factors = models.JSONField(
        validators=[validate_json_safe],
        default=list,
        blank=True,
        help_text="Relevant factors (groups, instrumentation, environment).",
    )
    caveats = models.TextField(blank=True, help_text="Caveats and recommendations.")
    hf_metadata = models.JSONField(
        default=dict,
        blank=True,
        validators=[validate_json_safe, validate_json_object],
        help_text="Hugging Face card metadata with no MCT equivalent (pipeline_tag, language, ...).",
    )
    created_by = models.CharField(max_length=100, editable=False, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = TeamScopedQuerySet.as_manager()

    class Meta:
        ordering = ["model_version", "-revision"]
        constraints = [
            models.UniqueConstraint(fields=["model_version", "revision"], name="modelcard_unique_revision")
        ]

    def __str__(self) -> str:
        return f"card r{self.revision} of {self.model_version}"


class Dataset(models.Model):
    """A named data source a team owns; its content lives in versions."""

    TEAM_PATH = "team_id"  # one visibility rule: governance.core.visibility
    name = models.CharField(max_length=100, validators=[validate_model_name])
    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="datasets")
    description = models.TextField(blank=True)
    created_by = models.CharField(max_length=100, editable=False, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = TeamScopedQuerySet.as_manager()

    class Meta:
        ordering = ["team__slug", "name"]
        constraints = [models.UniqueConstraint(fields=["team", "name"], name="dataset_unique_team_name")]

    def __str__(self) -> str:
        return f"{self.team.slug}/{self.name}" if self.team_id else self.name


class DatasetVersion(models.Model):
    """A fixed snapshot of a dataset, with its privacy classification (GDPR, HIPAA).

    ``uri`` and ``digest`` identify content and never change; the classification may be corrected
    (every correction is audited with before and after).
    """

    TEAM_PATH = "dataset__team_id"  # one visibility rule: governance.core.visibility
    dataset = models.ForeignKey(Dataset, on_delete=models.PROTECT, related_name="versions")
    version = models.CharField(max_length=64, validators=[validate_version_label])
    uri = models.CharField(max_length=2048, validators=[validate_uri])
    digest = models.CharField(max_length=71, validators=[validate_digest])
    row_count = models.PositiveBigIntegerField(null=True, blank=True)
    schema = models.JSONField(
        default=dict,
        blank=True,
        validators=[validate_json_safe, validate_json_object],
        help_text="Column name -> type/description.",
    )
    # Privacy classification
    contains_personal_data = models.BooleanField()
    special_categories = models.JSONField(
        validators=[validate_json_safe],
        default=list,
        blank=True,
        help_text="GDPR Art. 9(1) categories present.",
    )
    art9_condition = models.CharField(max_length=40, choices=Art9Condition.choices, blank=True)
    contains_phi = models.BooleanField(default=False, help_text="HIPAA protected health information.")
    lawful_basis = models.CharField(max_length=30, choices=LawfulBasis.choices, blank=True)
    purpose = models.TextField(blank=True, help_text="GDPR Art. 5(1)(b) purpose limitation.")
    retention_days = models.PositiveIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(36500)]
    )
    data_subject_regions = models.JSONField(
        default=list, blank=True, validators=[validate_json_safe, validate_regions]
    )
    dpia_reference = models.CharField(max_length=200, blank=True, help_text="GDPR Art. 35 DPIA identifier.")
    created_by = models.CharField(max_length=100, editable=False, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = TeamScopedQuerySet.as_manager()

    class Meta:
        ordering = ["dataset", "-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["dataset", "version"], name="datasetversion_unique_label"),
            models.CheckConstraint(
                condition=models.Q(contains_personal_data=True) | models.Q(contains_phi=False),
                name="datasetversion_phi_is_personal",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.dataset}@{self.version}" if self.dataset_id else self.version

    def clean(self) -> None:
        errors: dict[str, str] = {}
        cats = self.special_categories
        if not isinstance(cats, list) or any(c not in SpecialCategory.values for c in cats):
            errors["special_categories"] = f"Expected a list drawn from: {', '.join(SpecialCategory.values)}."
        elif cats and not self.contains_personal_data:
            errors["special_categories"] = "Special categories are personal data: set contains_personal_data."
        elif cats and not self.art9_condition:
            errors["art9_condition"] = "Processing special categories needs an Art. 9(2) condition."
        if self.contains_phi and not self.contains_personal_data:
            errors["contains_phi"] = "PHI is personal data: set contains_personal_data."
        if self.contains_personal_data:
            if not self.lawful_basis:
                errors["lawful_basis"] = "Personal data needs a GDPR Art. 6 lawful basis."
            if not self.purpose.strip():
                errors["purpose"] = "Personal data needs a stated purpose (Art. 5(1)(b))."
            if self.retention_days is None:
                errors["retention_days"] = "Personal data needs a retention period (Art. 5(1)(e))."
        if errors:
            raise ValidationError(errors)


class ModelVersionDataset(models.Model):
    """Which dataset versions a model version was trained, validated or evaluated on."""

    TEAM_PATH = "model_version__model__team_id"  # one visibility rule: governance.core.visibility
    model_version = models.ForeignKey(ModelVersion, on_delete=models.PROTECT, related_name="dataset_links")
    dataset_version = models.ForeignKey(DatasetVersion, on_delete=models.PROTECT, related_name="model_links")
    usage = models.CharField(max_length=20, choices=DatasetUsage.choices)

    objects = TeamScopedQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["model_version", "dataset_version", "usage"], name="mvdataset_unique_usage"
            )
        ]

    def __str__(self) -> str:
        return f"{self.model_version} {self.usage} {self.dataset_version}"


class ArtifactHashJob(models.Model):
    """A request to hash a version's artifact on a worker and sign a model_signing attestation.

    Nothing about the artifact is recorded until the hash is complete: a worker killed mid-hash
    leaves the job ``running`` with no digest, and the redelivered task starts over.
    """

    TEAM_PATH = "model_version__model__team_id"  # one visibility rule: governance.core.visibility
    Status = JobStatus

    model_version = models.ForeignKey(ModelVersion, on_delete=models.PROTECT, related_name="hash_jobs")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    artifact_digest = models.CharField(max_length=71, blank=True)
    manifest_digest = models.CharField(max_length=64, blank=True, help_text="model_signing subject digest")
    file_count = models.PositiveIntegerField(null=True, blank=True)
    attestation = models.ForeignKey("audit.Attestation", null=True, blank=True, on_delete=models.PROTECT)
    error = models.TextField(blank=True)
    attempts = models.PositiveIntegerField(default=0)
    requested_by = models.CharField(max_length=100)
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = TeamScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"hash {self.model_version} ({self.status})"
