"""Signed checkpoints of the audit log: C2SP tlog-checkpoint bodies in C2SP signed notes.

A checkpoint is the log's signed statement "my first ``size`` entries hash to ``root``". An auditor
who keeps a copy can later prove any rewrite, truncation or fork of the log (RFC 6962 §2.1.2
consistency). We use the ecosystem formats rather than our own JSON so that transparency-log
tooling (witnesses, monitors) can read our checkpoints unchanged:

* tlog-checkpoint (https://c2sp.org/tlog-checkpoint): the note text is ``<origin>\\n<size>\\n
  <base64 root>\\n`` followed by optional, non-empty extension lines. The size is ASCII decimal
  without leading zeros; the root is the standard-base64 RFC 6962 tree hash.
* signed-note (https://c2sp.org/signed-note): the text, an empty line, then one or more lines
  ``— <key name> <base64(4-byte key ID || signature)>``. The whole note is UTF-8 without ASCII
  control characters other than newline; the text ends at the *last* empty line; key names are
  non-empty and contain neither Unicode spaces nor ``+``.
* Signature type ``0x02`` (signed-note §"Signature types"): ECDSA as implemented by
  transparency-dev/witness. We use P-256 with SHA-256 over the note text and an ASN.1 DER
  signature, i.e. exactly what :class:`audit.pure.evidence.keys.Signer` produces. For this type the key
  ID is the first four bytes of SHA-256 of the DER SubjectPublicKeyInfo, which are also the first
  four bytes of the key's JWKS ``kid`` (:func:`audit.pure.evidence.keys.key_id`).

Verification follows the signed-note rules: signatures from unknown (name, key ID) pairs are
ignored (that is what makes key rotation and witness cosignatures work), a signature from a known
key that fails rejects the whole note, and a note with no verified signature from a known key is
rejected. A key whose JWKS status is ``revoked`` is still checked but never makes a note trusted.

Pure: standard library and ``cryptography`` only, so ``govctl`` can verify checkpoints offline.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from audit.pure.evidence.errors import KeyFormatError
from audit.pure.evidence.keys import Signer, key_id, trusted_keys_from_jwks

__all__ = [
    "MAX_NOTE_BYTES",
    "MAX_SIGNATURES",
    "SIGNATURE_TYPE_ECDSA",
    "Checkpoint",
    "CheckpointError",
    "Note",
    "NoteKey",
    "NoteSignature",
    "TrustedKeys",
    "format_checkpoint",
    "note_key_id",
    "note_keys_from_jwks",
    "open_note",
    "parse_checkpoint_text",
    "parse_note",
    "parse_verifier_key",
    "sign_checkpoint",
    "sign_note",
    "verifier_key",
    "verify_checkpoint",
    "verify_checkpoint_with_jwks",
]

SIGNATURE_TYPE_ECDSA: Final = 0x02
"""signed-note signature type of ECDSA signatures as transparency-dev/witness implements them."""

MAX_SIGNATURES: Final = 64
"""signed-note: verifiers SHOULD cap the signature lines but MUST accept at least 16."""

MAX_NOTE_BYTES: Final = 1 << 20
"""Upper bound on a whole note; a checkpoint is ~200 bytes, so 1 MiB leaves room for cosigners."""

_ROOT_BYTES: Final = 32
_MAX_TREE_SIZE: Final = 2**64 - 1  # Go's checkpoint parsers (and so witnesses) read a uint64
_SIG_PREFIX: Final = "\u2014 "  # em dash, space
_CONTROL_RE: Final = re.compile(r"[\x00-\x09\x0b-\x1f]")
_SIZE_RE: Final = re.compile(r"0|[1-9][0-9]*")
_KEY_ID_BYTES: Final = 4


class CheckpointError(ValueError):
    """A note or checkpoint is malformed, unsigned by a trusted key, or not what was expected."""


# --- Keys -----------------------------------------------------------------------------------------


def _check_key_name(name: str) -> None:
    if not isinstance(name, str) or not name:
        raise CheckpointError("a note key name must be a non-empty string")
    if "+" in name or any(ch.isspace() for ch in name) or _CONTROL_RE.search(name):
        raise CheckpointError(f"invalid note key name {name!r}: no spaces, '+' or control characters")


def _require_p256(public_key: ec.EllipticCurvePublicKey) -> None:
    if not isinstance(public_key, ec.EllipticCurvePublicKey) or not isinstance(
        public_key.curve, ec.SECP256R1
    ):
        raise CheckpointError("checkpoint keys must be ECDSA P-256 public keys")


def note_key_id(key_name: str, public_key: ec.EllipticCurvePublicKey) -> bytes:
    """The 4-byte signed-note key ID of a P-256 key for signature type ``0x02``.

    For ``0x02`` the ID is SHA-256(DER SubjectPublicKeyInfo)[:4]; unlike Ed25519 (``0x01``) it does
    not hash the key name. The name is still validated here because the (name, ID) pair is what
    identifies a key in a note.
    """
    _check_key_name(key_name)
    _require_p256(public_key)
    der = public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return hashlib.sha256(der).digest()[:_KEY_ID_BYTES]


@dataclass(frozen=True)
class NoteKey:
    """A trusted verifier: key name (the log origin for our checkpoints) and P-256 public key.

    ``status`` mirrors the JWKS status: ``active`` and ``retired`` keys make a note trusted (a
    retired key still vouches for what it signed before rotation); ``revoked`` keys do not.
    """

    name: str
    public_key: ec.EllipticCurvePublicKey
    status: str = "active"
    key_id: bytes = field(init=False, repr=False, compare=False)
    kid: str = field(init=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "key_id", note_key_id(self.name, self.public_key))
        object.__setattr__(self, "kid", key_id(self.public_key))


def verifier_key(key_name: str, public_key: ec.EllipticCurvePublicKey) -> str:
    """The key in the text form Go note verifiers read: ``<name>+<hex key ID>+<base64(0x02 || SPKI)>``.

    This is the ``vkey`` that a witness or monitor built on golang.org/x/mod/sumdb/note and
    transparency-dev/formats (``NewECDSAVerifier``) is configured with to trust our checkpoints.
    """
    der = public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    encoded = base64.b64encode(bytes([SIGNATURE_TYPE_ECDSA]) + der).decode("ascii")
    return f"{key_name}+{note_key_id(key_name, public_key).hex()}+{encoded}"


def parse_verifier_key(vkey: str) -> NoteKey:
    """Parse a type-0x02 verifier key (see :func:`verifier_key`), checking its key ID."""
    parts = vkey.split("+", 2)
    if len(parts) != 3:
        raise CheckpointError("a verifier key has the form <name>+<hex key ID>+<base64 key>")
    name, key_hash, encoded = parts
    raw = _b64decode_strict(encoded, "verifier key")
    if len(raw) < 2 or raw[0] != SIGNATURE_TYPE_ECDSA:
        raise CheckpointError(f"verifier key is not of signature type 0x{SIGNATURE_TYPE_ECDSA:02x} (ECDSA)")
    try:
        public_key = serialization.load_der_public_key(raw[1:])
    except (ValueError, UnsupportedAlgorithm) as exc:
        raise CheckpointError("verifier key does not hold a DER SubjectPublicKeyInfo") from exc
    if not isinstance(public_key, ec.EllipticCurvePublicKey):
        raise CheckpointError("verifier key is not an ECDSA key")
    key = NoteKey(name, public_key)
    if key_hash.lower() != key.key_id.hex():
        raise CheckpointError(f"verifier key ID {key_hash} does not match the key ({key.key_id.hex()})")
    return key


TrustedKeys = (
    Iterable[NoteKey | tuple[str, ec.EllipticCurvePublicKey]]
    | Mapping[str, ec.EllipticCurvePublicKey | Iterable[ec.EllipticCurvePublicKey]]
)
"""What verifiers accept: NoteKeys, (name, public key) pairs, or {name: key or keys}."""


def _note_keys(keys: TrustedKeys) -> list[NoteKey]:
    result: list[NoteKey] = []
    if isinstance(keys, Mapping):
        for name, value in keys.items():
            values = [value] if isinstance(value, ec.EllipticCurvePublicKey) else list(value)
            result.extend(NoteKey(name, public_key) for public_key in values)
        return result
    for entry in keys:
        result.append(entry if isinstance(entry, NoteKey) else NoteKey(entry[0], entry[1]))
    return result


def note_keys_from_jwks(jwks: Mapping[str, Any], key_name: str) -> list[NoteKey]:
    """Every key of a JWKS (active, retired and revoked) as a verifier named ``key_name``.

    Our log signs its checkpoints with the key name set to the origin, so pass the origin here.
    Raises :class:`CheckpointError` if the JWKS is malformed.
    """
    try:
        trusted = trusted_keys_from_jwks(jwks)
    except KeyFormatError as exc:
        raise CheckpointError(f"invalid JWKS: {exc}") from exc
    return [NoteKey(key_name, key.public_key, key.status) for key in trusted.values()]


# --- Signed notes ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class NoteSignature:
    """One signature line: key name, 4-byte key ID and the signature bytes after it."""

    name: str
    key_id: bytes
    signature: bytes


@dataclass(frozen=True)
class Note:
    """A structurally valid, *unverified* signed note."""

    text: str
    signatures: tuple[NoteSignature, ...]


def _b64decode_strict(value: str, what: str) -> bytes:
    """Standard base64 with padding (RFC 4648 §4), and only its canonical encoding."""
    try:
        decoded = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise CheckpointError(f"{what} is not valid standard base64") from exc
    if base64.b64encode(decoded).decode("ascii") != value:
        raise CheckpointError(f"{what} is not canonical standard base64")
    return decoded


def _check_note_chars(text: str, what: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise CheckpointError(f"{what} is not valid UTF-8 (lone surrogate)") from exc
    match = _CONTROL_RE.search(text)
    if match:
        raise CheckpointError(
            f"{what} contains the control character U+{ord(match.group()):04X}; only newline is allowed"
        )


def parse_note(note: str | bytes) -> Note:
    """Split a signed note into text and signature lines, enforcing the signed-note format.

    Nothing is verified: use :func:`open_note` or :func:`verify_checkpoint` before trusting the text.
    """
    if isinstance(note, bytes | bytearray):
        if len(note) > MAX_NOTE_BYTES:
            raise CheckpointError(f"note is {len(note)} bytes, more than the limit of {MAX_NOTE_BYTES}")
        try:
            note = bytes(note).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise CheckpointError("note is not valid UTF-8") from exc
    if not isinstance(note, str):
        raise CheckpointError(f"a note must be text, got {type(note).__name__}")
    if len(note) > MAX_NOTE_BYTES:  # cheap early bound: every character is at least one byte
        raise CheckpointError(f"note is larger than the limit of {MAX_NOTE_BYTES} bytes")
    _check_note_chars(note, "note")
    if len(note.encode("utf-8")) > MAX_NOTE_BYTES:
        raise CheckpointError(f"note is larger than the limit of {MAX_NOTE_BYTES} bytes")
    split = note.rfind("\n\n")
    if split < 0:
        raise CheckpointError("malformed note: no empty line separates the text from the signatures")
    text, block = note[: split + 1], note[split + 2 :]
    if not block:
        raise CheckpointError("malformed note: no signature lines after the empty line")
    if not block.endswith("\n"):
        raise CheckpointError("malformed note: the last signature line does not end in a newline")
    lines = block[:-1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise CheckpointError(f"note has {len(lines)} signatures, more than the limit of {MAX_SIGNATURES}")
    signatures: list[NoteSignature] = []
    for number, line in enumerate(lines, start=1):
        if not line.startswith(_SIG_PREFIX):
            raise CheckpointError(f"malformed note: signature line {number} does not start with '— '")
        name, sep, encoded = line[len(_SIG_PREFIX) :].partition(" ")
        if not sep or not encoded:
            raise CheckpointError(f"malformed note: signature line {number} has no signature")
        _check_key_name(name)
        raw = _b64decode_strict(encoded, f"signature line {number}")
        if len(raw) <= _KEY_ID_BYTES:
            raise CheckpointError(f"malformed note: signature line {number} is too short")
        signatures.append(NoteSignature(name, raw[:_KEY_ID_BYTES], raw[_KEY_ID_BYTES:]))
    return Note(text=text, signatures=tuple(signatures))


def _signature_line(text: str, signer: Signer, key_name: str) -> str:
    public_key = signer.public_key()
    prefix = note_key_id(key_name, public_key)
    signature = signer.sign(text.encode("utf-8"))
    try:
        public_key.verify(signature, text.encode("utf-8"), ec.ECDSA(hashes.SHA256()))
    except InvalidSignature as exc:  # a misconfigured KMS/PKCS#11 signer must not publish junk
        raise CheckpointError(f"signer {key_name} produced a signature its own public key rejects") from exc
    return f"{_SIG_PREFIX}{key_name} {base64.b64encode(prefix + signature).decode('ascii')}\n"


def sign_note(text: str, signer: Signer, key_name: str) -> str:
    """Sign ``text`` (which must end in a newline) as a signed note with one type-0x02 signature."""
    _check_key_name(key_name)
    if not text or not text.endswith("\n"):
        raise CheckpointError("note text must be non-empty and end with a newline")
    _check_note_chars(text, "note text")
    return text + "\n" + _signature_line(text, signer, key_name)


def _verify_one(key: NoteKey, text: bytes, signature: bytes) -> bool:
    try:
        key.public_key.verify(signature, text, ec.ECDSA(hashes.SHA256()))
    except (InvalidSignature, ValueError):
        return False
    return True


def open_note(note: str | bytes, keys: TrustedKeys) -> tuple[str, tuple[NoteKey, ...]]:
    """Verify a signed note; return its text and the trusted keys whose signatures verified.

    signed-note §Signatures: unknown (name, key ID) pairs are skipped, any failing signature of a
    known key rejects the note, and at least one known, non-revoked key must have signed.
    """
    parsed = parse_note(note)
    known: dict[tuple[str, bytes], list[NoteKey]] = {}
    for key in _note_keys(keys):
        known.setdefault((key.name, key.key_id), []).append(key)
    if not known:
        raise CheckpointError("no trusted keys to verify the note against")
    message = parsed.text.encode("utf-8")
    verified: list[NoteKey] = []
    unknown: list[str] = []
    for sig in parsed.signatures:
        candidates = known.get((sig.name, sig.key_id))
        if not candidates:
            unknown.append(f"{sig.name}/{sig.key_id.hex()}")
            continue
        match = next((k for k in candidates if _verify_one(k, message, sig.signature)), None)
        if match is None:
            raise CheckpointError(
                f"bad signature from trusted key {sig.name}/{sig.key_id.hex()}: "
                "the note was altered or the signature forged"
            )
        if match not in verified:
            verified.append(match)
    trusting = tuple(k for k in verified if k.status != "revoked")
    if not trusting:
        if verified:
            kids = ", ".join(k.kid for k in verified)
            raise CheckpointError(f"note is signed only by revoked key(s) {kids}; it is untrusted")
        signers = ", ".join(unknown) or "nobody"
        raise CheckpointError(f"no signature from a trusted key (signed by {signers})")
    return parsed.text, trusting


# --- Checkpoints ----------------------------------------------------------------------------------


def _check_root(root: bytes) -> None:
    if not isinstance(root, bytes | bytearray) or len(root) != _ROOT_BYTES:
        raise CheckpointError(f"root hash must be {_ROOT_BYTES} bytes (SHA-256)")


def format_checkpoint(origin: str, size: int, root: bytes, extensions: Sequence[str] = ()) -> str:
    """The tlog-checkpoint note text ``<origin>\\n<size>\\n<base64 root>\\n[extensions\\n]``."""
    if not isinstance(origin, str) or not origin or "\n" in origin:
        raise CheckpointError("origin must be a non-empty single line")
    _check_note_chars(origin, "origin")
    if isinstance(size, bool) or not isinstance(size, int) or not 0 <= size <= _MAX_TREE_SIZE:
        raise CheckpointError(f"tree size must be an integer in [0, 2^64), got {size!r}")
    _check_root(root)
    for line in extensions:
        if not isinstance(line, str) or not line or "\n" in line:
            raise CheckpointError("extension lines must be non-empty single lines")
        _check_note_chars(line, "extension line")
    body = [origin, str(size), base64.b64encode(bytes(root)).decode("ascii"), *extensions]
    return "".join(line + "\n" for line in body)


def parse_checkpoint_text(text: str) -> tuple[str, int, bytes, tuple[str, ...]]:
    """Parse checkpoint note text into (origin, size, root, extension lines); nothing is verified."""
    if not text.endswith("\n"):
        raise CheckpointError("checkpoint text must end with a newline")
    lines = text[:-1].split("\n")
    if len(lines) < 3:
        raise CheckpointError(f"checkpoint text has {len(lines)} lines; origin, size and root are required")
    origin, size_text, root_text, *extensions = lines
    if not origin:
        raise CheckpointError("checkpoint origin line is empty")
    if not _SIZE_RE.fullmatch(size_text) or int(size_text) > _MAX_TREE_SIZE:
        raise CheckpointError(f"checkpoint tree size {size_text!r} is not a decimal without leading zeros")
    root = _b64decode_strict(root_text, "checkpoint root hash")
    if len(root) != _ROOT_BYTES:
        raise CheckpointError(f"checkpoint root hash is {len(root)} bytes, expected {_ROOT_BYTES}")
    if any(not line for line in extensions):
        raise CheckpointError("checkpoint extension lines must be non-empty")
    return origin, int(size_text), root, tuple(extensions)


@dataclass(frozen=True)
class Checkpoint:
    """A verified checkpoint and who signed it.

    ``key_ids`` are the 4-byte note key IDs and ``kids`` the JWKS key ids (hex SHA-256 of the
    SPKI) of the trusted keys whose signatures verified.
    """

    origin: str
    size: int
    root: bytes
    extensions: tuple[str, ...]
    key_names: tuple[str, ...]
    key_ids: tuple[bytes, ...]
    kids: tuple[str, ...]
    text: str


def sign_checkpoint(
    origin: str,
    size: int,
    root: bytes,
    signer: Signer,
    key_name: str | None = None,
    *,
    extensions: Sequence[str] = (),
) -> str:
    """Format and sign a checkpoint; the key name defaults to the origin (tlog-checkpoint SHOULD)."""
    return sign_note(format_checkpoint(origin, size, root, extensions), signer, key_name or origin)


def verify_checkpoint(note: str | bytes, keys: TrustedKeys, origin: str | None = None) -> Checkpoint:
    """Verify a signed checkpoint note against trusted keys and, if given, the expected origin.

    Raises :class:`CheckpointError` naming the first problem found.
    """
    text, signed_by = open_note(note, keys)
    parsed_origin, size, root, extensions = parse_checkpoint_text(text)
    if origin is not None and parsed_origin != origin:
        raise CheckpointError(f"checkpoint is for origin {parsed_origin!r}, expected {origin!r}")
    return Checkpoint(
        origin=parsed_origin,
        size=size,
        root=root,
        extensions=extensions,
        key_names=tuple(k.name for k in signed_by),
        key_ids=tuple(k.key_id for k in signed_by),
        kids=tuple(k.kid for k in signed_by),
        text=text,
    )


def verify_checkpoint_with_jwks(note: str | bytes, jwks: Mapping[str, Any], origin: str) -> Checkpoint:
    """Verify a checkpoint of ``origin`` against a JWKS, using the origin as every key's name."""
    return verify_checkpoint(note, note_keys_from_jwks(jwks, origin), origin)
