"""``/api/v1/fairness-checks/``: take a predictions file and config, then report status, progress and result.

The view only translates HTTP: the service validates the config and the file (all errors at once) and
records the check; lists return summaries, the full report comes with one check.
"""

from __future__ import annotations

import hashlib
import os
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import django_filters
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, viewsets
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from governance.accounts.permissions import HasScope
from governance.accounts.principal import Principal, principal_for_request
from governance.accounts.roles import Scope
from governance.core.api.filters import IdFilter
from governance.core.api.parsers import DuplicateKeyError, SafeJSONParser, loads_strict
from governance.core.uris import local_path
from governance.fairness.api.serializers import (
    FairnessCheckCreateSerializer,
    FairnessCheckSerializer,
    FairnessCheckSummarySerializer,
)
from governance.fairness.engine import FairnessInputError
from governance.fairness.models import FairnessCheck
from governance.fairness.selectors import fairness_check_list, fairness_check_summaries
from governance.fairness.services import fairness_check_create
from governance.fairness.validation import fairness_check_errors, validation_error
from governance.inventory.models import ModelVersion
from governance.inventory.selectors import model_version_list

EXTENSIONS = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet"}


class FairnessCheckFilterSet(django_filters.FilterSet):
    # A plain number: a ModelChoiceFilter would reveal which ids exist in other teams.
    model_version = IdFilter(field_name="model_version_id")

    class Meta:
        model = FairnessCheck
        fields = ["model_version", "status"]


@extend_schema_view(
    list=extend_schema(responses=FairnessCheckSummarySerializer(many=True)),
    retrieve=extend_schema(responses=FairnessCheckSerializer),
)
class FairnessCheckViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):  # type: ignore[type-arg]
    """Fairness checks (``?model_version=ID``). Create with multipart ``file`` + ``config``.

    The list gives one summary per check (status, progress, verdict, counts, ``url``); a check's
    full report comes with ``GET /api/v1/fairness-checks/{id}``.
    """

    permission_classes = [HasScope]
    required_scopes = {
        "list": Scope.FAIRNESS_READ,
        "retrieve": Scope.FAIRNESS_READ,
        "create": Scope.FAIRNESS_WRITE,
    }
    serializer_class = FairnessCheckSerializer
    parser_classes = [MultiPartParser, SafeJSONParser]
    filterset_class = FairnessCheckFilterSet

    @property
    def principal(self) -> Principal:
        return principal_for_request(self.request)

    def get_queryset(self) -> Any:
        if self.action == "list":
            return fairness_check_summaries(principal=self.principal)
        return fairness_check_list(principal=self.principal)

    def get_serializer_class(self) -> Any:
        return FairnessCheckSummarySerializer if self.action == "list" else FairnessCheckSerializer

    @extend_schema(request=FairnessCheckCreateSerializer, responses={202: FairnessCheckSerializer})
    def create(self, request: Request) -> Response:
        # Store the upload (or resolve the shared path); the service validates the config and the
        # file's columns and reports every mistake at once.
        payload = self._parse(request)
        config = payload["config"]
        model_version = self._model_version(config)
        if model_version is None:  # nothing to record a check against; still report the whole config
            errors = list(fairness_check_errors(config=config, input_path=None).errors)
            if not any(error.field == "config.model_version" for error in errors):
                errors.insert(0, FairnessInputError("config.model_version", "Unknown model version."))
            raise validation_error(errors)
        upload: UploadedFile | None = payload.get("file")
        if upload is None:
            uri = payload["source_uri"]
            path = local_path(uri, field="source_uri")
            if not path.is_file():
                raise serializers.ValidationError({"source_uri": "No readable file at that path."})
            fmt = payload.get("format") or EXTENSIONS.get(path.suffix.lower())
            sha256, size, name = "", path.stat().st_size, uri
        else:
            fmt = payload.get("format") or EXTENSIONS.get(Path(upload.name or "").suffix.lower())
            path, sha256, size = _store_upload(upload, fmt or "bin")
            name = upload.name or path.name
        try:
            check = fairness_check_create(
                actor=self.principal,
                model_version=model_version,
                config=config,
                input_path=path,
                input_name=name,
                input_format=fmt,
                input_sha256=sha256,
                input_bytes=size,
            )
        except Exception:
            if upload is not None:  # a refused upload leaves nothing behind
                path.unlink(missing_ok=True)
            raise
        return Response(FairnessCheckSerializer(self.get_queryset().get(pk=check.pk)).data, status=202)

    def _model_version(self, config: dict[str, Any]) -> ModelVersion | None:
        """The version ``config.model_version`` names, if the caller may see it (else None: no leak)."""
        ident = config.get("model_version")
        if isinstance(ident, bool) or not isinstance(ident, int):
            return None
        return model_version_list(principal=self.principal).filter(pk=ident).first()

    def _parse(self, request: Request) -> dict[str, Any]:
        """The body's shape (a config object, and a file or a source_uri); its content is the service's."""
        if not isinstance(request.data, Mapping):
            raise serializers.ValidationError({"non_field_errors": "Expected an object (or multipart form)."})
        allowed = {"config", "file", "source_uri", "format"}
        unknown = sorted(set(request.data) - allowed)
        if unknown:
            raise serializers.ValidationError({unknown[0]: "Unknown field."})
        data = {key: request.data.get(key) for key in allowed if key in request.data}
        raw_config = data.get("config")
        if isinstance(raw_config, str):
            try:
                data["config"] = loads_strict(raw_config)
            except DuplicateKeyError as exc:
                raise serializers.ValidationError({"config": str(exc)}, code="duplicate_key") from None
            except (ValueError, RecursionError):
                raise serializers.ValidationError({"config": "Not valid JSON."}) from None
        payload = FairnessCheckCreateSerializer(data=data)
        payload.is_valid(raise_exception=True)
        return dict(payload.validated_data)


def _store_upload(upload: UploadedFile, fmt: str) -> tuple[Path, str, int]:
    """Keep the uploaded file (the evidence the report is about) and hash it on the way."""
    directory = Path(settings.MEDIA_ROOT) / "fairness"
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{uuid.uuid4().hex}.{fmt}"
    digest = hashlib.sha256()
    size = 0
    with path.open("wb") as out:
        for block in upload.chunks(1 << 20):
            digest.update(block)
            size += len(block)
            out.write(block)
        out.flush()
        os.fsync(out.fileno())
    return path, digest.hexdigest(), size
