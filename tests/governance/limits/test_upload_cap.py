"""The upload cap: counted while the body streams, 413 problem+json naming the field, nothing kept."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from governance.fairness.models import FairnessCheck
from tests.factories import ModelVersionFactory


@pytest.fixture
def submitter(make_user, team_a):
    return make_user("submitter", teams=(team_a,))


def post_file(client, mv, payload: bytes):
    buffer = io.BytesIO(payload)
    buffer.name = "predictions.csv"
    config = {"model_version": mv.pk, "y_true": "y", "y_pred": "p", "sensitive_features": ["g"]}
    return client.post(
        "/api/v1/fairness-checks/", {"file": buffer, "config": json.dumps(config)}, format="multipart"
    )


def stored_uploads(settings) -> list[Path]:
    directory = Path(settings.MEDIA_ROOT) / "fairness"
    return sorted(directory.iterdir()) if directory.exists() else []


@pytest.mark.django_db
def test_file_past_the_cap_while_streaming_is_413_naming_the_field(client_for, submitter, team_a, settings):
    settings.MAX_UPLOAD_BYTES = 10_000
    mv = ModelVersionFactory(model__team=team_a)
    before = stored_uploads(settings)
    rows = b"g,y,p\n" + b"a,1,0\n" * 5_000  # 30 KB: Content-Length is within cap + envelope, the count is not
    response = post_file(client_for(submitter), mv, rows)
    assert response.status_code == 413, response.content
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["errors"][0]["field"] == "file"
    assert "MAX_UPLOAD_BYTES" in body["detail"]
    assert stored_uploads(settings) == before
    assert not FairnessCheck.objects.exists()


@pytest.mark.django_db
def test_declared_length_past_the_cap_is_refused_before_reading(client_for, submitter, team_a, settings):
    settings.MAX_UPLOAD_BYTES = 1_000
    mv = ModelVersionFactory(model__team=team_a)
    response = post_file(client_for(submitter), mv, b"g,y,p\n" + b"a,1,0\n" * 400_000)  # 2.4 MB
    assert response.status_code == 413, response.content
    assert response.json()["errors"][0]["field"] == "file"


@pytest.mark.django_db
def test_file_within_the_cap_is_accepted(client_for, submitter, team_a, settings):
    settings.MAX_UPLOAD_BYTES = 100_000
    mv = ModelVersionFactory(model__team=team_a)
    response = post_file(client_for(submitter), mv, b"g,y,p\n" + b"a,1,0\nb,0,1\n" * 1_000)
    assert response.status_code == 202, response.content
    assert FairnessCheck.objects.get().input_bytes == 12_006
