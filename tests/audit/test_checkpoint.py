"""audit.pure.checkpoint_note: C2SP tlog-checkpoint text and signed notes with ECDSA (type 0x02)."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from audit.pure.checkpoint_note import (
    MAX_SIGNATURES,
    CheckpointError,
    NoteKey,
    format_checkpoint,
    note_key_id,
    note_keys_from_jwks,
    open_note,
    parse_checkpoint_text,
    parse_note,
    parse_verifier_key,
    sign_checkpoint,
    sign_note,
    verifier_key,
    verify_checkpoint,
    verify_checkpoint_with_jwks,
)
from audit.pure.evidence.keys import LocalP256Signer, jwk_from_public_key, jwks_document
from audit.pure.merkle import EMPTY_ROOT

ORIGIN = "governance.example/audit"
ROOT = hashlib.sha256(b"some tree").digest()
T0 = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
URLSAFE_ROOT = base64.urlsafe_b64encode(bytes([0xFF]) * 32).decode()  # '_' and '-' are not standard base64

# Real type-0x02 checkpoints and verifier keys, verbatim from transparency-dev/formats
# note/note_verifier_test.go (the Sigstore Rekor and Pixel 6 transparency log keys) and, with an
# extension line, from sigstore-js's checkpoint tests. They prove interoperability with the Go
# implementation the C2SP spec names for signature type 0x02.
REKOR_VKEY = (
    "rekor.sigstore.dev+c0d23d6a+AjBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABNhtmPtrWm3U1eQXBogSMdGvXwBcK5AW5i0hr"
    "ZLOC96l+smGNM7nwZ4QvFK/4sueRoVj//QP22Ni4Qt9DPfkWLc="
)
REKOR_NOTE = (
    "Rekor\n798034\nf+7CoKgXKE/tNys9TTXcr/ad6U/K3xvznmzew9y6SP0=\n\n"
    "\u2014 rekor.sigstore.dev wNI9ajBEAiARInWIWyCdyG27CO6LPnPekyw20qO0YJfoaPaowGp/XgIgc+qEHS3+GKVClgqq20u"
    "DLet7MCoTURUCRdxwWBHHufk=\n"
)
REKOR_NOTE_WITH_EXTENSION = (
    "rekor.sigstore.dev - 2605736670972794746\n21428036\nrxnoKyFZlJ7/R6bMh/d3lcqwKqAy5CL1LcNBJP17kgQ=\n"
    "Timestamp: 1688058656037355364\n\n"
    "\u2014 rekor.sigstore.dev wNI9ajBFAiEAuDk7uu5Ae8Own/MjhSZNuVzbLuYH2jBMxbSA0WaNDNACIDV4reKpYiOpkwtvazCCl"
    "npUuduF2o/th2xR3gRZAUU4\n"
)
PIXEL_VKEY = (
    "pixel6_transparency_log+91c16e30+AjBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABN+4x0Jk1yTwvLFI9A4NDdGZcX0aiWVdWM"
    "5XJVy0M4VWD3AvyW5Q6Hs9A0mcDkpUoYgn+KKPNzFC0H3nN3q6JQ8="
)
PIXEL_NOTE = (
    "DEFAULT\n10\nbsWRucJU5xJPHb5eBdOm6+DM+VelCZBuvtI3sHERJ9Y=\n\n"
    "\u2014 pixel6_transparency_log kcFuMDBFAiEAhqMAP8P6qf6QxtUJhzMhbN+MbZ9dwfUHzGQJmffJHtoCIGD0cNe47dHWBoPwY"
    "dgBCepB06/+g5O1FmYjXl06owL4\n"
)


@pytest.fixture(scope="module")
def signer() -> LocalP256Signer:
    return LocalP256Signer.generate()


def jwks_for(*signers: LocalP256Signer, retired: bool = False) -> dict[str, Any]:
    status = "retired" if retired else "active"
    return jwks_document(
        [
            jwk_from_public_key(s.public_key(), status=status, retired_at=T0 if retired else None)
            for s in signers
        ]
    )


def signature_line(text: str, name: str, private: ec.EllipticCurvePrivateKey) -> str:
    """An independently built type-0x02 signature line (spec recipe, not the module's code)."""
    der = private.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    sig = private.sign(text.encode(), ec.ECDSA(hashes.SHA256()))
    return f"\u2014 {name} {base64.b64encode(hashlib.sha256(der).digest()[:4] + sig).decode()}\n"


# --- format and parse -------------------------------------------------------------------------------


def test_format_checkpoint_is_the_c2sp_body() -> None:
    root_b64 = base64.b64encode(ROOT).decode()
    assert format_checkpoint(ORIGIN, 42, ROOT) == f"{ORIGIN}\n42\n{root_b64}\n"
    assert format_checkpoint(ORIGIN, 0, EMPTY_ROOT).split("\n")[1] == "0"
    assert format_checkpoint(ORIGIN, 1, ROOT, ["ext one", "ext two"]).endswith("\next one\next two\n")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("", 1, ROOT), "origin"),
        (("a\nb", 1, ROOT), "origin"),
        (("a\tb", 1, ROOT), "control character"),
        ((ORIGIN, -1, ROOT), "tree size"),
        ((ORIGIN, True, ROOT), "tree size"),
        ((ORIGIN, 2**64, ROOT), "tree size"),
        ((ORIGIN, 1, ROOT[:31]), "32 bytes"),
    ],
)
def test_format_checkpoint_rejects_bad_fields(args: tuple[Any, ...], message: str) -> None:
    with pytest.raises(CheckpointError, match=message):
        format_checkpoint(*args)


