"""A fan-out in a real `celery worker` on Redis + PostgreSQL sends every mail once."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core import mail

from accounts.models import Notification
from accounts.services import notify_many
from tests.accounts.factories import UserFactory
from tests.conftest import wait_for


@pytest.mark.worker
def test_a_real_worker_fans_out_and_sends_every_mail_once(celery_worker_process):
    people = UserFactory.create_batch(230)  # three chunks of at most 100
    actor = UserFactory(username="fanout-actor", first_name="", last_name="")
    made = notify_many(
        recipients=people,
        kind=Notification.Kind.REMIXED,
        message="{actor} remixed your work.",
        actor=actor,
    )
    ids = [n.pk for n in made]
    assert len(ids) == 230
    assert mail.outbox == []  # the worker sends, not this process
    wait_for(
        lambda: not Notification.objects.filter(pk__in=ids, emailed_at__isnull=True).exists(),
        timeout=90,
    )
    # The worker prints its mail to the console (no EMAIL_URL): count what it sent.
    log = Path(settings.MEDIA_ROOT).parent / f"worker-{os.getpid()}.log"
    sent = re.findall(r"^To: (\S+)$", log.read_text(), flags=re.MULTILINE)
    assert sorted(sent) == sorted(p.email for p in people)  # each once, nobody twice
    assert "fanout-actor remixed your work." in log.read_text()
