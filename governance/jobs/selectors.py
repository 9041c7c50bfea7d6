"""Job health: per job type, counts by state and the age of the oldest queued job; outbox backlog."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.db.models import Count, Min, Q
from django.utils import timezone

from governance.jobs import constants
from governance.jobs.models import JobDispatch
from governance.jobs.registry import job_types


@dataclass(frozen=True)
class JobHealth:
    """What ``/-/ready`` and the admin show; ``reasons`` say why the job layer is degraded."""

    types: dict[str, dict[str, Any]]
    outbox: dict[str, int]
    reasons: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"types": self.types, "outbox": self.outbox}


def job_health(*, now: dt.datetime | None = None) -> JobHealth:
    now = now or timezone.now()
    types: dict[str, dict[str, Any]] = {}
    for name, job_type in sorted(job_types().items()):
        model = apps.get_model(job_type.model)
        manager = model._default_manager
        counts: dict[str, int] = dict.fromkeys(("queued", "running", "succeeded", "failed"), 0)
        queued = ["queued", *(own for own, state in job_type.states.items() if state == "queued")]
        for row in manager.values("status").annotate(n=Count("pk")):
            state = job_type.state_of(row["status"])
            if state in counts:
                counts[state] += row["n"]
        oldest = manager.filter(status__in=queued).aggregate(oldest=Min("created_at"))["oldest"]
        types[name] = {
            "counts": counts,
            "oldest_queued_seconds": round((now - oldest).total_seconds(), 1) if oldest else None,
        }
    open_rows = JobDispatch.objects.filter(finished_at__isnull=True)
    live = Q(lease_expires_at__gt=now)
    stale_before = now - dt.timedelta(seconds=constants.stale_seconds())
    outbox = open_rows.aggregate(
        pending=Count("pk", filter=Q(sent_at__isnull=True)),
        sent=Count("pk", filter=Q(sent_at__isnull=False, started_at__isnull=True)),
        running=Count("pk", filter=live),
        expired_leases=Count("pk", filter=Q(lease_expires_at__lte=now)),
        stale=Count("pk", filter=Q(created_at__lt=stale_before) & ~live),
    )
    reasons = []
    if outbox["stale"]:
        reasons.append(
            f"{outbox['stale']} job message(s) open for over {constants.stale_seconds():.0f} s "
            "without a live worker"
        )
    return JobHealth(types=types, outbox=outbox, reasons=reasons)
