"""``govctl verify bundle``: offline attestation checks, run as a subprocess like an auditor would."""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from audit.pure.evidence.bundle import sign_statement
from audit.pure.evidence.intoto import MODEL_CARD_PREDICATE, statement, subject
from audit.pure.evidence.keys import LocalP256Signer, jwk_from_public_key, jwks_document
from audit.pure.evidence.model_artifact import attest_model, sha256_file
from tests.govctl.helpers import REPO, FileServer, Route, cli_env, run_govctl

T0 = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def signer() -> LocalP256Signer:
    return LocalP256Signer.generate()


@pytest.fixture
def evidence(tmp_path: Path, signer: LocalP256Signer) -> dict[str, Path]:
    """An artifact, a signed model-card bundle over it, and the JWKS that trusts the signer."""
    artifact = tmp_path / "model.onnx"
    artifact.write_bytes(os.urandom(4096))
    st = statement(
        [subject(artifact.name, sha256_file(artifact))],
        MODEL_CARD_PREDICATE,
        {"audit_sequence": 4242, "card_id": "card-7"},
    )
    bundle = tmp_path / "bundle.json"
    bundle.write_text(json.dumps(sign_statement(st, signer)))
    jwks = tmp_path / "jwks.json"
    jwks.write_text(json.dumps(jwks_document([jwk_from_public_key(signer.public_key(), created_at=T0)])))
    return {"artifact": artifact, "bundle": bundle, "jwks": jwks, "dir": tmp_path}


def test_valid_bundle_and_artifact(evidence: dict[str, Path], signer: LocalP256Signer) -> None:
    result = run_govctl(
        "verify", "bundle", evidence["bundle"], "--artifact", evidence["artifact"], "--keys", evidence["jwks"]
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert out.startswith("OK: bundle verified\n")
    assert f"predicate type: {MODEL_CARD_PREDICATE}" in out
    assert f"subject:        model.onnx sha256:{sha256_file(evidence['artifact'])}" in out
    assert f"signing key:    {signer.key_id} (active)" in out
    assert "audit sequence: 4242" in out
    assert "matches model.onnx" in out
    assert result.stderr == ""


def test_json_output(evidence: dict[str, Path], signer: LocalP256Signer) -> None:
    result = run_govctl(
        "verify", "bundle", evidence["bundle"], "--keys", evidence["jwks"], "--output", "json"
    )
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["ok"] is True and summary["key_id"] == signer.key_id
    assert summary["audit_sequence"] == 4242 and summary["artifact_verified"] is False
    assert summary["subjects"][0]["name"] == "model.onnx"


def tampered(bundle: Path, change: Any) -> Path:
    data = json.loads(bundle.read_text())
    change(data)
    out = bundle.with_name("tampered.json")
    out.write_text(json.dumps(data))
    return out


def _swap_payload_sequence(data: dict[str, Any]) -> None:
    envelope = data["dsseEnvelope"]
    payload = base64.b64decode(envelope["payload"]).replace(
        b'"audit_sequence":4242', b'"audit_sequence":4243'
    )
    envelope["payload"] = base64.b64encode(payload).decode()


def _flip_signature(data: dict[str, Any]) -> None:
    sig = bytearray(base64.b64decode(data["dsseEnvelope"]["signatures"][0]["sig"]))
    sig[-1] ^= 1
    data["dsseEnvelope"]["signatures"][0]["sig"] = base64.b64encode(bytes(sig)).decode()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (_swap_payload_sequence, "bad signature"),
        (_flip_signature, "bad signature"),
        (lambda d: d.update(mediaType="application/json"), "unsupported bundle mediaType"),
        (lambda d: d["verificationMaterial"]["publicKey"].update(hint="0" * 64), "unknown signing key"),
    ],
    ids=["payload", "signature", "media-type", "key-hint"],
)
def test_tampered_bundle_fails_with_one_line(evidence: dict[str, Path], change: Any, message: str) -> None:
    bad = tampered(evidence["bundle"], change)
    result = run_govctl("verify", "bundle", bad, "--keys", evidence["jwks"])
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.startswith("verification failed: ") and message in result.stderr
    assert result.stderr.count("\n") == 1


def test_artifact_mismatch(evidence: dict[str, Path]) -> None:
    other = evidence["dir"] / "other.onnx"
    other.write_bytes(b"not the model")
    result = run_govctl(
        "verify", "bundle", evidence["bundle"], "--artifact", other, "--keys", evidence["jwks"]
    )
    assert result.returncode == 1
    assert "matches no subject digest" in result.stderr


