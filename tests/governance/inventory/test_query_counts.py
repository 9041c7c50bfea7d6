"""List endpoints cost a fixed number of queries, however many rows they return (no N+1)."""

from __future__ import annotations

import pytest

from tests.factories import DatasetVersionFactory, ModelVersionFactory, RegisteredModelFactory

pytestmark = pytest.mark.django_db


def populate(team, n: int) -> None:
    for _ in range(n):
        mv = ModelVersionFactory(model=RegisteredModelFactory(team=team))
        mv.dataset_links.create(dataset_version=DatasetVersionFactory(dataset__team=team), usage="training")


@pytest.mark.parametrize(
    ("url", "queries"),
    [
        # groups + memberships (the principal), then count + page (+ one prefetch for dataset links)
        ("/api/v1/models/", 4),
        ("/api/v1/model-versions/", 5),
        ("/api/v1/datasets/", 4),
    ],
)
def test_list_query_count_does_not_grow_with_rows(
    make_user, client_for, team_a, django_assert_num_queries, url, queries
):
    client = client_for(make_user("submitter", teams=(team_a,)))
    populate(team_a, 3)
    with django_assert_num_queries(queries):
        assert client.get(url).status_code == 200
    populate(team_a, 12)
    with django_assert_num_queries(queries):
        assert client.get(url).status_code == 200
