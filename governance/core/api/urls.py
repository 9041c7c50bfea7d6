from django.urls import path

from governance.core.api.views import WhoAmIView

urlpatterns = [path("-/whoami", WhoAmIView.as_view(), name="whoami")]
