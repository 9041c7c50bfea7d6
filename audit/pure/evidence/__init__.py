"""Signed evidence: keys, DSSE envelopes, in-toto statements and Sigstore bundles.

Every attestation this service emits is an in-toto Statement v1 inside a DSSE v1 envelope inside a
Sigstore bundle v0.3, signed with ECDSA P-256/SHA-256. The layering is the one Sigstore tooling
(and ``model_signing`` in particular) already understands, so auditors can check our evidence with
off-the-shelf tools instead of trusting ours.

The package is deliberately pure (standard library + ``cryptography`` + ``rfc8785``): the
standalone ``govctl verify bundle`` command imports :mod:`audit.pure.evidence.bundle_verify` without Django.

Modules:

* :mod:`~audit.pure.evidence.keys` - key generation, key ids, encrypted PKCS#8, JWK/JWKS, ``Signer``.
* :mod:`~audit.pure.evidence.dsse` - DSSE v1 pre-authentication encoding, sign and verify.
* :mod:`~audit.pure.evidence.intoto` - in-toto Statement v1 construction and validation.
* :mod:`~audit.pure.evidence.bundle` - Sigstore bundle v0.3 wrapping and unwrapping.
* :mod:`~audit.pure.evidence.model_artifact` - ``model_signing`` v1.0 manifests of model files.
* :mod:`~audit.pure.evidence.bundle_verify` - the one-call verification used by the CLI and the service.
"""
