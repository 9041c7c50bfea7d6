"""``govctl verify log``: the exported audit log against its checkpoints, from files or a server."""

from __future__ import annotations

import base64
import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from audit.pure.canonical import canonical_bytes
from audit.pure.checkpoint_note import sign_checkpoint
from audit.pure.evidence.keys import LocalP256Signer, jwk_from_public_key, jwks_document
from audit.pure.merkle import hash_leaf, root
from tests.govctl.helpers import FileServer, Route, cli_env, run_govctl

ORIGIN = "governance.example/audit"
TOKEN = "mgk_test_token"
T0 = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
SIZE = 300


@pytest.fixture(scope="module")
def signer() -> LocalP256Signer:
    return LocalP256Signer.generate()


@pytest.fixture(scope="module")
def exported(signer: LocalP256Signer) -> dict[str, Any]:
    """The three export documents of a 300-event log with checkpoints every 100 events."""
    lines: list[dict[str, Any]] = []
    leaves: list[bytes] = []
    for seq in range(SIZE):
        canonical = canonical_bytes(
            {
                "seq": seq,
                "time": T0 + dt.timedelta(minutes=seq),
                "actor": {"id": "u1", "label": "auditor"},
                "action": "model_version.register",
                "target": {"type": "model_version", "id": str(seq)},
                "payload": {"accuracy": 0.9 + seq / 10000},
                "request_id": None,
                "source_ip": None,
            }
        )
        leaves.append(hash_leaf(canonical))
        lines.append(
            {"seq": seq, "canonical": base64.b64encode(canonical).decode(), "leaf_hash": leaves[-1].hex()}
        )
    notes = [sign_checkpoint(ORIGIN, size, root(leaves[:size]), signer) for size in (100, 200, 300)]
    jwks = jwks_document([jwk_from_public_key(signer.public_key(), created_at=T0)])
    return {"lines": lines, "notes": notes, "jwks": jwks, "root": root(leaves)}


def write_inputs(
    directory: Path, exported: dict[str, Any], lines: list[dict[str, Any]] | None = None
) -> list[str]:
    events = directory / "events.jsonl"
    events.write_text("".join(json.dumps(line) + "\n" for line in (lines or exported["lines"])))
    checkpoints = directory / "checkpoints.json"
    checkpoints.write_text(json.dumps(exported["notes"]))
    jwks = directory / "jwks.json"
    jwks.write_text(json.dumps(exported["jwks"]))
    return [
        "--events",
        str(events),
        "--checkpoints",
        str(checkpoints),
        "--keys",
        str(jwks),
        "--origin",
        ORIGIN,
    ]


def test_valid_log(tmp_path: Path, exported: dict[str, Any]) -> None:
    result = run_govctl("verify", "log", *write_inputs(tmp_path, exported))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"OK: audit log {ORIGIN} verified\n")
    assert "events:      300" in result.stdout
    assert f"root:        {base64.b64encode(exported['root']).decode()}" in result.stdout
    assert "3 signed checkpoint(s) match (latest at size 300)" in result.stdout


def test_json_output_and_checkpoint_object_form(tmp_path: Path, exported: dict[str, Any]) -> None:
    args = write_inputs(tmp_path, exported)
    (tmp_path / "checkpoints.json").write_text(json.dumps({"checkpoints": exported["notes"][::-1]}))
    result = run_govctl("verify", "log", *args, "--output", "json")
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["ok"] is True and document["size"] == SIZE
    assert document["root_hex"] == exported["root"].hex()
    assert document["checked_checkpoints"] == [100, 200, 300] and document["problems"] == []


def test_tampered_event_reports_the_first_bad_sequence_number(
    tmp_path: Path, exported: dict[str, Any]
) -> None:
    lines = [dict(line) for line in exported["lines"]]
    canonical = base64.b64decode(lines[117]["canonical"]).replace(b"register", b"rEgister")
    lines[117]["canonical"] = base64.b64encode(canonical).decode()
    result = run_govctl("verify", "log", *write_inputs(tmp_path, exported, lines))
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.startswith("verification failed: first bad sequence number 117: stored leaf hash")
    assert result.stderr.count("\n") == 1 and "--output json lists them" in result.stderr

    as_json = run_govctl("verify", "log", *write_inputs(tmp_path, exported, lines), "-o", "json")
    document = json.loads(as_json.stdout)
    assert as_json.returncode == 1 and document["ok"] is False and document["first_bad_seq"] == 117
    assert [p["kind"] for p in document["problems"]] == ["leaf_hash", "root_mismatch", "root_mismatch"]


def test_missing_event_and_truncation(tmp_path: Path, exported: dict[str, Any]) -> None:
    gap = exported["lines"][:42] + exported["lines"][43:]
    result = run_govctl("verify", "log", *write_inputs(tmp_path, exported, gap))
    assert (
        result.returncode == 1
        and "first bad sequence number 42: found seq 43 where 42 belongs" in result.stderr
    )

    short = exported["lines"][:250]
    result = run_govctl("verify", "log", *write_inputs(tmp_path, exported, short))
    assert result.returncode == 1 and "first bad sequence number 250" in result.stderr
    assert "truncated log" in result.stderr


