"""What an installation may be configured with, and which callback URLs it may be sent to.

Model validation (so the admin and the services agree). The callback check is the one that keeps an
installation token on the configured API host: GitHub names the URL to answer in the (signed) webhook,
and we only ever POST to it when its origin is the installation's API base URL and its path is the
review endpoint of a workflow run under that base.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator

from governance.approvals.choices import Environment
from governance.integrations.github import constants

_url_syntax = URLValidator(schemes=["http", "https"])
_REVIEW_PATH = re.compile(
    r"/repos/[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+/actions/runs/[0-9]{1,20}/deployment_protection_rule"
)


def api_base_url_validate(url: str) -> None:
    """https (http only with ``GITHUB_ALLOW_HTTP``), no credentials, query or fragment."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise ValidationError("The API base URL must be http(s).", code="scheme")
    _url_syntax(url)
    if parts.scheme == "http" and not constants.allow_http():
        raise ValidationError("The API base URL must use https (plain http is off).", code="https_required")
    if parts.username or parts.password or parts.query or parts.fragment:
        raise ValidationError("The API base URL has no credentials, query or fragment.", code="url_parts")


def environment_map_validate(value: Any) -> None:
    """``{"<GitHub environment name>": "dev" | "staging" | "prod", ...}``, at least one entry."""
    if not isinstance(value, dict) or not value:
        raise ValidationError(
            'Map at least one GitHub environment, e.g. {"production": "prod"}.', code="environment_map"
        )
    for name, ours in value.items():
        if not isinstance(name, str) or not name.strip() or len(name) > 255:
            raise ValidationError("GitHub environment names are 1-255 characters.", code="environment_map")
        if ours not in Environment.values:
            raise ValidationError(
                f"{name!r} maps to {ours!r}; use one of {', '.join(Environment.values)}.",
                code="environment_map",
            )


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    default = {"https": 443, "http": 80}.get(parts.scheme)
    return parts.scheme, (parts.hostname or "").lower(), parts.port or default


def callback_url_problem(callback_url: str, api_base_url: str) -> str:
    """Why ``callback_url`` may not be called with this installation's token ('' when it may)."""
    try:
        parts = urlsplit(callback_url)
        expected_origin, origin = _origin(api_base_url), _origin(callback_url)
    except ValueError:
        return "The callback URL is not a URL."
    base_path = urlsplit(api_base_url).path.rstrip("/")
    if origin != expected_origin:
        scheme, host, port = origin
        return (
            f"The callback URL's origin {scheme}://{host}:{port} is not the configured API host "
            f"{urlsplit(api_base_url).scheme}://{urlsplit(api_base_url).netloc}."
        )
    if parts.username or parts.password or parts.query or parts.fragment:
        return "The callback URL carries credentials, a query or a fragment."
    rest = parts.path[len(base_path) :] if parts.path.startswith(base_path + "/") else ""
    if not _REVIEW_PATH.fullmatch(rest) or {".", ".."} & set(rest.split("/")):
        return "The callback URL is not a workflow run's deployment_protection_rule endpoint."
    return ""
