"""audit.pure.log_verify: re-verifying an exported audit log offline against its signed checkpoints."""

from __future__ import annotations

import base64
import datetime as dt
import json
import random
import struct
from collections.abc import Iterator
from typing import Any

import pytest
import rfc8785

from audit.pure.canonical import canonical_bytes
from audit.pure.checkpoint_note import CheckpointError, sign_checkpoint
from audit.pure.evidence.keys import LocalP256Signer, jwk_from_public_key, jwks_document
from audit.pure.log_verify import (
    LogVerification,
    MalformedEventError,
    NonCanonicalEventError,
    canonical_json,
    parse_checkpoint_list,
    read_events_jsonl,
    verify_event_canonical,
    verify_log,
)
from audit.pure.merkle import EMPTY_ROOT, hash_leaf, root

ORIGIN = "governance.example/audit"
T0 = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
N = 1000
Event = tuple[int, bytes, bytes]


def event_document(seq: int) -> dict[str, Any]:
    """An event shaped like the service's, with floats and non-ASCII text to exercise RFC 8785."""
    return {
        "seq": seq,
        "time": T0 + dt.timedelta(seconds=seq),
        "actor": {"id": f"user-{seq % 7}", "label": "Zoë \u2014 reviewer"},
        "action": "model_version.approve" if seq % 3 else "fairness_check.complete",
        "target": {"type": "model_version", "id": str(seq // 10)},
        "payload": {"score": seq / 7, "tiny": 1e-7 * seq, "big": 1e21 + seq, "n": -seq, "ok": seq % 2 == 0},
        "request_id": f"req-{seq:06d}",
        "source_ip": "192.0.2.1" if seq % 5 else None,
    }


def make_event(seq: int, document: dict[str, Any] | None = None) -> Event:
    canonical = canonical_bytes(document if document is not None else event_document(seq))
    return seq, canonical, hash_leaf(canonical)


@pytest.fixture(scope="module")
def signer() -> LocalP256Signer:
    return LocalP256Signer.generate()


@pytest.fixture(scope="module")
def jwks(signer: LocalP256Signer) -> dict[str, Any]:
    return jwks_document([jwk_from_public_key(signer.public_key(), created_at=T0)])


@pytest.fixture(scope="module")
def log() -> list[Event]:
    return [make_event(seq) for seq in range(N)]


def checkpoints_for(events: list[Event], signer: LocalP256Signer, sizes: range | list[int]) -> list[str]:
    leaves = [leaf for _, _, leaf in events]
    return [sign_checkpoint(ORIGIN, size, root(leaves[:size]), signer) for size in sizes]


@pytest.fixture(scope="module")
def checkpoints(log: list[Event], signer: LocalP256Signer) -> list[str]:
    return checkpoints_for(log, signer, range(100, N + 1, 100))


def kinds(result: LogVerification) -> list[str]:
    return [p.kind for p in result.problems]


# --- whole-log verification -------------------------------------------------------------------------


def test_valid_log_verifies(log: list[Event], checkpoints: list[str], jwks: dict[str, Any]) -> None:
    result = verify_log(iter(log), checkpoints, jwks, ORIGIN)
    assert result.ok, result.problems
    assert result.size == N and result.root == root([leaf for _, _, leaf in log])
    assert result.checked_checkpoints == tuple(range(100, N + 1, 100))
    assert result.verified_size == N
    assert result.first_bad_seq is None and result.reason is None and result.problems == ()


def test_checkpoints_in_any_order_and_an_unsigned_tail(
    log: list[Event], checkpoints: list[str], jwks: dict[str, Any]
) -> None:
    shuffled = checkpoints[:-1]  # the last 100 events are not covered by a checkpoint yet
    random.Random(4).shuffle(shuffled)
    result = verify_log(log, shuffled + shuffled[:2], jwks, ORIGIN)  # duplicates are harmless
    assert result.ok and result.verified_size == 900 and result.size == N
    assert result.checked_checkpoints == tuple(range(100, 901, 100))


def test_one_edited_canonical_byte_is_reported_at_its_sequence_number(
    log: list[Event], checkpoints: list[str], jwks: dict[str, Any]
) -> None:
    events = list(log)
    seq, canonical, leaf = events[417]
    edited = canonical.replace(b'"user-', b'"usex-', 1)
    assert edited != canonical and len(edited) == len(canonical)
    events[417] = (seq, edited, leaf)
    result = verify_log(events, checkpoints, jwks, ORIGIN)
    assert not result.ok
    assert result.first_bad_seq == 417
    assert "stored leaf hash" in (result.reason or "") and "altered" in (result.reason or "")
    assert kinds(result)[:2] == ["leaf_hash", "root_mismatch"]  # checkpoint 500 no longer matches
    assert result.checked_checkpoints == (100, 200, 300, 400) and result.verified_size == 400


def test_rehashed_edit_is_caught_by_the_next_checkpoint(
    log: list[Event], checkpoints: list[str], jwks: dict[str, Any]
) -> None:
    """An attacker who also recomputes the leaf hash is caught by the signed root of the window."""
    events = list(log)
    document = event_document(417)
    document["action"] = "model_version.reject"
    events[417] = make_event(417, document)
    result = verify_log(events, checkpoints, jwks, ORIGIN)
    assert result.first_bad_seq == 400
    assert kinds(result) == ["root_mismatch", "root_mismatch"]
    assert "seq 400..499" in (result.reason or "")
    assert "5 later checkpoint(s)" in result.problems[1].reason


def test_deleted_event_is_reported_at_the_gap(
    log: list[Event], checkpoints: list[str], jwks: dict[str, Any]
) -> None:
    events = log[:250] + log[251:]
    result = verify_log(events, checkpoints, jwks, ORIGIN)
    assert result.first_bad_seq == 250
    assert kinds(result) == ["sequence"]
    assert "found seq 251 where 250 belongs: event 250 is missing" in (result.reason or "")
    assert result.size == 250 and result.checked_checkpoints == (100, 200)


def test_swapped_events_are_reported_at_the_earlier_one(
    log: list[Event], checkpoints: list[str], jwks: dict[str, Any]
) -> None:
    events = list(log)
    events[300], events[301] = events[301], events[300]
    result = verify_log(events, checkpoints, jwks, ORIGIN)
    assert result.first_bad_seq == 300 and kinds(result) == ["sequence"]
    big_gap = verify_log(log[:10] + log[20:], checkpoints, jwks, ORIGIN)
    assert "events 10..19 are missing or out of order" in (big_gap.reason or "")

    # Same rows, but the payloads swapped under unchanged sequence numbers: the document's own
    # "seq" gives it away, and so does the checkpoint.
    relabelled = list(log)
    relabelled[300] = (300, log[301][1], log[301][2])
    relabelled[301] = (301, log[300][1], log[300][2])
    result = verify_log(relabelled, checkpoints, jwks, ORIGIN)
    assert result.first_bad_seq == 300
    assert "says seq 301, but it is stored at seq 300" in (result.reason or "")


def test_duplicated_event_is_reported_where_the_next_one_belongs(
    log: list[Event], checkpoints: list[str], jwks: dict[str, Any]
) -> None:
    events = [*log[:600], log[599], *log[600:]]
    result = verify_log(events, checkpoints, jwks, ORIGIN)
    assert result.first_bad_seq == 600
    assert "found seq 599 where 600 belongs (duplicate or out of order)" in (result.reason or "")


def test_truncated_log_is_an_error(log: list[Event], checkpoints: list[str], jwks: dict[str, Any]) -> None:
    result = verify_log(log[:950], checkpoints, jwks, ORIGIN)
    assert not result.ok and result.first_bad_seq == 950
    assert kinds(result) == ["truncated"]
    assert "size 1000" in (result.reason or "") and "truncated" in (result.reason or "")
    assert result.checked_checkpoints[-1] == 900

    emptied = verify_log([], checkpoints, jwks, ORIGIN)
    assert emptied.first_bad_seq == 0 and emptied.root == EMPTY_ROOT


def test_checkpoint_signed_by_an_unknown_key_is_an_error(
    log: list[Event], checkpoints: list[str], jwks: dict[str, Any]
) -> None:
    forged = checkpoints_for(log, LocalP256Signer.generate(), [N])
    result = verify_log(log, [*checkpoints[:-1], *forged], jwks, ORIGIN)
    assert not result.ok and result.first_bad_seq is None
    assert kinds(result) == ["checkpoint"]
    assert "claims size 1000" in (result.reason or "")
    assert "no signature from a trusted key" in (result.reason or "")
    assert result.verified_size == 900  # the genuine checkpoints still verify


def test_retired_key_still_verifies_old_checkpoints(log: list[Event]) -> None:
    old, new = LocalP256Signer.generate(), LocalP256Signer.generate()
    notes = checkpoints_for(log, old, [100, 500]) + checkpoints_for(log, new, [700, N])
    rotated = T0 + dt.timedelta(days=30)
    jwks = jwks_document(
        [
            jwk_from_public_key(old.public_key(), status="retired", created_at=T0, retired_at=rotated),
            jwk_from_public_key(new.public_key(), created_at=rotated),
        ]
    )
    result = verify_log(log, notes, jwks, ORIGIN)
    assert result.ok and result.checked_checkpoints == (100, 500, 700, N)

    only_new = jwks_document([jwk_from_public_key(new.public_key(), created_at=rotated)])
    assert kinds(verify_log(log, notes, only_new, ORIGIN)) == ["checkpoint", "checkpoint"]

    revoked = jwks_document(
        [
            jwk_from_public_key(old.public_key(), status="revoked", created_at=T0, retired_at=rotated),
            jwk_from_public_key(new.public_key(), created_at=rotated),
        ]
    )
    result = verify_log(log, notes, revoked, ORIGIN)
    assert kinds(result) == ["checkpoint", "checkpoint"] and "revoked" in (result.reason or "")


def test_checkpoint_for_another_origin_is_rejected(log: list[Event], signer: LocalP256Signer) -> None:
    leaves = [leaf for _, _, leaf in log]
    note = sign_checkpoint("other.example/log", N, root(leaves), signer, key_name=ORIGIN)
    jwks = jwks_document([jwk_from_public_key(signer.public_key())])
    result = verify_log(log, [note], jwks, ORIGIN)
    assert kinds(result) == ["checkpoint"] and "expected 'governance.example/audit'" in (result.reason or "")
    # A mistyped --origin: the keys get the wrong name, and the error shows the origin signed.
    renamed = sign_checkpoint(ORIGIN, N, root(leaves), signer)
    wrong = verify_log(log, [renamed], jwks, "wrong.example/log")
    assert f"claims size {N}, origin '{ORIGIN}'" in (wrong.reason or "")


def test_forked_log_two_roots_for_one_size(
    log: list[Event], checkpoints: list[str], jwks: dict[str, Any], signer: LocalP256Signer
) -> None:
    other = sign_checkpoint(ORIGIN, 300, bytes(32), signer)
    result = verify_log(log, [*checkpoints, other], jwks, ORIGIN)
    assert result.first_bad_seq == 200 and kinds(result)[0] == "root_mismatch"
    assert "2 different roots were signed for size 300 (a fork)" in (result.reason or "")


def test_no_checkpoint_means_nothing_vouches_for_the_log(log: list[Event], jwks: dict[str, Any]) -> None:
    result = verify_log(log[:10], [], jwks, ORIGIN)
    assert not result.ok and kinds(result) == ["unsigned"] and result.first_bad_seq is None


def test_empty_tree_checkpoint(jwks: dict[str, Any], signer: LocalP256Signer) -> None:
    assert verify_log([], [sign_checkpoint(ORIGIN, 0, EMPTY_ROOT, signer)], jwks, ORIGIN).ok


def test_non_canonical_json_is_reported_unless_disabled(
    log: list[Event], signer: LocalP256Signer, jwks: dict[str, Any]
) -> None:
    events = list(log[:100])
    spaced = json.dumps({"seq": 42, "b": 1, "a": 2}).encode()  # whitespace and key order
    events[42] = (42, spaced, hash_leaf(spaced))
    notes = checkpoints_for(events, signer, [100])
    result = verify_log(events, notes, jwks, ORIGIN)
    assert result.first_bad_seq == 42 and kinds(result) == ["canonical"]
    assert verify_log(events, notes, jwks, ORIGIN, check_canonical=False).ok


def test_invalid_jwks_raises(log: list[Event]) -> None:
    with pytest.raises(CheckpointError, match="invalid JWKS"):
        verify_log(log, [], {"keys": "nope"}, ORIGIN)


def test_stops_reading_at_a_sequence_break(
    log: list[Event], checkpoints: list[str], jwks: dict[str, Any]
) -> None:
    consumed = 0

    def stream() -> Iterator[Event]:
        nonlocal consumed
        for event in log[:10] + log[11:]:
            consumed += 1
            yield event

    result = verify_log(stream(), checkpoints, jwks, ORIGIN)
    assert result.first_bad_seq == 10 and consumed == 11


def test_problem_list_is_capped(log: list[Event], checkpoints: list[str], jwks: dict[str, Any]) -> None:
    events = [(seq, canonical + b" ", leaf) for seq, canonical, leaf in log]
    result = verify_log(events, checkpoints, jwks, ORIGIN, max_problems=5)
    assert len(result.problems) == 5 and result.problem_count > 1000
    assert result.first_bad_seq == 0


# --- export formats ---------------------------------------------------------------------------------


def jsonl(events: list[Event]) -> list[bytes]:
    return [
        (
            json.dumps({"seq": s, "canonical": base64.b64encode(c).decode(), "leaf_hash": h.hex()}) + "\n"
        ).encode()
        for s, c, h in events
    ]


def test_read_events_jsonl_round_trip(log: list[Event]) -> None:
    lines = jsonl(log[:50])
    assert list(read_events_jsonl([*lines, b"\n"])) == log[:50]
    assert list(read_events_jsonl(line.decode() for line in lines)) == log[:50]


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (b"not json\n", "events line 3 is not JSON"),
        (b"[1]\n", "not a JSON object"),
        (b'{"seq": "2", "canonical": "", "leaf_hash": ""}\n', "'seq' must be"),
        (b'{"seq": true, "canonical": "", "leaf_hash": ""}\n', "'seq' must be"),
        (b'{"seq": 2, "canonical": "*", "leaf_hash": ""}\n', r"line 3 \(seq 2\): 'canonical'"),
        (b'{"seq": 2, "canonical": "abc", "leaf_hash": ""}\n', "not valid base64"),
        (b'{"seq": 2, "canonical": "", "leaf_hash": "zz"}\n', "'leaf_hash' must be 64 hex"),
        (b"\xff\n", "not UTF-8"),
    ],
)
def test_malformed_export_lines(log: list[Event], line: bytes, message: str) -> None:
    lines = [*jsonl(log[:2]), line]
    with pytest.raises(MalformedEventError, match=message):
        list(read_events_jsonl(lines))


