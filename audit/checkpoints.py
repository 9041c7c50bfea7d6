"""Signing checkpoints of the audit log (beat task and ``manage.py audit_checkpoint``)."""

from __future__ import annotations

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from audit.integrator import audit_integrate
from audit.models import Checkpoint
from audit.pure.checkpoint_note import sign_checkpoint
from audit.selectors import head_root
from audit.signing import current_signer


def checkpoint_sign() -> Checkpoint | None:
    """Sign the current head as a C2SP checkpoint, unless the latest checkpoint already covers it.

    Checkpoints are not audit events themselves (that would move the head they sign); the signed
    note is the evidence. Returns None when there is nothing new to sign.
    """
    current_signer()  # first: creating the first key is itself an audit event, which this signs
    audit_integrate()  # sign what has been accepted so far, not only what a nudge already integrated
    with transaction.atomic():
        signer = current_signer()
        size, root = head_root()
        origin = settings.AUDIT_LOG_ORIGIN
        if size == 0 or Checkpoint.objects.filter(origin=origin, size=size).exists():
            return None
        note = sign_checkpoint(origin, size, root, signer)
        try:
            with transaction.atomic():
                return Checkpoint.objects.create(
                    origin=origin,
                    size=size,
                    root_hash=root.hex(),
                    note=note,
                    key_id=signer.key_id,
                    created_at=timezone.now(),
                )
        except IntegrityError:  # a concurrent run signed the same size
            return None