def test_parse_checkpoint_text_round_trips_and_keeps_extensions() -> None:
    text = format_checkpoint(ORIGIN, 1234, ROOT, ["Timestamp: 1"])
    assert parse_checkpoint_text(text) == (ORIGIN, 1234, ROOT, ("Timestamp: 1",))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (f"{ORIGIN}\n12\n", "lines"),
        (f"\n12\n{base64.b64encode(ROOT).decode()}\n", "origin line is empty"),
        (f"{ORIGIN}\n012\n{base64.b64encode(ROOT).decode()}\n", "leading zeros"),
        (f"{ORIGIN}\n+12\n{base64.b64encode(ROOT).decode()}\n", "decimal"),
        (f"{ORIGIN}\n1_2\n{base64.b64encode(ROOT).decode()}\n", "decimal"),
        (f"{ORIGIN}\n\u0661\n{base64.b64encode(ROOT).decode()}\n", "decimal"),  # Arabic-Indic one
        (f"{ORIGIN}\n12\n{base64.b64encode(ROOT[:20]).decode()}\n", "20 bytes"),
        (f"{ORIGIN}\n12\n{URLSAFE_ROOT}\n", "base64"),
        (f"{ORIGIN}\n12\n{base64.b64encode(ROOT).decode()}\n\nafter-empty\n", "non-empty"),
        (f"{ORIGIN}\n12\n{base64.b64encode(ROOT).decode()}", "newline"),
    ],
)
def test_parse_checkpoint_text_rejects_malformed_bodies(text: str, message: str) -> None:
    with pytest.raises(CheckpointError, match=message):
        parse_checkpoint_text(text)


# --- sign and verify --------------------------------------------------------------------------------


def test_sign_and_verify_round_trip(signer: LocalP256Signer) -> None:
    note = sign_checkpoint(ORIGIN, 1000, ROOT, signer)
    body, _, signatures = note.rpartition("\n\n")
    assert body + "\n" == format_checkpoint(ORIGIN, 1000, ROOT)
    assert signatures.startswith(f"\u2014 {ORIGIN} ") and signatures.count("\n") == 1

    checkpoint = verify_checkpoint(note, [(ORIGIN, signer.public_key())], origin=ORIGIN)
    assert (checkpoint.origin, checkpoint.size, checkpoint.root) == (ORIGIN, 1000, ROOT)
    assert checkpoint.kids == (signer.key_id,)
    assert checkpoint.key_ids == (bytes.fromhex(signer.key_id)[:4],)
    assert checkpoint.key_names == (ORIGIN,) and checkpoint.extensions == ()
    # The same note verifies through every accepted trust form.
    assert verify_checkpoint(note, {ORIGIN: signer.public_key()}).size == 1000
    assert verify_checkpoint(note, {ORIGIN: [signer.public_key()]}).size == 1000
    assert verify_checkpoint(note, [NoteKey(ORIGIN, signer.public_key())]).size == 1000
    assert verify_checkpoint_with_jwks(note.encode(), jwks_for(signer), ORIGIN).size == 1000


