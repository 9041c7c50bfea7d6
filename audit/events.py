"""Audit actions the evidence layer itself records."""

from audit.vocabulary import declare

SIGNING_KEY_ROTATE = declare(
    "signing_key.rotate",
    "A new signing key became active; the previous ones were retired (public part kept).",
    required=("key_id", "retired", "reason"),
)
SIGNING_KEY_REVOKE = declare(
    "signing_key.revoke",
    "A signing key was declared compromised: the JWKS marks it revoked and nothing it signed is trusted.",
    required=("key_id", "reason"),
)
