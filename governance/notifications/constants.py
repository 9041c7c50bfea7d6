"""Headers, limits and timing of webhook deliveries (timing read from settings so tests can tighten it)."""

from __future__ import annotations

from django.conf import settings

# Modelled on MLflow's webhooks (X-MLflow-Signature "v1,<base64>", X-MLflow-Delivery-Id,
# X-MLflow-Timestamp), with our own prefix. The signature covers "<delivery id>.<timestamp>.<body>".
SIGNATURE_HEADER = "X-Governance-Signature"
DELIVERY_ID_HEADER = "X-Governance-Delivery-Id"
TIMESTAMP_HEADER = "X-Governance-Timestamp"
EVENT_HEADER = "X-Governance-Event"
SIGNATURE_VERSION = "v1"
USER_AGENT = "ModelOps-Governance-Webhooks/1"

# How much of a receiver's answer is read and kept (the rest is never read).
RESPONSE_EXCERPT_BYTES = 512
ERROR_MAX_CHARS = 1000
# A receiver should reject deliveries whose timestamp is older than this (documented, not enforced here).
RECEIVER_TOLERANCE_SECONDS = 300
# Due retries handed to the outbox per beat run.
DUE_BATCH = 500


def timeout_seconds() -> float:
    """The whole exchange with a receiver (connect, send, answer) must end within this."""
    return float(settings.WEBHOOK_TIMEOUT_SECONDS)


def max_attempts() -> int:
    """Attempts (the first included) before a delivery fails for good."""
    return int(settings.WEBHOOK_MAX_ATTEMPTS)


def backoff_seconds(attempt: int) -> float:
    """Wait after failed attempt ``attempt`` (1-based): base, 3 x base, 9 x base, ... capped."""
    base = float(settings.WEBHOOK_BACKOFF_SECONDS)
    return float(min(base * 3 ** max(attempt - 1, 0), float(settings.WEBHOOK_BACKOFF_MAX_SECONDS)))


def allow_http() -> bool:
    """Plain-http receivers are refused unless this is on (tests with loopback receivers)."""
    return bool(settings.WEBHOOK_ALLOW_HTTP)
