"""Writes to the inventory. Each validates, writes and appends its audit event in one transaction."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from audit.attestations import attestation_create
from audit.models import AuditEvent
from audit.pure.canonical import canonical_bytes
from audit.pure.evidence.intoto import MODEL_CARD_PREDICATE
from audit.services import audit_append, model_snapshot
from governance.accounts.models import Team
from governance.accounts.principal import Principal
from governance.accounts.roles import Scope
from governance.core.exceptions import ConflictError, PermissionDeniedError
from governance.core.visibility import authorize_team_write
from governance.inventory import events, lifecycle
from governance.inventory.models import (
    Dataset,
    DatasetVersion,
    ModelCard,
    ModelVersion,
    ModelVersionDataset,
    RegisteredModel,
)

REGISTERED_MODEL_UPDATABLE = ("risk_tier", "intended_use", "domain", "description", "tags")
MODEL_VERSION_UPDATABLE = (
    "description",
    "artifact_uri",
    "artifact_digest",
    "framework",
    "training_run_ref",
    "metrics",
)
DATASET_VERSION_UPDATABLE = (
    "row_count",
    "schema",
    "contains_personal_data",
    "special_categories",
    "art9_condition",
    "contains_phi",
    "lawful_basis",
    "purpose",
    "retention_days",
    "data_subject_regions",
    "dpia_reference",
)
CARD_IMPORT_MAX_BYTES = 1024 * 1024
CARD_SECTIONS = (
    "schema_version",
    "model_details",
    "model_parameters",
    "quantitative_analysis",
    "considerations",
    "factors",
    "caveats",
    "hf_metadata",
)


def _require_write(actor: Principal, team_id: int, what: str) -> None:
    authorize_team_write(actor, team_id=team_id, scope=Scope.INVENTORY_WRITE, action=f"change {what}")


def _save_new(instance: Any, unique_field: str, message: str) -> None:
    """Validate then insert; a uniqueness clash names ``unique_field`` (found early or by racing)."""
    instance.full_clean(validate_constraints=False)
    try:
        instance.validate_constraints()
    except ValidationError as exc:
        clashes = [e for e in exc.error_dict.get(NON_FIELD_ERRORS, []) if e.code == "unique_together"]
        if clashes:
            raise ValidationError({unique_field: message}) from exc
        raise
    try:
        with transaction.atomic():
            instance.save(force_insert=True)
    except IntegrityError as exc:
        raise ValidationError({unique_field: message}) from exc


def _apply_changes(instance: Any, changes: dict[str, Any], allowed: Iterable[str]) -> dict[str, Any]:
    """Set only allowed fields; return {field: [old, new]} for the audit trail."""
    allowed = set(allowed)
    unknown = sorted(set(changes) - allowed)
    if unknown:
        raise ValidationError(dict.fromkeys(unknown, "This field cannot be changed."))
    diff: dict[str, Any] = {}
    for field, value in changes.items():
        old = getattr(instance, field)
        if old != value:
            diff[field] = [old, value]
            setattr(instance, field, value)
    return diff


# --- Registered models ----------------------------------------------------------------------------


@transaction.atomic
def registered_model_create(
    *,
    actor: Principal,
    team: Team,
    name: str,
    risk_tier: str,
    intended_use: str,
    domain: str,
    description: str = "",
    tags: list[str] | None = None,
) -> RegisteredModel:
    """Register a model for a team."""
    _require_write(actor, team.pk, "this team's models")
    model = RegisteredModel(
        team=team,
        name=name,
        risk_tier=risk_tier,
        intended_use=intended_use,
        domain=domain,
        description=description,
        tags=tags or [],
        created_by=actor.ident,
    )
    _save_new(model, "name", "A model with this name already exists.")
    audit_append(
        actor=actor, action=events.MODEL_CREATE, target=model, payload={"after": model_snapshot(model)}
    )
    return model


@transaction.atomic
def registered_model_update(*, actor: Principal, model: RegisteredModel, **changes: Any) -> RegisteredModel:
    """Change descriptive fields of a model; name and team never change (they are identities)."""
    model = RegisteredModel.objects.select_for_update().get(pk=model.pk)
    _require_write(actor, model.team_id, "this model")
    diff = _apply_changes(model, changes, REGISTERED_MODEL_UPDATABLE)
    if not diff:
        return model
    model.updated_at = timezone.now()
    model.full_clean()
    model.save(update_fields=[*diff, "updated_at"])
    audit_append(actor=actor, action=events.MODEL_UPDATE, target=model, payload={"changes": diff})
    return model


# --- Model versions -------------------------------------------------------------------------------


@transaction.atomic
def model_version_create(
    *,
    actor: Principal,
    model: RegisteredModel,
    version: str,
    artifact_uri: str,
    artifact_digest: str = "",
    description: str = "",
    framework: str = "",
    training_run_ref: str = "",
    metrics: dict[str, float] | None = None,
    datasets: list[tuple[DatasetVersion, str]] | None = None,
) -> ModelVersion:
    """Register a new draft version of a model, optionally linking the datasets it used."""
    _require_write(actor, model.team_id, "this model's versions")
    mv = ModelVersion(
        model=model,
        version=version,
        artifact_uri=artifact_uri,
        artifact_digest=artifact_digest,
        description=description,
        framework=framework,
        training_run_ref=training_run_ref,
        metrics=metrics if metrics is not None else {},
        created_by=actor.ident,
    )
    _save_new(mv, "version", f"Model {model.name} already has a version {version!r}.")
    mv.refresh_loaded_state()
    links = [_link_dataset(actor, mv, dv, usage) for dv, usage in datasets or []]
    audit_append(
        actor=actor,
        action=events.MODEL_VERSION_CREATE,
        target=mv,
        payload={
            "after": model_snapshot(mv),
            "datasets": [
                {"dataset_version_id": link.dataset_version_id, "usage": link.usage} for link in links
            ],
        },
    )
    return mv


def _link_dataset(actor: Principal, mv: ModelVersion, dv: DatasetVersion, usage: str) -> ModelVersionDataset:
    if not actor.can_read_team(dv.dataset.team_id):
        raise PermissionDeniedError("The dataset version is not visible to you.", field="datasets")
    link = ModelVersionDataset(model_version=mv, dataset_version=dv, usage=usage)
    link.full_clean()
    link.save()
    return link


@transaction.atomic
def model_version_update(*, actor: Principal, model_version: ModelVersion, **changes: Any) -> ModelVersion:
    """Edit a draft version. After submission its fields are frozen: register a new version."""
    mv = ModelVersion.objects.select_for_update().select_related("model").get(pk=model_version.pk)
    _require_write(actor, mv.model.team_id, "this model version")
    if not lifecycle.is_editable(mv.status):
        raise ConflictError(
            f"Version {mv} is {mv.status}; its fields are frozen. Register a new version instead.",
            field="status",
            code="frozen",
        )
    diff = _apply_changes(mv, changes, MODEL_VERSION_UPDATABLE)
    if not diff:
        return mv
    mv.updated_at = timezone.now()
    mv.full_clean()
    mv.save(update_fields=[*diff, "updated_at"])
    mv.refresh_loaded_state()
    audit_append(actor=actor, action=events.MODEL_VERSION_UPDATE, target=mv, payload={"changes": diff})
    return mv


@transaction.atomic
def model_version_link_dataset(
    *, actor: Principal, model_version: ModelVersion, dataset_version: DatasetVersion, usage: str
) -> ModelVersionDataset:
    """Record that a draft version used a dataset version (training, validation or evaluation)."""
    mv = ModelVersion.objects.select_for_update().select_related("model").get(pk=model_version.pk)
    _require_write(actor, mv.model.team_id, "this model version")
    if not lifecycle.is_editable(mv.status):
        raise ConflictError(
            f"Version {mv} is {mv.status}; its datasets are frozen.", field="datasets", code="frozen"
        )
    if ModelVersionDataset.objects.filter(
        model_version=mv, dataset_version=dataset_version, usage=usage
    ).exists():
        raise ValidationError({"dataset_version": "This dataset version is already linked with that usage."})
    link = _link_dataset(actor, mv, dataset_version, usage)
    audit_append(
        actor=actor,
        action=events.MODEL_VERSION_LINK_DATASET,
        target=mv,
        payload={"dataset_version_id": dataset_version.pk, "usage": usage},
    )
    return link


# --- Model cards ----------------------------------------------------------------------------------


@transaction.atomic
def model_card_create(
    *, actor: Principal, model_version: ModelVersion, source: str = "manual", **sections: Any
) -> ModelCard:
    """Add a new revision of a version's card. Revisions are immutable; the newest one counts.

    ``source`` records where the content came from (``manual``, ``mct`` or ``huggingface`` import).
    """
    mv = ModelVersion.objects.select_for_update().select_related("model").get(pk=model_version.pk)
    _require_write(actor, mv.model.team_id, "this model's cards")
    if not lifecycle.is_editable(mv.status):
        raise ConflictError(
            f"Version {mv} is {mv.status}; its model card is frozen with it.",
            field="model_version",
            code="frozen",
        )
    unknown = sorted(set(sections) - set(CARD_SECTIONS))
    if unknown:
        raise ValidationError(dict.fromkeys(unknown, "Unknown model card section."))
    last = ModelCard.objects.filter(model_version=mv).aggregate(m=Max("revision"))["m"] or 0
    card = ModelCard(model_version=mv, revision=last + 1, created_by=actor.ident, **sections)
    _validate_card_sections(card)
    card.full_clean()
    card.save(force_insert=True)
    event = audit_append(
        actor=actor,
        action=events.MODEL_CARD_CREATE,
        target=card,
        payload={
            "model_version_id": mv.pk,
            "revision": card.revision,
            "source": source,
            "content": model_snapshot(card, list(CARD_SECTIONS)),
        },
    )
    _attest_card(card, event)
    return card


def _attest_card(card: ModelCard, event: AuditEvent) -> None:
    """Sign the card's content so a regulator can check the exported card is the one recorded."""
    from governance.inventory.cards import card_document

    document = card_document(card)
    mv = card.model_version
    attestation_create(
        target=card,
        subject_name=f"model-card:{mv.model.name}@{mv.version}#r{card.revision}",
        subject_digest=hashlib.sha256(canonical_bytes(document)).hexdigest(),
        predicate_type=MODEL_CARD_PREDICATE,
        predicate={
            "model": mv.model.name,
            "version": mv.version,
            "artifact_digest": mv.artifact_digest or None,
            "revision": card.revision,
            "card": document,
        },
        audit_event=event,
    )


