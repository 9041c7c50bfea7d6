"""URL map: landing page, admin, API v1 (DESIGN.md contract table), OpenAPI, health."""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from audit.api.views import JwksView
from governance.core import views as core_views

api_v1 = [
    path("", include("governance.inventory.api.urls")),
    path("audit/", include("audit.api.urls")),
    path("", include("governance.fairness.api.urls")),
    path("", include("governance.approvals.api.urls")),
    path("", include("governance.gate.api.urls")),
    path("", include("governance.reports.api.urls")),  # GET model-versions/{id}/bom
    path("integrations/github/", include("governance.integrations.github.urls")),
    path("", include("governance.core.api.urls")),  # GET -/whoami
]

# The admin's "View site" link: the landing page below, which links back to the admin, the API and health.
admin.site.site_url = "/"
# The product's name, not "Django administration"; the index is the reviewer's workspace.
admin.site.site_header = "ModelOps Governance"
admin.site.site_title = "ModelOps Governance"
admin.site.index_title = "Reviewer workspace"

urlpatterns = [
    path("", core_views.landing, name="landing"),
    path("favicon.ico", core_views.favicon, name="favicon"),
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves Swagger UI's init script as a file (?script): no inline script, so the
    # Content-Security-Policy can say script-src 'self'.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="swagger-ui"),
    path(".well-known/jwks.json", JwksView.as_view(), name="jwks"),
    path("-/alive", core_views.alive, name="alive"),
    path("-/ready", core_views.ready, name="ready"),
]

handler400 = "governance.core.views.bad_request"
handler404 = "governance.core.views.not_found"
handler500 = "governance.core.views.server_failure"
