from __future__ import annotations

import pytest
from django.core import mail
from django.test import Client

from accounts.models import Notification
from accounts.services import notify
from tests.accounts.factories import UserFactory


@pytest.mark.django_db(transaction=True)
def test_notify_shows_in_app_and_emails_once_after_commit(user):
    notification = notify(
        recipient=user,
        kind=Notification.Kind.REMIXED,
        message="june remixed your sketch",
        url="/contributions/1/",
    )
    assert notification is not None
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [user.email]
    assert "june remixed your sketch" in mail.outbox[0].subject
    assert "/contributions/1/" in mail.outbox[0].body
    notification.refresh_from_db()
    assert notification.emailed_at is not None

    from accounts.services import notification_email_send

    assert notification_email_send(notification_id=notification.pk) is False
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_notifications_page_shows_unread_count_and_marks_read(user, user_client):
    for i in range(3):
        notify(recipient=user, kind=Notification.Kind.PROJECT, message=f"news {i}")
    notify(recipient=UserFactory(), kind=Notification.Kind.PROJECT, message="not yours")

    page = user_client.get("/me/notifications/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "3 unread" in html
    assert "news 0" in html
    assert "news 2" in html
    assert "not yours" not in html
    assert 'aria-label="Notifications, 3 unread"' in html  # the header's count

    response = user_client.post("/me/notifications/read/")
    assert response.status_code == 302
    assert Notification.objects.filter(recipient=user, read_at__isnull=True).count() == 0
    assert "unread" not in user_client.get("/me/notifications/").content.decode().split("<main")[1]


@pytest.mark.django_db
def test_notifications_need_sign_in():
    response = Client().get("/me/notifications/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.django_db
def test_notifications_api_lists_only_the_callers(user, user_client):
    notify(recipient=user, kind=Notification.Kind.PAID, message="you were paid")
    notify(recipient=UserFactory(), kind=Notification.Kind.PAID, message="someone else")
    response = user_client.get("/api/me/notifications/")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    assert body["results"][0]["message"] == "you were paid"
    assert Client().get("/api/me/notifications/").status_code == 401
