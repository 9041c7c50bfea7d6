"""Audit actions of notifications: webhook configuration and deliveries that people re-sent or that failed.

No payload here carries a webhook's secret, nor its full URL (receiver URLs such as chat incoming
webhooks carry a credential in their path): the destination is recorded as its origin and a SHA-256 of
the whole URL, enough to tell which receiver without storing what would let anyone post to it.
"""

from audit.vocabulary import declare

WEBHOOK_CREATE = declare(
    "webhook.create",
    "A team webhook was configured (its secret generated and shown once).",
    required=("team_id", "name", "destination", "url_sha256", "events", "active"),
)
WEBHOOK_UPDATE = declare(
    "webhook.update",
    "A team webhook's receiver, events or active flag changed (before and after).",
    required=("changes",),
)
WEBHOOK_DEACTIVATE = declare(
    "webhook.deactivate", "A team webhook was deactivated: nothing more is sent to it.", required=("name",)
)
WEBHOOK_SECRET_ROTATE = declare(
    "webhook.rotate_secret",
    "A team webhook's signing secret was replaced (the new one shown once).",
    required=("name",),
)
WEBHOOK_DELIVERY_REDELIVER = declare(
    "webhook_delivery.redeliver",
    "A failed webhook delivery was queued again by a person.",
    required=("delivery_id", "event", "attempt"),
)
WEBHOOK_DELIVERY_FAIL = declare(
    "webhook_delivery.fail",
    "A webhook delivery failed for good (attempts exhausted, or the webhook was deactivated).",
    required=("delivery_id", "event", "attempts", "last_status_code", "error"),
)
