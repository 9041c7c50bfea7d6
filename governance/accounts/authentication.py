"""``Authorization: Bearer <api key>`` for machines."""

from __future__ import annotations

import datetime as dt
import hmac
from typing import Any

from django.utils import timezone
from rest_framework import authentication, exceptions

from governance.accounts.models import ApiKey
from governance.accounts.services import API_KEY_PREFIX, api_key_hash
from governance.accounts.throttling import api_key_failure_record, api_key_throttle_check

LAST_USED_RESOLUTION = dt.timedelta(minutes=1)


class ApiKeyUser:
    """What ``request.user`` is for a request authenticated by an API key (not a person)."""

    is_authenticated = True
    is_active = True
    is_anonymous = False
    is_staff = False
    is_superuser = False
    pk = None
    id = None

    def __init__(self, key: ApiKey) -> None:
        self.api_key = key
        self.username = f"api_key:{key.team.slug}/{key.name}"

    def __str__(self) -> str:
        return self.username

    def get_username(self) -> str:
        return self.username


class ApiKeyAuthentication(authentication.BaseAuthentication):
    """Looks the key up by prefix and compares hashes in constant time; failures are throttled."""

    keyword = "Bearer"

    def authenticate(self, request: Any) -> tuple[ApiKeyUser, ApiKey] | None:
        header = authentication.get_authorization_header(request).decode("latin-1")
        if not header:
            return None
        parts = header.split()
        if not parts or parts[0] != self.keyword:
            return None
        address = str(request.META.get("REMOTE_ADDR", ""))
        pieces = parts[1].split("_", 2) if len(parts) == 2 else []
        prefix = pieces[1] if len(pieces) == 3 and pieces[0] == API_KEY_PREFIX else None
        api_key_throttle_check(address=address, prefix=prefix)
        try:
            return self._authenticate(parts)
        except exceptions.AuthenticationFailed:
            api_key_failure_record(address=address, prefix=prefix)
            raise

    def _authenticate(self, parts: list[str]) -> tuple[ApiKeyUser, ApiKey]:
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed("Expected 'Authorization: Bearer <api key>'.")
        secret = parts[1]
        pieces = secret.split("_", 2)
        if len(pieces) != 3 or pieces[0] != API_KEY_PREFIX:
            raise exceptions.AuthenticationFailed("Malformed API key.")
        key = ApiKey.objects.select_related("team").filter(prefix=pieces[1]).first()
        if key is None or not hmac.compare_digest(key.key_hash, api_key_hash(secret)):
            raise exceptions.AuthenticationFailed("Invalid API key.")
        now = timezone.now()
        if key.revoked_at is not None:
            raise exceptions.AuthenticationFailed("This API key has been revoked.")
        if key.expires_at <= now:
            raise exceptions.AuthenticationFailed("This API key has expired.")
        if key.last_used_at is None or now - key.last_used_at > LAST_USED_RESOLUTION:
            ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
        return ApiKeyUser(key), key

    def authenticate_header(self, request: Any) -> str:
        return f'{self.keyword} realm="api"'
