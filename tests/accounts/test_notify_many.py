"""Notifying many people: one bulk write, one fan-out task in chunks, each mail sent once
and marked; a person named in a message is shown by their name as it is now."""

from __future__ import annotations

import math
import smtplib

import pytest
from django.core import mail
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts import tasks
from accounts.models import Notification
from accounts.services import notification_email_send, notify, notify_many, user_anonymise
from tests.accounts.factories import AnonymisedUserFactory, UserFactory


def _queries_to_notify(n: int) -> int:
    people = UserFactory.create_batch(n)
    actor = UserFactory()
    with CaptureQueriesContext(connection) as queries:
        made = notify_many(
            recipients=people, kind=Notification.Kind.PROJECT, message="news", actor=actor
        )
    assert len(made) == n
    return len(queries)


@pytest.mark.django_db
def test_notifying_1_or_300_people_costs_the_same_queries():
    one = _queries_to_notify(1)
    many = _queries_to_notify(300)
    # One INSERT; SQLite alone splits it into batches of at most 999 parameters.
    fields = len([f for f in Notification._meta.concrete_fields if not f.primary_key])
    batch = connection.ops.bulk_batch_size(["x"] * fields, [None] * 300)
    assert many == one + math.ceil(300 / batch) - 1
    if connection.vendor == "postgresql":
        assert many == one


@pytest.mark.django_db
def test_notify_many_skips_the_actor_anonymised_people_and_duplicates(
    django_capture_on_commit_callbacks,
):
    actor = UserFactory()
    alice, bob = UserFactory(), UserFactory()
    gone = AnonymisedUserFactory()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        made = notify_many(
            recipients=[alice, bob, alice, gone, actor],
            kind=Notification.Kind.REMIXED,
            message="{actor} remixed your work.",
            actor=actor,
        )
    assert sorted(n.recipient_id for n in made) == sorted([alice.pk, bob.pk])
    # ONE fan-out task for everyone (the other callbacks renew cached inbox pages)
    tasks = [c for c in callbacks if getattr(getattr(c, "func", None), "__name__", "") == "delay"]
    assert len(tasks) == 1
    assert sorted(m.to[0] for m in mail.outbox) == sorted([alice.email, bob.email])
    assert Notification.objects.filter(emailed_at__isnull=True).count() == 0


@pytest.mark.django_db
def test_mail_goes_only_to_a_verified_address(django_capture_on_commit_callbacks):
    verified, unverified = UserFactory(), UserFactory(unverified=True)
    with django_capture_on_commit_callbacks(execute=True):
        notify_many(recipients=[verified, unverified], kind=Notification.Kind.PROJECT, message="m")
    assert [m.to for m in mail.outbox] == [[verified.email]]
    assert Notification.objects.get(recipient=unverified).emailed_at is None
    assert Notification.objects.filter(recipient=unverified).exists()  # in-app all the same


@pytest.mark.django_db
def test_the_fan_out_sends_chunks_and_every_mail_once(monkeypatch):
    people = UserFactory.create_batch(7)
    made = notify_many(recipients=people, kind=Notification.Kind.PROJECT, message="news")
    chunks: list[list[int]] = []
    real = tasks.notification_emails_send.delay
    monkeypatch.setattr(tasks, "EMAIL_CHUNK_SIZE", 3)
    monkeypatch.setattr(
        tasks.notification_emails_send,
        "delay",
        lambda ids: (chunks.append(list(ids)), real(ids))[1],
    )
    ids = [n.pk for n in made]
    assert tasks.notification_emails_fan_out.delay(ids).get() == 3
    assert [len(c) for c in chunks] == [3, 3, 1]
    assert len(mail.outbox) == 7
    # Run again (a redelivered fan-out, a retried chunk): nothing is sent twice.
    assert tasks.notification_emails_fan_out.delay(ids).get() == 3
    assert tasks.notification_emails_send.delay(ids).get() == 0
    assert len(mail.outbox) == 7
    assert Notification.objects.filter(pk__in=ids, emailed_at__isnull=True).count() == 0


