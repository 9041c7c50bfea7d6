"""Offline verification of a whole exported audit log against its signed checkpoints.

This is what an auditor runs (``govctl verify log``) on a copy of the log, without trusting the
service that produced it. Every event row carries its sequence number, the exact bytes that were
hashed (``canonical``, RFC 8785 JSON) and the stored leaf hash. Each row is checked on its own:

* the sequence numbers are 0, 1, 2, ... with no gap, duplicate or reordering (RFC 6962 leaf
  indices are positions, so a missing or moved event changes every later root);
* ``leaf_hash == SHA-256(0x00 || canonical)`` (RFC 6962 §2.1 leaf hash);
* ``canonical`` is a JSON object that names the entry: its ``id`` (entries accepted since the log
  separated accepting from integrating; the id must match the export's and appear once) or, for
  older entries, its ``seq`` (which must equal the row's); and (optionally) it is in RFC 8785
  canonical form, so there is exactly one byte string per event document;
* where the export carries the query ``columns`` the service kept beside the bytes, they say what
  the bytes say (a change to the columns alone is what a database edit looks like).

and the rows together are checked against the signed C2SP checkpoints (:mod:`audit.pure.checkpoint_note`):
the RFC 6962 tree hash of the first ``size`` leaves must equal the root of every checkpoint signed
for that size. A checkpoint larger than the log means the log was truncated.

The leaves are streamed into a :class:`audit.pure.merkle.CompactRange`, so memory is O(log n) for the
tree (plus the checkpoint list), whatever the size of the log. The result names the *first* bad
sequence number and why, as well as every problem found (up to a cap), each with the narrowest
range of sequence numbers the evidence can prove (a rewrite that kept leaf hashes consistent can
only be placed between the last checkpoint that matches and the first that does not).

Pure: standard library and ``cryptography`` only. The RFC 8785 check uses a small serializer
below instead of the ``rfc8785`` package so that the CLI installs and imports nothing else.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from audit.pure.checkpoint_note import (
    CheckpointError,
    NoteKey,
    note_keys_from_jwks,
    parse_checkpoint_text,
    parse_note,
    verify_checkpoint,
)
from audit.pure.merkle import CompactRange, hash_leaf

__all__ = [
    "LogProblem",
    "LogVerification",
    "MalformedEventError",
    "NonCanonicalEventError",
    "canonical_json",
    "column_disagreements",
    "parse_checkpoint_list",
    "read_events_jsonl",
    "verify_event_canonical",
    "verify_log",
]

_MAX_SAFE_INTEGER: Final = 2**53 - 1  # RFC 8785 §3.2.2.3: JSON numbers are IEEE 754 doubles
_HEX64_RE: Final = re.compile(r"[0-9a-fA-F]{64}")
_B64_RE: Final = re.compile(r"[A-Za-z0-9+/]*={0,2}")


class MalformedEventError(ValueError):
    """An exported event record cannot be read (bad JSON line, missing field, bad encoding)."""


class NonCanonicalEventError(ValueError):
    """An event's canonical bytes are not the RFC 8785 serialisation of the JSON they encode."""


# --- RFC 8785 (JCS) without the rfc8785 package -----------------------------------------------------


def _jcs_number(value: float) -> str:
    """ECMAScript Number::toString (ECMA-262 §6.1.6.1.20), which RFC 8785 §3.2.2.3 mandates.

    ``repr`` already yields the shortest digit string that round-trips (the same digits
    ECMAScript picks); only the placement of the decimal point and exponent differs.
    """
    if not math.isfinite(value):
        raise NonCanonicalEventError(f"{value} cannot be represented in RFC 8785 JSON")
    if value == 0:
        return "0"  # also for -0.0, as ECMAScript prints it
    if value < 0:
        return "-" + _jcs_number(-value)
    mantissa, _, exponent = repr(value).partition("e")
    whole, _, fraction = mantissa.partition(".")
    digits = whole + fraction
    point = len(whole) + (int(exponent) if exponent else 0)
    significant = digits.lstrip("0")
    point -= len(digits) - len(significant)
    digits = significant.rstrip("0")
    k, n = len(digits), point  # value = 0.<digits> * 10**n, as in the ECMAScript algorithm
    if k <= n <= 21:
        return digits + "0" * (n - k)
    if 0 < n <= 21:
        return f"{digits[:n]}.{digits[n:]}"
    if -6 < n <= 0:
        return "0." + "0" * -n + digits
    head = digits[0] + (f".{digits[1:]}" if k > 1 else "")
    return f"{head}e{'+' if n - 1 >= 0 else '-'}{abs(n - 1)}"


