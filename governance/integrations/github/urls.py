from django.urls import path

from governance.integrations.github import views

urlpatterns = [
    path("deployment-protection", views.deployment_protection_webhook, name="github-deployment-protection"),
]
