"""Timing of the job layer, read from settings so deployments and tests can tighten them.

Bound on a dead worker's job: it runs again within lease + sweep interval (+ queue wait) seconds.
"""

from __future__ import annotations

from django.conf import settings


def lease_seconds() -> float:
    """How long a job stays claimed without a heartbeat."""
    return float(settings.JOBS_LEASE_SECONDS)


def heartbeat_seconds() -> float:
    return float(settings.JOBS_HEARTBEAT_SECONDS)


def ack_timeout_seconds() -> float:
    """A sent message no worker has taken after this long is sent again (lost by the broker)."""
    return float(settings.JOBS_ACK_TIMEOUT_SECONDS)


def send_grace_seconds() -> float:
    """An unsent message younger than this is left to the after-commit dispatcher."""
    return float(settings.JOBS_SEND_GRACE_SECONDS)


def max_attempts() -> int:
    """Runs that died (lease expired) or raised before the job is failed for good."""
    return int(settings.JOBS_MAX_ATTEMPTS)


def stale_seconds() -> float:
    """An open job not running under a live lease for this long makes ``/-/ready`` degraded."""
    return float(settings.JOBS_STALE_SECONDS)
