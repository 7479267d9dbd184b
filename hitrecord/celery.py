"""The Celery app, configured once from Django settings (``CELERY_*``).

Without ``CELERY_BROKER_URL`` tasks run in-process, eagerly, and their errors propagate.
Every task's failure policy (what is retried, the backoff, what the user sees when it
gives up) and the per-task ``acks_late`` rule are in ``hitrecord/tasks.py``.

Each app's tasks go to their own queue (``CELERY_TASK_ROUTES``; the names are the
``TASK_QUEUE_*`` settings): ``contributions.tasks`` to "media", ``payouts.tasks`` to
"payouts", ``accounts.tasks`` to "email", anything else to the default, "celery". At
scale each queue has its own workers, started with ``-Q`` and their own concurrency
(``docker-compose.yml``), so a payout never waits behind a video transcode; a worker
started without ``-Q`` consumes them all (``make worker``, for development, names them).
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hitrecord.settings")

app = Celery("hitrecord")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
