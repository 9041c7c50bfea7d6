"""Webhook signatures: HMAC-SHA256 over delivery id, timestamp and body (MLflow's scheme, our prefix).

Pure: no Django imports. The same function serves the sender; receivers re-implement it in a few lines
(README "Webhooks", and the test suite does so independently).
"""

from __future__ import annotations

import base64
import hashlib
import hmac

SIGNATURE_VERSION = "v1"


def signing_string(delivery_id: str, timestamp: str, body: str) -> bytes:
    """What is signed: ``"<delivery id>.<timestamp>.<body>"`` in UTF-8 (the body exactly as sent)."""
    return f"{delivery_id}.{timestamp}.{body}".encode()


def webhook_signature(secret: str, delivery_id: str, timestamp: str, body: str) -> str:
    """``v1,<base64 HMAC-SHA256>`` keyed with the webhook's secret (its UTF-8 text, as shown once)."""
    digest = hmac.new(secret.encode(), signing_string(delivery_id, timestamp, body), hashlib.sha256).digest()
    return f"{SIGNATURE_VERSION},{base64.b64encode(digest).decode('ascii')}"
