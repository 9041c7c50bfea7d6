"""Signing keys, JWKS after rotation, and the attestations services sign (model cards)."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.test import Client

from audit.models import Attestation, AuditEvent, SigningKey
from audit.pure.evidence.bundle_verify import verify_bundle
from audit.pure.evidence.errors import VerificationError
from audit.pure.evidence.intoto import MODEL_CARD_PREDICATE
from audit.signing import current_signer
from governance.accounts.principal import cli_principal
from governance.inventory.services import model_card_create
from tests.factories import ModelVersionFactory

pytestmark = pytest.mark.django_db


def jwks_now() -> dict:
    return Client().get("/.well-known/jwks.json").json()


def test_private_key_is_encrypted_at_rest_and_jwks_is_public():
    signer = current_signer()
    key = SigningKey.objects.get(status="active")
    assert key.key_id == signer.key_id
    assert "ENCRYPTED PRIVATE KEY" in key.private_key_pem
    document = jwks_now()
    assert [k["kid"] for k in document["keys"]] == [key.key_id]
    assert all("d" not in k for k in document["keys"])
    assert AuditEvent.objects.filter(action="signing_key.rotate").count() == 1


def test_old_attestations_verify_after_rotation_and_retired_key_cannot_sign():
    mv = ModelVersionFactory()
    card = model_card_create(actor=cli_principal("t"), model_version=mv, caveats="first")
    old = Attestation.objects.get(subject_id=str(card.pk))
    old_key = current_signer().key_id

    call_command("signing_key_rotate", "--reason", "test", stdout=io.StringIO())
    new_key = current_signer().key_id
    assert new_key != old_key
    retired = SigningKey.objects.get(key_id=old_key)
    assert retired.status == "retired" and retired.private_key_pem == "" and retired.retired_at

    document = jwks_now()
    statuses = {k["kid"]: k["status"] for k in document["keys"]}
    assert statuses == {old_key: "retired", new_key: "active"}
    verified = verify_bundle(old.bundle, document)
    assert verified.key_id == old_key and verified.key_status == "retired"


def test_model_card_attestation_carries_the_card_and_its_audit_sequence():
    mv = ModelVersionFactory()
    card = model_card_create(actor=cli_principal("t"), model_version=mv, caveats="Use with care.")
    attestation = Attestation.objects.get(subject_type="inventory.modelcard", subject_id=str(card.pk))
    event = AuditEvent.objects.get(action="model_card.create", target_id=str(card.pk))
    verified = verify_bundle(attestation.bundle, jwks_now())
    assert verified.predicate_type == MODEL_CARD_PREDICATE
    assert verified.audit_entry == str(event.entry_id) == str(attestation.audit_entry_id)
    assert verified.predicate["card"]["caveats"] == "Use with care."
    assert verified.predicate["model"] == mv.model.name


def test_tampered_attestation_fails_verification():
    card = model_card_create(actor=cli_principal("t"), model_version=ModelVersionFactory(), caveats="x")
    bundle = Attestation.objects.get(subject_id=str(card.pk)).bundle
    envelope = bundle["dsseEnvelope"]
    import base64
    import json

    statement = json.loads(base64.b64decode(envelope["payload"]))
    statement["predicate"]["card"]["caveats"] = "rewritten"
    envelope["payload"] = base64.b64encode(json.dumps(statement).encode()).decode()
    with pytest.raises(VerificationError):
        verify_bundle(bundle, jwks_now())
