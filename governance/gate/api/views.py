"""Gate endpoints: thin translations between HTTP and the gate services and selectors.

The verdict is never an HTTP error: a failing artifact is a 200 with ``decision: fail`` and every
reason. HTTP errors are the caller's: authentication (401/403), an unknown model or version (404)
and malformed input (422, every bad field at once).
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from governance.accounts.permissions import HasScope
from governance.accounts.principal import Principal, principal_for_request
from governance.accounts.roles import Scope
from governance.approvals.choices import Environment
from governance.gate import selectors, services
from governance.gate.api import serializers as s
from governance.gate.models import GateDecision

GATE, READ = Scope.GATE_CHECK, Scope.INVENTORY_READ
_MODEL_VERSION = GateDecision._meta.get_field("model_version")
IDEMPOTENCY_HEADER = "HTTP_IDEMPOTENCY_KEY"


def _input(cls: type[serializers.Serializer], data: Any) -> dict[str, Any]:  # type: ignore[type-arg]
    serializer = cls(data=data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


class GateCheckView(APIView):
    """``POST /api/v1/gate/checks``: may this artifact go to this environment? (fail closed)"""

    permission_classes = [HasScope]
    required_scopes = {"POST": GATE}
    extra_problem_statuses = [404]  # unknown model or version

    @extend_schema(
        request=s.GateCheckSerializer,
        responses={200: s.GateDecisionSerializer},
        parameters=[
            OpenApiParameter(
                "Idempotency-Key",
                str,
                OpenApiParameter.HEADER,
                description="Same key and body: the same decision. Same key, other body: 422.",
            )
        ],
    )
    def post(self, request: Request) -> Response:
        data = _input(s.GateCheckSerializer, request.data)
        key = request.META.get(IDEMPOTENCY_HEADER) or None
        if key is not None and (len(key) > 255 or not key.isprintable()):
            raise serializers.ValidationError({"Idempotency-Key": "At most 255 printable characters."})
        decision = services.gate_check(actor=principal_for_request(request), idempotency_key=key, **data)
        if not _MODEL_VERSION.is_cached(decision):
            # A replayed decision (Idempotency-Key) comes back bare: read it as the decision list does.
            decision = selectors.gate_decision_list(principal=principal_for_request(request)).get(
                pk=decision.pk
            )
        # A fresh one holds its version, model, approval and attestation already: no re-read.
        return Response(s.GateDecisionSerializer(decision, context={"request": request}).data)


class GateDecisionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):  # type: ignore[type-arg]
    """Stored gate decisions; one comes with its signed bundle (``govctl verify bundle``)."""

    permission_classes = [HasScope]
    required_scopes = {"list": (GATE, READ), "retrieve": (GATE, READ)}
    serializer_class = s.GateDecisionSerializer
    lookup_value_regex = "[0-9a-fA-F-]{36}"

    def get_queryset(self) -> Any:
        qs = selectors.gate_decision_list(
            principal=principal_for_request(self.request), with_bundle=self.action == "retrieve"
        )
        params = self.request.query_params
        if model := params.get("model"):
            qs = qs.filter(model_version__model__name=model)
        if environment := params.get("environment"):
            qs = qs.filter(environment=environment)
        return qs

    def get_serializer_class(self) -> Any:
        return s.GateDecisionDetailSerializer if self.action == "retrieve" else s.GateDecisionSerializer

    @extend_schema(
        parameters=[
            OpenApiParameter("model", str),
            OpenApiParameter("environment", str, enum=Environment.values),
        ]
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)


class DeploymentViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):  # type: ignore[type-arg]
    """Recorded deployments; ``GET ?environment=prod&at=…`` answers what was there at that instant."""

    permission_classes = [HasScope]
    required_scopes = {"list": (READ, GATE), "create": GATE}
    extra_problem_statuses = [404]  # unknown model, version or decision
    serializer_class = s.DeploymentSerializer
    pagination_class = None

    @property
    def principal(self) -> Principal:
        return principal_for_request(self.request)

    def get_queryset(self) -> Any:
        return selectors.deployment_list(principal=self.principal)

    @extend_schema(
        parameters=[s.DeploymentQuerySerializer],
        responses={200: s.DeploymentSerializer(many=True)},
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """The versions in each environment (or one) at ``at`` (default now), with decision and approval."""
        query = _input(s.DeploymentQuerySerializer, request.query_params)
        environments = [query["environment"]] if "environment" in query else list(Environment.values)
        rows = []
        for environment in environments:
            live = selectors.deployed_versions(
                environment=environment, at=query.get("at"), principal=self.principal
            )
            if "model" in query:
                live = live.filter(model_version__model__name=query["model"])
            rows += list(live)
        return Response(s.DeploymentSerializer(rows, many=True).data)

    @extend_schema(request=s.DeploymentCreateSerializer, responses={201: s.DeploymentSerializer})
    def create(self, request: Request) -> Response:
        """Record a rollout (needs a passing decision for the same digest) or a removal."""
        data = _input(s.DeploymentCreateSerializer, request.data)
        deployment = services.deployment_record(actor=self.principal, **data)
        fresh = self.get_queryset().get(pk=deployment.pk)
        return Response(s.DeploymentSerializer(fresh).data, status=201)
