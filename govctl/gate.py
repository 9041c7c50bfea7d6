"""``govctl gate check``: ask the deploy gate whether an artifact may go to an environment, from CI.

Exit status: 0 pass, 1 fail, 2 usage, network or authentication error (after retries), 3 unknown
model or version. The verdict is printed in the format CI reads best (``--output``): text, JSON,
GitHub annotations with a job summary, JUnit XML or SARIF; without a verdict the same format says
why, so a report file exists whatever happened.

Only the standard library is used, with the API key from ``$GOVERNANCE_API_KEY``: a CI job runs
``pip install`` of this package or ``python -m govctl`` without Django.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import urllib.parse
from pathlib import Path
from typing import Any, Final

from . import ci, github, reports
from .api import (
    ApiClient,
    ApiError,
    add_client_options,
    client_from_args,
    problem_error,
)
from .errors import EXIT_NOT_FOUND, EXIT_USAGE, CliError, InputError
from .output import clean, print_error, print_lines
from .verdict import DIGEST, Decision, Failure, GateRequest, Outcome, parse_decision

CHECKS_PATH: Final = "/api/v1/gate/checks"
DECISION_PATH: Final = "/api/v1/gate/decisions/{id}"
GATE_OUTPUTS: Final = ("text", "json", "github", "junit", "sarif")
FILE_OUTPUTS: Final = ("json", "junit", "sarif")


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``gate check`` to the top-level parser."""
    gate = subparsers.add_parser("gate", help="ask the deploy gate (from CI)")
    actions = gate.add_subparsers(dest="action", metavar="ACTION", required=True)
    check = actions.add_parser(
        "check",
        help="may this artifact of this model version deploy to this environment?",
        description=(
            "POST a gate check and report the verdict. Reads GOVERNANCE_URL and GOVERNANCE_API_KEY. "
            "Exit status: 0 pass, 1 fail, 2 usage/network/authentication error, 3 unknown model or version."
        ),
    )
    add_subject_options(check)
    check.add_argument(
        "--output", "-o", choices=GATE_OUTPUTS, default="text", help="report format (default text)"
    )
    check.add_argument(
        "--report-file", metavar="PATH", help="write the json, junit or sarif report here instead of stdout"
    )
    check.add_argument(
        "--save-bundle", metavar="PATH", help="also fetch the decision's signed attestation bundle to PATH"
    )
    check.add_argument(
        "--outputs-file",
        metavar="PATH",
        help="append decision=, decision_id=, audit_entry=, attestation_url= lines for later steps "
        "(the format of $GITHUB_OUTPUT, the default with --output github, and of GitLab's dotenv report)",
    )
    check.add_argument(
        "--idempotency-key",
        metavar="KEY",
        help="the same key gets the same decision (default: derived from the CI run, else random)",
    )
    ci_group = check.add_argument_group("CI context (default: read from GitHub Actions or GitLab CI)")
    ci_group.add_argument("--ci-provider", choices=ci.PROVIDERS)
    ci_group.add_argument("--ci-repository", metavar="OWNER/NAME")
    ci_group.add_argument("--ci-commit", metavar="SHA")
    ci_group.add_argument("--ci-run-url", metavar="URL")
    ci_group.add_argument("--ci-actor", metavar="LOGIN")
    add_client_options(check)
    check.set_defaults(handler=run_gate_check)


def add_subject_options(parser: argparse.ArgumentParser) -> None:
    """``--model --version --env --digest``: what is about to be deployed, and where."""
    parser.add_argument("--model", required=True, help="model name, e.g. credit-scoring")
    parser.add_argument("--version", required=True, help="model version, e.g. 1.0.0")
    parser.add_argument("--env", required=True, metavar="ENVIRONMENT", help="target environment, e.g. prod")
    parser.add_argument(
        "--digest", required=True, metavar="sha256:HEX", help="digest of the artifact about to be deployed"
    )


def parse_digest(text: str) -> str:
    """``sha256:`` and 64 hex digits (upper case accepted, sent lower case)."""
    algorithm, _, hex_digits = text.strip().partition(":")
    digest = f"{algorithm.lower()}:{hex_digits.lower()}"
    if not DIGEST.fullmatch(digest):
        raise InputError(f"--digest must be sha256: followed by 64 hex digits, got {clean(text)!r}")
    return digest


def subject_from_args(args: argparse.Namespace) -> GateRequest:
    for name in ("model", "version", "env"):
        if not getattr(args, name).strip():
            raise InputError(f"--{name} must not be empty")
    return GateRequest(
        model=args.model, version=args.version, environment=args.env, artifact_digest=args.digest
    )


def _ci_context(args: argparse.Namespace) -> ci.CiContext:
    return ci.with_overrides(
        ci.detect(os.environ),
        provider=args.ci_provider,
        repository=args.ci_repository,
        commit=args.ci_commit,
        run_url=args.ci_run_url,
        actor=args.ci_actor,
    )


