"""Every tampering case is caught by both verifiers, each saying precisely where, and all of it.

``manage.py audit_verify`` reads the database; ``govctl verify log`` reads only what the API exports
(events, checkpoints, JWKS), as an auditor would offline. Both run the same pure checks.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection

from audit.checkpoints import checkpoint_sign
from audit.integrator import audit_integrate
from audit.models import AuditEvent
from audit.pure.canonical import canonical_bytes
from audit.pure.merkle import hash_leaf
from audit.services import audit_append, event_document
from governance.accounts.principal import cli_principal
from governance.fairness import events as fairness_events
from tests.govctl.helpers import run_govctl

pytestmark = pytest.mark.django_db
ACTOR = cli_principal("test")


def append(n: int, passed: bool = False) -> None:
    for i in range(n):
        audit_append(
            actor=ACTOR,
            action=fairness_events.BIAS_REPORT_CREATE,
            target_type="fairness.biasreport",
            target_id=str(i),
            payload={
                "fairness_check_id": i,
                "model_version_id": 1,
                "passed": passed,
                "rows": 1000,
                "input_sha256": "0" * 64,
                "policy_result": {},
            },
        )
    audit_integrate()


@pytest.fixture
def log_with_checkpoints():
    """Checkpoints at sizes 6 and 18 (the first entry is the signing key's creation)."""
    checkpoint_sign()  # creates the key: entry 0, checkpoint at 1
    append(5)
    assert checkpoint_sign().size == 6
    append(12)
    assert checkpoint_sign().size == 18
    append(2)  # two entries after the last checkpoint


def raw(sql: str, params: list) -> None:
    """Edit the table as a database superuser would, bypassing the application (and its triggers)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute(sql, params)


def audit_verify() -> tuple[bool, str]:
    err = io.StringIO()
    try:
        call_command("audit_verify", stdout=io.StringIO(), stderr=err)
    except CommandError as exc:
        return False, f"{exc}\n{err.getvalue()}"
    return True, ""


def govctl_verify(tmp_path: Path, client) -> tuple[int, str, dict]:
    """Export through the API, then verify offline with the standalone CLI (text and JSON)."""
    events = tmp_path / "events.jsonl"
    events.write_bytes(b"".join(client.get("/api/v1/audit/export").streaming_content))
    (tmp_path / "checkpoints.json").write_text(
        json.dumps(client.get("/api/v1/audit/checkpoints/export").json())
    )
    (tmp_path / "jwks.json").write_text(json.dumps(client.get("/.well-known/jwks.json").json()))
    args = [
        "verify",
        "log",
        "--events",
        events,
        "--checkpoints",
        tmp_path / "checkpoints.json",
        "--keys",
        tmp_path / "jwks.json",
        "--origin",
        settings.AUDIT_LOG_ORIGIN,
    ]
    text = run_govctl(*args)
    document = json.loads(run_govctl(*args, "--output", "json").stdout)
    return text.returncode, text.stderr, document


@pytest.fixture
def auditor(make_user, client_for):
    return client_for(make_user("auditor"))


def test_intact_log_passes_both(log_with_checkpoints, auditor, tmp_path):
    assert audit_verify() == (True, "")
    code, _, document = govctl_verify(tmp_path, auditor)
    assert code == 0 and document["ok"] and document["size"] == 20


def test_column_only_edit_is_caught_by_both_and_the_api_serves_the_hashed_value(
    log_with_checkpoints, auditor, tmp_path
):
    """The outside check's case: a bias report's payload.passed flipped in the columns only."""
    event = AuditEvent.objects.get(seq=3)
    raw(
        "UPDATE audit_auditevent SET payload = %s WHERE seq = 3",
        [json.dumps({**event.payload, "passed": True})],
    )
    ok, message = audit_verify()
    assert not ok
    assert (
        "first bad sequence number 3: the event's columns disagree with its hashed bytes on payload"
        in message
    )
    code, stderr, document = govctl_verify(tmp_path, auditor)
    assert code == 1
    assert (
        "first bad sequence number 3: the event's columns disagree with its hashed bytes on payload" in stderr
    )
    assert [(p["seq"], p["kind"]) for p in document["problems"]] == [(3, "columns")]
    served = auditor.get(f"/api/v1/audit/events/{event.entry_id}").json()
    assert served["payload"]["passed"] is False  # decoded from the hashed bytes, not the columns


def test_consistent_rewrite_is_located_by_the_range_the_checkpoints_prove(
    log_with_checkpoints, auditor, tmp_path
):
    """Bytes and leaf hash of event 10 rewritten together: only the checkpoint at 18 disagrees, and
    the one at 6 still matches, so the proof places the change in events 6..17, and says so."""
    event = AuditEvent.objects.get(seq=10)
    event.payload = {**event.payload, "passed": True}
    forged = canonical_bytes(event_document(event))
    raw(
        "UPDATE audit_auditevent SET payload = %s, canonical = %s, leaf_hash = %s WHERE seq = 10",
        [json.dumps(event.payload), forged, hash_leaf(forged).hex()],
    )
    ok, message = audit_verify()
    assert not ok and message.startswith("events 6..17: root of the first 18 events")
    assert "first bad sequence number" not in message.splitlines()[0]
    assert "events 0..15: [head]" in message  # the head's subtree root over 0..15 narrows it too
    code, stderr, document = govctl_verify(tmp_path, auditor)
    assert code == 1 and stderr.startswith("verification failed: events 6..17: root of the first 18 events")
    assert document["first_bad_range"] == [6, 17]


def test_several_edits_are_all_reported_by_both(log_with_checkpoints, auditor, tmp_path):
    """A byte edit early on must not mask a later column edit (and each is located exactly)."""
    event = AuditEvent.objects.get(seq=2)
    raw(
        "UPDATE audit_auditevent SET canonical = %s WHERE seq = 2",
        [bytes(event.canonical).replace(b"1000", b"9999")],
    )
    raw("UPDATE audit_auditevent SET actor_label = 'someone else' WHERE seq = 12", [])
    raw("UPDATE audit_auditevent SET target_id = '999' WHERE seq = 19", [])
    ok, message = audit_verify()
    assert not ok
    for expected in (
        "event 2: [leaf_hash]",
        "event 12: [columns]",
        "event 19: [columns]",
        "on actor",
        "on target",
    ):
        assert expected in message
    code, _, document = govctl_verify(tmp_path, auditor)
    located = {(p["seq"], p["kind"]) for p in document["problems"]}
    assert code == 1 and {(2, "leaf_hash"), (12, "columns"), (19, "columns")} <= located


def test_structure_only_still_catches_byte_edits_but_not_column_edits(
    log_with_checkpoints, auditor, tmp_path
):
    """--structure-only trades the per-event decoding for speed: bytes are still proven, columns not."""
    raw("UPDATE audit_auditevent SET actor_label = 'someone else' WHERE seq = 12", [])
    code, _, _ = govctl_verify(tmp_path, auditor)
    assert code == 1
    args = [
        "verify",
        "log",
        "--events",
        tmp_path / "events.jsonl",
        "--checkpoints",
        tmp_path / "checkpoints.json",
    ]
    args += ["--keys", tmp_path / "jwks.json", "--origin", settings.AUDIT_LOG_ORIGIN, "--structure-only"]
    assert run_govctl(*args).returncode == 0  # the hashed bytes are intact: only the columns were edited
    event = AuditEvent.objects.get(seq=4)
    raw("UPDATE audit_auditevent SET canonical = %s WHERE seq = 4", [bytes(event.canonical) + b" "])
    govctl_verify(tmp_path, auditor)
    altered = run_govctl(*args)
    assert altered.returncode == 1 and "first bad sequence number 4: stored leaf hash" in altered.stderr
