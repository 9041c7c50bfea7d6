"""govctl: command-line client of the governance service, usable offline by auditors and from CI.

``govctl verify bundle`` checks a signed attestation and ``govctl verify log`` re-verifies the
whole audit log against its signed checkpoints, both without trusting the server (DESIGN.md, CLI).
``govctl gate check`` asks the deploy gate from a CI job and reports the verdict as text, JSON,
GitHub annotations, JUnit or SARIF; ``govctl deploy record`` records the rollout it allowed.
The package imports only the standard library, ``cryptography`` and the pure ``audit`` modules,
so it runs from a plain ``pip install`` without Django or a database.

Exit codes (shared by every subcommand): 0 success, 1 verification failed / gate said fail /
deployment refused, 2 usage, input, network or authentication error, 3 unknown model or version.
"""
