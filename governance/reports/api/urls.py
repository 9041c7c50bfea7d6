from django.urls import re_path

from governance.reports.api import views

# Same spelling rule as the inventory router: with or without the trailing slash, no redirect.
urlpatterns = [
    re_path(
        r"^model-versions/(?P<pk>[0-9]+)/bom/?$",
        views.ModelVersionBomView.as_view(),
        name="model-version-bom",
    ),
]
