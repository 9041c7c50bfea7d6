"""Lazy access to :func:`audit.pure.evidence.bundle_verify.verify_bundle`.

Imported only when ``verify bundle`` runs, so ``import govctl`` stays standard library plus
``cryptography``. Verification never serialises RFC 8785 JSON (the DSSE payload is verified as
opaque bytes), and ``audit.pure.canonical`` imports ``rfc8785`` only when signing, so the verifier works
without that package installed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from audit.pure.evidence.bundle_verify import VerifiedAttestation


def load_verify_bundle() -> Callable[[bytes, Mapping[str, Any], Path | None], VerifiedAttestation]:
    from audit.pure.evidence.bundle_verify import verify_bundle

    return verify_bundle
