"""Input and output shapes of the inventory API. Validation of meaning lives in models/services."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from audit.models import Attestation
from governance.accounts.models import Team
from governance.core.api.serializers import (
    IdLookupField,
    SlugLookupField,
    StrictModelSerializer,
    StrictSerializer,
)
from governance.inventory.choices import DatasetUsage
from governance.inventory.models import (
    ArtifactHashJob,
    Dataset,
    DatasetVersion,
    ModelCard,
    ModelVersion,
    ModelVersionDataset,
    RegisteredModel,
)
from governance.inventory.services import CARD_SECTIONS, DATASET_VERSION_UPDATABLE

# --- Registered models ----------------------------------------------------------------------------


class RegisteredModelSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    team: serializers.SlugRelatedField[Team] = serializers.SlugRelatedField(slug_field="slug", read_only=True)

    class Meta:
        model = RegisteredModel
        fields = [
            "id",
            "name",
            "team",
            "risk_tier",
            "intended_use",
            "domain",
            "description",
            "tags",
            "created_by",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class RegisteredModelCreateSerializer(StrictModelSerializer):
    team = SlugLookupField(slug_field="slug", queryset=Team.objects.all())

    class Meta:
        model = RegisteredModel
        fields = ["name", "team", "risk_tier", "intended_use", "domain", "description", "tags"]
        validators: list[Any] = []
        extra_kwargs = {"name": {"validators": RegisteredModel._meta.get_field("name").validators}}


class RegisteredModelUpdateSerializer(StrictModelSerializer):
    class Meta:
        model = RegisteredModel
        fields = ["risk_tier", "intended_use", "domain", "description", "tags"]


# --- Model versions -------------------------------------------------------------------------------


class DatasetLinkSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    dataset = serializers.CharField(source="dataset_version.dataset.name", read_only=True)
    version = serializers.CharField(source="dataset_version.version", read_only=True)
    digest = serializers.CharField(source="dataset_version.digest", read_only=True)

    class Meta:
        model = ModelVersionDataset
        fields = ["dataset_version", "dataset", "version", "digest", "usage"]
        read_only_fields = fields


class ModelVersionSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    model: serializers.SlugRelatedField[RegisteredModel] = serializers.SlugRelatedField(
        slug_field="name", read_only=True
    )
    team = serializers.CharField(source="model.team.slug", read_only=True)
    datasets = DatasetLinkSerializer(source="dataset_links", many=True, read_only=True)

    class Meta:
        model = ModelVersion
        fields = [
            "id",
            "model",
            "team",
            "version",
            "description",
            "artifact_uri",
            "artifact_digest",
            "framework",
            "training_run_ref",
            "metrics",
            "status",
            "datasets",
            "created_by",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class DatasetLinkInputSerializer(StrictSerializer):
    dataset_version = IdLookupField(queryset=DatasetVersion.objects.select_related("dataset"))
    usage = serializers.ChoiceField(choices=DatasetUsage.choices)


class ModelVersionCreateSerializer(StrictModelSerializer):
    model = SlugLookupField(slug_field="name", queryset=RegisteredModel.objects.all())
    datasets = DatasetLinkInputSerializer(many=True, required=False)

    class Meta:
        model = ModelVersion
        fields = [
            "model",
            "version",
            "description",
            "artifact_uri",
            "artifact_digest",
            "framework",
            "training_run_ref",
            "metrics",
            "datasets",
        ]
        validators: list[Any] = []


class ModelVersionUpdateSerializer(StrictModelSerializer):
    class Meta:
        model = ModelVersion
        fields = [
            "description",
            "artifact_uri",
            "artifact_digest",
            "framework",
            "training_run_ref",
            "metrics",
        ]


class DatasetLinkCreateSerializer(DatasetLinkInputSerializer):
    """Body of ``POST /model-versions/{id}/datasets``."""


# --- Model cards ----------------------------------------------------------------------------------


class ModelCardSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    class Meta:
        model = ModelCard
        fields = ["id", "model_version", "revision", *CARD_SECTIONS, "created_by", "created_at"]
        read_only_fields = fields


class ModelCardCreateSerializer(StrictModelSerializer):
    class Meta:
        model = ModelCard
        fields = ["model_version", *CARD_SECTIONS]


class ModelCardImportSerializer(StrictSerializer):
    """Body of ``POST /model-cards/import``: a card in MCT JSON or Hugging Face README form."""

    model_version = IdLookupField(queryset=ModelVersion.objects.select_related("model"))
    format = serializers.ChoiceField(
        choices=[("mct", "Model Card Toolkit JSON"), ("huggingface", "Hugging Face")]
    )
    content = serializers.JSONField(help_text="MCT: a JSON object. Hugging Face: the README.md text.")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        content = attrs["content"]
        if attrs["format"] == "mct" and not isinstance(content, dict):
            raise serializers.ValidationError({"content": "MCT content must be a JSON object."})
        if attrs["format"] == "huggingface" and not isinstance(content, str):
            raise serializers.ValidationError({"content": "Hugging Face content must be the README.md text."})
        return attrs


# --- Datasets -------------------------------------------------------------------------------------


class DatasetSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    team: serializers.SlugRelatedField[Team] = serializers.SlugRelatedField(slug_field="slug", read_only=True)

    class Meta:
        model = Dataset
        fields = ["id", "team", "name", "description", "created_by", "created_at"]
        read_only_fields = fields


class DatasetCreateSerializer(StrictModelSerializer):
    team = SlugLookupField(slug_field="slug", queryset=Team.objects.all())

    class Meta:
        model = Dataset
        fields = ["team", "name", "description"]
        validators: list[Any] = []


class DatasetVersionSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    dataset_name = serializers.CharField(source="dataset.name", read_only=True)
    team = serializers.CharField(source="dataset.team.slug", read_only=True)

    class Meta:
        model = DatasetVersion
        fields = [
            "id",
            "dataset",
            "dataset_name",
            "team",
            "version",
            "uri",
            "digest",
            *DATASET_VERSION_UPDATABLE,
            "created_by",
            "created_at",
        ]
        read_only_fields = fields


class DatasetVersionCreateSerializer(StrictModelSerializer):
    special_categories = serializers.ListField(child=serializers.CharField(), required=False)
    data_subject_regions = serializers.ListField(child=serializers.CharField(), required=False)

    class Meta:
        model = DatasetVersion
        fields = ["dataset", "version", "uri", "digest", *DATASET_VERSION_UPDATABLE]
        validators: list[Any] = []


class DatasetVersionUpdateSerializer(StrictModelSerializer):
    special_categories = serializers.ListField(child=serializers.CharField(), required=False)
    data_subject_regions = serializers.ListField(child=serializers.CharField(), required=False)

    class Meta:
        model = DatasetVersion
        fields = list(DATASET_VERSION_UPDATABLE)


class TeamSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    class Meta:
        model = Team
        fields = ["id", "slug", "name", "description", "created_at"]
        read_only_fields = ["id", "created_at"]


class TeamCreateSerializer(StrictModelSerializer):
    class Meta:
        model = Team
        fields = ["slug", "name", "description"]
        validators: list[Any] = []
        extra_kwargs = {"slug": {"validators": Team._meta.get_field("slug").validators}}


class ArtifactHashJobSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    class Meta:
        model = ArtifactHashJob
        fields = [
            "id",
            "model_version",
            "status",
            "artifact_digest",
            "manifest_digest",
            "file_count",
            "attestation",
            "error",
            "attempts",
            "requested_by",
            "created_at",
            "started_at",
            "finished_at",
        ]
        read_only_fields = fields


class AttestationSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    class Meta:
        model = Attestation
        fields = [
            "id",
            "predicate_type",
            "subject_type",
            "subject_id",
            "subject_digest",
            "audit_entry_id",
            "audit_seq",
            "key_id",
            "bundle",
            "created_at",
        ]
        read_only_fields = fields
