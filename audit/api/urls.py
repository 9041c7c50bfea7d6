from django.urls import re_path
from rest_framework.routers import SimpleRouter

from audit.api import views

router = SimpleRouter()
router.trailing_slash = "/?"
router.register("events", views.AuditEventViewSet, basename="audit-event")
router.register("checkpoints", views.CheckpointViewSet, basename="audit-checkpoint")

urlpatterns = [
    re_path(r"^proofs/consistency/?$", views.ConsistencyProofView.as_view(), name="audit-consistency-proof"),
    re_path(r"^export/?$", views.AuditExportView.as_view(), name="audit-export"),
    *router.urls,
]
