"""Query-string filters shared by the list endpoints."""

from __future__ import annotations

from typing import Any

import django_filters
from django import forms
from drf_spectacular.utils import extend_schema_field

# PostgreSQL's bigint, the widest id column.
_ID_MIN, _ID_MAX = -(2**63), 2**63 - 1


@extend_schema_field({"type": "integer", "minimum": _ID_MIN, "maximum": _ID_MAX})
class IdFilter(django_filters.NumberFilter):
    """An id (``?model_version=12``): a whole number a database id column can hold, else a 422.

    django-filter's NumberFilter parses a Decimal, so ``?dataset=1e300`` reached SQLite as an integer
    it cannot bind (OverflowError, a 500) and ``?dataset=1.5`` matched id 1.
    """

    field_class = forms.IntegerField

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", _ID_MIN)
        kwargs.setdefault("max_value", _ID_MAX)
        super().__init__(*args, **kwargs)
