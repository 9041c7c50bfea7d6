"""Id filters and JSON embedded in multipart forms, across apps (issue 8 §7, found by schemathesis).

``?dataset=1e300`` reached SQLite as an integer it cannot bind (OverflowError: a 500) and
``?dataset=1.5`` matched id 1; the fairness upload's ``config`` form field is JSON too, so a key
repeated in it is refused like one repeated in a JSON body.
"""

from __future__ import annotations

import io
import json

import pytest

from governance.fairness.models import FairnessCheck
from tests.factories import DatasetVersionFactory, ModelVersionFactory, RegisteredModelFactory

pytestmark = pytest.mark.django_db

ID_FILTERS = [
    "/api/v1/dataset-versions/?dataset=",
    "/api/v1/model-cards/?model_version=",
    "/api/v1/fairness-checks/?model_version=",
]


@pytest.fixture
def api(client_for, make_user, team_a):
    client = client_for(make_user("submitter", teams=(team_a,)))
    client.raise_request_exception = False
    return client


@pytest.mark.parametrize("path", ID_FILTERS)
@pytest.mark.parametrize("value", ["1e300", "-1.7976931348623157e%2B308", "1.5", "99999999999999999999"])
def test_an_id_filter_that_is_no_id_is_422_naming_it(api, path, value):
    response = api.get(path + value)
    assert response.status_code == 422, (response.status_code, response.content[:300])
    assert response["Content-Type"] == "application/problem+json"
    assert [e["field"] for e in response.json()["errors"]] == [path.rsplit("?", 1)[1].rstrip("=")]


@pytest.mark.parametrize("path", ID_FILTERS)
def test_an_id_filter_still_filters(api, team_a, path):
    dv = DatasetVersionFactory(dataset__team=team_a)
    mv = ModelVersionFactory(model=RegisteredModelFactory(team=team_a))
    real = dv.dataset.pk if "dataset" in path else mv.pk
    for value in (real, f"{real}.0", 999999):
        response = api.get(f"{path}{value}")
        assert response.status_code == 200, (value, response.content[:300])


def test_repeated_key_in_the_multipart_fairness_config_is_refused(api, team_a, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    mv = ModelVersionFactory(model=RegisteredModelFactory(team=team_a))
    config = json.dumps({"model_version": mv.pk, "y_true": "label", "y_pred": "pred"})
    config = config[:-1] + ', "y_pred": "label", "sensitive_features": ["sex"]}'
    upload = io.BytesIO(b"label,pred,sex\n1,1,F\n0,1,M\n")
    upload.name = "predictions.csv"
    response = api.post("/api/v1/fairness-checks/", {"file": upload, "config": config}, format="multipart")
    assert response.status_code == 422, response.content[:300]
    (error,) = response.json()["errors"]
    assert error["field"] == "config" and error["code"] == "duplicate_key" and "y_pred" in error["message"]
    assert not FairnessCheck.objects.exists()