def _jcs(value: Any, out: list[str]) -> None:
    if value is None:
        out.append("null")
    elif value is True or value is False:
        out.append("true" if value else "false")
    elif isinstance(value, int):
        if abs(value) <= _MAX_SAFE_INTEGER:
            out.append(str(value))
        else:
            # A JSON number is a double (§3.2.2.3): a large double such as 1e20 is *printed* as an
            # integer literal, which json.loads returns as an int. Its canonical text is that of the
            # nearest double, so a literal that is not exactly such a double fails the comparison.
            try:
                as_double = float(value)
            except OverflowError:
                raise NonCanonicalEventError(f"{value} cannot be represented as an IEEE 754 double") from None
            out.append(_jcs_number(as_double))
    elif isinstance(value, float):
        out.append(_jcs_number(value))
    elif isinstance(value, str):
        out.append(json.dumps(value, ensure_ascii=False))  # the JSON.stringify escapes of §3.2.2.2
    elif isinstance(value, list):
        out.append("[")
        for index, item in enumerate(value):
            if index:
                out.append(",")
            _jcs(item, out)
        out.append("]")
    elif isinstance(value, dict):
        out.append("{")
        # §3.2.3: members sorted by the UTF-16 code units of their names.
        for index, key in enumerate(sorted(value, key=lambda k: k.encode("utf-16-be", "surrogatepass"))):
            if index:
                out.append(",")
            out.append(json.dumps(key, ensure_ascii=False))
            out.append(":")
            _jcs(value[key], out)
        out.append("}")
    else:  # pragma: no cover - json.loads produces nothing else
        raise NonCanonicalEventError(f"unexpected JSON value of type {type(value).__name__}")


def canonical_json(value: Any) -> bytes:
    """RFC 8785 serialisation of a value decoded by :mod:`json` (dict, list, str, int, float...)."""
    out: list[str] = []
    _jcs(value, out)
    try:
        return "".join(out).encode("utf-8")
    except UnicodeEncodeError as exc:
        raise NonCanonicalEventError("a string contains a lone surrogate, which is not UTF-8") from exc


