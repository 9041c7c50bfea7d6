"""Failed API key attempts are counted per client address and per key prefix; past the limit, 429.

A key is 256 random bits, so guessing is hopeless; the throttle bounds the cost of someone trying (each
attempt is a database lookup) and makes a leaked-prefix probe visible. Counters live in the configured
cache (``CACHES``; per process with the default local-memory cache, shared with Redis or Memcached), in
fixed windows of ``API_KEY_FAILURE_WINDOW_SECONDS``.
"""

from __future__ import annotations

from django.conf import settings
from django.core.cache import cache
from rest_framework import exceptions

CACHE_PREFIX = "api-key-failures"


def _counters(address: str, prefix: str | None) -> list[tuple[str, int]]:
    counters = [(f"{CACHE_PREFIX}:addr:{address}", int(settings.API_KEY_FAILURES_PER_ADDRESS))]
    if prefix:
        counters.append((f"{CACHE_PREFIX}:key:{prefix[:32]}", int(settings.API_KEY_FAILURES_PER_KEY)))
    return counters


def api_key_throttle_check(*, address: str, prefix: str | None) -> None:
    """Refuse (429 with Retry-After) a client address or key prefix past its failure limit."""
    for name, limit in _counters(address, prefix):
        if int(cache.get(name, 0)) >= limit:
            raise exceptions.Throttled(
                wait=float(settings.API_KEY_FAILURE_WINDOW_SECONDS),
                detail="Too many failed API key attempts; retry later.",
            )


def api_key_failure_record(*, address: str, prefix: str | None) -> None:
    """Count one failed attempt against the address and the key prefix it named."""
    window = int(settings.API_KEY_FAILURE_WINDOW_SECONDS)
    for name, _limit in _counters(address, prefix):
        cache.add(name, 0, timeout=window)
        try:
            cache.incr(name)
        except ValueError:  # expired between add and incr
            cache.set(name, 1, timeout=window)
