"""What gets into the audit log: logins, PHI reads, and the log API (events, proofs, export)."""

from __future__ import annotations

import base64
import json

import pytest
from django.test import Client

from audit.integrator import audit_integrate
from audit.models import AuditEvent, AuditLogHead
from audit.pure import merkle
from governance.accounts.principal import cli_principal
from governance.inventory.services import registered_model_create
from tests.factories import DatasetVersionFactory, TeamFactory

pytestmark = pytest.mark.django_db


def test_admin_login_and_failed_login_are_recorded(make_user):
    user = make_user("auditor", is_staff=True, username="audrey")
    user.set_password("correct horse battery staple")
    user.save()
    client = Client()
    client.post("/admin/login/", {"username": "audrey", "password": "wrong"})
    client.post("/admin/login/", {"username": "audrey", "password": "correct horse battery staple"})
    failed = AuditEvent.objects.get(action="auth.login_failed")
    assert failed.target_id == "audrey" and failed.actor == "anonymous"
    login = AuditEvent.objects.get(action="auth.login")
    assert login.actor == f"user:{user.pk}" and login.source_ip == "127.0.0.1"


def test_phi_reads_are_recorded_with_request_id(make_user, client_for, team_a):
    phi = DatasetVersionFactory(
        dataset__team=team_a,
        contains_personal_data=True,
        contains_phi=True,
        lawful_basis="public_task",
        purpose="care",
        retention_days=365,
    )
    DatasetVersionFactory(dataset__team=team_a)  # not PHI: reading it is not logged
    client = client_for(make_user("submitter", teams=(team_a,)))
    client.get(f"/api/v1/dataset-versions/{phi.pk}/", HTTP_X_REQUEST_ID="phi-read-1")
    client.get("/api/v1/dataset-versions/")
    events = list(AuditEvent.objects.filter(action="phi.read").order_by("seq"))
    assert [e.payload["dataset_version_ids"] for e in events] == [[phi.pk], [phi.pk]]
    assert events[0].request_id == "phi-read-1"


@pytest.fixture
def auditor_client(make_user, client_for):
    return client_for(make_user("auditor"))


def make_events(n: int) -> None:
    team = TeamFactory()
    for i in range(n):
        registered_model_create(
            actor=cli_principal("t"),
            team=team,
            name=f"m{i}",
            risk_tier="minimal",
            intended_use="x",
            domain="d",
        )
    audit_integrate()  # the test transaction never commits, so no commit nudges the integrator


def test_head_tracks_the_merkle_root_incrementally():
    make_events(13)
    hashes = [
        bytes.fromhex(h) for h in AuditEvent.objects.order_by("seq").values_list("leaf_hash", flat=True)
    ]
    head = AuditLogHead.objects.get()
    assert head.size == len(hashes) == AuditEvent.objects.count()
    tree = merkle.CompactRange(head.size, [bytes.fromhex(p) for p in head.peaks])
    assert tree.root() == merkle.root(hashes)
    for event in AuditEvent.objects.all():
        assert merkle.hash_leaf(bytes(event.canonical)).hex() == event.leaf_hash
        # the hashed document names the entry by id; its position is assigned at integration
        document = json.loads(bytes(event.canonical))
        assert document["id"] == str(event.entry_id) and "seq" not in document


def test_inclusion_and_consistency_proofs_from_the_api_verify(auditor_client):
    make_events(20)
    size = AuditLogHead.objects.get().size
    proof = auditor_client.get(f"/api/v1/audit/events/5/proof?tree_size={size}").json()
    root = base64.b64decode(proof["root_hash"])
    merkle.verify_inclusion(
        5,
        size,
        base64.b64decode(proof["leaf_hash"]),
        [base64.b64decode(h) for h in proof["inclusion_path"]],
        root,
    )
    cons = auditor_client.get(f"/api/v1/audit/proofs/consistency?first=7&second={size}").json()
    merkle.verify_consistency(
        7,
        size,
        [base64.b64decode(h) for h in cons["consistency_path"]],
        base64.b64decode(cons["first_root_hash"]),
        base64.b64decode(cons["second_root_hash"]),
    )
    assert base64.b64decode(cons["second_root_hash"]) == root


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/audit/events/5/proof",
        "/api/v1/audit/events/5/proof?tree_size=abc",
        "/api/v1/audit/events/5/proof?tree_size=3",
        "/api/v1/audit/events/5/proof?tree_size=100000",
        "/api/v1/audit/proofs/consistency?first=0&second=3",
        "/api/v1/audit/proofs/consistency?first=5&second=2",
        "/api/v1/audit/proofs/consistency?first=1&second=100000",
    ],
)
def test_bad_proof_requests_are_422(auditor_client, url):
    make_events(8)
    response = auditor_client.get(url)
    assert response.status_code == 422, response.content
    assert response["Content-Type"] == "application/problem+json"


def test_export_streams_every_event(auditor_client):
    make_events(5)
    response = auditor_client.get("/api/v1/audit/export")
    lines = [json.loads(line) for line in b"".join(response.streaming_content).decode().splitlines()]
    assert [r["seq"] for r in lines] == list(range(AuditEvent.objects.count()))
    for record in lines:
        assert merkle.hash_leaf(base64.b64decode(record["canonical"])).hex() == record["leaf_hash"]


def test_audit_api_is_read_only_and_needs_audit_scope(make_user, client_for, auditor_client, team_a):
    make_events(2)
    assert auditor_client.get("/api/v1/audit/events/").json()["count"] == 2
    assert auditor_client.post("/api/v1/audit/events/", {}, format="json").status_code == 405
    assert auditor_client.delete("/api/v1/audit/events/0/").status_code == 405
    submitter = client_for(make_user("submitter", teams=(team_a,)))
    assert submitter.get("/api/v1/audit/events/").status_code == 403
    assert submitter.get("/api/v1/audit/export").status_code == 403
