"""The pure half of the evidence layer: no Django, no database.

Merkle proofs, RFC 8785 canonical JSON, C2SP checkpoint notes, offline log verification and the
DSSE/in-toto/Sigstore evidence formats. ``govctl`` imports only this package (plus ``cryptography``),
so an auditor can verify everything the service signed without installing the service.
"""