def test_malformed_line_is_a_problem_at_the_expected_seq(
    log: list[Event], checkpoints: list[str], jwks: dict[str, Any]
) -> None:
    lines = jsonl(log)
    lines[123] = b"{broken\n"
    result = verify_log(read_events_jsonl(lines), checkpoints, jwks, ORIGIN)
    assert result.first_bad_seq == 123 and kinds(result) == ["malformed"]
    assert "events line 124" in (result.reason or "")


def test_parse_checkpoint_list_shapes(checkpoints: list[str]) -> None:
    assert parse_checkpoint_list(json.dumps(checkpoints)) == checkpoints
    assert parse_checkpoint_list(json.dumps({"checkpoints": checkpoints}).encode()) == checkpoints
    assert parse_checkpoint_list([{"note": checkpoints[0], "size": 100}]) == checkpoints[:1]
    for bad in ("{", "{}", "[1]", '"x"'):
        with pytest.raises(CheckpointError):
            parse_checkpoint_list(bad)


# --- RFC 8785 without the rfc8785 package -----------------------------------------------------------


def random_float(rng: random.Random) -> float:
    while True:
        value: float = struct.unpack("<d", rng.getrandbits(64).to_bytes(8, "little"))[0]
        if value == value and abs(value) != float("inf"):
            return value


