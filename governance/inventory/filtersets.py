"""One FilterSet per list, shared by the API and the admin (NetBox style)."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import Q, QuerySet

from governance.core.api.filters import IdFilter
from governance.inventory import lifecycle
from governance.inventory.choices import RiskTier
from governance.inventory.models import Dataset, DatasetVersion, ModelCard, ModelVersion, RegisteredModel


class RegisteredModelFilterSet(django_filters.FilterSet):
    team = django_filters.CharFilter(field_name="team__slug")
    risk_tier = django_filters.ChoiceFilter(choices=RiskTier.choices)
    domain = django_filters.CharFilter(lookup_expr="iexact")
    tag = django_filters.CharFilter(method="filter_tag")
    q = django_filters.CharFilter(method="filter_q", label="Search name, domain, intended use")

    class Meta:
        model = RegisteredModel
        fields = ["name", "team", "risk_tier", "domain"]

    def filter_tag(self, queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        # JSON containment is not portable to SQLite; tags are few per model, so match the JSON text.
        return queryset.filter(tags__icontains=f'"{value}"')

    def filter_q(self, queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        return queryset.filter(
            Q(name__icontains=value) | Q(domain__icontains=value) | Q(intended_use__icontains=value)
        )


class ModelVersionFilterSet(django_filters.FilterSet):
    model = django_filters.CharFilter(field_name="model__name")
    team = django_filters.CharFilter(field_name="model__team__slug")
    status = django_filters.MultipleChoiceFilter(choices=lifecycle.CHOICES)
    risk_tier = django_filters.ChoiceFilter(field_name="model__risk_tier", choices=RiskTier.choices)

    class Meta:
        model = ModelVersion
        fields = ["model", "version", "status", "artifact_digest", "team"]


class ModelCardFilterSet(django_filters.FilterSet):
    # Plain numbers, not ModelChoiceFilters: validating ids against every row would tell a client
    # which ids exist in other teams (422 for a missing id, an empty list for another team's).
    model_version = IdFilter(field_name="model_version_id")
    model = django_filters.CharFilter(field_name="model_version__model__name")
    latest = django_filters.BooleanFilter(
        method="filter_latest", label="Only the newest revision per version"
    )

    class Meta:
        model = ModelCard
        fields = ["model_version", "model", "revision"]

    def filter_latest(self, queryset: QuerySet[Any], name: str, value: bool) -> QuerySet[Any]:
        if not value:
            return queryset
        from django.db.models import Max, OuterRef, Subquery

        newest = (
            ModelCard.objects.filter(model_version=OuterRef("model_version"))
            .values("model_version")
            .annotate(m=Max("revision"))
            .values("m")
        )
        return queryset.filter(revision=Subquery(newest))


class DatasetFilterSet(django_filters.FilterSet):
    team = django_filters.CharFilter(field_name="team__slug")

    class Meta:
        model = Dataset
        fields = ["name", "team"]


class DatasetVersionFilterSet(django_filters.FilterSet):
    dataset = IdFilter(field_name="dataset_id")
    team = django_filters.CharFilter(field_name="dataset__team__slug")
    dataset_name = django_filters.CharFilter(field_name="dataset__name")

    class Meta:
        model = DatasetVersion
        fields = [
            "dataset",
            "dataset_name",
            "version",
            "digest",
            "contains_personal_data",
            "contains_phi",
            "team",
        ]
