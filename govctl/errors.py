"""Exit codes and the exceptions that carry them from a subcommand to ``main``.

Kept apart from the commands so that every subcommand (``verify``, ``gate``, ``deploy``) reports
failures the same way: a one-line message and a documented exit status. A CI job branches on these
numbers, so they never change meaning.
"""

from __future__ import annotations

from typing import Final

EXIT_OK: Final = 0
EXIT_FAILED: Final = 1
"""The answer is no: the evidence does not verify (bad signature, digest mismatch, tampered log...),
the deploy gate said ``fail``, or the server refused to record a deployment."""
EXIT_USAGE: Final = 2
"""The command could not run: bad arguments, unreadable file, network/HTTP error (after retries),
authentication refused, unusable JWKS."""
EXIT_NOT_FOUND: Final = 3
"""The server does not know the model or version asked about (HTTP 404): a typo in the pipeline,
not a verdict, so CI can tell it apart from a gate that said no."""


class CliError(Exception):
    """A failure to report as one line and turn into an exit status."""

    exit_code: int = EXIT_USAGE


class InputError(CliError):
    """Inputs could not be obtained or the trust anchor is unusable (exit 2)."""

    exit_code = EXIT_USAGE


class VerificationFailed(CliError):
    """The inputs were read and the evidence is not valid (exit 1)."""

    exit_code = EXIT_FAILED
