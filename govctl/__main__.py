"""Entry point of ``govctl`` (console script) and ``python -m govctl``.

Subcommands live in their own modules, each exposing ``register(subparsers)`` that sets a
``handler(args) -> exit status`` default; adding one (e.g. ``gate``) is a new module plus one
entry in :data:`COMMANDS`. Handlers raise :class:`govctl.errors.CliError` for failures, which
``main`` prints as one line (or a JSON object with ``--output json``).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence
from typing import Final

from govctl import deploy, gate, verify
from govctl.errors import EXIT_FAILED, EXIT_USAGE, CliError
from govctl.output import print_error

Register = Callable[["argparse._SubParsersAction[argparse.ArgumentParser]"], None]

COMMANDS: Final[tuple[Register, ...]] = (verify.register, gate.register, deploy.register)


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser (exposed for tests and documentation)."""
    parser = argparse.ArgumentParser(
        prog="govctl",
        description=(
            "ModelOps governance client: verify signed evidence and the audit log offline; "
            "ask the deploy gate and record deployments from CI."
        ),
        epilog=(
            "Exit status: 0 ok, 1 verification failed / gate said fail / deployment refused, "
            "2 usage, input, network or authentication error, 3 unknown model or version."
        ),
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for register in COMMANDS:
        register(subparsers)
    return parser


def _report(args: argparse.Namespace, error: CliError) -> None:
    if getattr(args, "output", "text") == "json":
        document = {"ok": False, "error": str(error), "exit_code": error.exit_code}
        sys.stdout.write(json.dumps(document, indent=2, ensure_ascii=True) + "\n")
    elif error.exit_code == EXIT_FAILED:
        print_error("verification failed", str(error))
    else:
        print_error("govctl: error", str(error))


def main(argv: Sequence[str] | None = None) -> int:
    """Parse ``argv`` (default ``sys.argv[1:]``), run the subcommand and return its exit status."""
    args = build_parser().parse_args(argv)
    try:
        status: int = args.handler(args)
    except CliError as error:
        _report(args, error)
        return error.exit_code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # e.g. `govctl ... | head`: stop quietly, like other Unix tools
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_USAGE
    return status


if __name__ == "__main__":
    sys.exit(main())
