"""The Celery app, configured once from Django settings (``CELERY_*``).

Without ``CELERY_BROKER_URL`` tasks run in-process, eagerly, and their errors propagate.
Every task's failure policy (what is retried, the backoff, what the user sees when it
gives up) and the per-task ``acks_late`` rule are in ``hitrecord/tasks.py``.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hitrecord.settings")

app = Celery("hitrecord")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