@pytest.mark.django_db
def test_a_mail_server_away_retries_and_sends_what_is_left_once(monkeypatch):
    people = UserFactory.create_batch(3)
    ids = [
        n.pk for n in notify_many(recipients=people, kind=Notification.Kind.PROJECT, message="m")
    ]
    from django.core.mail.backends.locmem import EmailBackend

    real = EmailBackend.send_messages
    sends = {"n": 0}

    def flaky(self, messages):
        sends["n"] += 1
        if sends["n"] == 2:  # the second mail meets a server that hung up
            raise smtplib.SMTPServerDisconnected("gone")
        return real(self, messages)

    monkeypatch.setattr(EmailBackend, "send_messages", flaky)
    assert tasks.notification_emails_send.delay(ids).get() == 2  # the retry's count
    assert sorted(m.to[0] for m in mail.outbox) == sorted(p.email for p in people)


@pytest.mark.django_db
def test_a_refused_address_stays_in_app_and_the_others_are_sent(monkeypatch):
    people = UserFactory.create_batch(3)
    ids = [
        n.pk for n in notify_many(recipients=people, kind=Notification.Kind.PROJECT, message="m")
    ]
    from django.core.mail.backends.locmem import EmailBackend

    real = EmailBackend.send_messages

    def refuse_first(self, messages):
        if messages[0].to == [people[0].email]:
            raise smtplib.SMTPRecipientsRefused({people[0].email: (550, b"no such user")})
        return real(self, messages)

    monkeypatch.setattr(EmailBackend, "send_messages", refuse_first)
    assert tasks.notification_emails_send.delay(ids).get() == 2
    assert Notification.objects.get(recipient=people[0]).emailed_at is None
    assert Notification.objects.filter(emailed_at__isnull=False).count() == 2


@pytest.mark.django_db
def test_when_retries_run_out_the_notification_stays_in_app_only(monkeypatch, caplog):
    person = UserFactory()
    notification = notify(recipient=person, kind=Notification.Kind.PAID, message="paid")
    assert notification is not None
    from django.core.mail.backends.locmem import EmailBackend

    def down(self, messages):
        raise ConnectionRefusedError("mail server down")

    monkeypatch.setattr(EmailBackend, "send_messages", down)
    assert tasks.notification_emails_send.delay([notification.pk]).get() == 0
    notification.refresh_from_db()
    assert notification.emailed_at is None
    assert "stay in-app only" in caplog.text


@pytest.mark.django_db
def test_a_notification_being_sent_elsewhere_is_not_sent_again():
    from django.core.cache import cache

    person = UserFactory()
    notification = notify(recipient=person, kind=Notification.Kind.PAID, message="paid")
    assert notification is not None
    cache.add(f"notification-email:{notification.pk}", "sending")  # another worker's lease
    assert notification_email_send(notification_id=notification.pk) is False
    assert mail.outbox == []


@pytest.mark.django_db
def test_the_actor_is_shown_by_their_current_name_and_never_a_deleted_one(
    django_capture_on_commit_callbacks,
):
    actor = UserFactory(username="june", first_name="", last_name="")
    person = UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        notification = notify(
            recipient=person,
            kind=Notification.Kind.REMIXED,
            message="{actor} remixed your “Sketch” into “Song”.",
            actor=actor,
        )
    assert notification is not None
    assert mail.outbox[0].subject == "hitrecord: june remixed your “Sketch” into “Song”."
    client = Client()
    client.force_login(person)
    assert "june remixed your" in client.get("/me/notifications/").content.decode()

    user_anonymise(user=actor, by=actor)
    page = client.get("/me/notifications/").content.decode()
    api = client.get("/api/me/notifications/").json()["results"][0]["message"]
    for shown in (page, api):
        assert "june" not in shown
        assert "Former member remixed your “Sketch” into “Song”." in shown


@pytest.mark.django_db
def test_the_notifications_page_costs_the_same_queries_for_1_or_many_actors():
    person = UserFactory()
    client = Client()
    client.force_login(person)

    def page_queries() -> int:
        cache.clear()  # what rendering it costs, not what the cache saves
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/me/notifications/").status_code == 200
        return len(queries)

    notify(
        recipient=person, kind=Notification.Kind.REMIXED, message="{actor} x", actor=UserFactory()
    )
    one = page_queries()
    for _ in range(10):
        notify(
            recipient=person,
            kind=Notification.Kind.REMIXED,
            message="{actor} y",
            actor=UserFactory(),
        )
    assert page_queries() == one
