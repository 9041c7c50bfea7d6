"""Audit actions the evidence layer itself records."""

from audit.vocabulary import declare

SIGNING_KEY_ROTATE = declare(
    "signing_key.rotate",
    "A new signing key became active; the previous ones were retired (public part kept).",
    required=("key_id", "retired", "reason"),
)
