"""``GET /api/v1/-/whoami``: who the caller is, as the API sees it (no database read beyond authentication).

Any authenticated principal may ask; it needs no scope. It is also the cheapest authenticated DRF
endpoint the service has, which is why the gate benchmark (``bench/gate.py``) uses it as its
baseline: same server, same authentication, same middleware, no domain work.
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from governance.accounts.principal import principal_for_request


class WhoAmIView(APIView):
    """The caller's kind (user or API key), audit-log identity, label and scopes."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        responses={
            200: inline_serializer(
                "WhoAmI",
                {
                    "kind": serializers.CharField(),
                    "ident": serializers.CharField(help_text="How the audit log names you."),
                    "label": serializers.CharField(),
                    "scopes": serializers.ListField(child=serializers.CharField()),
                },
            )
        }
    )
    def get(self, request: Request) -> Response:
        principal = principal_for_request(request)
        return Response(
            {
                "kind": principal.kind,
                "ident": principal.ident,
                "label": principal.label,
                "scopes": sorted(s.value for s in principal.scopes),
            }
        )
