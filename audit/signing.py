"""Signing keys: the active key signs, retired keys stay published (JWKS) so old evidence verifies.

Private keys are stored as encrypted PKCS#8 (passphrase from ``SIGNING_KEY_PASSPHRASE``) and are
wiped when a key is retired: a retired key can still be verified but can never sign again.
"""

from __future__ import annotations

import threading
from typing import Any, cast

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from audit.actor import Actor, SystemActor
from audit.events import SIGNING_KEY_REVOKE, SIGNING_KEY_ROTATE
from audit.models import SigningKey
from audit.pure.evidence.keys import (
    KeyStatus,
    LocalP256Signer,
    Signer,
    jwk_from_public_key,
    jwks_document,
    load_public_key_pem,
    public_key_pem,
)
from audit.services import audit_append

_cache_lock = threading.Lock()
_signer_cache: dict[str, LocalP256Signer] = {}


def current_signer() -> Signer:
    """The signer configured by ``AUDIT_SIGNER`` (the database key by default)."""
    factory = import_string(settings.AUDIT_SIGNER)
    signer: Signer = factory()
    return signer


def database_signer() -> LocalP256Signer:
    """The active database key, decrypted once per process; created on first use if none exists."""
    key = SigningKey.objects.filter(status=SigningKey.Status.ACTIVE).first()
    if key is None:
        key = signing_key_rotate(
            actor=SystemActor("system:auto-keygen", "first signature"), reason="first use"
        )
    with _cache_lock:
        signer = _signer_cache.get(key.key_id)
        if signer is None:
            signer = LocalP256Signer.from_encrypted_pem(
                key.private_key_pem.encode(), settings.SIGNING_KEY_PASSPHRASE
            )
            _signer_cache.clear()
            _signer_cache[key.key_id] = signer
    return signer


@transaction.atomic
def signing_key_rotate(*, actor: Actor, reason: str = "") -> SigningKey:
    """Make a new active key and retire the current one (its private part is wiped)."""
    now = timezone.now()
    retired = []
    for old in SigningKey.objects.select_for_update().filter(status=SigningKey.Status.ACTIVE):
        old.status = SigningKey.Status.RETIRED
        old.retired_at = now
        old.private_key_pem = ""
        old.save(update_fields=["status", "retired_at", "private_key_pem"])
        retired.append(old.key_id)
    signer = LocalP256Signer.generate()
    key = SigningKey(
        key_id=signer.key_id,
        public_key_pem=public_key_pem(signer.public_key()).decode(),
        private_key_pem=signer.encrypted_pem(settings.SIGNING_KEY_PASSPHRASE).decode(),
        created_at=now,
    )
    try:
        with transaction.atomic():
            key.save(force_insert=True)
    except IntegrityError:  # another process rotated at the same moment; use its key
        return SigningKey.objects.get(status=SigningKey.Status.ACTIVE)
    audit_append(
        actor=actor,
        action=SIGNING_KEY_ROTATE,
        target=key,
        payload={"key_id": key.key_id, "retired": retired, "reason": reason},
    )
    return key


@transaction.atomic
def signing_key_revoke(*, actor: Actor, key_id: str, reason: str) -> SigningKey:
    """Declare a key compromised: it stops signing and verifiers (the JWKS, the gate) refuse its work.

    Revoking the active key rotates first, so the service keeps signing with a fresh key.
    """
    if not reason.strip():
        raise ValueError("revoking a key needs a reason")
    key = SigningKey.objects.select_for_update().get(key_id=key_id)
    if key.status == SigningKey.Status.ACTIVE:
        signing_key_rotate(actor=actor, reason=f"rotated to revoke {key_id}: {reason}")
        key.refresh_from_db()
    if key.status != SigningKey.Status.REVOKED:
        key.status = SigningKey.Status.REVOKED
        key.retired_at = key.retired_at or timezone.now()
        key.private_key_pem = ""
        key.save(update_fields=["status", "retired_at", "private_key_pem"])
        _signer_cache.clear()
        audit_append(
            actor=actor,
            action=SIGNING_KEY_REVOKE,
            target=key,
            payload={"key_id": key.key_id, "reason": reason},
        )
    return key


def jwks() -> dict[str, Any]:
    """Current and retired public keys (RFC 7517), what ``/.well-known/jwks.json`` serves."""
    entries = []
    for key in SigningKey.objects.order_by("created_at"):
        public = load_public_key_pem(key.public_key_pem.encode())
        status = cast(KeyStatus, key.status)  # the model's statuses are the JWKS's three names
        entries.append(
            jwk_from_public_key(public, status=status, created_at=key.created_at, retired_at=key.retired_at)
        )
    return jwks_document(entries)
