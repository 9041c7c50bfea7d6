from django.urls import path
from rest_framework.routers import SimpleRouter

from governance.gate.api import views

router = SimpleRouter()
router.trailing_slash = "/?"
router.register("gate/decisions", views.GateDecisionViewSet, basename="gate-decision")
router.register("deployments", views.DeploymentViewSet, basename="deployment")

urlpatterns = [path("gate/checks", views.GateCheckView.as_view(), name="gate-check"), *router.urls]
