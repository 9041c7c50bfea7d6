"""``govctl verify bundle`` and ``govctl verify log``: offline checks of the service's evidence.

Both trust only the JWKS the auditor supplies (``--keys``, a file or URL): the bundle signature,
its key id and the subject digests are checked by :func:`audit.pure.evidence.bundle_verify.verify_bundle`; the
log is re-hashed and compared with every signed C2SP checkpoint by
:func:`audit.pure.log_verify.verify_log`.
"""

from __future__ import annotations

import argparse
import base64
import http.client
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from audit.pure.checkpoint_note import CheckpointError, note_keys_from_jwks
from audit.pure.evidence.errors import EvidenceError
from audit.pure.log_verify import (
    LogProblem,
    LogVerification,
    parse_checkpoint_list,
    read_events_jsonl,
    verify_log,
)

from .errors import EXIT_FAILED, EXIT_OK, InputError, VerificationFailed
from .evidence import load_verify_bundle
from .output import OUTPUT_FORMATS, print_error, print_json, print_lines
from .sources import DEFAULT_TIMEOUT, is_url, load_jwks, open_binary, read_document

if TYPE_CHECKING:
    from audit.pure.evidence.bundle_verify import VerifiedAttestation

EXPORT_PATH: Final = "/api/v1/audit/export"
CHECKPOINTS_EXPORT_PATH: Final = "/api/v1/audit/checkpoints/export"
JWKS_PATH: Final = "/.well-known/jwks.json"
TOKEN_ENV: Final = "GOVCTL_TOKEN"  # noqa: S105 - the name of the variable, not a secret

_NDJSON_ACCEPT: Final = "application/x-ndjson, application/json;q=0.9, */*;q=0.1"


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``verify`` and its subcommands to the top-level parser."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--output", "-o", choices=OUTPUT_FORMATS, default="text", help="text for people, json for scripts"
    )
    common.add_argument(
        "--timeout", type=float, default=DEFAULT_TIMEOUT, metavar="SECONDS", help="network timeout"
    )
    keys_help = "trusted JWKS (current and retired public keys): a file path or an http(s) URL"

    verify = subparsers.add_parser("verify", help="verify signed evidence offline")
    targets = verify.add_subparsers(dest="target", metavar="TARGET", required=True)

    bundle = targets.add_parser(
        "bundle",
        parents=[common],
        help="check a signed attestation bundle (and optionally the artifact it covers)",
        description="Verify a Sigstore bundle v0.3 (DSSE + in-toto) against a JWKS, offline.",
    )
    bundle.add_argument("file", metavar="FILE", help="bundle JSON file, or - for standard input")
    bundle.add_argument("--artifact", metavar="PATH", help="file or model directory the bundle attests")
    bundle.add_argument("--keys", required=True, metavar="JWKS_FILE_OR_URL", help=keys_help)
    bundle.set_defaults(handler=run_verify_bundle)

    log = targets.add_parser(
        "log",
        parents=[common],
        help="re-verify the whole audit log against its signed checkpoints",
        description=(
            "Recompute every leaf hash and the RFC 6962 root at each signed C2SP checkpoint; report the "
            "first bad sequence number. Inputs come from files or, with --url, from a running server."
        ),
    )
    log.add_argument(
        "--events", metavar="EVENTS_JSONL", help="JSON lines {seq, canonical, leaf_hash}; - for stdin"
    )
    log.add_argument(
        "--checkpoints", metavar="CHECKPOINTS_JSON", help="JSON array of signed checkpoint notes"
    )
    log.add_argument(
        "--keys", metavar="JWKS_FILE_OR_URL", help=keys_help + " (default with --url: the server's)"
    )
    log.add_argument("--origin", required=True, help="the log origin the checkpoints must name")
    log.add_argument("--url", metavar="BASE_URL", help="fetch events, checkpoints and keys from this server")
    log.add_argument("--token", help=f"API key for --url (default: ${TOKEN_ENV})")
    log.add_argument(
        "--no-canonical-check",
        action="store_true",
        help="skip the RFC 8785 canonical-form check of each event (hashes and roots are still checked)",
    )
    log.add_argument(
        "--structure-only",
        action="store_true",
        help="check positions, leaf hashes, the tree and every checkpoint, without decoding each event "
        "(ids, canonical form, columns): what proves nothing changed since signing, at hashing speed",
    )
    log.set_defaults(handler=run_verify_log)


# --- verify bundle --------------------------------------------------------------------------------


def _bundle_summary(verified: VerifiedAttestation, artifact: Path | None) -> dict[str, Any]:
    matched = verified.matched_subject
    manifest = verified.model_manifest
    return {
        "ok": True,
        "predicate_type": verified.predicate_type,
        "subjects": [{"name": s.name, "digest": dict(s.digest)} for s in verified.subjects],
        "key_id": verified.key_id,
        "key_status": verified.key_status,
        "key_retired_at": verified.key_retired_at.isoformat() if verified.key_retired_at else None,
        "audit_entry": verified.audit_entry,
        "audit_sequence": verified.audit_sequence,
        "artifact": str(artifact) if artifact is not None else None,
        "artifact_verified": verified.artifact_verified,
        "matched_subject": matched.name if matched is not None else None,
        "model_files": len(manifest.resources) if manifest is not None else None,
    }


def _audit_entry_line(summary: dict[str, Any]) -> str:
    """The audit entry the statement names: its id, or (statements signed before ids) its sequence."""
    if summary["audit_entry"]:
        return f"  audit entry:    {summary['audit_entry']}"
    sequence = summary["audit_sequence"]
    return f"  audit sequence: {sequence if sequence is not None else '-'}"


