from django.urls import path
from rest_framework.routers import SimpleRouter

from audit.api import views

router = SimpleRouter()
router.trailing_slash = "/?"
router.register("events", views.AuditEventViewSet, basename="audit-event")
router.register("checkpoints", views.CheckpointViewSet, basename="audit-checkpoint")

urlpatterns = [
    path("proofs/consistency", views.ConsistencyProofView.as_view(), name="audit-consistency-proof"),
    path("export", views.AuditExportView.as_view(), name="audit-export"),
    *router.urls,
]
