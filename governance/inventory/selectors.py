"""Reads of the inventory, always narrowed to what the principal may see."""

from __future__ import annotations

from django.db.models import Prefetch, Q, QuerySet

from audit.models import Attestation
from governance.accounts.models import Team
from governance.accounts.principal import Principal
from governance.inventory.models import (
    Dataset,
    DatasetVersion,
    ModelCard,
    ModelVersion,
    ModelVersionDataset,
    RegisteredModel,
)


def team_list(*, principal: Principal) -> QuerySet[Team]:
    return Team.objects.visible_to(principal)


def registered_model_list(*, principal: Principal) -> QuerySet[RegisteredModel]:
    return RegisteredModel.objects.select_related("team").visible_to(principal)


def model_version_list(*, principal: Principal) -> QuerySet[ModelVersion]:
    qs = ModelVersion.objects.select_related("model", "model__team").prefetch_related(
        Prefetch(
            "dataset_links", queryset=ModelVersionDataset.objects.select_related("dataset_version__dataset")
        )
    )
    return qs.visible_to(principal)


def model_card_list(*, principal: Principal) -> QuerySet[ModelCard]:
    qs = ModelCard.objects.select_related(
        "model_version", "model_version__model", "model_version__model__team"
    )
    return qs.visible_to(principal)


def model_card_latest(*, model_version: ModelVersion) -> ModelCard | None:
    """The card that counts for a version: its newest revision."""
    return ModelCard.objects.filter(model_version=model_version).order_by("-revision").first()


def dataset_list(*, principal: Principal) -> QuerySet[Dataset]:
    return Dataset.objects.select_related("team").visible_to(principal)


def dataset_version_list(*, principal: Principal) -> QuerySet[DatasetVersion]:
    return DatasetVersion.objects.select_related("dataset", "dataset__team").visible_to(principal)


def attestations_for_model_version(model_version: ModelVersion) -> QuerySet[Attestation]:
    """Attestations about a version: its artifact, and every revision of its card."""
    card_ids = [str(pk) for pk in model_version.cards.values_list("pk", flat=True)]
    return Attestation.objects.filter(
        Q(subject_type="inventory.modelversion", subject_id=str(model_version.pk))
        | Q(subject_type="inventory.modelcard", subject_id__in=card_ids)
    ).order_by("created_at")