def _ask(args: argparse.Namespace, request: GateRequest) -> tuple[Decision, ApiClient]:
    if args.report_file and args.output not in FILE_OUTPUTS:
        raise InputError("--report-file goes with --output json, junit or sarif")
    client = client_from_args(args, os.environ)
    context = _ci_context(args)
    key = args.idempotency_key or ci.idempotency_key(
        context, "gate-check", request.model, request.version, request.environment, request.artifact_digest
    )
    body = {
        "model": request.model,
        "version": request.version,
        "environment": request.environment,
        "artifact_digest": request.artifact_digest,
        "ci": context.as_body(),
    }
    response = client.call("POST", CHECKS_PATH, body, {"Idempotency-Key": key})
    if response.status not in (200, 201):
        raise problem_error(response, "gate check")
    return parse_decision(response.document, client.base), client


def run_gate_check(args: argparse.Namespace) -> int:
    """Ask once (retrying only what got no answer), report in the chosen format, exit by the verdict."""
    started = time.monotonic()
    request = GateRequest(args.model, args.version, args.env, args.digest)
    client: ApiClient | None = None
    outcome: Outcome
    try:
        request = subject_from_args(args)
        request = GateRequest(
            request.model, request.version, request.environment, parse_digest(request.artifact_digest)
        )
        outcome, client = _ask(args, request)
    except CliError as exc:
        problem = exc.problem.as_dict() if isinstance(exc, ApiError) and exc.problem else None
        outcome = Failure(message=str(exc), exit_code=exc.exit_code, problem=problem)
    exit_code = reports.exit_code_for(outcome)
    try:
        emit(args, request, outcome, exit_code, time.monotonic() - started)
        if isinstance(outcome, Decision):
            outputs = args.outputs_file or (
                os.environ.get(github.OUTPUT_ENV) if args.output == "github" else None
            )
            if outputs:
                write_outputs(Path(outputs), outcome)
            if client is not None and args.save_bundle:
                save_bundle(client, outcome, Path(args.save_bundle))
    except CliError as exc:
        print_error("govctl: error", str(exc))
        return EXIT_USAGE
    return exit_code


def emit(
    args: argparse.Namespace, request: GateRequest, outcome: Outcome, exit_code: int, elapsed: float
) -> None:
    """Print or write the report; text goes to stdout beside a report file, errors to stderr."""
    fmt = args.output
    if fmt in FILE_OUTPUTS:
        if fmt == "json":
            data = reports.render_json(reports.json_document(request, outcome, exit_code)).encode()
        elif fmt == "junit":
            data = reports.junit_xml(request, outcome, elapsed)
        else:
            data = reports.render_json(reports.sarif_document(request, outcome, exit_code)).encode()
        if args.report_file:
            write_report(Path(args.report_file), data)
            _print_text(request, outcome)
        else:
            sys.stdout.buffer.write(data)
            sys.stdout.flush()
        return
    _print_text(request, outcome)
    if fmt == "github":
        sys.stdout.write("".join(line + "\n" for line in github.workflow_commands(request, outcome)))
        summary = os.environ.get(github.SUMMARY_ENV)
        if summary:
            try:
                github.append_summary(summary, github.summary_markdown(request, outcome))
            except CliError as exc:  # the summary is for people: the verdict still decides the exit
                print_error("govctl: warning", str(exc))


def _print_text(request: GateRequest, outcome: Outcome) -> None:
    if isinstance(outcome, Failure):
        print_error(failure_prefix(outcome.exit_code), outcome.message)
    else:
        print_lines(reports.text_lines(request, outcome))
    sys.stdout.flush()


def failure_prefix(exit_code: int) -> str:
    return "govctl: unknown model or version" if exit_code == EXIT_NOT_FOUND else "govctl: error"


def write_report(path: Path, data: bytes) -> None:
    try:
        path.write_bytes(data)
    except OSError as exc:
        raise InputError(f"cannot write the report {path}: {exc.strerror or exc}") from exc


def write_outputs(path: Path, decision: Decision) -> None:
    """``name=value`` lines for later steps; values are single-line (cleaned), so none can add a name."""
    values = {
        "decision": decision.decision,
        "decision_id": decision.decision_id,
        "audit_entry": decision.audit_entry or "",
        "attestation_url": decision.attestation_url or "",
    }
    try:
        with path.open("a", encoding="utf-8") as handle:
            handle.write("".join(f"{name}={clean(value)}\n" for name, value in values.items()))
    except OSError as exc:
        raise InputError(f"cannot write the outputs file {path}: {exc.strerror or exc}") from exc


def save_bundle(client: ApiClient, decision: Decision, path: Path) -> None:
    """Fetch the decision's signed bundle (``govctl verify bundle`` checks it offline) into ``path``."""
    if not decision.decision_id:
        raise InputError("the gate's answer has no decision_id: no bundle to fetch")
    decision_path = DECISION_PATH.format(id=urllib.parse.quote(decision.decision_id, safe=""))
    response = client.call("GET", decision_path)
    if response.status != 200:
        raise problem_error(response, "fetching the decision bundle")
    document: Any = response.document
    bundle = document.get("bundle") if isinstance(document, dict) else None
    if not isinstance(bundle, dict):
        raise ApiError(f"GET {decision_path}: the decision has no signed bundle")
    write_report(path, (json.dumps(bundle, indent=2, ensure_ascii=True) + "\n").encode())
