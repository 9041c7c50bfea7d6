"""Writes of the fairness domain: creating checks, counting chunks, building the signed report.

Each function is safe to run twice: workers acknowledge tasks late, so a killed worker's task is
delivered again, and a counted chunk or a built report is never counted or built a second time.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from audit.attestations import attestation_create
from audit.pure.canonical import canonical_bytes
from audit.pure.evidence.intoto import BIAS_REPORT_PREDICATE
from audit.services import audit_append
from governance.accounts.principal import Principal, worker_principal
from governance.accounts.roles import Scope
from governance.core.visibility import authorize_team_write
from governance.fairness import events, jobs
from governance.fairness.engine import FairnessInputError
from governance.fairness.models import BiasReport, FairnessCheck, FairnessChunk
from governance.fairness.validation import fairness_check_errors, validation_error
from governance.inventory.models import ModelVersion
from governance.jobs.outbox import job_dispatch

PROGRESS_EVERY_ROWS = 1_000_000  # progress writes per chunk stay rare on big files
JOB_TYPE = "fairness_check"  # governance.jobs registry name (apps.py)
START_TASK = "fairness.check_start"
CHUNK_TASK = "fairness.chunk_count"


@transaction.atomic
def fairness_check_create(
    *,
    actor: Principal,
    model_version: ModelVersion,
    config: dict[str, Any],
    input_path: Path,
    input_name: str,
    input_format: str | None = None,
    input_sha256: str = "",
    input_bytes: int | None = None,
) -> FairnessCheck:
    """Validate the request, record the check and queue it (after commit).

    Every caller (API, admin, demo seeder, commands) gets the same checks: the config, and the file's
    columns against it (its schema only, so cheap on any file). All mistakes come back at once as one
    ``ValidationError`` keyed by config path (``config.score``); ``input_format`` ``None`` detects it.
    """
    authorize_team_write(
        actor,
        team_id=model_version.model.team_id,
        scope=Scope.FAIRNESS_WRITE,
        action="request fairness checks of this model",
        field="model_version",
    )
    checked = fairness_check_errors(
        config=config, input_path=input_path, input_format=input_format, model_version_id=model_version.pk
    )
    if checked.errors or checked.input_format is None:
        raise validation_error(checked.errors)
    check = FairnessCheck.objects.create(
        model_version=model_version,
        config=config,
        input_path=str(input_path),
        input_name=input_name,
        input_format=checked.input_format,
        input_sha256=input_sha256,
        input_bytes=input_bytes,
        requested_by=actor.ident,
    )
    audit_append(
        actor=actor,
        action=events.FAIRNESS_CHECK_CREATE,
        target=check,
        payload={
            "model_version_id": model_version.pk,
            "config": config,
            "input": input_name,
            "input_sha256": input_sha256 or None,
        },
    )
    # Dispatched if and only if committed (outbox): a broker outage delays the check, never loses it.
    job_dispatch(task=START_TASK, args=[check.pk], job_type=JOB_TYPE, job_id=check.pk)
    return check


def fairness_check_plan(*, check_id: int) -> list[int]:
    """Plan the chunks (once) and return their indexes; the caller fans them out to workers."""
    with transaction.atomic():
        check = FairnessCheck.objects.select_for_update().get(pk=check_id)
        if check.status in (FairnessCheck.Status.SUCCEEDED, FairnessCheck.Status.FAILED):
            return []
        if check.chunk_plan:
            return _chunks_to_count(check)
    try:
        sha256 = check.input_sha256 or jobs.file_sha256(Path(check.input_path))
        plan, rows_total = jobs.plan(
            Path(check.input_path), check.input_format, check.config, settings.FAIRNESS_CHUNK_ROWS
        )
    except FairnessInputError as exc:
        fairness_check_fail(check_id=check_id, message=exc.message, field=exc.field)
        return []
    except OSError as exc:
        fairness_check_fail(
            check_id=check_id, message=f"Cannot read the predictions file: {exc}", field="file"
        )
        return []
    with transaction.atomic():
        check = FairnessCheck.objects.select_for_update().get(pk=check_id)
        if not check.chunk_plan:
            check.chunk_plan = plan
            check.rows_total = rows_total
            check.input_sha256 = sha256
            check.status = FairnessCheck.Status.RUNNING
            check.started_at = timezone.now()
            check.save(update_fields=["chunk_plan", "rows_total", "input_sha256", "status", "started_at"])
            FairnessChunk.objects.bulk_create(
                [FairnessChunk(fairness_check=check, index=i) for i in range(len(plan))],
                ignore_conflicts=True,
            )
            for index in range(len(plan)):  # one message per chunk, sent once this plan commits
                job_dispatch(task=CHUNK_TASK, args=[check.pk, index], job_type=JOB_TYPE, job_id=check.pk)
        return _chunks_to_count(check)


def _chunks_to_count(check: FairnessCheck) -> list[int]:
    done = set(
        FairnessChunk.objects.filter(fairness_check=check, counts__isnull=False).values_list(
            "index", flat=True
        )
    )
    return [i for i in range(len(check.chunk_plan)) if i not in done]


def fairness_chunk_count(*, check_id: int, index: int, actor: Principal) -> BiasReport | None:
    """Count one chunk (idempotent); the worker that completes the last chunk builds the report."""
    check = FairnessCheck.objects.get(pk=check_id)
    chunk = FairnessChunk.objects.get(fairness_check=check, index=index)
    if check.status != FairnessCheck.Status.RUNNING or chunk.counts is not None:
        return _report_if_complete(check_id, actor)
    FairnessChunk.objects.filter(pk=chunk.pk).update(rows_done=0, attempts=chunk.attempts + 1)
    written = {"rows": 0}

    def progress(rows_so_far: int) -> None:  # the reader reports rows counted in this chunk so far
        if rows_so_far - written["rows"] >= PROGRESS_EVERY_ROWS:
            FairnessChunk.objects.filter(pk=chunk.pk).update(rows_done=rows_so_far)
            written["rows"] = rows_so_far

    try:
        table = jobs.count(
            Path(check.input_path), check.input_format, check.chunk_plan[index], check.config, progress
        )
    except FairnessInputError as exc:
        fairness_check_fail(check_id=check_id, message=exc.message, field=exc.field)
        return None
    except OSError as exc:
        fairness_check_fail(
            check_id=check_id, message=f"Cannot read the predictions file: {exc}", field="file"
        )
        return None
    counts = table.to_dict()
    FairnessChunk.objects.filter(pk=chunk.pk, counts__isnull=True).update(
        counts=counts, rows_done=table.n_rows, finished_at=timezone.now()
    )
    return _report_if_complete(check_id, actor)


def _report_if_complete(check_id: int, actor: Principal) -> BiasReport | None:
    with transaction.atomic():
        check = FairnessCheck.objects.select_for_update().get(pk=check_id)
        existing = BiasReport.objects.filter(fairness_check=check).first()
        if existing is not None or check.status != FairnessCheck.Status.RUNNING:
            return existing
        chunks = list(FairnessChunk.objects.filter(fairness_check=check).order_by("index"))
        if len(chunks) != len(check.chunk_plan) or any(c.counts is None for c in chunks):
            return None
        try:
            counts = [c.counts for c in chunks if c.counts is not None]
            built = jobs.build_report(counts, check.config, seed_source=check.input_sha256)
        except FairnessInputError as exc:
            _fail_locked(check, message=exc.message, field=exc.field)
            return None
        report = BiasReport(
            fairness_check=check,
            model_version_id=check.model_version_id,
            config=check.config,
            counts=built.counts,
            report=built.report,
            policy=built.policy,
            policy_result=built.policy_result,
            passed=built.passed,
            input_sha256=check.input_sha256,
            rows=built.rows,
        )
        report.save()
        event = audit_append(
            actor=actor,
            action=events.BIAS_REPORT_CREATE,
            target=report,
            payload={
                "fairness_check_id": check.pk,
                "model_version_id": check.model_version_id,
                "passed": built.passed,
                "rows": built.rows,
                "input_sha256": check.input_sha256,
                "policy_result": built.policy_result,
            },
        )
        mv = check.model_version
        report_sha256 = hashlib.sha256(canonical_bytes(built.report)).hexdigest()
        report.attestation = attestation_create(
            target=report,
            subject_name=f"bias-report:{mv.model.name}@{mv.version}#{report.pk}",
            subject_digest=report_sha256,
            predicate_type=BIAS_REPORT_PREDICATE,
            predicate={
                "model": mv.model.name,
                "version": mv.version,
                "artifact_digest": mv.artifact_digest or None,
                "input_sha256": check.input_sha256,
                "rows": built.rows,
                "config": check.config,
                "passed": built.passed,
                "policy": built.policy,
                "policy_result": built.policy_result,
                "report_sha256": report_sha256,
            },
            audit_event=event,
        )
        report.save(update_fields=["attestation"])
        check.status = FairnessCheck.Status.SUCCEEDED
        check.finished_at = timezone.now()
        check.save(update_fields=["status", "finished_at"])
        return report


def fairness_check_fail(*, check_id: int, message: str, field: str = "") -> FairnessCheck:
    """Record why a check cannot complete (once: a finished check keeps its outcome)."""
    with transaction.atomic():
        check: FairnessCheck = FairnessCheck.objects.select_for_update().get(pk=check_id)
        _fail_locked(check, message=message, field=field)
        return check


def fairness_check_give_up(check_id: int, message: str) -> None:
    """The job layer stopped retrying (its workers kept dying): the check fails with that reason."""
    fairness_check_fail(check_id=check_id, message=message)


def _fail_locked(check: FairnessCheck, *, message: str, field: str) -> None:
    if check.status in (FairnessCheck.Status.SUCCEEDED, FairnessCheck.Status.FAILED):
        return
    check.status = FairnessCheck.Status.FAILED
    check.error = message
    check.error_field = field
    check.finished_at = timezone.now()
    check.save(update_fields=["status", "error", "error_field", "finished_at"])
    audit_append(
        actor=worker_principal("fairness"),
        action=events.FAIRNESS_CHECK_FAIL,
        target=check,
        payload={"error": message, "field": field},
    )
