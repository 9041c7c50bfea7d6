"""Headers, limits and timing of the GitHub deployment protection rule (timing read from settings)."""

from __future__ import annotations

from django.conf import settings

# Delivery headers GitHub sends with every webhook (docs: "Webhook events and payloads", delivery headers),
# as Django's ``request.META`` names them.
EVENT_HEADER = "HTTP_X_GITHUB_EVENT"
DELIVERY_HEADER = "HTTP_X_GITHUB_DELIVERY"
SIGNATURE_HEADER = "HTTP_X_HUB_SIGNATURE_256"
# The resource the webhook belongs to: for a GitHub App's webhook, the App's id.
TARGET_ID_HEADER = "HTTP_X_GITHUB_HOOK_INSTALLATION_TARGET_ID"

EVENT = "deployment_protection_rule"
ACTION = "requested"

# Requests to GitHub's REST API (docs: "Getting started with the REST API").
ACCEPT = "application/vnd.github+json"
API_VERSION_HEADER = "X-GitHub-Api-Version"
API_VERSION = "2022-11-28"
USER_AGENT = "ModelOps-Governance-Deployment-Protection/1"
DEFAULT_API_BASE_URL = "https://api.github.com"

# The App JWT (docs: "Generating a JSON Web Token (JWT) for a GitHub App"): issued 60 s in the past
# against clock drift, valid for at most 10 minutes; 9 keeps a margin.
JWT_BACKDATE_SECONDS = 60
JWT_LIFETIME_SECONDS = 9 * 60

# Earlier gate checks of the same run (repository and commit) considered as its subjects, at most.
MAX_SUBJECTS = 10
EARLIER_CHECKS_SCANNED = 50

# GitHub shows a protection rule's comment as Markdown, up to 1024 characters (status reports' limit).
COMMENT_MAX_CHARS = 1024
# How much of GitHub's answers is read (a token answer is small) and kept (the start of a failure's).
RESPONSE_MAX_BYTES = 64 * 1024
EXCERPT_CHARS = 600
ERROR_MAX_CHARS = 1000
# Due retries handed to the outbox per beat run.
DUE_BATCH = 200


def timeout_seconds() -> float:
    """One exchange with GitHub's API (connect, send, answer) must end within this."""
    return float(settings.GITHUB_API_TIMEOUT_SECONDS)


def max_attempts() -> int:
    """Attempts at answering GitHub (the first included) before the answer fails for good."""
    return int(settings.GITHUB_CALLBACK_MAX_ATTEMPTS)


def backoff_seconds(attempt: int) -> float:
    """Wait after failed attempt ``attempt`` (1-based): base, 3 x base, 9 x base, ... capped."""
    base = float(settings.GITHUB_CALLBACK_BACKOFF_SECONDS)
    return float(min(base * 3 ** max(attempt - 1, 0), float(settings.GITHUB_CALLBACK_BACKOFF_MAX_SECONDS)))


def max_body_bytes() -> int:
    """Webhook bodies larger than this are refused (413) unread."""
    return int(settings.GITHUB_WEBHOOK_MAX_BYTES)


def allow_http() -> bool:
    """A plain-http API base URL is refused unless this is on (tests with a loopback stand-in)."""
    return bool(settings.GITHUB_ALLOW_HTTP)