def test_key_id_is_the_truncated_spki_hash_and_ignores_the_name(signer: LocalP256Signer) -> None:
    der = signer.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    expected = hashlib.sha256(der).digest()[:4]
    assert note_key_id(ORIGIN, signer.public_key()) == expected
    assert note_key_id("other.example/name", signer.public_key()) == expected
    for bad in ("", "with space", "a+b", "tab\there", "nbsp\u00a0x"):
        with pytest.raises(CheckpointError, match="key name"):
            note_key_id(bad, signer.public_key())
    with pytest.raises(CheckpointError, match="P-256"):
        note_key_id(ORIGIN, ec.generate_private_key(ec.SECP384R1()).public_key())  # type: ignore[arg-type]


def test_custom_key_name_and_extension_lines(signer: LocalP256Signer) -> None:
    note = sign_checkpoint(ORIGIN, 7, ROOT, signer, key_name="witness.example/w1", extensions=["x: 1"])
    checkpoint = verify_checkpoint(note, [("witness.example/w1", signer.public_key())], origin=ORIGIN)
    assert checkpoint.extensions == ("x: 1",) and checkpoint.key_names == ("witness.example/w1",)
    with pytest.raises(CheckpointError, match="no signature from a trusted key"):
        verify_checkpoint(note, [(ORIGIN, signer.public_key())])  # right key, other name: unknown


@pytest.mark.parametrize("note", [REKOR_NOTE, PIXEL_NOTE, REKOR_NOTE_WITH_EXTENSION])
def test_real_type_0x02_checkpoints_from_transparency_dev_verify(note: str) -> None:
    keys = [parse_verifier_key(REKOR_VKEY), parse_verifier_key(PIXEL_VKEY)]
    checkpoint = verify_checkpoint(note, keys)
    assert checkpoint.size in {798034, 10, 21428036}
    if note is REKOR_NOTE_WITH_EXTENSION:
        assert checkpoint.origin == "rekor.sigstore.dev - 2605736670972794746"
        assert checkpoint.extensions == ("Timestamp: 1688058656037355364",)
        # Rekor's log ID is the full SPKI hash, which is also our JWKS kid scheme.
        assert checkpoint.kids == ("c0d23d6ad406973f9559f3ba2d1ca01f84147d8ffc5b8445c224f98b9591801d",)


def test_verifier_key_round_trips_in_go_note_format(signer: LocalP256Signer) -> None:
    vkey = verifier_key(ORIGIN, signer.public_key())
    name, key_hash, material = vkey.split("+", 2)
    assert (name, key_hash) == (ORIGIN, signer.key_id[:8])
    assert base64.b64decode(material)[0] == 0x02
    assert parse_verifier_key(vkey) == NoteKey(ORIGIN, signer.public_key())
    assert parse_verifier_key(REKOR_VKEY).key_id.hex() == "c0d23d6a"
    with pytest.raises(CheckpointError, match="does not match"):
        parse_verifier_key(REKOR_VKEY.replace("c0d23d6a", "00000000"))
    with pytest.raises(CheckpointError, match="signature type"):
        parse_verifier_key("name+01020304+AwEB")


def test_note_signed_by_an_untrusted_key_is_rejected(signer: LocalP256Signer) -> None:
    stranger = LocalP256Signer.generate()
    note = sign_checkpoint(ORIGIN, 5, ROOT, stranger)
    with pytest.raises(CheckpointError, match=r"no signature from a trusted key \(signed by "):
        verify_checkpoint(note, [(ORIGIN, signer.public_key())], origin=ORIGIN)
    with pytest.raises(CheckpointError, match="no trusted keys"):
        verify_checkpoint(note, [])


def _replace_body(note: str, old: str, new: str) -> str:
    body, sep, signatures = note.rpartition("\n\n")
    assert old in body
    return body.replace(old, new, 1) + sep + signatures


@pytest.mark.parametrize(
    "tamper",
    [
        lambda n: _replace_body(n, "\n1000\n", "\n1001\n"),  # size
        lambda n: _replace_body(n, "\n1000\n", "\n999\n"),  # size, shrunk
        lambda n: _replace_body(n, base64.b64encode(ROOT).decode(), base64.b64encode(bytes(32)).decode()),
        lambda n: _replace_body(n, ORIGIN, ORIGIN + "x"),  # origin (the key name still matches)
    ],
    ids=["size-grown", "size-shrunk", "root", "origin"],
)
def test_tampered_body_fails_the_signature(signer: LocalP256Signer, tamper: Any) -> None:
    note = tamper(sign_checkpoint(ORIGIN, 1000, ROOT, signer))
    with pytest.raises(CheckpointError, match="bad signature from trusted key"):
        verify_checkpoint(note, [(ORIGIN, signer.public_key())])


