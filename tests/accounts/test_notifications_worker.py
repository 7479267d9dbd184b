from __future__ import annotations

import pytest
from django.core import mail

from accounts.models import Notification
from accounts.services import notify
from tests.accounts.factories import UserFactory
from tests.conftest import wait_for


@pytest.mark.worker
def test_a_real_worker_emails_the_notification(celery_worker_process):
    person = UserFactory()
    notification = notify(recipient=person, kind=Notification.Kind.REMIXED, message="remixed!")
    assert notification is not None
    # The email is sent by the worker process, not by this one.
    assert mail.outbox == []
    wait_for(lambda: Notification.objects.get(pk=notification.pk).emailed_at is not None)
