"""Audit log API: events, signed checkpoints, Merkle proofs, a verifiable export, and the JWKS."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

import django_filters
from django.conf import settings
from django.http import JsonResponse, StreamingHttpResponse
from django.utils.module_loading import import_string
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from audit import selectors
from audit.models import AuditEvent, Checkpoint
from audit.signing import jwks
from audit.vocabulary import registry


def _reader_permissions() -> list[Any]:
    """Who may read the log is the domain's decision (``AUDIT_API_READ_PERMISSION``): the evidence layer
    imports nothing from ``governance/``."""
    return [import_string(settings.AUDIT_API_READ_PERMISSION)]


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


class AuditEventSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    canonical = serializers.SerializerMethodField(help_text="base64 of the RFC 8785 bytes hashed as the leaf")

    class Meta:
        model = AuditEvent
        fields = [
            "seq",
            "created_at",
            "actor",
            "actor_label",
            "action",
            "target_type",
            "target_id",
            "payload",
            "request_id",
            "source_ip",
            "leaf_hash",
            "canonical",
        ]
        read_only_fields = fields

    def get_canonical(self, event: AuditEvent) -> str:
        return b64(bytes(event.canonical))


class CheckpointSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    root_hash_base64 = serializers.SerializerMethodField()

    class Meta:
        model = Checkpoint
        fields = ["origin", "size", "root_hash", "root_hash_base64", "key_id", "note", "created_at"]
        read_only_fields = fields

    def get_root_hash_base64(self, checkpoint: Checkpoint) -> str:
        return b64(bytes.fromhex(checkpoint.root_hash))


class AuditEventFilterSet(django_filters.FilterSet):
    # Every declared action, so the schema and clients see the vocabulary (an unknown one is a 400).
    action = django_filters.ChoiceFilter(choices=registry.choices())

    class Meta:
        model = AuditEvent
        fields = ["action", "actor", "target_type", "target_id", "request_id"]


def _int_param(request: Request, name: str, minimum: int = 0) -> int:
    raw = request.query_params.get(name)
    try:
        value = int(raw)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise serializers.ValidationError({name: "Expected an integer."}) from None
    if value < minimum:
        raise serializers.ValidationError({name: f"Must be at least {minimum}."})
    return value


def _check_size(name: str, size: int) -> None:
    if size > selectors.log_size():
        raise serializers.ValidationError({name: "Larger than the log."})


class AuditEventViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):  # type: ignore[type-arg]
    """The audit log, read-only (``?action=``, ``?target_type=&target_id=``, ``?actor=``)."""

    permission_classes = _reader_permissions()
    serializer_class = AuditEventSerializer
    filterset_class = AuditEventFilterSet
    queryset = AuditEvent.objects.order_by("seq")
    lookup_field = "seq"

    @extend_schema(
        parameters=[OpenApiParameter("tree_size", int, required=True)], responses={200: OpenApiTypes.OBJECT}
    )
    @action(detail=True, methods=["get"])
    def proof(self, request: Request, seq: str) -> Response:
        """RFC 6962 inclusion proof of this event in the tree of ``tree_size`` leaves."""
        event = self.get_object()
        tree_size = _int_param(request, "tree_size", minimum=event.seq + 1)
        _check_size("tree_size", tree_size)
        leaf, path, root = selectors.inclusion_proof(event.seq, tree_size)
        return Response(
            {
                "leaf_index": event.seq,
                "tree_size": tree_size,
                "leaf_hash": b64(leaf),
                "inclusion_path": [b64(h) for h in path],
                "root_hash": b64(root),
            }
        )


class CheckpointViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):  # type: ignore[type-arg]
    """Signed checkpoints (C2SP tlog-checkpoint notes), newest first."""

    permission_classes = _reader_permissions()
    serializer_class = CheckpointSerializer
    queryset = Checkpoint.objects.order_by("-size")

    @action(detail=False, methods=["get"])
    def latest(self, request: Request) -> Response:
        checkpoint = selectors.checkpoint_latest()
        if checkpoint is None:
            from rest_framework.exceptions import NotFound

            raise NotFound("No checkpoint has been signed yet.")
        return Response(self.get_serializer(checkpoint).data)

    # A plain array of note texts: what ``govctl verify log`` reads (README, "offline verification").
    @extend_schema(responses={200: {"type": "array", "items": {"type": "string"}}})
    @action(detail=False, methods=["get"], pagination_class=None, filter_backends=[])
    def export(self, request: Request) -> Response:
        """Every signed note, oldest first: keep this file outside the service (``govctl verify log``)."""
        return Response(list(Checkpoint.objects.order_by("size").values_list("note", flat=True)))


class ConsistencyProofView(APIView):
    """RFC 6962 consistency proof between two tree sizes (``?first=M&second=N``)."""

    permission_classes = _reader_permissions()

    @extend_schema(
        parameters=[
            OpenApiParameter("first", int, required=True),
            OpenApiParameter("second", int, required=True),
        ],
        responses={200: OpenApiTypes.OBJECT},
    )
    def get(self, request: Request) -> Response:
        first = _int_param(request, "first", minimum=1)
        second = _int_param(request, "second", minimum=first)
        _check_size("second", second)
        proof, first_root, second_root = selectors.consistency_proof(first, second)
        return Response(
            {
                "first": first,
                "second": second,
                "consistency_path": [b64(h) for h in proof],
                "first_root_hash": b64(first_root),
                "second_root_hash": b64(second_root),
            }
        )


class AuditExportView(APIView):
    """The whole log as JSON lines ``{seq, canonical (base64), leaf_hash}``, streamed."""

    permission_classes = _reader_permissions()

    @extend_schema(responses={(200, "application/x-ndjson"): OpenApiTypes.STR})
    def get(self, request: Request) -> StreamingHttpResponse:
        def lines() -> Iterator[bytes]:
            for event in selectors.iter_events():
                record = {
                    "seq": event.seq,
                    "canonical": b64(bytes(event.canonical)),
                    "leaf_hash": event.leaf_hash,
                }
                yield (json.dumps(record) + "\n").encode()

        response = StreamingHttpResponse(lines(), content_type="application/x-ndjson")
        response["Content-Disposition"] = 'attachment; filename="audit-events.jsonl"'
        return response


class JwksView(APIView):
    """Current and retired signing keys (public): what offline verifiers trust."""

    permission_classes = [AllowAny]
    authentication_classes: list[Any] = []

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    def get(self, request: Request) -> JsonResponse:
        response = JsonResponse(jwks())
        response["Cache-Control"] = "public, max-age=300"
        return response