def _bundle_text(summary: dict[str, Any]) -> list[str]:
    status = summary["key_status"]
    if summary["key_retired_at"]:
        status += f" since {summary['key_retired_at']}"
    lines = [
        "OK: bundle verified",
        f"  predicate type: {summary['predicate_type']}",
        *(f"  subject:        {s['name']} sha256:{s['digest']['sha256']}" for s in summary["subjects"]),
        f"  signing key:    {summary['key_id']} ({status})",
        _audit_entry_line(summary),
    ]
    if summary["artifact_verified"]:
        files = f", {summary['model_files']} file(s)" if summary["model_files"] is not None else ""
        lines.append(f"  artifact:       {summary['artifact']} matches {summary['matched_subject']}{files}")
    else:
        lines.append("  artifact:       not checked (pass --artifact PATH)")
    return lines


def run_verify_bundle(args: argparse.Namespace) -> int:
    """Exit 0 if the bundle verifies (and the artifact matches), else raise with the reason."""
    jwks = load_jwks(args.keys, timeout=args.timeout)
    artifact = Path(args.artifact) if args.artifact else None
    if artifact is not None and not os.path.lexists(artifact):
        raise InputError(f"artifact {artifact} does not exist")
    data = read_document(args.file, what="bundle", timeout=args.timeout)
    verify_bundle = load_verify_bundle()
    try:
        verified = verify_bundle(data, jwks, artifact)
    except EvidenceError as exc:
        raise VerificationFailed(str(exc)) from exc
    summary = _bundle_summary(verified, artifact)
    if args.output == "json":
        print_json(summary)
    else:
        print_lines(_bundle_text(summary))
    return EXIT_OK


# --- verify log -----------------------------------------------------------------------------------


def _log_sources(args: argparse.Namespace) -> tuple[str, str, str, str | None]:
    """(events, checkpoints, keys, token) sources from ``--url`` or the explicit file options."""
    token = args.token or os.environ.get(TOKEN_ENV) or None
    if args.url:
        if not is_url(args.url):
            raise InputError(f"--url must be an http(s) URL, got {args.url}")
        if args.events or args.checkpoints:
            raise InputError("--url fetches events and checkpoints itself; drop --events/--checkpoints")
        base = args.url.rstrip("/")
        return base + EXPORT_PATH, base + CHECKPOINTS_EXPORT_PATH, args.keys or base + JWKS_PATH, token
    missing = [name for name in ("events", "checkpoints", "keys") if not getattr(args, name)]
    if missing:
        options = ", ".join(f"--{name}" for name in missing)
        raise InputError(f"{options} required (or use --url BASE_URL)")
    return args.events, args.checkpoints, args.keys, token


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _log_document(result: LogVerification) -> dict[str, Any]:
    return {
        "ok": result.ok,
        "origin": result.origin,
        "size": result.size,
        "root": _b64(result.root),
        "root_hex": result.root.hex(),
        "verified_size": result.verified_size,
        "checked_checkpoints": list(result.checked_checkpoints),
        "first_bad_seq": result.first_bad_seq,
        "reason": result.reason,
        "problem_count": result.problem_count,
        "first_bad_range": _range(result.first_problem),
        "problems": [
            {"seq": p.seq, "last_seq": p.last_seq, "where": p.where, "kind": p.kind, "reason": p.reason}
            for p in result.problems
        ],
    }


def _range(problem: LogProblem | None) -> list[int] | None:
    if problem is None or problem.seq is None:
        return None
    return [problem.seq, problem.last_seq if problem.last_seq is not None else problem.seq]


def _log_failure_line(result: LogVerification) -> str:
    head = result.headline or "unknown problem"
    if result.problem_count > 1:
        head += f" (+{result.problem_count - 1} more problem(s); --output json lists them)"
    return head


def _log_text(result: LogVerification) -> list[str]:
    checked = result.checked_checkpoints
    latest = f" (latest at size {checked[-1]})" if checked else ""
    return [
        f"OK: audit log {result.origin} verified",
        f"  events:      {result.size}",
        f"  root:        {_b64(result.root)}",
        f"  checkpoints: {len(checked)} signed checkpoint(s) match{latest}",
        f"  unsigned:    {result.size - result.verified_size} event(s) after the latest checkpoint",
    ]


def run_verify_log(args: argparse.Namespace) -> int:
    """Exit 0 if every event and checkpoint verifies; 1 with the first bad sequence number if not."""
    events_source, checkpoints_source, keys_source, token = _log_sources(args)
    jwks = load_jwks(keys_source, timeout=args.timeout)
    if args.url and not args.keys and args.output == "text":
        print_error(
            "note", f"trusting keys served by {keys_source}; pin them with --keys for an independent check"
        )
    try:
        keys = note_keys_from_jwks(jwks, args.origin)
    except CheckpointError as exc:
        raise InputError(f"--origin {args.origin!r} cannot name the JWKS keys: {exc}") from exc
    raw_checkpoints = read_document(checkpoints_source, what="checkpoints", token=token, timeout=args.timeout)
    try:
        notes = parse_checkpoint_list(raw_checkpoints)
    except CheckpointError as exc:
        raise VerificationFailed(f"{checkpoints_source}: {exc}") from exc
    try:
        with open_binary(events_source, token=token, accept=_NDJSON_ACCEPT, timeout=args.timeout) as stream:
            result = verify_log(
                read_events_jsonl(stream),
                notes,
                keys,
                args.origin,
                check_canonical=not args.no_canonical_check,
                check_content=not args.structure_only,
            )
    except (OSError, http.client.HTTPException) as exc:
        raise InputError(f"reading events from {events_source} failed: {exc}") from exc
    if args.output == "json":
        print_json(_log_document(result))
    elif result.ok:
        print_lines(_log_text(result))
    else:
        print_error("verification failed", _log_failure_line(result))
    return EXIT_OK if result.ok else EXIT_FAILED
