"""``govctl deploy record``: tell the service what was deployed, under which passing gate decision.

Run by the CI job right after its deploy step (and with ``--status undeployed`` when rolling back),
so the inventory knows what runs where. The server refuses a record no passing decision covers
(``no_passing_decision``): that refusal is an answer, exit 1 with the server's message. Exit 0
recorded, 2 usage/network/authentication error, 3 unknown model, version or decision.
"""

from __future__ import annotations

import argparse
import os
from typing import Any, Final

from . import ci
from .api import ApiError, add_client_options, client_from_args, problem_error
from .errors import EXIT_FAILED, EXIT_NOT_FOUND, EXIT_OK, CliError, InputError
from .gate import add_subject_options, parse_digest, subject_from_args
from .output import print_error, print_json, print_lines

DEPLOYMENTS_PATH: Final = "/api/v1/deployments"
STATUSES: Final = ("deployed", "undeployed")
REFUSED: Final = frozenset({409, 422})


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``deploy record`` to the top-level parser."""
    deploy = subparsers.add_parser("deploy", help="record deployments (from CI)")
    actions = deploy.add_subparsers(dest="action", metavar="ACTION", required=True)
    record = actions.add_parser(
        "record",
        help="record that an artifact was deployed to (or removed from) an environment",
        description=(
            "POST a deployment record under a passing gate decision. Reads GOVERNANCE_URL and "
            "GOVERNANCE_API_KEY. Exit status: 0 recorded, 1 refused by the server (e.g. no passing "
            "decision), 2 usage/network/authentication error, 3 unknown model, version or decision."
        ),
    )
    add_subject_options(record)
    record.add_argument(
        "--decision-id", required=True, metavar="UUID", help="the passing decision of `gate check`"
    )
    record.add_argument("--status", choices=STATUSES, default="deployed", help="default deployed")
    record.add_argument("--output", "-o", choices=("text", "json"), default="text")
    record.add_argument(
        "--idempotency-key", metavar="KEY", help="default: derived from the CI run, else random"
    )
    add_client_options(record)
    record.set_defaults(handler=run_deploy_record)


def _record_line(document: dict[str, Any], status: str) -> str:
    where = "to" if status == "deployed" else "from"
    recorded = document.get("recorded_at") or "-"
    return (
        f"RECORDED: {document.get('model')} {document.get('version')} {status} {where} "
        f"{document.get('environment')} (deployment {document.get('id')}, "
        f"decision {document.get('decision_id')}, at {recorded})"
    )


def _record(args: argparse.Namespace) -> dict[str, Any]:
    request = subject_from_args(args)
    digest = parse_digest(request.artifact_digest)
    decision_id = args.decision_id.strip()
    if not decision_id:
        raise InputError("--decision-id must not be empty")
    client = client_from_args(args, os.environ)
    key = args.idempotency_key or ci.idempotency_key(
        ci.detect(os.environ),
        "deploy-record",
        request.model,
        request.version,
        request.environment,
        digest,
        decision_id,
        args.status,
    )
    body = {
        "model": request.model,
        "version": request.version,
        "environment": request.environment,
        "artifact_digest": digest,
        "decision_id": decision_id,
        "status": args.status,
    }
    response = client.call("POST", DEPLOYMENTS_PATH, body, {"Idempotency-Key": key})
    if response.status not in (200, 201):
        raise problem_error(response, "deploy record", refused=REFUSED)
    if not isinstance(response.document, dict):
        raise ApiError(f"HTTP {response.status} without a deployment record")
    return response.document


def run_deploy_record(args: argparse.Namespace) -> int:
    """Exit 0 once recorded; 1 if the server refused the record; 2 or 3 as for ``gate check``."""
    try:
        document = _record(args)
    except CliError as exc:
        if args.output == "json":
            problem = exc.problem.as_dict() if isinstance(exc, ApiError) and exc.problem else None
            print_json({"error": str(exc), "problem": problem, "exit_code": exc.exit_code})
        elif exc.exit_code == EXIT_FAILED:
            print_error("govctl: deploy record refused", str(exc))
        elif exc.exit_code == EXIT_NOT_FOUND:
            print_error("govctl: not found", str(exc))
        else:
            print_error("govctl: error", str(exc))
        return exc.exit_code
    if args.output == "json":
        print_json({**document, "exit_code": EXIT_OK})
    else:
        print_lines([_record_line(document, str(document.get("status") or args.status))])
    return EXIT_OK
