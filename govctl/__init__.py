"""govctl: command-line client of the governance service, usable offline by auditors and CI.

``govctl verify bundle`` checks a signed attestation and ``govctl verify log`` re-verifies the
whole audit log against its signed checkpoints, both without trusting the server (DESIGN.md, CLI).
The package imports only the standard library, ``cryptography`` and the pure ``audit`` modules,
so it runs from a plain ``pip install`` without Django, a database or network access.

Exit codes (shared by every subcommand): 0 success, 1 verification failed, 2 usage, input or
network error.
"""
