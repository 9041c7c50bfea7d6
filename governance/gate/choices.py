"""Vocabularies of the gate: verdicts and deployment states."""

from django.db import models


class Verdict(models.TextChoices):
    PASS = "pass", "Pass"
    FAIL = "fail", "Fail"


class DeploymentStatus(models.TextChoices):
    DEPLOYED = "deployed", "Deployed"
    UNDEPLOYED = "undeployed", "Undeployed"