def flip_last_signature_byte(note: str) -> str:
    """The note with the last byte of its last signature flipped (still well-formed base64)."""
    head, _, line = note.rstrip("\n").rpartition("\n")
    name, encoded = line[2:].split(" ")
    raw = bytearray(base64.b64decode(encoded))
    raw[-1] ^= 0x01
    return f"{head}\n\u2014 {name} {base64.b64encode(bytes(raw)).decode()}\n"


def test_tampered_signature_bytes_are_rejected(signer: LocalP256Signer) -> None:
    forged = flip_last_signature_byte(sign_checkpoint(ORIGIN, 1000, ROOT, signer))
    with pytest.raises(CheckpointError, match="bad signature"):
        verify_checkpoint(forged, [(ORIGIN, signer.public_key())])


def test_wrong_origin_is_rejected_even_when_signed(signer: LocalP256Signer) -> None:
    note = sign_checkpoint("other.example/log", 3, ROOT, signer, key_name=ORIGIN)
    with pytest.raises(CheckpointError, match=r"is for origin 'other\.example/log', expected"):
        verify_checkpoint(note, [(ORIGIN, signer.public_key())], origin=ORIGIN)


def test_retired_keys_verify_revoked_keys_do_not(signer: LocalP256Signer) -> None:
    note = sign_checkpoint(ORIGIN, 9, ROOT, signer)
    assert verify_checkpoint_with_jwks(note, jwks_for(signer, retired=True), ORIGIN).size == 9
    revoked = jwks_document(
        [jwk_from_public_key(signer.public_key(), status="revoked", retired_at=T0, created_at=T0)]
    )
    assert [k.status for k in note_keys_from_jwks(revoked, ORIGIN)] == ["revoked"]
    with pytest.raises(CheckpointError, match="only by revoked key"):
        verify_checkpoint_with_jwks(note, revoked, ORIGIN)


def test_invalid_jwks_is_a_checkpoint_error() -> None:
    with pytest.raises(CheckpointError, match="invalid JWKS"):
        note_keys_from_jwks({"keys": [{"kty": "RSA"}]}, ORIGIN)


# --- signed-note edge rules -------------------------------------------------------------------------


def test_unknown_cosignatures_are_ignored_and_every_known_one_checked(signer: LocalP256Signer) -> None:
    witness = ec.generate_private_key(ec.SECP256R1())
    note = sign_checkpoint(ORIGIN, 11, ROOT, signer)
    text = parse_note(note).text
    cosigned = note + signature_line(text, "witness.example/w", witness)
    unknown_first = text + "\n" + signature_line(text, "witness.example/w", witness) + note.split("\n\n")[1]
    trusted = [(ORIGIN, signer.public_key())]
    assert verify_checkpoint(cosigned, trusted).kids == (signer.key_id,)
    assert verify_checkpoint(unknown_first, trusted).size == 11
    # Same name as a trusted key but another key ID: an unknown key, ignored (signed-note §Signatures).
    impostor = signature_line(text, ORIGIN, ec.generate_private_key(ec.SECP256R1()))
    assert verify_checkpoint(note + impostor, trusted).size == 11
    # Trust both: both signatures are verified and reported.
    both = [*trusted, ("witness.example/w", witness.public_key())]
    assert len(verify_checkpoint(cosigned, both).kids) == 2
    # A failing signature from a known key rejects the note even though another one verifies.
    broken = flip_last_signature_byte(cosigned)
    with pytest.raises(CheckpointError, match=r"bad signature from trusted key witness\.example/w"):
        verify_checkpoint(broken, both)