def test_stdlib_jcs_matches_the_rfc8785_package_on_numbers() -> None:
    rng = random.Random(8785)
    edge = [0.0, -0.0, 1.0, -1.5, 0.1, 1e-6, 1e-7, 1.5e-7, 1e20, 1e21, 1e16, 5e-324, 1.7976931348623157e308]
    edge += [123456789012345680000.0, 333333333.3333333, 9007199254740993.0, 2.0**53, 0.000001234]
    values = edge + [random_float(rng) for _ in range(20000)]
    values += [rng.uniform(-1e6, 1e6) for _ in range(5000)] + [
        rng.random() * 10.0 ** rng.randint(-30, 30) for _ in range(5000)
    ]
    for value in values:
        assert canonical_json(value) == rfc8785.dumps(value), value
    for integer in (0, -1, 2**53 - 1, -(2**53 - 1)):
        assert canonical_json(integer) == rfc8785.dumps(integer)
    for big in (1e20, 2.0**53, 2.0**60, -3.892953312528451e18):  # doubles printed as integer literals
        assert canonical_json(json.loads(rfc8785.dumps(big))) == rfc8785.dumps(big)


def test_stdlib_jcs_matches_the_rfc8785_package_on_documents(log: list[Event]) -> None:
    rng = random.Random(6)
    alphabet = [
        "a",
        "B",
        "\u00e9",
        "\u20ac",
        "\U0001f600",
        '"',
        "\\",
        "\n",
        "\x00",
        "\x1f",
        "\x7f",
        "\u2028",
        "\ufb33",
    ]

    def text() -> str:
        return "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 6)))

    def value(depth: int) -> Any:
        choice = rng.randint(0, 7 if depth < 3 else 4)
        if choice == 0:
            return None
        if choice == 1:
            return rng.random() < 0.5
        if choice == 2:
            return rng.randint(-(2**53) + 1, 2**53 - 1)
        if choice == 3:
            return random_float(rng)
        if choice == 4:
            return text()
        if choice == 5:
            return [value(depth + 1) for _ in range(rng.randint(0, 4))]
        return {text(): value(depth + 1) for _ in range(rng.randint(0, 4))}

    for _ in range(2000):
        document = value(0)
        expected = rfc8785.dumps(document)
        assert canonical_json(json.loads(expected)) == expected
        verify_event_canonical(expected)
    for _, canonical, _ in log:  # the service's own serialisation (audit.pure.canonical) passes
        verify_event_canonical(canonical)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b'{"seq": 1}', "not in RFC 8785 canonical form"),
        (b'{"b":1,"a":2}', "not in RFC 8785"),
        (b'{"a":1.0}', "not in RFC 8785"),
        (b'{"a":1E2}', "not in RFC 8785"),
        (b'{"a":"\\u00e9"}', "not in RFC 8785"),
        (b'{"a":"\\/"}', "not in RFC 8785"),
        (b'{"a":-0}', "not in RFC 8785"),
        (b'{"a":1,"a":1}', "duplicate JSON member"),
        (b'{"a":NaN}', "NaN is not JSON"),
        (b'{"a":9007199254740993}', "not in RFC 8785"),  # 2**53 + 1 is no double; 2**53 is
        (b'{"a":1' + b"0" * 400 + b"}", "cannot be represented"),
        (b'{"a":1e400}', "cannot be represented"),
        (b'{"a":"\\ud800"}', "lone surrogate"),
        (b'{"a":1', "not UTF-8 JSON"),
        (b'\xef\xbb\xbf{"a":1}', "not UTF-8 JSON"),
    ],
)
def test_verify_event_canonical_rejects(data: bytes, message: str) -> None:
    with pytest.raises(NonCanonicalEventError, match=message):
        verify_event_canonical(data)
