"""Outbound team webhooks for approval events, signed like MLflow's, delivered by jobs with retries.

A team configures webhooks (URL, events among ``approval.submitted``, ``approval.decided``,
``approval.expired``, ``approval.stale``); each gets a secret shown once. Every event is POSTed as
``{"id": <delivery id>, "event": ..., "created_at": ..., "data": {...}}`` with these headers:

* ``X-Governance-Delivery-Id``: the delivery's UUID, the same on every retry of it;
* ``X-Governance-Timestamp``: Unix seconds when this attempt was signed;
* ``X-Governance-Signature``: ``v1,`` + base64 of HMAC-SHA256 keyed with the secret (its UTF-8 text)
  over ``"<delivery id>.<timestamp>.<body>"``, the body being the raw bytes received;
* ``X-Governance-Event``, ``Content-Type: application/json``, ``User-Agent: ModelOps-Governance-Webhooks/1``.

How a receiver verifies (README "Webhooks" has the code):

1. Recompute the HMAC over the delivery id, the timestamp and the raw body as received (before any
   JSON parsing: re-serialised JSON is not the same bytes), with the secret.
2. Compare with the ``v1,`` value in constant time (``hmac.compare_digest``); reject a mismatch.
3. Reject a timestamp older than 5 minutes (or more than 5 minutes ahead): a captured request cannot be
   replayed later, since changing the timestamp breaks the signature.
4. Remember the delivery ids seen for longer than that window and ignore a repeat: retries, and a rare
   duplicate after a worker crash, carry the same delivery id with a fresh timestamp and signature.
5. Answer 2xx promptly. Anything else, a redirect (never followed) or no answer within
   ``WEBHOOK_TIMEOUT_SECONDS`` counts as a failure, retried after ``WEBHOOK_BACKOFF_SECONDS`` x 1, 3,
   9, ... (capped at ``WEBHOOK_BACKOFF_MAX_SECONDS``) up to ``WEBHOOK_MAX_ATTEMPTS`` attempts.
"""
