"""Exception types of the evidence package.

All of them subclass :class:`ValueError` so callers that only care about "this input is bad" can
catch one type, while the CLI can tell a forged bundle (:class:`VerificationError`) from a
mistyped passphrase (:class:`WrongPassphraseError`).
"""

from __future__ import annotations


class EvidenceError(ValueError):
    """Base class: the input could not be turned into trustworthy evidence."""


class KeyFormatError(EvidenceError):
    """A key, PEM document, JWK or JWKS is malformed or of an unsupported kind."""


class WrongPassphraseError(KeyFormatError):
    """An encrypted PKCS#8 private key could not be decrypted with the given passphrase."""


class VerificationError(EvidenceError):
    """A signature, envelope, statement, bundle or artifact failed verification.

    Raised for every failure mode (malformed input, unknown key, bad signature, digest mismatch)
    so that no caller can mistake a failed check for a pass.
    """
