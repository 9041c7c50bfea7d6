from rest_framework.routers import SimpleRouter

from governance.inventory.api import views

router = SimpleRouter(trailing_slash=True)
router.register("teams", views.TeamViewSet, basename="team")
router.register("models", views.RegisteredModelViewSet, basename="registered-model")
router.register("model-versions", views.ModelVersionViewSet, basename="model-version")
router.register("model-cards", views.ModelCardViewSet, basename="model-card")
router.register("datasets", views.DatasetViewSet, basename="dataset")
router.register("dataset-versions", views.DatasetVersionViewSet, basename="dataset-version")

urlpatterns = router.urls
