from rest_framework.routers import SimpleRouter

from governance.inventory.api import views

# DESIGN.md writes collection paths with a slash and actions without (`/model-cards/import`);
# both spellings must work without a redirect that would drop a POST body.
router = SimpleRouter()
router.trailing_slash = "/?"
router.register("teams", views.TeamViewSet, basename="team")
router.register("models", views.RegisteredModelViewSet, basename="registered-model")
router.register("model-versions", views.ModelVersionViewSet, basename="model-version")
router.register("model-cards", views.ModelCardViewSet, basename="model-card")
router.register("datasets", views.DatasetViewSet, basename="dataset")
router.register("dataset-versions", views.DatasetVersionViewSet, basename="dataset-version")

urlpatterns = router.urls