def _validate_card_sections(card: ModelCard) -> None:
    """A stored card must always export: MCT sections follow the toolkit's schema, our own sections
    their shapes, and ``hf_metadata`` holds only keys the Hugging Face export does not derive."""
    from governance.inventory.modelcards.document import validate_card

    _raise_card_issues(validate_card({s: getattr(card, s) for s in CARD_SECTIONS}), prefix="")


def _raise_card_issues(issues: Any, prefix: str) -> None:
    """Card issues as a field-level ValidationError; several issues on one path are all kept."""
    errors: dict[str, list[str]] = {}
    for issue in issues:
        field = f"{prefix}.{issue.path}" if prefix and issue.path else (issue.path or prefix or "content")
        errors.setdefault(field, []).append(issue.message)
    if errors:
        raise ValidationError(errors)


# --- Datasets -------------------------------------------------------------------------------------


@transaction.atomic
def dataset_create(*, actor: Principal, team: Team, name: str, description: str = "") -> Dataset:
    """Register a dataset for a team."""
    _require_write(actor, team.pk, "this team's datasets")
    dataset = Dataset(team=team, name=name, description=description, created_by=actor.ident)
    _save_new(dataset, "name", f"Team {team.slug} already has a dataset {name!r}.")
    audit_append(
        actor=actor, action=events.DATASET_CREATE, target=dataset, payload={"after": model_snapshot(dataset)}
    )
    return dataset