def test_unknown_key(evidence: dict[str, Path]) -> None:
    stranger = evidence["dir"] / "stranger.json"
    stranger.write_text(
        json.dumps(jwks_document([jwk_from_public_key(LocalP256Signer.generate().public_key())]))
    )
    result = run_govctl("verify", "bundle", evidence["bundle"], "--keys", stranger, "--output", "json")
    assert result.returncode == 1
    document = json.loads(result.stdout)
    assert document["ok"] is False and document["exit_code"] == 1
    assert "unknown signing key" in document["error"]


def test_malformed_bundle_json(evidence: dict[str, Path]) -> None:
    broken = evidence["dir"] / "broken.json"
    broken.write_text('{"mediaType": ')
    result = run_govctl("verify", "bundle", broken, "--keys", evidence["jwks"])
    assert result.returncode == 1 and "bundle is not valid JSON" in result.stderr


def test_retired_key_is_reported(evidence: dict[str, Path], signer: LocalP256Signer) -> None:
    jwks = evidence["dir"] / "rotated.json"
    retired = jwk_from_public_key(signer.public_key(), status="retired", created_at=T0, retired_at=T0)
    jwks.write_text(json.dumps(jwks_document([retired])))
    result = run_govctl("verify", "bundle", evidence["bundle"], "--keys", jwks)
    assert result.returncode == 0, result.stderr
    assert f"{signer.key_id} (retired since 2025-01-01T00:00:00+00:00)" in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["missing.json", "--keys", "{jwks}"], "cannot read missing.json"),
        (["{bundle}", "--keys", "missing-jwks.json"], "cannot read missing-jwks.json"),
        (["{bundle}", "--keys", "{bundle}"], "not a usable key set"),
        (["{bundle}", "--keys", "{jwks}", "--artifact", "nope.bin"], "artifact nope.bin does not exist"),
    ],
)
def test_input_errors_exit_2(evidence: dict[str, Path], args: list[str], message: str) -> None:
    formatted = [a.format(jwks=evidence["jwks"], bundle=evidence["bundle"]) for a in args]
    result = run_govctl("verify", "bundle", *formatted)
    assert result.returncode == 2
    assert result.stderr.startswith("govctl: error: ") and message in result.stderr


def test_usage_errors_exit_2() -> None:
    assert run_govctl().returncode == 2
    assert run_govctl("verify").returncode == 2
    assert run_govctl("verify", "bundle", "x.json").returncode == 2  # --keys is required
    assert run_govctl("gate").returncode == 2  # not a command (yet)


def test_keys_from_a_url(evidence: dict[str, Path], file_server: FileServer) -> None:
    file_server.routes["/.well-known/jwks.json"] = Route(evidence["jwks"].read_bytes())
    result = run_govctl(
        "verify", "bundle", evidence["bundle"], "--keys", f"{file_server.base_url}/.well-known/jwks.json"
    )
    assert result.returncode == 0, result.stderr
    missing = run_govctl("verify", "bundle", evidence["bundle"], "--keys", f"{file_server.base_url}/nope")
    assert missing.returncode == 2 and "HTTP 404" in missing.stderr


def test_model_directory_bundle(tmp_path: Path, signer: LocalP256Signer, evidence: dict[str, Path]) -> None:
    model = tmp_path / "model"
    (model / "weights").mkdir(parents=True)
    (model / "config.json").write_text("{}")
    (model / "weights" / "w.bin").write_bytes(os.urandom(2048))
    bundle = tmp_path / "model.sig"
    bundle.write_text(json.dumps(attest_model(model, signer, audit_sequence=9)))
    ok = run_govctl("verify", "bundle", bundle, "--artifact", model, "--keys", evidence["jwks"])
    assert ok.returncode == 0, ok.stderr
    assert "2 file(s)" in ok.stdout and "audit sequence: 9" in ok.stdout

    (model / "weights" / "w.bin").write_bytes(b"swapped weights")
    bad = run_govctl("verify", "bundle", bundle, "--artifact", model, "--keys", evidence["jwks"])
    assert bad.returncode == 1 and "digest mismatch for 'weights/w.bin'" in bad.stderr


def test_bundle_verifies_without_rfc8785_installed(evidence: dict[str, Path]) -> None:
    """The standalone story: with rfc8785 unavailable, govctl still verifies (it never signs)."""
    code = (
        "import sys\n"
        "sys.modules['rfc8785'] = None  # as if the package were not installed\n"
        "from govctl.__main__ import main\n"
        "status = main(sys.argv[1:])\n"
        "assert sys.modules['rfc8785'] is None\n"
        "sys.exit(status)\n"
    )
    args = ["verify", "bundle", str(evidence["bundle"]), "--keys", str(evidence["jwks"])]
    result = subprocess.run(
        [sys.executable, "-c", code, *args],
        cwd=REPO,
        env=cli_env(),
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "audit sequence: 4242" in result.stdout
