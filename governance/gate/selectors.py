"""Gate reads: decisions, and which versions were in an environment at an instant."""

from __future__ import annotations

import datetime as dt

from django.db.models import OuterRef, QuerySet, Subquery
from django.utils import timezone

from governance.accounts.principal import Principal
from governance.gate.choices import DeploymentStatus
from governance.gate.models import Deployment, GateDecision


def gate_decision_list(*, principal: Principal, with_bundle: bool = False) -> QuerySet[GateDecision]:
    """Decisions ``principal`` may read; ``with_bundle`` also joins the signed attestation (a few kB
    of JSON a row), which only a single decision's page shows."""
    related = ["model_version__model", "approval"] + (["attestation"] if with_bundle else [])
    return GateDecision.objects.visible_to(principal).select_related(*related)


def deployment_list(*, principal: Principal) -> QuerySet[Deployment]:
    return Deployment.objects.visible_to(principal).select_related(
        "model_version__model", "decision__approval"
    )


def deployed_versions(
    *,
    environment: str,
    at: dt.datetime | None = None,
    model_id: int | None = None,
    principal: Principal | None = None,
) -> QuerySet[Deployment]:
    """Per version, its latest event in ``environment`` at or before ``at``, where that event is a deploy.

    Answers "what was in prod on date D, under which decision and approval" from the recorded events
    alone, however many deploys and rollbacks came before or after.
    """
    at = at or timezone.now()
    events = Deployment.objects.filter(environment=environment, recorded_at__lte=at)
    if model_id is not None:
        events = events.filter(model_version__model_id=model_id)
    latest = (
        events.filter(model_version=OuterRef("model_version"))
        .order_by("-recorded_at", "-id")
        .values("id")[:1]
    )
    rows = events.filter(id=Subquery(latest), status=DeploymentStatus.DEPLOYED)
    if principal is not None:
        rows = rows.visible_to(principal)
    return rows.select_related("model_version__model", "decision__approval").order_by(
        "model_version__model__name", "model_version__version"
    )
