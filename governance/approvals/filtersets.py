"""One FilterSet per list, shared by the API and (later) the admin."""

from __future__ import annotations

import django_filters

from governance.approvals.choices import Environment, RequestStatus
from governance.approvals.models import ApprovalRequest
from governance.core.api.filters import IdFilter


class ApprovalRequestFilterSet(django_filters.FilterSet):
    # A plain number: a ModelChoiceFilter would reveal which ids exist in other teams.
    model_version = IdFilter(field_name="model_version_id")
    model = django_filters.CharFilter(field_name="model_version__model__name")
    team = django_filters.CharFilter(field_name="model_version__model__team__slug")
    status = django_filters.MultipleChoiceFilter(choices=RequestStatus.choices)
    environment = django_filters.ChoiceFilter(choices=Environment.choices)

    class Meta:
        model = ApprovalRequest
        fields = ["model_version", "model", "team", "status", "environment"]
