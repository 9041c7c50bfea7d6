from rest_framework.routers import SimpleRouter

from governance.approvals.api import views

router = SimpleRouter()
router.trailing_slash = "/?"
# Actions only: list/retrieve of model versions stay with the inventory's router.
router.register("model-versions", views.ModelVersionApprovalViewSet, basename="model-version-approval")
router.register("approvals", views.ApprovalRequestViewSet, basename="approval")

urlpatterns = router.urls
