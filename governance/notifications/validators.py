"""Which receiver URLs and event lists a webhook may have (model validation, so admin and services agree)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator

from governance.notifications import constants
from governance.notifications.choices import WebhookEvent

_url_syntax = URLValidator(schemes=["http", "https"])


def webhook_url_validate(url: str) -> None:
    """http(s) only, https unless ``WEBHOOK_ALLOW_HTTP``; no credentials in the URL, no fragment."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise ValidationError("A webhook URL must be http(s).", code="scheme")
    _url_syntax(url)
    if parts.scheme == "http" and not constants.allow_http():
        raise ValidationError("A webhook URL must use https (plain http is off).", code="https_required")
    if parts.username or parts.password:
        raise ValidationError("Put no credentials in a webhook URL; verify our signature instead.")
    if parts.fragment:
        raise ValidationError("A webhook URL has no #fragment (it is never sent).")


def webhook_events_validate(events: Any) -> None:
    """A non-empty list of distinct ``WebhookEvent`` values."""
    if not isinstance(events, list) or not events or not all(isinstance(e, str) for e in events):
        raise ValidationError("Choose at least one event.", code="events")
    unknown = sorted(set(events) - set(WebhookEvent.values))
    if unknown:
        raise ValidationError(f"Unknown events: {', '.join(unknown)}.", code="events")
    if len(set(events)) != len(events):
        raise ValidationError("An event is listed twice.", code="events")