def test_independently_built_note_verifies(signer: LocalP256Signer) -> None:
    """The spec recipe, written out in the test, gives a note the module accepts (and vice versa)."""
    private = ec.generate_private_key(ec.SECP256R1())
    text = format_checkpoint(ORIGIN, 77, ROOT)
    note = text + "\n" + signature_line(text, ORIGIN, private)
    assert verify_checkpoint(note, [(ORIGIN, private.public_key())]).size == 77


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda n: n.replace("\n\n", "\n"), "no empty line"),
        (lambda n: n.rstrip("\n"), "does not end in a newline"),
        (lambda n: n.split("\n\n")[0] + "\n\n", "no signature lines"),
        (lambda n: n.replace("\u2014 ", "- "), "does not start with"),
        (lambda n: n.replace("\u2014 ", "\u2014  "), "key name"),
        (lambda n: n.replace("\n1000\n", "\n1000\r\n"), "control character U\\+000D"),
        (lambda n: n.replace("\n1000\n", "\n10\x0000\n"), "control character U\\+0000"),
        (lambda n: n.replace("\n1000\n", "\n10\x1b[2J00\n"), "control character U\\+001B"),
        (lambda n: n.replace("\n1000\n", "\n1000\t\n"), "control character U\\+0009"),
        (lambda n: n[:-3] + "!" + n[-2:], "base64"),
        (lambda n: n[: n.rindex(" ") + 1] + "AAAA\n", "too short"),
        (lambda n: n.replace("\n\n\u2014 " + ORIGIN, "\n\n\u2014 a+b"), "key name"),
    ],
    ids=[
        "no-blank-line",
        "no-final-newline",
        "no-signatures",
        "hyphen-not-em-dash",
        "empty-key-name",
        "carriage-return",
        "nul",
        "escape",
        "tab",
        "bad-base64",
        "short-signature",
        "plus-in-name",
    ],
)
def test_malformed_notes_are_rejected(signer: LocalP256Signer, mutate: Any, message: str) -> None:
    note = mutate(sign_checkpoint(ORIGIN, 1000, ROOT, signer))
    with pytest.raises(CheckpointError, match=message):
        verify_checkpoint(note, [(ORIGIN, signer.public_key())])


def test_text_ends_at_the_last_empty_line(signer: LocalP256Signer) -> None:
    """signed-note: the text may contain empty lines; only the last one separates the signatures."""
    text = "first paragraph\n\nsecond paragraph\n"
    note = sign_note(text, signer, "notes.example/k")
    opened, keys = open_note(note, [("notes.example/k", signer.public_key())])
    assert opened == text and keys[0].kid == signer.key_id
    # ...and such a text is not a checkpoint ("second paragraph" is no tree size).
    with pytest.raises(CheckpointError, match="tree size"):
        verify_checkpoint(note, [("notes.example/k", signer.public_key())])


def test_invalid_utf8_and_size_limits(signer: LocalP256Signer) -> None:
    note = sign_checkpoint(ORIGIN, 1, ROOT, signer)
    with pytest.raises(CheckpointError, match="UTF-8"):
        parse_note(note.encode().replace(b"\n1\n", b"\n\xff\n"))
    with pytest.raises(CheckpointError, match="UTF-8"):
        parse_note(note.replace("\n1\n", "\n\ud800\n"))
    other = signature_line("x\n", "k", ec.generate_private_key(ec.SECP256R1()))
    assert len(parse_note(note + other).signatures) == 2
    too_many = note + "".join(
        f"\u2014 w{i}.example {base64.b64encode(bytes(40)).decode()}\n" for i in range(MAX_SIGNATURES)
    )
    with pytest.raises(CheckpointError, match="more than the limit"):
        parse_note(too_many)
    sixteen = note + "".join(
        f"\u2014 w{i}.example {base64.b64encode(bytes(40)).decode()}\n" for i in range(15)
    )
    assert verify_checkpoint(sixteen, [(ORIGIN, signer.public_key())]).size == 1  # spec: MUST accept 16
    with pytest.raises(CheckpointError, match="larger than the limit"):
        parse_note("x" * (2 << 20))


def test_sign_note_refuses_bad_text(signer: LocalP256Signer) -> None:
    with pytest.raises(CheckpointError, match="end with a newline"):
        sign_note("no newline", signer, ORIGIN)
    with pytest.raises(CheckpointError, match="control character"):
        sign_note("bell\a\n", signer, ORIGIN)
    with pytest.raises(CheckpointError, match="key name"):
        sign_checkpoint(ORIGIN, 1, ROOT, signer, key_name="has space")


def test_a_signer_whose_output_does_not_verify_is_refused(signer: LocalP256Signer) -> None:
    class WrongKeySigner:
        key_id = signer.key_id
        algorithm = "ES256"

        def sign(self, data: bytes) -> bytes:
            return LocalP256Signer.generate().sign(data)

        def public_key(self) -> ec.EllipticCurvePublicKey:
            return signer.public_key()

    with pytest.raises(CheckpointError, match="rejects"):
        sign_checkpoint(ORIGIN, 1, ROOT, WrongKeySigner())
