"""Interop with Sigstore's ``model_signing`` (the acceptance oracle for model artifact bundles).

We sign models with audit.pure.evidence and verify with model_signing's Python API and CLI, and the
reverse; then flip one byte and check that both sides refuse. Everything runs with the network
disabled: key-based signing and verification must work offline.

model_signing 1.1.1 imports ``OpenSSL`` (pyOpenSSL) at import time for certificate signing but
does not declare the dependency; when pyOpenSSL is absent we give it an empty stand-in module so
the key-based code paths (which never touch it) can be imported.
"""

from __future__ import annotations

import base64
import importlib.util
import json
import os
import socket
import subprocess
import sys
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from google.protobuf import json_format

from audit.pure.evidence.bundle_verify import verify_bundle
from audit.pure.evidence.errors import VerificationError
from audit.pure.evidence.keys import (
    LocalP256Signer,
    generate_private_key,
    jwk_from_public_key,
    jwks_document,
    key_id,
    public_key_pem,
)
from audit.pure.evidence.model_artifact import (
    MODEL_SIGNING_PREDICATE_TYPE,
    attest_model,
    compute_manifest,
    sha256_file,
)

OFFLINE_SITECUSTOMIZE = '''\
"""Test harness: any attempt to open a network connection fails."""
import socket


def _offline(*args, **kwargs):
    raise OSError("network access disabled by the offline interop test")


socket.socket.connect = _offline
socket.socket.connect_ex = _offline
socket.create_connection = _offline
socket.getaddrinfo = _offline
'''


