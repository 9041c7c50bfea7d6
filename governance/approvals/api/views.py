"""Approval endpoints: thin translations between HTTP and the approval services and selectors."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from governance.accounts.permissions import HasScope
from governance.accounts.principal import Principal, principal_for_request
from governance.accounts.roles import Scope
from governance.approvals import selectors, services
from governance.approvals.api import serializers as s
from governance.approvals.choices import Decision
from governance.approvals.filtersets import ApprovalRequestFilterSet
from governance.approvals.models import ApprovalRequest
from governance.core.exceptions import ConflictError
from governance.inventory.models import ModelVersion
from governance.inventory.selectors import model_version_list

SUBMIT, DECIDE = Scope.APPROVALS_SUBMIT, Scope.APPROVALS_DECIDE


class ModelVersionApprovalViewSet(viewsets.GenericViewSet):  # type: ignore[type-arg]
    """``/model-versions/{id}/submit|approve|request-changes|reject|withdraw``."""

    permission_classes = [HasScope]
    required_scopes = {
        "submit": SUBMIT,
        "approve": DECIDE,
        "request_changes": DECIDE,
        "reject": DECIDE,
        "withdraw": SUBMIT,
    }
    serializer_class = s.ApprovalRequestSerializer
    filter_backends: list[Any] = []
    pagination_class = None

    @property
    def principal(self) -> Principal:
        return principal_for_request(self.request)

    def get_queryset(self) -> Any:
        return model_version_list(principal=self.principal)

    def _input(self, cls: type[Any], request: Request) -> dict[str, Any]:
        serializer = cls(data=request.data)
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)

    def _respond(self, approval: ApprovalRequest, status: int = 200) -> Response:
        fresh = selectors.approval_request_list(principal=self.principal).get(pk=approval.pk)
        return Response(s.ApprovalRequestSerializer(fresh).data, status=status)

    def _latest_request(self, mv: ModelVersion) -> ApprovalRequest:
        latest = ApprovalRequest.objects.filter(model_version=mv).order_by("-created_at", "-id").first()
        if latest is None:
            raise ConflictError(
                f"Version {mv} has no approval request; submit it first.",
                field="status",
                code="invalid_transition",
            )
        return latest

    @extend_schema(request=s.SubmitSerializer, responses={201: s.ApprovalRequestSerializer})
    @action(detail=True, methods=["post"])
    def submit(self, request: Request, pk: str) -> Response:
        """Submit a draft for approval in an environment; the evidence is snapshotted and hashed."""
        data = self._input(s.SubmitSerializer, request)
        approval = services.approval_request_submit(
            actor=self.principal, model_version=self.get_object(), **data
        )
        return self._respond(approval, 201)

    def _decide(self, request: Request, decision: str) -> Response:
        data = self._input(s.DecisionInputSerializer, request)
        approval = self._latest_request(self.get_object())
        services.approval_decide(actor=self.principal, request=approval, decision=decision, **data)
        return self._respond(approval)

    @extend_schema(request=s.DecisionInputSerializer, responses={200: s.ApprovalRequestSerializer})
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: str) -> Response:
        """Approve in one of your reviewer roles (four-eyes: not the submitter, owner or producer)."""
        return self._decide(request, Decision.APPROVE)

    @extend_schema(request=s.DecisionInputSerializer, responses={200: s.ApprovalRequestSerializer})
    @action(detail=True, methods=["post"], url_path="request-changes")
    def request_changes(self, request: Request, pk: str) -> Response:
        """Send the version back to draft with what must change."""
        return self._decide(request, Decision.REQUEST_CHANGES)

    @extend_schema(request=s.DecisionInputSerializer, responses={200: s.ApprovalRequestSerializer})
    @action(detail=True, methods=["post"])
    def reject(self, request: Request, pk: str) -> Response:
        """Reject the version (final for this version)."""
        return self._decide(request, Decision.REJECT)

    @extend_schema(request=s.WithdrawSerializer, responses={200: s.ApprovalRequestSerializer})
    @action(detail=True, methods=["post"])
    def withdraw(self, request: Request, pk: str) -> Response:
        """Withdraw the open request; the version returns to draft."""
        data = self._input(s.WithdrawSerializer, request)
        approval = self._latest_request(self.get_object())
        return self._respond(services.approval_withdraw(actor=self.principal, request=approval, **data))


class ApprovalRequestViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):  # type: ignore[type-arg]
    """Approval requests (``?model=``, ``?model_version=``, ``?status=``, ``?environment=``, ``?team=``)."""

    permission_classes = [HasScope]
    required_scopes = {"list": Scope.INVENTORY_READ, "retrieve": Scope.INVENTORY_READ, "pending": DECIDE}
    serializer_class = s.ApprovalRequestSerializer
    filterset_class = ApprovalRequestFilterSet
    lookup_value_regex = "[0-9]+"

    def get_queryset(self) -> Any:
        return selectors.approval_request_list(principal=principal_for_request(self.request))

    @extend_schema(responses={200: s.ApprovalRequestSerializer(many=True)}, filters=False)
    @action(detail=False, methods=["get"], pagination_class=None, filter_backends=[])
    def pending(self, request: Request) -> Response:
        """Open requests your roles may decide now, oldest first."""
        items = selectors.approval_pending_for(principal=principal_for_request(request))
        return Response(s.ApprovalRequestSerializer(items, many=True).data)
