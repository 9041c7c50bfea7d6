"""Report exports over HTTP: the ML-BOM of a model version."""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework.exceptions import APIException
from rest_framework.request import Request
from rest_framework.views import APIView

from governance.accounts.permissions import HasScope
from governance.accounts.principal import principal_for_request
from governance.accounts.roles import Scope
from governance.inventory.selectors import model_version_list
from governance.reports.bom import model_version_bom
from governance.reports.bom_document import MEDIA_TYPE, BomInvalidError


class BomNotServable(APIException):
    """The version's records do not make a valid CycloneDX 1.6 document: refuse rather than serve it."""

    status_code = 422
    default_code = "bom_invalid"


class ModelVersionBomView(APIView):
    """``GET /model-versions/{id}/bom``: the version's CycloneDX 1.6 ML-BOM, validated before it is served."""

    permission_classes = [HasScope]
    required_scopes = {"GET": Scope.INVENTORY_READ}

    @extend_schema(
        operation_id="model_versions_bom_retrieve",
        responses={(200, MEDIA_TYPE): OpenApiTypes.OBJECT},  # 4xx problem+json added by ProblemAutoSchema
        description="CycloneDX 1.6 ML-BOM: the model component with its model card, the dataset "
        "versions as data components, fairness metrics with their bootstrap intervals.",
    )
    def get(self, request: Request, pk: int) -> HttpResponse:
        principal = principal_for_request(request)
        mv = get_object_or_404(model_version_list(principal=principal), pk=pk)
        try:
            document: dict[str, Any] = model_version_bom(model_version=mv)
        except BomInvalidError as error:
            raise BomNotServable(str(error)) from error
        return HttpResponse(json.dumps(document, indent=2), content_type=MEDIA_TYPE)
