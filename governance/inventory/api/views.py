"""Inventory endpoints: thin translations between HTTP and the services/selectors."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from governance.accounts.permissions import HasScope
from governance.accounts.principal import Principal, principal_for_request
from governance.accounts.roles import Scope
from governance.accounts.services import team_create
from governance.inventory import selectors, services
from governance.inventory.api import serializers as s
from governance.inventory.artifacts import artifact_hash_request
from governance.inventory.cards import card_export
from governance.inventory.filtersets import (
    DatasetFilterSet,
    DatasetVersionFilterSet,
    ModelCardFilterSet,
    ModelVersionFilterSet,
    RegisteredModelFilterSet,
)
from governance.inventory.selectors import attestations_for_model_version

READ = Scope.INVENTORY_READ
WRITE = Scope.INVENTORY_WRITE
READ_WRITE_SCOPES = {
    "list": READ,
    "retrieve": READ,
    "create": WRITE,
    "update": WRITE,
    "partial_update": WRITE,
}


class InventoryViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):  # type: ignore[type-arg]
    """List/retrieve from a selector; create/update through a service with its own input serializer."""

    permission_classes = [HasScope]
    required_scopes: dict[str, Scope] = READ_WRITE_SCOPES
    create_serializer_class: type[serializers.Serializer] | None = None  # type: ignore[type-arg]
    update_serializer_class: type[serializers.Serializer] | None = None  # type: ignore[type-arg]
    # Related fields of input serializers narrowed to what the principal can see (no existence leaks).
    scoped_related_fields: dict[str, str] = {}

    @property
    def principal(self) -> Principal:
        return principal_for_request(self.request)

    def input_serializer(self, cls: type[serializers.Serializer], data: Any, **kwargs: Any) -> Any:  # type: ignore[type-arg]
        serializer = cls(data=data, **kwargs)
        for dotted, selector_name in self.scoped_related_fields.items():
            field: Any = serializer
            for part in dotted.split("."):
                field = getattr(field, "child", field).fields.get(part)
                if field is None:
                    break
            else:
                field.queryset = getattr(selectors, selector_name)(principal=self.principal)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    def respond(self, instance: Any, status: int = 200) -> Response:
        return Response(self.get_serializer(instance).data, status=status)


@extend_schema_view(
    create=extend_schema(
        request=s.RegisteredModelCreateSerializer, responses={201: s.RegisteredModelSerializer}
    ),
    update=extend_schema(request=s.RegisteredModelUpdateSerializer),
    partial_update=extend_schema(request=s.RegisteredModelUpdateSerializer),
)
class RegisteredModelViewSet(InventoryViewSet):
    """Registered models (``?team=``, ``?risk_tier=``, ``?domain=``, ``?tag=``, ``?q=``)."""

    serializer_class = s.RegisteredModelSerializer
    filterset_class = RegisteredModelFilterSet
    scoped_related_fields = {"team": "team_list"}

    def get_queryset(self) -> Any:
        return selectors.registered_model_list(principal=self.principal)

    def create(self, request: Request) -> Response:
        data = self.input_serializer(s.RegisteredModelCreateSerializer, request.data)
        return self.respond(services.registered_model_create(actor=self.principal, **data), 201)

    def update(self, request: Request, pk: str, partial: bool = False) -> Response:
        data = self.input_serializer(s.RegisteredModelUpdateSerializer, request.data, partial=partial)
        return self.respond(
            services.registered_model_update(actor=self.principal, model=self.get_object(), **data)
        )

    def partial_update(self, request: Request, pk: str) -> Response:
        return self.update(request, pk, partial=True)


@extend_schema_view(
    create=extend_schema(request=s.ModelVersionCreateSerializer, responses={201: s.ModelVersionSerializer}),
    update=extend_schema(request=s.ModelVersionUpdateSerializer),
    partial_update=extend_schema(request=s.ModelVersionUpdateSerializer),
)
class ModelVersionViewSet(InventoryViewSet):
    """Model versions (``?model=NAME``, ``?status=``, ``?artifact_digest=``). Drafts are editable."""

    serializer_class = s.ModelVersionSerializer
    filterset_class = ModelVersionFilterSet
    scoped_related_fields = {
        "model": "registered_model_list",
        "datasets.dataset_version": "dataset_version_list",
        "dataset_version": "dataset_version_list",
    }
    required_scopes = {
        **READ_WRITE_SCOPES,
        "link_dataset": WRITE,
        "hash_artifact": WRITE,
        "artifact_jobs": READ,
        "attestations": READ,
    }

    def get_queryset(self) -> Any:
        return selectors.model_version_list(principal=self.principal)

    def create(self, request: Request) -> Response:
        data = self.input_serializer(s.ModelVersionCreateSerializer, request.data)
        links = [(link["dataset_version"], link["usage"]) for link in data.pop("datasets", [])]
        mv = services.model_version_create(actor=self.principal, datasets=links, **data)
        return self.respond(self.get_queryset().get(pk=mv.pk), 201)

    def update(self, request: Request, pk: str, partial: bool = False) -> Response:
        data = self.input_serializer(s.ModelVersionUpdateSerializer, request.data, partial=partial)
        mv = services.model_version_update(actor=self.principal, model_version=self.get_object(), **data)
        return self.respond(self.get_queryset().get(pk=mv.pk))

    def partial_update(self, request: Request, pk: str) -> Response:
        return self.update(request, pk, partial=True)

    @extend_schema(request=s.DatasetLinkCreateSerializer, responses={201: s.ModelVersionSerializer})
    @action(detail=True, methods=["post"], url_path="datasets")
    def link_dataset(self, request: Request, pk: str) -> Response:
        """Link a dataset version (training, validation or evaluation) to a draft version."""
        data = self.input_serializer(s.DatasetLinkCreateSerializer, request.data)
        mv = self.get_object()
        services.model_version_link_dataset(actor=self.principal, model_version=mv, **data)
        return self.respond(self.get_queryset().get(pk=mv.pk), 201)

    @extend_schema(request=None, responses={202: s.ArtifactHashJobSerializer})
    @action(detail=True, methods=["post"], url_path="hash-artifact")
    def hash_artifact(self, request: Request, pk: str) -> Response:
        """Hash the artifact on a worker (file:// URIs), record its digest, sign a model_signing bundle."""
        if request.data:
            raise serializers.ValidationError({"non_field_errors": "This action takes no body."})
        job = artifact_hash_request(actor=self.principal, model_version=self.get_object())
        return Response(s.ArtifactHashJobSerializer(job).data, status=202)

    # Plain arrays, as the README shows them (``jq '.[0]'``): a version has few jobs and attestations.
    @extend_schema(responses={200: s.ArtifactHashJobSerializer(many=True)})
    @action(detail=True, methods=["get"], url_path="artifact-jobs", pagination_class=None, filter_backends=[])
    def artifact_jobs(self, request: Request, pk: str) -> Response:
        """Artifact hashing jobs of this version, newest first."""
        jobs = self.get_object().hash_jobs.order_by("-created_at")
        return Response(s.ArtifactHashJobSerializer(jobs, many=True).data)

    @extend_schema(responses={200: s.AttestationSerializer(many=True)})
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def attestations(self, request: Request, pk: str) -> Response:
        """Signed bundles about this version (artifact, card revisions), for offline verification."""
        items = attestations_for_model_version(self.get_object())
        return Response(s.AttestationSerializer(items, many=True).data)


@extend_schema_view(
    create=extend_schema(request=s.ModelCardCreateSerializer, responses={201: s.ModelCardSerializer})
)
class ModelCardViewSet(InventoryViewSet):
    """Model card revisions (``?model_version=ID``, ``?model=NAME``, ``?latest=true``); export and import."""

    serializer_class = s.ModelCardSerializer
    filterset_class = ModelCardFilterSet
    scoped_related_fields = {"model_version": "model_version_list"}
    required_scopes = {"list": READ, "retrieve": READ, "create": WRITE, "export": READ, "import_card": WRITE}

    def get_queryset(self) -> Any:
        return selectors.model_card_list(principal=self.principal)

    def create(self, request: Request) -> Response:
        data = self.input_serializer(s.ModelCardCreateSerializer, request.data)
        return self.respond(services.model_card_create(actor=self.principal, **data), 201)

    @extend_schema(
        parameters=[OpenApiParameter("format", str, enum=["mct", "huggingface"], required=True)],
        responses={(200, "application/json"): OpenApiTypes.OBJECT, (200, "text/markdown"): OpenApiTypes.STR},
    )
    @action(detail=True, methods=["get"])
    def export(self, request: Request, pk: str) -> Any:
        """Export as Model Card Toolkit JSON (``format=mct``) or a Hugging Face README (``huggingface``)."""
        fmt = request.query_params.get("format", "")
        if fmt not in ("mct", "huggingface"):
            raise serializers.ValidationError({"format": "Expected 'mct' or 'huggingface'."})
        card = self.get_object()
        body, media_type = card_export(card, fmt)
        if isinstance(body, str):
            response = HttpResponse(body, content_type=media_type)
            response["Content-Disposition"] = f'inline; filename="{card.model_version.model.name}-README.md"'
            return response
        return Response(body)

    @extend_schema(request=s.ModelCardImportSerializer, responses={201: s.ModelCardSerializer})
    @action(detail=False, methods=["post"], url_path="import")
    def import_card(self, request: Request) -> Response:
        """Import MCT JSON or a Hugging Face README as a new revision of a version's card."""
        data = self.input_serializer(s.ModelCardImportSerializer, request.data)
        card = services.model_card_import(
            actor=self.principal,
            model_version=data["model_version"],
            fmt=data["format"],
            content=data["content"],
        )
        return self.respond(card, 201)


@extend_schema_view(
    create=extend_schema(request=s.DatasetCreateSerializer, responses={201: s.DatasetSerializer})
)
class DatasetViewSet(InventoryViewSet):
    """Datasets (``?team=``, ``?name=``)."""

    serializer_class = s.DatasetSerializer
    filterset_class = DatasetFilterSet
    scoped_related_fields = {"team": "team_list"}
    required_scopes = {"list": READ, "retrieve": READ, "create": WRITE}

    def get_queryset(self) -> Any:
        return selectors.dataset_list(principal=self.principal)

    def create(self, request: Request) -> Response:
        data = self.input_serializer(s.DatasetCreateSerializer, request.data)
        return self.respond(services.dataset_create(actor=self.principal, **data), 201)


@extend_schema_view(
    create=extend_schema(
        request=s.DatasetVersionCreateSerializer, responses={201: s.DatasetVersionSerializer}
    ),
    update=extend_schema(request=s.DatasetVersionUpdateSerializer),
    partial_update=extend_schema(request=s.DatasetVersionUpdateSerializer),
)
class DatasetVersionViewSet(InventoryViewSet):
    """Dataset versions with privacy classification (``?dataset=``, ``?contains_phi=``, ...)."""

    serializer_class = s.DatasetVersionSerializer
    filterset_class = DatasetVersionFilterSet
    scoped_related_fields = {"dataset": "dataset_list"}

    def get_queryset(self) -> Any:
        return selectors.dataset_version_list(principal=self.principal)

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        response = super().list(request, *args, **kwargs)
        page = getattr(self.paginator, "page", None)
        shown = page.object_list if page is not None else self.filter_queryset(self.get_queryset())
        services.dataset_version_phi_reads_record(actor=self.principal, dataset_versions=shown, channel="api")
        return response

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        instance = self.get_object()
        services.dataset_version_phi_reads_record(
            actor=self.principal, dataset_versions=[instance], channel="api"
        )
        return self.respond(instance)

    def create(self, request: Request) -> Response:
        data = self.input_serializer(s.DatasetVersionCreateSerializer, request.data)
        return self.respond(services.dataset_version_create(actor=self.principal, **data), 201)

    def update(self, request: Request, pk: str, partial: bool = False) -> Response:
        data = self.input_serializer(s.DatasetVersionUpdateSerializer, request.data, partial=partial)
        dv = services.dataset_version_update(actor=self.principal, dataset_version=self.get_object(), **data)
        return self.respond(dv)

    def partial_update(self, request: Request, pk: str) -> Response:
        return self.update(request, pk, partial=True)


@extend_schema_view(create=extend_schema(request=s.TeamCreateSerializer, responses={201: s.TeamSerializer}))
class TeamViewSet(InventoryViewSet):
    """Teams you belong to (all teams for reviewers, auditors and admins). Creating needs teams:admin."""

    serializer_class = s.TeamSerializer
    required_scopes = {"list": READ, "retrieve": READ, "create": Scope.TEAMS_ADMIN}
    lookup_field = "slug"
    lookup_value_regex = "[a-z0-9][a-z0-9-]{0,62}"

    def get_queryset(self) -> Any:
        return selectors.team_list(principal=self.principal)

    def create(self, request: Request) -> Response:
        data = self.input_serializer(s.TeamCreateSerializer, request.data)
        return self.respond(team_create(actor=self.principal, **data), 201)
