"""Exit codes and the exceptions that carry them from a subcommand to ``main``.

Kept apart from the commands so that every subcommand (``verify`` now, ``gate`` later) reports
failures the same way: a one-line message and a documented exit status.
"""

from __future__ import annotations

from typing import Final

EXIT_OK: Final = 0
EXIT_FAILED: Final = 1
"""The evidence was read and does not verify (bad signature, digest mismatch, tampered log...)."""
EXIT_USAGE: Final = 2
"""The command could not run: bad arguments, unreadable file, network/HTTP error, unusable JWKS."""


class CliError(Exception):
    """A failure to report as one line and turn into an exit status."""

    exit_code: int = EXIT_USAGE


class InputError(CliError):
    """Inputs could not be obtained or the trust anchor is unusable (exit 2)."""

    exit_code = EXIT_USAGE


class VerificationFailed(CliError):
    """The inputs were read and the evidence is not valid (exit 1)."""

    exit_code = EXIT_FAILED
