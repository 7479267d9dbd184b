"""The events people care about reach them: feedback on their work, someone joining their
project, a contribution answering their call; and every link in the mail works from a
mail program (absolute, on ``SITE_URL``)."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.models import Notification
from contributions.models import Contribution
from contributions.selectors import COMMENTS_PAGE_SIZE
from contributions.services import comment_create, notify_call_answered
from projects.models import Membership
from projects.services import project_join, project_leave
from tests import media_samples as samples
from tests.accounts.factories import UserFactory
from tests.contributions.factories import ContributionFactory
from tests.projects.factories import CallFactory, MembershipFactory, ProjectFactory

SITE = "https://hitrecord.example"


@pytest.fixture(autouse=True)
def _site_url(settings):
    settings.SITE_URL = SITE


def _client(person) -> Client:
    client = Client()
    client.force_login(person)
    return client


def _links(message) -> list[str]:
    """Every link a mail program would show: URLs and bare paths in the text, and the
    hrefs of any HTML part."""
    bodies = [message.body] + [content for content, _ in getattr(message, "alternatives", [])]
    found: list[str] = []
    for body in bodies:
        found += re.findall(r"href=[\"']([^\"']*)", body)
        found += re.findall(r"(?:https?:)?//\S+|(?<![\w/.:])/[\w\-./?=#&%]+", body)
    return found


def _assert_links_absolute(message) -> list[str]:
    links = _links(message)
    assert links, message.body
    for link in links:
        assert link.startswith(f"{SITE}/"), (link, message.body)
    return links


def _inbox(person) -> dict[str, str]:
    """What the person reads on their notifications page: each text and where it leads."""
    page = _client(person).get("/me/notifications/")
    assert page.status_code == 200
    items = re.findall(
        r'<li class="notification[^"]*">.*?<a href="([^"]*)">(.*?)</a>', page.content.decode(), re.S
    )
    return {text: href for href, text in items}


def _mail_to(person):
    sent = [m for m in mail.outbox if m.to == [person.email]]
    assert len(sent) == 1, [m.subject for m in mail.outbox]
    return sent[0]


# --- 1. feedback on your work ------------------------------------------------------------


@pytest.mark.django_db
def test_feedback_on_your_work_tells_you_who_and_links_to_the_feedback(
    django_capture_on_commit_callbacks,
):
    author = UserFactory(first_name="June")
    work = ContributionFactory(author=author, title="Night walk")
    mira = UserFactory(first_name="Mira")
    with django_capture_on_commit_callbacks(execute=True):
        response = _client(mira).post(
            f"/contributions/{work.pk}/comments/", {"body": "Love the ending."}
        )
    assert response.status_code == 302

    told = Notification.objects.get(recipient=author)
    assert told.kind == Notification.Kind.COMMENTED
    assert told.actor == mira
    assert told.url == f"/contributions/{work.pk}/#comments"
    assert _inbox(author) == {"Mira left feedback on your “Night walk”.": told.url}

    sent = _mail_to(author)
    assert "Mira left feedback on your “Night walk”." in sent.subject
    assert f"{SITE}/contributions/{work.pk}/#comments" in _assert_links_absolute(sent)
    # The link opens the page with the feedback on it.
    page = _client(author).get(f"/contributions/{work.pk}/")
    assert "Love the ending." in page.content.decode()
    assert 'id="comments"' in page.content.decode()


@pytest.mark.django_db
def test_commenting_on_your_own_work_tells_nobody(django_capture_on_commit_callbacks):
    work = ContributionFactory()
    with django_capture_on_commit_callbacks(execute=True):
        comment_create(contribution=work, author=work.author, body="A note to self.")
    assert not Notification.objects.exists()
    assert mail.outbox == []


@pytest.mark.django_db
def test_feedback_past_the_first_page_links_to_the_page_that_holds_it():
    work = ContributionFactory()
    others = UserFactory.create_batch(2)
    for i in range(COMMENTS_PAGE_SIZE):
        comment_create(contribution=work, author=others[i % 2], body=f"note {i}")
    comment_create(contribution=work, author=others[0], body="The one on page two.")
    newest = Notification.objects.filter(recipient=work.author).first()
    assert newest is not None
    assert newest.url == f"/contributions/{work.pk}/?comments=2#comments"
    page = _client(work.author).get(newest.url.split("#")[0])
    assert "The one on page two." in page.content.decode()


# --- 2. someone joins your project --------------------------------------------------------


@pytest.mark.django_db
def test_joining_tells_every_director_but_not_the_joiner(django_capture_on_commit_callbacks):
    project = ProjectFactory(title="Harbour Lights")
    lead = project.created_by
    co = MembershipFactory(project=project, role=Membership.Role.DIRECTOR).user
    member = MembershipFactory(project=project).user
    newcomer = UserFactory(first_name="Ada")
    with django_capture_on_commit_callbacks(execute=True):
        response = _client(newcomer).post(f"/projects/{project.slug}/join/")
    assert response.status_code == 302

    for director in (lead, co):
        told = Notification.objects.get(recipient=director)
        assert told.kind == Notification.Kind.JOINED
        assert told.actor == newcomer
        assert _inbox(director) == {"Ada joined “Harbour Lights”.": told.url}
        sent = _mail_to(director)
        assert f"{SITE}/projects/{project.slug}/#people" in _assert_links_absolute(sent)
    assert not Notification.objects.filter(recipient__in=[newcomer, member]).exists()
    # The link shows the newcomer among the people.
    people = _client(lead).get(f"/projects/{project.slug}/").content.decode()
    assert "Ada" in people.split('id="people"')[1]


@pytest.mark.django_db
def test_joining_again_or_after_leaving_tells_the_directors_once():
    project = ProjectFactory()
    newcomer = UserFactory()
    project_join(project=project, user=newcomer)
    project_join(project=project, user=newcomer)
    project_leave(project=project, user=newcomer)
    project_join(project=project, user=newcomer)
    assert (
        Notification.objects.filter(
            recipient=project.created_by, kind=Notification.Kind.JOINED
        ).count()
        == 1
    )


def _queries_to_join(directors: int) -> int:
    project = ProjectFactory()
    MembershipFactory.create_batch(directors - 1, project=project, role=Membership.Role.DIRECTOR)
    newcomer = UserFactory()
    with CaptureQueriesContext(connection) as queries:
        project_join(project=project, user=newcomer)
    assert Notification.objects.filter(actor=newcomer).count() == directors
    return len(queries)


@pytest.mark.django_db
def test_telling_1_or_many_directors_costs_the_same_queries(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        assert _queries_to_join(1) == _queries_to_join(6)


# --- 3. a contribution answers your call --------------------------------------------------


def _call_project():
    """A project with two directors, one of whom will answer their own call, and a member."""
    project = ProjectFactory(title="Tide Songs")
    co = MembershipFactory(project=project, role=Membership.Role.DIRECTOR).user
    member = MembershipFactory(project=project).user
    return project, co, member


@pytest.mark.django_db
def test_a_text_answering_your_call_tells_the_directors_at_once(
    django_capture_on_commit_callbacks,
):
    project, co, member = _call_project()
    call = CallFactory(project=project, title="A poem for the tide", medium="text")
    member.first_name = "Ola"
    member.save()
    with django_capture_on_commit_callbacks(execute=True):
        response = _client(member).post(
            "/api/contributions/",
            {
                "project": project.slug,
                "title": "Low water",
                "kind": "text",
                "text": "The sea goes out.",
                "call": call.pk,
                "terms_accepted": "true",
            },
        )
    assert response.status_code == 201, response.content
    work = Contribution.objects.get(pk=response.json()["id"])
    for director in (project.created_by, co):
        told = Notification.objects.get(recipient=director)
        assert told.kind == Notification.Kind.CALL_ANSWERED
        assert told.actor == member
        assert _inbox(director) == {
            "Ola answered your call “A poem for the tide” in “Tide Songs” with “Low water”.": (
                f"/contributions/{work.pk}/"
            )
        }
        sent = _mail_to(director)
        assert f"{SITE}/contributions/{work.pk}/" in _assert_links_absolute(sent)
    assert not Notification.objects.filter(recipient=member).exists()


@pytest.mark.django_db
def test_a_director_answering_their_own_call_is_not_told(django_capture_on_commit_callbacks):
    project, co, _member = _call_project()
    call = CallFactory(project=project, medium="text")
    with django_capture_on_commit_callbacks(execute=True):
        response = _client(co).post(
            "/api/contributions/",
            {
                "project": project.slug,
                "title": "Mine",
                "kind": "text",
                "text": "Words.",
                "call": call.pk,
                "terms_accepted": "true",
            },
        )
    assert response.status_code == 201, response.content
    assert list(Notification.objects.values_list("recipient", flat=True)) == [project.created_by.pk]


@pytest.mark.django_db
def test_work_answering_no_call_tells_the_directors_nothing(django_capture_on_commit_callbacks):
    project, _co, member = _call_project()
    with django_capture_on_commit_callbacks(execute=True):
        response = _client(member).post(
            "/api/contributions/",
            {
                "project": project.slug,
                "title": "Free verse",
                "kind": "text",
                "text": "Words.",
                "terms_accepted": "true",
            },
        )
    assert response.status_code == 201, response.content
    assert not Notification.objects.exists()


@pytest.mark.django_db
def test_an_image_answering_your_call_is_announced_when_it_is_ready_to_see(
    django_capture_on_commit_callbacks,
):
    project, co, member = _call_project()
    call = CallFactory(project=project, title="A poster", medium="image")
    with django_capture_on_commit_callbacks(execute=False) as processing:
        response = _client(member).post(
            "/api/contributions/",
            {
                "project": project.slug,
                "title": "Blue poster",
                "kind": "image",
                "call": call.pk,
                "terms_accepted": "true",
                "file": samples.uploaded("poster.png", samples.png_bytes(), "image/png"),
            },
        )
    assert response.status_code == 201, response.content
    # Still processing: nothing to look at yet, so nobody is told.
    assert not Notification.objects.filter(kind=Notification.Kind.CALL_ANSWERED).exists()

    with django_capture_on_commit_callbacks(execute=True):
        for callback in processing:
            callback()  # the processing task runs (eagerly) and marks it ready
    work = Contribution.objects.get(pk=response.json()["id"])
    assert work.status == Contribution.Status.READY, work.rejection_reason
    told = Notification.objects.filter(kind=Notification.Kind.CALL_ANSWERED)
    assert sorted(told.values_list("recipient", flat=True)) == sorted(
        [project.created_by.pk, co.pk]
    )
    page = _client(co).get(told.get(recipient=co).url)
    assert page.status_code == 200
    assert "Blue poster" in page.content.decode()
    assert f"{SITE}/contributions/{work.pk}/" in _assert_links_absolute(_mail_to(co))


@pytest.mark.django_db
def test_only_ready_work_is_announced():
    project, _co, member = _call_project()
    call = CallFactory(project=project)
    work = ContributionFactory(
        project=project, author=member, call=call, status=Contribution.Status.PROCESSING
    )
    assert notify_call_answered(work) == []
    work.status = Contribution.Status.READY
    work.removed = True
    assert notify_call_answered(work) == []
    work.removed = False
    assert len(notify_call_answered(work)) == 2


def _queries_to_announce(directors: int) -> int:
    project = ProjectFactory()
    MembershipFactory.create_batch(directors - 1, project=project, role=Membership.Role.DIRECTOR)
    call = CallFactory(project=project)
    work = Contribution.objects.get(pk=ContributionFactory(project=project, call=call).pk)
    with CaptureQueriesContext(connection) as queries:
        assert len(notify_call_answered(work)) == directors
    return len(queries)


@pytest.mark.django_db
def test_announcing_to_1_or_many_directors_costs_the_same_queries(
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=False):
        assert _queries_to_announce(1) == _queries_to_announce(6)


# --- 4. every link in a notification mail is absolute -------------------------------------


@pytest.mark.django_db
def test_every_link_in_every_notification_mail_is_on_the_site(
    django_capture_on_commit_callbacks,
):
    from accounts.services import notify

    person = UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        notify(recipient=person, kind=Notification.Kind.PROJECT, message="A path", url="/me/")
        notify(recipient=person, kind=Notification.Kind.PROJECT, message="No link at all")
        notify(
            recipient=person,
            kind=Notification.Kind.PROJECT,
            message="Stored absolute",
            url=f"{SITE}/projects/",
        )
        # Not a page of this site: mailed without it, never as a relative or foreign link.
        for i, odd in enumerate(
            ("credits/", "//elsewhere.example/x", "https://elsewhere.example/x")
        ):
            notify(recipient=person, kind=Notification.Kind.PROJECT, message=f"Odd {i}", url=odd)
    assert len(mail.outbox) == 6
    for sent in mail.outbox:
        links = _assert_links_absolute(sent)
        assert f"{SITE}/me/notifications/" in links  # every mail leads to the inbox
    by_subject = {m.subject: m for m in mail.outbox}
    assert f"{SITE}/me/" in _links(by_subject["hitrecord: A path"])
    assert f"{SITE}/projects/" in _links(by_subject["hitrecord: Stored absolute"])
    for i in range(3):
        assert _links(by_subject[f"hitrecord: Odd {i}"]) == [f"{SITE}/me/notifications/"]


@pytest.mark.django_db
def test_a_message_with_a_line_break_still_mails_with_a_one_line_subject(
    django_capture_on_commit_callbacks,
):
    from accounts.services import notify

    person = UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        notify(
            recipient=person,
            kind=Notification.Kind.MODERATION,
            message="Your “Sketch” was taken down: copied\nfrom elsewhere",
        )
    assert [m.subject for m in mail.outbox] == [
        "hitrecord: Your “Sketch” was taken down: copied from elsewhere"
    ]
    assert "copied\nfrom elsewhere" in mail.outbox[0].body
