"""factory_boy factories for test data (direct rows; service behaviour is tested through services)."""

from __future__ import annotations

import hashlib

import factory

from governance.accounts.models import Team
from governance.inventory.models import Dataset, DatasetVersion, ModelVersion, RegisteredModel


def digest_of(text: str) -> str:
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"team-{n}")
    name = factory.LazyAttribute(lambda o: o.slug.replace("-", " ").title())


class RegisteredModelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RegisteredModel

    name = factory.Sequence(lambda n: f"model-{n}")
    team = factory.SubFactory(TeamFactory)
    risk_tier = "high"
    intended_use = "Decide things carefully."
    domain = "consumer credit"


class ModelVersionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ModelVersion

    model = factory.SubFactory(RegisteredModelFactory)
    version = factory.Sequence(lambda n: f"1.{n}.0")
    artifact_uri = factory.LazyAttribute(lambda o: f"s3://models/{o.model.name}/{o.version}/model.onnx")
    artifact_digest = factory.LazyAttribute(lambda o: digest_of(f"{o.model.name}@{o.version}"))
    framework = "xgboost"


class DatasetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Dataset

    name = factory.Sequence(lambda n: f"dataset-{n}")
    team = factory.SubFactory(TeamFactory)


class DatasetVersionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DatasetVersion

    dataset = factory.SubFactory(DatasetFactory)
    version = factory.Sequence(lambda n: f"v{n}")
    uri = factory.LazyAttribute(lambda o: f"s3://data/{o.dataset.name}/{o.version}/")
    digest = factory.LazyAttribute(lambda o: digest_of(f"{o.dataset.name}@{o.version}"))
    row_count = 1000
    contains_personal_data = False