@transaction.atomic
def dataset_version_create(*, actor: Principal, dataset: Dataset, **fields: Any) -> DatasetVersion:
    """Register a snapshot of a dataset with its privacy classification."""
    _require_write(actor, dataset.team_id, "this dataset")
    allowed = {"version", "uri", "digest", *DATASET_VERSION_UPDATABLE}
    unknown = sorted(set(fields) - allowed)
    if unknown:
        raise ValidationError(dict.fromkeys(unknown, "Unknown field."))
    dv = DatasetVersion(dataset=dataset, created_by=actor.ident, **fields)
    _save_new(dv, "version", f"Dataset {dataset} already has a version {fields.get('version')!r}.")
    audit_append(
        actor=actor, action=events.DATASET_VERSION_CREATE, target=dv, payload={"after": model_snapshot(dv)}
    )
    return dv


@transaction.atomic
def dataset_version_update(
    *, actor: Principal, dataset_version: DatasetVersion, **changes: Any
) -> DatasetVersion:
    """Correct metadata or the privacy classification; URI and digest identify content and never change."""
    dv = DatasetVersion.objects.select_for_update().select_related("dataset").get(pk=dataset_version.pk)
    _require_write(actor, dv.dataset.team_id, "this dataset")
    diff = _apply_changes(dv, changes, DATASET_VERSION_UPDATABLE)
    if not diff:
        return dv
    dv.full_clean()
    dv.save(update_fields=list(diff))
    audit_append(actor=actor, action=events.DATASET_VERSION_UPDATE, target=dv, payload={"changes": diff})
    return dv


@transaction.atomic
def model_card_import(*, actor: Principal, model_version: ModelVersion, fmt: str, content: Any) -> ModelCard:
    """Import a card from MCT JSON or a Hugging Face README as a new revision."""
    from governance.inventory.modelcards.huggingface import card_from_huggingface
    from governance.inventory.modelcards.mct import CardFormatError, card_from_mct

    try:
        doc = card_from_mct(content) if fmt == "mct" else card_from_huggingface(content)
    except CardFormatError as exc:
        _raise_card_issues(exc.issues or [], prefix="content")
        raise ValidationError({"content": str(exc)}) from exc
    sections = {k: v for k, v in doc.items() if k in CARD_SECTIONS}
    return model_card_create(actor=actor, model_version=model_version, source=fmt, **sections)


def dataset_version_phi_reads_record(
    *, actor: Principal, dataset_versions: Iterable[DatasetVersion], channel: str
) -> None:
    """HIPAA 164.312(b): record and examine activity on PHI. One event per read of PHI-classified
    dataset versions (a list page that shows several yields one event naming them all)."""
    ids = sorted(dv.pk for dv in dataset_versions if dv.contains_phi)
    if ids:
        audit_append(
            actor=actor,
            action=events.PHI_READ,
            target_type="inventory.datasetversion",
            target_id=",".join(map(str, ids))[:100],
            payload={"dataset_version_ids": ids, "channel": channel},
        )
