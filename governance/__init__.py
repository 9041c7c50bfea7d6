"""ModelOps governance: the Django project package and the governance domain apps."""

from .celery import app as celery_app

__all__ = ["celery_app"]
