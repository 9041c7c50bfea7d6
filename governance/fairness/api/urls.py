from rest_framework.routers import SimpleRouter

from governance.fairness.api import views

router = SimpleRouter()
router.trailing_slash = "/?"
router.register("fairness-checks", views.FairnessCheckViewSet, basename="fairness-check")

urlpatterns = router.urls
