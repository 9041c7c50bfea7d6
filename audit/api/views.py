"""Audit log API: events, signed checkpoints, Merkle proofs, a verifiable export, and the JWKS."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Iterator
from typing import Any

import django_filters
from django.conf import settings
from django.http import JsonResponse, StreamingHttpResponse
from django.utils.module_loading import import_string
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import APIException, NotFound
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from audit import selectors
from audit.export import decoded_event, export_record
from audit.models import AuditEvent, Checkpoint
from audit.signing import jwks
from audit.vocabulary import registry


class ConflictError(APIException):
    status_code = 409
    default_detail = "Conflict."
    default_code = "conflict"


def _reader_permissions() -> list[Any]:
    """Who may read the log is the domain's decision (``AUDIT_API_READ_PERMISSION``): the evidence layer
    imports nothing from ``governance/``."""
    return [import_string(settings.AUDIT_API_READ_PERMISSION)]


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


class AuditEventSerializer(serializers.Serializer):  # type: ignore[type-arg]
    """An entry as its hashed bytes say it (never the query columns), with where it is in the log."""

    id = serializers.UUIDField(
        source="entry_id", help_text="The entry's identity, fixed when it was accepted."
    )
    seq = serializers.IntegerField(allow_null=True, help_text="Position in the log; null while pending.")
    status = serializers.SerializerMethodField(help_text="pending (accepted) or integrated (in the tree).")
    integrated_at = serializers.DateTimeField(allow_null=True)
    leaf_hash = serializers.CharField(help_text="hex SHA-256(0x00 || canonical)")
    canonical = serializers.SerializerMethodField(help_text="base64 of the RFC 8785 bytes hashed as the leaf")
    time = serializers.SerializerMethodField()
    actor = serializers.SerializerMethodField()
    action = serializers.SerializerMethodField()
    target = serializers.SerializerMethodField()
    payload = serializers.SerializerMethodField()
    request_id = serializers.SerializerMethodField()
    source_ip = serializers.SerializerMethodField()

    def _document(self, event: AuditEvent) -> dict[str, Any]:
        cache: dict[int, dict[str, Any]] = self.context.setdefault("_decoded", {})
        if event.pk not in cache:
            cache[event.pk] = decoded_event(event)
        return cache[event.pk]

    def get_status(self, event: AuditEvent) -> str:
        return "integrated" if event.is_integrated else "pending"

    def get_canonical(self, event: AuditEvent) -> str:
        return b64(bytes(event.canonical))

    @extend_schema_field(OpenApiTypes.DATETIME)
    def get_time(self, event: AuditEvent) -> Any:
        return self._document(event).get("time")

    @extend_schema_field(
        {"type": "object", "properties": {"id": {"type": "string"}, "label": {"type": "string"}}}
    )
    def get_actor(self, event: AuditEvent) -> Any:
        return self._document(event).get("actor")

    @extend_schema_field(OpenApiTypes.STR)
    def get_action(self, event: AuditEvent) -> Any:
        return self._document(event).get("action")

    @extend_schema_field(
        {"type": "object", "properties": {"type": {"type": "string"}, "id": {"type": "string"}}}
    )
    def get_target(self, event: AuditEvent) -> Any:
        return self._document(event).get("target")

    @extend_schema_field(OpenApiTypes.OBJECT)
    def get_payload(self, event: AuditEvent) -> Any:
        return self._document(event).get("payload")

    @extend_schema_field({"type": "string", "nullable": True})
    def get_request_id(self, event: AuditEvent) -> Any:
        return self._document(event).get("request_id")

    @extend_schema_field({"type": "string", "nullable": True})
    def get_source_ip(self, event: AuditEvent) -> Any:
        return self._document(event).get("source_ip")


class AuditEntrySerializer(AuditEventSerializer):
    """One entry with its inclusion proof against the latest signed checkpoint, once it has one."""

    inclusion = serializers.SerializerMethodField(
        help_text="RFC 6962 inclusion proof against the latest checkpoint that covers the entry; null "
        "while the entry is pending or no checkpoint covers it yet."
    )

    @extend_schema_field({"type": "object", "nullable": True, "additionalProperties": True})
    def get_inclusion(self, event: AuditEvent) -> dict[str, Any] | None:
        checkpoint = selectors.checkpoint_latest()
        if event.seq is None or checkpoint is None or checkpoint.size <= event.seq:
            return None
        leaf, path, root = selectors.inclusion_proof(event.seq, checkpoint.size)
        return {
            "leaf_index": event.seq,
            "tree_size": checkpoint.size,
            "leaf_hash": b64(leaf),
            "inclusion_path": [b64(h) for h in path],
            "root_hash": b64(root),
            "checkpoint": checkpoint.note,
        }


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
    """The audit log, read-only (``?action=``, ``?target_type=&target_id=``, ``?actor=``), in acceptance
    order. Each entry is served as decoded from its hashed bytes. An entry is addressed by its id
    (``/events/{uuid}``) or, once integrated, by its sequence number (``/events/{seq}``)."""

    permission_classes = _reader_permissions()
    filterset_class = AuditEventFilterSet
    queryset = AuditEvent.objects.order_by("id")
    lookup_field = "entry"
    lookup_value_regex = r"[0-9]+|[0-9a-fA-F-]{32,36}"

    def get_serializer_class(self) -> type[AuditEventSerializer]:
        return AuditEntrySerializer if self.action == "retrieve" else AuditEventSerializer

    def get_object(self) -> AuditEvent:
        key = str(self.kwargs["entry"])
        try:
            lookup: dict[str, Any] = {"seq": int(key)} if key.isdigit() else {"entry_id": uuid.UUID(key)}
        except ValueError:
            raise NotFound("No such audit entry.") from None
        event = AuditEvent.objects.filter(**lookup).first()
        if event is None:
            raise NotFound("No such audit entry.")
        return event

    @extend_schema(
        parameters=[OpenApiParameter("tree_size", int, required=True)], responses={200: OpenApiTypes.OBJECT}
    )
    @action(detail=True, methods=["get"])
    def proof(self, request: Request, entry: str) -> Response:
        """RFC 6962 inclusion proof of this event in the tree of ``tree_size`` leaves."""
        event = self.get_object()
        if event.seq is None:
            raise ConflictError("The entry is pending: it has no position in the tree yet.")
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
    """The integrated log as JSON lines ``{seq, id, canonical (base64), leaf_hash, columns}``, streamed:
    what ``govctl verify log`` checks (``columns`` lets it catch a database edit of the columns)."""

    permission_classes = _reader_permissions()

    @extend_schema(responses={(200, "application/x-ndjson"): OpenApiTypes.STR})
    def get(self, request: Request) -> StreamingHttpResponse:
        def lines() -> Iterator[bytes]:
            for event in selectors.iter_events():
                yield (json.dumps(export_record(event)) + "\n").encode()

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
