"""The Celery application: fairness checks, hashing, signing and report rendering run here."""

import os
from typing import Any

from celery import Celery
from celery.signals import worker_process_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "governance.settings")

app = Celery("governance")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_process_init.connect  # type: ignore[untyped-decorator]  # celery ships no types
def limit_pool_child_memory(**_: Any) -> None:
    """Cap a pool child's address space (CELERY_WORKER_ADDRESS_SPACE_MB): a hostile file fails one job.

    Past the cap an allocation fails (MemoryError in the task, which then fails) instead of the host
    swapping or the OOM killer choosing a victim. Off (0) by default: address space counts every thread's
    reserved stack and allocator arena, so the value must be measured for a deployment's workload.
    """
    import resource

    from django.conf import settings

    megabytes = int(getattr(settings, "CELERY_WORKER_ADDRESS_SPACE_MB", 0))
    if megabytes > 0:
        limit = megabytes << 20
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