def _reject_duplicate_members(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise NonCanonicalEventError(f"duplicate JSON member {key!r}")
        result[key] = value
    return result


def _reject_constant(name: str) -> Any:
    raise NonCanonicalEventError(f"{name} is not JSON")


def _parse_event(canonical: bytes) -> Any:
    try:
        return json.loads(
            canonical.decode("utf-8"),
            object_pairs_hook=_reject_duplicate_members,
            parse_constant=_reject_constant,
        )
    except NonCanonicalEventError:
        raise
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise NonCanonicalEventError(f"canonical bytes are not UTF-8 JSON: {exc}") from exc


_LONG_DIGIT_RUN: Final = re.compile(rb"[0-9]{16,}")
_SUPPLEMENTARY_UTF8: Final = re.compile(rb"[\xf0-\xf4]")


def _proven_canonical(canonical: bytes) -> Any | None:
    """The document, if the C JSON codec proves ``canonical`` is already RFC 8785; else None.

    The fast path of verification (a log is millions of events): for documents without integers of
    16+ digits or characters beyond the BMP, whose floats are written in plain notation exactly as
    Python's ``repr`` writes them (the shortest round-trip digits, which RFC 8785 also uses in that
    range), ``json.dumps(sort_keys=True)`` with compact separators produces exactly the RFC 8785 bytes
    (same member order, same string escapes), so equality proves canonical form, and also that no
    member was duplicated. Anything else (or any mismatch) returns None and goes through the exact
    serializer above, which decides.
    """
    if _LONG_DIGIT_RUN.search(canonical) or _SUPPLEMENTARY_UTF8.search(canonical):
        return None
    unsure: list[str] = []

    def note_float(text: str) -> float:
        value = float(text)
        if "e" in text or "E" in text or repr(value) != text:
            unsure.append(text)
        return value

    try:
        document = json.loads(canonical, parse_float=note_float, parse_constant=_reject_constant)
        if unsure:
            return None
        again = json.dumps(document, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()
    except (NonCanonicalEventError, UnicodeError, ValueError, RecursionError):
        return None
    return document if again == canonical else None


def verify_event_canonical(canonical: bytes) -> None:
    """Raise :class:`NonCanonicalEventError` unless ``canonical`` is RFC 8785 canonical JSON.

    Parses the bytes (duplicate members refused) and re-serialises them with the stdlib RFC 8785
    serializer above; the bytes must come back identical. This is what makes the leaf hash a hash
    of the *event*, not of one of its many possible JSON spellings.
    """
    if canonical_json(_parse_event(canonical)) != canonical:
        raise NonCanonicalEventError("canonical bytes are valid JSON but not in RFC 8785 canonical form")


# --- Export formats ---------------------------------------------------------------------------------


def read_events_jsonl(lines: Iterable[bytes | str]) -> Iterator[tuple[Any, ...]]:
    """Decode the export format: JSON lines ``{"seq": int, "id": str, "canonical": base64,
    "leaf_hash": hex, "columns": {...}}`` (``id`` and ``columns`` optional).

    Yields ``(seq, canonical, leaf_hash)``, or ``(seq, canonical, leaf_hash, id, columns)`` when the
    record carries them, lazily, so a file or HTTP response of any
    size is read in constant memory. Blank lines are skipped; unknown members are ignored. A bad
    record raises :class:`MalformedEventError` naming the line, which :func:`verify_log` reports
    as a problem at the sequence number it expected there.
    """
    for number, raw in enumerate(lines, start=1):
        try:
            line = raw.decode("utf-8") if isinstance(raw, bytes | bytearray) else raw
        except UnicodeDecodeError as exc:
            raise MalformedEventError(f"events line {number} is not UTF-8") from exc
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError as exc:
            raise MalformedEventError(f"events line {number} is not JSON: {exc}") from exc
        if not isinstance(record, dict):
            raise MalformedEventError(f"events line {number} is not a JSON object")
        seq = record.get("seq")
        if not isinstance(seq, int) or isinstance(seq, bool) or seq < 0:
            raise MalformedEventError(f"events line {number}: 'seq' must be a non-negative integer")
        where = f"events line {number} (seq {seq})"
        encoded = record.get("canonical")
        if not isinstance(encoded, str) or not _B64_RE.fullmatch(encoded):
            raise MalformedEventError(f"{where}: 'canonical' must be standard base64")
        try:
            canonical = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise MalformedEventError(f"{where}: 'canonical' is not valid base64") from exc
        leaf_hash = record.get("leaf_hash")
        if not isinstance(leaf_hash, str) or not _HEX64_RE.fullmatch(leaf_hash):
            raise MalformedEventError(f"{where}: 'leaf_hash' must be 64 hex characters")
        entry_id = record.get("id")
        if entry_id is not None and not isinstance(entry_id, str):
            raise MalformedEventError(f"{where}: 'id' must be a string")
        columns = record.get("columns")
        if columns is not None and not isinstance(columns, dict):
            raise MalformedEventError(f"{where}: 'columns' must be an object")
        if entry_id is None and columns is None:
            yield seq, canonical, bytes.fromhex(leaf_hash)
        else:
            yield seq, canonical, bytes.fromhex(leaf_hash), entry_id, columns


def parse_checkpoint_list(data: bytes | str | Any) -> list[str]:
    """Read the checkpoints export: a JSON array of signed notes, or ``{"checkpoints": [...]}``.

    Array items may also be objects with a ``note`` member, as the checkpoint list API returns.
    Raises :class:`CheckpointError` if the document has another shape.
    """
    if isinstance(data, bytes | bytearray | str):
        try:
            data = json.loads(data)
        except (ValueError, UnicodeDecodeError) as exc:
            raise CheckpointError(f"checkpoints document is not JSON: {exc}") from exc
    if isinstance(data, dict):
        data = data.get("checkpoints")
    if not isinstance(data, list):
        raise CheckpointError("checkpoints must be a JSON array of signed notes or {'checkpoints': [...]}")
    notes: list[str] = []
    for index, item in enumerate(data):
        note = item.get("note") if isinstance(item, dict) else item
        if not isinstance(note, str):
            raise CheckpointError(f"checkpoint #{index} is not a signed-note string")
        notes.append(note)
    return notes


# --- Verification -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class LogProblem:
    """One thing wrong with the log, located as narrowly as the evidence proves.

    ``seq`` is the first sequence number it affects, if any; ``last_seq`` the last one where the
    evidence can only place the problem within a range (a root that differs from a checkpoint's
    says *some* event in ``seq..last_seq`` differs, not which). ``kind`` is one of ``malformed``,
    ``sequence``, ``leaf_hash``, ``content``, ``canonical``, ``columns``, ``checkpoint`` (a note
    that does not verify), ``root_mismatch``, ``truncated``, ``unsigned``, ``head``.
    """

    seq: int | None
    kind: str
    reason: str
    last_seq: int | None = None

    @property
    def where(self) -> str:
        """``event 17`` or ``events 0..16`` (the proven range), or ``log`` when no event applies."""
        if self.seq is None:
            return "log"
        if self.last_seq is not None and self.last_seq != self.seq:
            return f"events {self.seq}..{self.last_seq}"
        return f"event {self.seq}"


@dataclass(frozen=True)
class LogVerification:
    """The outcome of :func:`verify_log`.

    ``size`` and ``root`` describe the events read in sequence (the root over recomputed leaf
    hashes); ``verified_size`` is the largest checkpoint size whose signed root matched, so the
    ``size - verified_size`` most recent events are not yet covered by any signature.
    ``checked_checkpoints`` lists the sizes whose signed root matched. ``first_bad_seq`` and
    ``reason`` describe the first problem in log order (``reason`` alone when no sequence number
    applies, e.g. a forged checkpoint).
    """

    ok: bool
    origin: str
    size: int
    root: bytes
    verified_size: int
    checked_checkpoints: tuple[int, ...]
    first_bad_seq: int | None
    reason: str | None
    problems: tuple[LogProblem, ...]
    problem_count: int

    @property
    def first_problem(self) -> LogProblem | None:
        """The first problem in log order (or the first at all when none names an event)."""
        located = next((p for p in self.problems if p.seq is not None), None)
        return located or (self.problems[0] if self.problems else None)

    @property
    def headline(self) -> str:
        """One line saying where the first problem is and what it is (precise: a range when the
        evidence only proves a range), e.g. ``events 0..16: root of the first 17 events ...``."""
        first = self.first_problem
        if first is None:
            return ""
        if first.seq is None:
            return first.reason
        if first.kind in _UNLOCATED_KINDS and first.where.startswith("events"):
            return f"{first.where}: {first.reason}"
        return f"first bad sequence number {first.seq}: {first.reason}"


# Problems the evidence can only place within a range (some event in it differs, not which one).
_UNLOCATED_KINDS: Final = frozenset({"root_mismatch", "head"})


class _Problems:
    """Collects problems in detection order, keeping at most ``limit`` of them."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.kept: list[LogProblem] = []
        self.count = 0

    def add(self, seq: int | None, kind: str, reason: str, last_seq: int | None = None) -> None:
        self.count += 1
        if len(self.kept) < self.limit:
            self.kept.append(LogProblem(seq, kind, reason, last_seq))


def _claimed(note: str | bytes, origin: str) -> str:
    """What an unverifiable note claims about itself, to make the error findable; never trusted."""
    try:
        claimed_origin, size, _, _ = parse_checkpoint_text(parse_note(note).text)
    except (CheckpointError, ValueError):
        return ""
    other = f", origin {claimed_origin!r}" if claimed_origin != origin else ""
    return f" (unverified, claims size {size}{other})"


def _content_problem(
    seq: int, canonical: bytes, check_canonical: bool, entry_id: str | None, seen_ids: dict[str, int]
) -> tuple[dict[str, Any] | None, tuple[str, str] | None]:
    """The decoded document (if it decodes) and the first content problem, if any."""
    proven = _proven_canonical(canonical) if check_canonical else None
    try:
        document = proven if proven is not None else _parse_event(canonical)
    except NonCanonicalEventError as exc:
        return None, ("content", str(exc))
    if not isinstance(document, dict):
        return None, ("content", "canonical bytes are not a JSON object")
    if "id" in document:
        claimed_id = document["id"]
        if "seq" in document:
            return document, ("content", "event document holds both an id and a seq")
        if not isinstance(claimed_id, str):
            return document, ("content", f"event document id {claimed_id!r} is not a string")
        if entry_id is not None and claimed_id != entry_id:
            return document, (
                "content",
                f"event document says id {claimed_id}, but it is exported as {entry_id}",
            )
        first = seen_ids.setdefault(claimed_id, seq)
        if first != seq:
            return document, (
                "content",
                f"entry {claimed_id} appears twice (first at seq {first}): a replayed event",
            )
    else:
        claimed = document.get("seq")
        if claimed != seq or not isinstance(claimed, int) or isinstance(claimed, bool):
            return document, (
                "content",
                f"event document says seq {claimed!r}, but it is stored at seq {seq}",
            )
    if check_canonical and proven is None:
        try:
            if canonical_json(document) != canonical:
                return document, ("canonical", "canonical bytes are not in RFC 8785 canonical form")
        except NonCanonicalEventError as exc:
            return document, ("canonical", str(exc))
    return document, None


def column_disagreements(document: Mapping[str, Any], columns: Mapping[str, Any]) -> list[str]:
    """Members where the service's query columns disagree with the hashed document (sorted names).

    The API and export serve events decoded from the hashed bytes; the columns are what queries and
    filters see, so a difference means someone edited the database behind the log's back.
    """
    return sorted(key for key, value in columns.items() if document.get(key, _MISSING) != value)


_MISSING = object()


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def verify_log(
    events: Iterable[tuple[Any, ...]],
    checkpoints: Iterable[str | bytes],
    jwks: Mapping[str, Any] | Sequence[NoteKey],
    origin: str,
    *,
    check_canonical: bool = True,
    check_content: bool = True,
    max_problems: int = 100,
) -> LogVerification:
    """Verify an exported log (events in sequence order) against signed checkpoints.

    ``jwks`` is the trust anchor: a JWKS as published at ``/.well-known/jwks.json`` (active and
    retired keys verify, revoked keys never make a checkpoint trusted; every key is named
    ``origin``, as the service signs) or explicit :class:`~audit.pure.checkpoint_note.NoteKey` verifiers.
    ``check_content=False`` checks the structure only (positions, leaf hashes, the tree, every
    checkpoint): what proves nothing was changed since signing, at hashing speed; the default also
    decodes every document (its id, canonical form and columns), which locates column edits and
    non-canonical bytes.
    Checkpoints may come in any order. Raises :class:`CheckpointError` only for an unusable JWKS;
    every problem with the log itself is reported in the result. An ``origin`` that cannot be a
    note key name (spaces, ``+``) is refused with :class:`CheckpointError` too.
    """
    keys = note_keys_from_jwks(jwks, origin) if isinstance(jwks, Mapping) else list(jwks)
    problems = _Problems(max_problems)

    roots_by_size: dict[int, set[bytes]] = {}
    given = 0
    for index, note in enumerate(checkpoints):
        given += 1
        try:
            checkpoint = verify_checkpoint(note, keys, origin)
        except CheckpointError as exc:
            problems.add(None, "checkpoint", f"checkpoint #{index}{_claimed(note, origin)}: {exc}")
            continue
        roots_by_size.setdefault(checkpoint.size, set()).add(checkpoint.root)
    pending = sorted(roots_by_size, reverse=True)  # pop() yields the smallest size next

    tree = CompactRange()
    checked: list[int] = []
    verified_size = 0
    root_mismatches = 0

    def compare_checkpoints() -> None:
        nonlocal verified_size, root_mismatches
        while pending and pending[-1] == tree.size:
            size = pending.pop()
            computed = tree.root()
            signed = roots_by_size[size]
            if signed == {computed}:
                checked.append(size)
                verified_size = size
                continue
            root_mismatches += 1
            if root_mismatches > 1:
                continue  # implied by the first mismatch: every later root covers the same leaves
            fork = (
                f"{len(signed)} different roots were signed for size {size} (a fork); "
                if len(signed) > 1
                else ""
            )
            other = sorted(_b64(r) for r in signed if r != computed)
            start = verified_size
            problems.add(
                start,
                "root_mismatch",
                f"{fork}root of the first {size} events is {_b64(computed)} but the checkpoint signed "
                f"{', '.join(other)}: an event in seq {start}..{size - 1} differs from what was signed "
                f"(the checkpoints cannot narrow it further)",
                size - 1,
            )

    compare_checkpoints()  # a checkpoint of the empty tree
    expected = 0
    complete = True
    seen_ids: dict[str, int] = {}
    iterator = iter(events)
    while True:
        try:
            item = next(iterator)
        except StopIteration:
            break
        except MalformedEventError as exc:
            problems.add(expected, "malformed", str(exc))
            complete = False
            break
        seq, canonical, leaf_hash, *extra = item
        entry_id, columns = [*extra, None, None][:2]
        is_int = isinstance(seq, int) and not isinstance(seq, bool)
        if not is_int or seq != expected:
            if is_int and seq > expected:
                gap = f"event {expected} is" if seq == expected + 1 else f"events {expected}..{seq - 1} are"
                reason = f"found seq {seq} where {expected} belongs: {gap} missing or out of order"
            else:
                reason = f"found seq {seq!r} where {expected} belongs (duplicate or out of order)"
            problems.add(expected, "sequence", reason, seq - 1 if is_int and seq > expected else None)
            complete = False
            break
        computed = hash_leaf(bytes(canonical))
        if bytes(leaf_hash) != computed:
            problems.add(
                seq,
                "leaf_hash",
                f"stored leaf hash {bytes(leaf_hash).hex()} is not SHA-256(0x00 || canonical) "
                f"{computed.hex()}: the event bytes were altered",
            )
        document, content = (
            _content_problem(seq, bytes(canonical), check_canonical, entry_id, seen_ids)
            if check_content
            else (None, None)
        )
        if content is not None:
            problems.add(seq, *content)
        if document is not None and columns is not None:
            differing = column_disagreements(document, columns)
            if differing:
                problems.add(
                    seq,
                    "columns",
                    f"the event's columns disagree with its hashed bytes on {', '.join(differing)} "
                    f"(the bytes are what was logged; the columns were changed)",
                )
        tree.append(computed)
        expected += 1
        compare_checkpoints()

    if root_mismatches > 1:
        problems.add(
            None,
            "root_mismatch",
            f"{root_mismatches - 1} later checkpoint(s) do not match either (implied by the first; "
            f"whether events after it differ too cannot be proven from roots alone)",
        )
    if complete and pending:
        largest = pending[0]
        problems.add(
            expected,
            "truncated",
            f"the log ends after {expected} events but a checkpoint was signed for size {largest}: "
            f"events {expected}..{largest - 1} are missing (truncated log)",
            largest - 1,
        )
    if given == 0:
        problems.add(None, "unsigned", "no signed checkpoint was given: nothing vouches for this log")

    first = next((p for p in problems.kept if p.seq is not None), None)
    headline = first or (problems.kept[0] if problems.kept else None)
    return LogVerification(
        ok=problems.count == 0,
        origin=origin,
        size=expected,
        root=tree.root(),
        verified_size=verified_size,
        checked_checkpoints=tuple(checked),
        first_bad_seq=first.seq if first else None,
        reason=headline.reason if headline else None,
        problems=tuple(problems.kept),
        problem_count=problems.count,
    )