def test_malformed_inputs(tmp_path: Path, exported: dict[str, Any]) -> None:
    args = write_inputs(tmp_path, exported)
    (tmp_path / "checkpoints.json").write_text('{"not": "notes"}')
    result = run_govctl("verify", "log", *args)
    assert result.returncode == 1 and "checkpoints must be a JSON array" in result.stderr

    args = write_inputs(tmp_path, exported)
    with (tmp_path / "events.jsonl").open("a") as events:
        events.write("this is not json\n")
    result = run_govctl("verify", "log", *args)
    assert result.returncode == 1
    assert "first bad sequence number 300: events line 301 is not JSON" in result.stderr


def test_untrusted_checkpoint_key(tmp_path: Path, exported: dict[str, Any]) -> None:
    args = write_inputs(tmp_path, exported)
    other = jwks_document([jwk_from_public_key(LocalP256Signer.generate().public_key())])
    (tmp_path / "jwks.json").write_text(json.dumps(other))
    result = run_govctl("verify", "log", *args)
    assert result.returncode == 1
    assert "checkpoint #0 (unverified, claims size 100): no signature from a trusted key" in result.stderr


def test_usage_and_io_errors(tmp_path: Path, exported: dict[str, Any]) -> None:
    args = write_inputs(tmp_path, exported)
    no_events = run_govctl("verify", "log", *args[2:])
    assert no_events.returncode == 2 and "--events required" in no_events.stderr
    missing = run_govctl("verify", "log", *args[:1], str(tmp_path / "gone.jsonl"), *args[2:])
    assert missing.returncode == 2 and "cannot read" in missing.stderr
    both = run_govctl("verify", "log", *args, "--url", "http://127.0.0.1:9")
    assert both.returncode == 2 and "drop --events/--checkpoints" in both.stderr
    not_http = run_govctl("verify", "log", "--url", "ftp://example.com", "--origin", ORIGIN)
    assert not_http.returncode == 2 and "http(s) URL" in not_http.stderr
    refused = run_govctl("verify", "log", "--url", "http://127.0.0.1:9", "--origin", ORIGIN, "--timeout", "5")
    assert refused.returncode == 2 and refused.stderr.startswith("govctl: error: GET http://127.0.0.1:9")


def serve_log(
    file_server: FileServer, exported: dict[str, Any], lines: list[dict[str, Any]] | None = None
) -> None:
    body = "".join(json.dumps(line) + "\n" for line in (lines or exported["lines"])).encode()
    file_server.routes["/api/v1/audit/export"] = Route(body, "application/x-ndjson", token=TOKEN)
    file_server.routes["/api/v1/audit/checkpoints/export"] = Route(
        json.dumps(exported["notes"]).encode(), token=TOKEN
    )
    file_server.routes["/.well-known/jwks.json"] = Route(json.dumps(exported["jwks"]).encode())


def test_fetch_from_a_server(file_server: FileServer, exported: dict[str, Any], tmp_path: Path) -> None:
    serve_log(file_server, exported)
    result = run_govctl(
        "verify", "log", "--url", file_server.base_url + "/", "--token", TOKEN, "--origin", ORIGIN
    )
    assert result.returncode == 0, result.stderr
    assert "events:      300" in result.stdout
    assert result.stderr.startswith("note: trusting keys served by")  # pin them for independence
    # The token goes to the protected exports only, never to the public JWKS.
    assert sorted(file_server.seen_auth, key=str) == [f"Bearer {TOKEN}", f"Bearer {TOKEN}", None]

    pinned = tmp_path / "pinned.json"
    pinned.write_text(json.dumps(exported["jwks"]))
    env = cli_env(GOVCTL_TOKEN=TOKEN)
    result = run_govctl(
        "verify", "log", "--url", file_server.base_url, "--keys", pinned, "--origin", ORIGIN, env=env
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""


def test_fetch_errors_and_tampering_on_the_server(file_server: FileServer, exported: dict[str, Any]) -> None:
    serve_log(file_server, exported)
    unauthorised = run_govctl("verify", "log", "--url", file_server.base_url, "--origin", ORIGIN)
    assert unauthorised.returncode == 2
    assert "HTTP 401" in unauthorised.stderr and "check --token" in unauthorised.stderr

    lines = [dict(line) for line in exported["lines"]]
    lines[5], lines[6] = lines[6], lines[5]
    serve_log(file_server, exported, lines)
    swapped = run_govctl("verify", "log", "--url", file_server.base_url, "--token", TOKEN, "--origin", ORIGIN)
    assert swapped.returncode == 1
    assert "first bad sequence number 5: found seq 6 where 5 belongs" in swapped.stderr
