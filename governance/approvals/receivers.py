"""Evidence watch: when a record a request was bound to changes, re-validate that request at once.

A new bias report, a new card revision or artifact attestation, a dataset reclassified or linked:
each can change the hash of a version's evidence. The check runs after the change commits (in its
own transaction, so a failure here cannot undo the change); the periodic pass in ``expiry`` catches
anything this misses (raw SQL, a process that died between the commit and the check).
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from django.db.models.signals import post_save

from audit.models import Attestation
from governance.fairness.models import BiasReport
from governance.inventory.models import DatasetVersion, ModelCard, ModelVersionDataset

logger = logging.getLogger(__name__)


def _revalidate_after_commit(model_version_ids: set[int]) -> None:
    from governance.approvals.expiry import approvals_revalidate_for

    def run() -> None:
        try:
            approvals_revalidate_for(model_version_ids)
        except Exception:  # the change itself is committed; the periodic pass retries
            logger.exception("re-validating approvals of versions %s failed", sorted(model_version_ids))

    if model_version_ids:
        transaction.on_commit(run)


def _on_version_evidence(sender: Any, instance: Any, created: bool, **kwargs: Any) -> None:
    if created:
        _revalidate_after_commit({instance.model_version_id})


def _on_dataset_version(sender: Any, instance: DatasetVersion, created: bool, **kwargs: Any) -> None:
    if not created:
        ids = ModelVersionDataset.objects.filter(dataset_version=instance).values_list(
            "model_version_id", flat=True
        )
        _revalidate_after_commit(set(ids))


def _on_attestation(sender: Any, instance: Attestation, created: bool, **kwargs: Any) -> None:
    if created and instance.subject_type == "inventory.modelversion" and instance.subject_id.isdigit():
        _revalidate_after_commit({int(instance.subject_id)})


def connect() -> None:
    for model in (BiasReport, ModelCard, ModelVersionDataset):
        post_save.connect(
            _on_version_evidence, sender=model, dispatch_uid=f"approvals.evidence.{model.__name__}"
        )
    post_save.connect(_on_dataset_version, sender=DatasetVersion, dispatch_uid="approvals.evidence.dataset")
    post_save.connect(_on_attestation, sender=Attestation, dispatch_uid="approvals.evidence.attestation")