@pytest.fixture(scope="module")
def harness_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """PYTHONPATH for the CLI: offline sitecustomize + (if needed) the pyOpenSSL stand-in."""
    path = tmp_path_factory.mktemp("harness")
    (path / "sitecustomize.py").write_text(OFFLINE_SITECUSTOMIZE)
    if importlib.util.find_spec("OpenSSL") is None:
        (path / "OpenSSL").mkdir()
        (path / "OpenSSL" / "__init__.py").write_text(
            "crypto = None  # stand-in: model_signing key paths never use it\n"
        )
    probe = subprocess.run(
        [sys.executable, "-c", "import socket; socket.create_connection(('127.0.0.1', 9))"],
        env={**os.environ, "PYTHONPATH": str(path)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert "network access disabled" in probe.stderr, "the offline harness is not active in subprocesses"
    return path


@pytest.fixture(scope="module")
def ms() -> types.SimpleNamespace:
    """model_signing's modules, imported with the pyOpenSSL stand-in only while importing."""
    with pytest.MonkeyPatch.context() as patch:
        if importlib.util.find_spec("OpenSSL") is None:
            stub = types.ModuleType("OpenSSL")
            stub.crypto = None  # type: ignore[attr-defined]
            patch.setitem(sys.modules, "OpenSSL", stub)
        import model_signing.hashing
        import model_signing.signing
        import model_signing.verifying
        from model_signing._signing import signing as internal_signing
    return types.SimpleNamespace(
        hashing=model_signing.hashing,
        signing=model_signing.signing,
        verifying=model_signing.verifying,
        payload=internal_signing.Payload,
    )


@pytest.fixture(autouse=True)
def offline(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise OSError("network access disabled by the offline interop test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    yield


def cli(harness_dir: Path, *args: str | Path) -> subprocess.CompletedProcess[str]:
    script = Path(sys.executable).with_name("model_signing")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "model_signing"]
    env = {**os.environ, "PYTHONPATH": str(harness_dir)}
    return subprocess.run(
        [*command, *map(str, args)], env=env, capture_output=True, text=True, timeout=120, check=False
    )


def make_model(root: Path) -> Path:
    """A small model: nested dirs, names whose string and path orders differ, a 3 MiB file, git."""
    model = root / "tiny-llm"
    (model / "tokenizer" / "extra").mkdir(parents=True)
    (model / ".git" / "objects").mkdir(parents=True)
    (model / "weights.bin").write_bytes(os.urandom(3 * 1024 * 1024 + 12345))  # spans 1 MiB chunks
    (model / "config.json").write_text('{"hidden": 64}')
    (model / "tokenizer" / "vocab.txt").write_bytes(os.urandom(4096))
    (model / "tokenizer" / "extra" / "merges.txt").write_bytes(b"")  # empty file
    (model / "tokenizer-v2").write_bytes(b"sorted after tokenizer/* by path parts, before by string")
    (model / ".hidden-settings").write_bytes(b"dot files are part of the model")
    (model / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    (model / ".gitattributes").write_text("*.bin filter=lfs\n")
    (model / "empty-dir").mkdir()
    return model


def flip_byte(path: Path, offset: int) -> None:
    with open(path, "r+b") as handle:
        handle.seek(offset)
        byte = handle.read(1)
        handle.seek(offset)
        handle.write(bytes([byte[0] ^ 0x01]))


def write_bundle(bundle: dict[str, Any], path: Path) -> Path:
    path.write_text(json.dumps(bundle, indent=2))
    return path


def reference_statement(
    ms: types.SimpleNamespace, model: Path, *, allow_symlinks: bool = False
) -> dict[str, Any]:
    """What model_signing itself would sign for ``model`` (its manifest -> in-toto Payload)."""
    manifest = ms.hashing.Config().set_allow_symlinks(allow_symlinks).hash(model)
    result: dict[str, Any] = json_format.MessageToDict(ms.payload(manifest).statement.pb)
    return result


def assert_same_statement(ours: dict[str, Any], theirs: dict[str, Any]) -> None:
    assert ours["_type"] == theirs["_type"]
    assert ours["predicateType"] == theirs["predicateType"] == MODEL_SIGNING_PREDICATE_TYPE
    assert ours["subject"] == theirs["subject"]
    assert ours["predicate"]["resources"] == theirs["predicate"]["resources"]
    ours_ser, theirs_ser = (
        dict(ours["predicate"]["serialization"]),
        dict(theirs["predicate"]["serialization"]),
    )
    assert sorted(ours_ser.pop("ignore_paths", [])) == sorted(theirs_ser.pop("ignore_paths", []))
    assert ours_ser == theirs_ser


def our_payload(bundle: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = json.loads(base64.b64decode(bundle["dsseEnvelope"]["payload"]))
    return result


# --- manifests agree ----------------------------------------------------------------------------


def test_directory_manifest_matches_model_signing(ms: types.SimpleNamespace, tmp_path: Path) -> None:
    model = make_model(tmp_path)
    ours = compute_manifest(model).statement()
    theirs = reference_statement(ms, model)
    assert_same_statement(ours, theirs)
    names = [r["name"] for r in ours["predicate"]["resources"]]
    assert names == [
        ".hidden-settings",
        "config.json",
        "tokenizer/extra/merges.txt",
        "tokenizer/vocab.txt",
        "tokenizer-v2",
        "weights.bin",
    ]
    assert ours["subject"][0]["name"] == "tiny-llm"


def test_single_file_manifest_matches_model_signing(ms: types.SimpleNamespace, tmp_path: Path) -> None:
    model = make_model(tmp_path) / "weights.bin"
    ours = compute_manifest(model).statement()
    assert_same_statement(ours, reference_statement(ms, model))
    assert ours["predicate"]["resources"] == [
        {"name": ".", "algorithm": "sha256", "digest": sha256_file(model)}
    ]
    assert ours["subject"][0]["name"] == "weights.bin"
    assert ours["subject"][0]["digest"]["sha256"] != sha256_file(model)  # hash of the digest list


def test_symlink_handling_matches_model_signing(ms: types.SimpleNamespace, tmp_path: Path) -> None:
    model = make_model(tmp_path)
    (model / "alias.json").symlink_to(model / "config.json")
    (model / "linked-dir").symlink_to(model / "tokenizer", target_is_directory=True)
    with pytest.raises(ValueError, match="symlink"):
        compute_manifest(model)
    with pytest.raises(ValueError, match="symlink"):
        ms.hashing.Config().hash(model)
    ours = compute_manifest(model, allow_symlinks=True).statement()
    assert_same_statement(ours, reference_statement(ms, model, allow_symlinks=True))
    names = [r["name"] for r in ours["predicate"]["resources"]]
    assert "alias.json" in names and not any(n.startswith("linked-dir") for n in names)


# --- our bundles verify with model_signing ------------------------------------------------------


def test_model_signing_api_accepts_our_bundle_and_rejects_tampering(
    ms: types.SimpleNamespace, tmp_path: Path
) -> None:
    model = make_model(tmp_path)
    signer = LocalP256Signer.generate()
    bundle = attest_model(model, signer, audit_sequence=41)
    signature = write_bundle(bundle, tmp_path / "model.sig.json")
    public_pem = tmp_path / "key.pub.pem"
    public_pem.write_bytes(public_key_pem(signer.public_key()))
    jwks = jwks_document([jwk_from_public_key(signer.public_key())])

    ms.verifying.Config().use_elliptic_key_verifier(public_key=public_pem).verify(model, signature)
    verified = verify_bundle(signature.read_bytes(), jwks, model)
    assert verified.key_id == signer.key_id and verified.audit_sequence == 41 and verified.artifact_verified

    flip_byte(model / "weights.bin", 2 * 1024 * 1024 + 7)
    with pytest.raises(ValueError, match=r"Hash mismatch for .*weights\.bin"):
        ms.verifying.Config().use_elliptic_key_verifier(public_key=public_pem).verify(model, signature)
    with pytest.raises(VerificationError, match=r"digest mismatch for 'weights\.bin'"):
        verify_bundle(signature.read_bytes(), jwks, model)


def test_model_signing_cli_accepts_our_bundle_and_rejects_tampering(
    harness_dir: Path, tmp_path: Path
) -> None:
    model = make_model(tmp_path)
    signer = LocalP256Signer.generate()
    signature = model / "model.sig"  # inside the model, as model_signing's own default
    write_bundle(attest_model(model, signer, signature_path=signature), signature)
    public_pem = tmp_path / "key.pem"
    public_pem.write_bytes(public_key_pem(signer.public_key()))
    jwks = jwks_document([jwk_from_public_key(signer.public_key())])

    ok = cli(harness_dir, "verify", "key", "--signature", signature, "--public_key", public_pem, model)
    assert ok.returncode == 0, ok.stderr
    assert "Verification succeeded" in ok.stdout
    verify_bundle(signature.read_bytes(), jwks, model)

    flip_byte(model / "tokenizer" / "vocab.txt", 100)
    bad = cli(harness_dir, "verify", "key", "--signature", signature, "--public_key", public_pem, model)
    assert bad.returncode != 0
    assert "Hash mismatch for" in bad.stderr and "tokenizer/vocab.txt" in bad.stderr
    with pytest.raises(VerificationError, match=r"digest mismatch for 'tokenizer/vocab\.txt'"):
        verify_bundle(signature.read_bytes(), jwks, model)


def test_model_signing_cli_rejects_our_bundle_under_another_key(harness_dir: Path, tmp_path: Path) -> None:
    model = make_model(tmp_path)
    signature = write_bundle(attest_model(model, LocalP256Signer.generate()), tmp_path / "model.sig")
    stranger = tmp_path / "stranger.pem"
    stranger.write_bytes(public_key_pem(LocalP256Signer.generate().public_key()))
    result = cli(harness_dir, "verify", "key", "--signature", signature, "--public_key", stranger, model)
    assert result.returncode != 0 and "Key mismatch" in result.stderr


def test_single_file_model_round_trips_through_model_signing(
    ms: types.SimpleNamespace, harness_dir: Path, tmp_path: Path
) -> None:
    model = make_model(tmp_path) / "weights.bin"
    signer = LocalP256Signer.generate()
    signature = write_bundle(attest_model(model, signer), tmp_path / "weights.sig")
    public_pem = tmp_path / "key.pem"
    public_pem.write_bytes(public_key_pem(signer.public_key()))
    jwks = jwks_document([jwk_from_public_key(signer.public_key())])

    ms.verifying.Config().use_elliptic_key_verifier(public_key=public_pem).verify(model, signature)
    result = cli(harness_dir, "verify", "key", "--signature", signature, "--public_key", public_pem, model)
    assert result.returncode == 0, result.stderr
    assert verify_bundle(signature.read_bytes(), jwks, model).subjects[0].name == "weights.bin"

    flip_byte(model, 0)
    result = cli(harness_dir, "verify", "key", "--signature", signature, "--public_key", public_pem, model)
    assert result.returncode != 0
    with pytest.raises(VerificationError, match=r"digest mismatch for '\.'"):
        verify_bundle(signature.read_bytes(), jwks, model)


def test_added_and_removed_files_are_rejected_by_both(ms: types.SimpleNamespace, tmp_path: Path) -> None:
    model = make_model(tmp_path)
    signer = LocalP256Signer.generate()
    signature = write_bundle(attest_model(model, signer), tmp_path / "model.sig")
    public_pem = tmp_path / "key.pem"
    public_pem.write_bytes(public_key_pem(signer.public_key()))
    jwks = jwks_document([jwk_from_public_key(signer.public_key())])
    verifier = ms.verifying.Config().use_elliptic_key_verifier(public_key=public_pem)

    (model / "backdoor.py").write_text("import os\n")
    with pytest.raises(ValueError, match="Extra files"):
        verifier.verify(model, signature)
    with pytest.raises(VerificationError, match=r"unsigned files present: backdoor\.py"):
        verify_bundle(signature.read_bytes(), jwks, model)

    (model / "backdoor.py").unlink()
    (model / "config.json").unlink()
    with pytest.raises(ValueError, match="Missing files"):
        ms.verifying.Config().use_elliptic_key_verifier(public_key=public_pem).verify(model, signature)
    with pytest.raises(VerificationError, match=r"signed files missing: config\.json"):
        verify_bundle(signature.read_bytes(), jwks, model)


# --- model_signing's bundles verify with ours ---------------------------------------------------


def test_we_verify_bundles_from_model_signing_cli(harness_dir: Path, tmp_path: Path) -> None:
    model = make_model(tmp_path)
    private_key = generate_private_key()
    signer = LocalP256Signer(private_key)
    private_pem = tmp_path / "signing-key.pem"  # model_signing's CLI reads an unencrypted PEM
    private_pem.write_bytes(
        private_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    signature = model / "model.sig"
    result = cli(harness_dir, "sign", "key", "--private_key", private_pem, "--signature", signature, model)
    assert result.returncode == 0, result.stderr
    bundle = json.loads(signature.read_text())
    assert bundle["dsseEnvelope"]["signatures"][0]["keyid"] == ""  # model_signing names no key here
    assert "model.sig" in our_payload(bundle)["predicate"]["serialization"]["ignore_paths"]
    jwks = jwks_document([jwk_from_public_key(signer.public_key())])

    verified = verify_bundle(signature.read_bytes(), jwks, model)
    assert verified.key_id == key_id(signer.public_key())
    assert verified.key_status == "active"
    assert verified.predicate_type == MODEL_SIGNING_PREDICATE_TYPE
    assert verified.audit_sequence is None
    assert verified.model_manifest is not None
    assert verified.model_manifest.digests() == compute_manifest(model, ignore_paths=["model.sig"]).digests()

    flip_byte(model / "weights.bin", 3 * 1024 * 1024)
    with pytest.raises(VerificationError, match=r"digest mismatch for 'weights\.bin'"):
        verify_bundle(signature.read_bytes(), jwks, model)
    other = jwks_document([jwk_from_public_key(LocalP256Signer.generate().public_key())])
    with pytest.raises(VerificationError, match="unknown signing key"):
        verify_bundle(signature.read_bytes(), other)


def test_we_verify_bundles_from_model_signing_api_with_our_encrypted_key(
    ms: types.SimpleNamespace, tmp_path: Path
) -> None:
    """model_signing can sign with our encrypted PKCS#8 key at rest; we verify what it wrote."""
    model = make_model(tmp_path) / "config.json"
    signer = LocalP256Signer.generate()
    private_pem = tmp_path / "key.enc.pem"
    private_pem.write_bytes(signer.encrypted_pem("s3cret"))
    signature = tmp_path / "config.sig"
    # model_signing annotates ``password`` as str but hands it to cryptography, which needs bytes.
    config = ms.signing.Config().use_elliptic_key_signer(private_key=private_pem, password=b"s3cret")
    config.sign(model, signature)

    jwks = jwks_document([jwk_from_public_key(signer.public_key())])
    assert verify_bundle(signature.read_bytes(), jwks, model).key_id == signer.key_id

    model.write_text('{"hidden": 65}')
    with pytest.raises(VerificationError, match="does not match the signed manifest"):
        verify_bundle(signature.read_bytes(), jwks, model)
    assert verify_bundle(signature.read_bytes(), jwks).artifact_verified is False
