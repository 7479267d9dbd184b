"""No page, API answer, picture or admin page shows a deleted person's former name.

A person with a distinctive name registers, directs, makes a project, remixes and is
remixed, comments and is named in notifications and the audit log; then they delete their
account. Every place that showed them is fetched again (anonymously, by a collaborator and
by staff) and must not contain their username, first or last name anywhere.
"""

from __future__ import annotations

import pytest
from django.test import Client

from accounts import services as account_services
from accounts.models import AuditEntry, User
from contributions import services as contribution_services
from contributions.models import Comment, Contribution
from contributions.services import SourceSpec
from projects import services as project_services
from tests.accounts.factories import UserFactory

PASSWORD = "ink and gouache 42"
NAMES = ("zquixotic", "Zebulon", "Quillfeather")


def submit(*, user, project, title, sources=()):
    return contribution_services.contribution_submit(
        user=user,
        project=project,
        title=title,
        kind=Contribution.Kind.TEXT,
        text=f"{title}: a few words.",
        sources=[SourceSpec(contribution_id=s.pk) for s in sources],
        terms_accepted=True,
    )


def leaks(content: bytes) -> list[str]:
    text = content.decode(errors="replace").lower()
    return [name for name in NAMES if name.lower() in text]


@pytest.mark.django_db
def test_a_deleted_persons_former_name_appears_nowhere(
    staff, staff_client, django_capture_on_commit_callbacks
):
    ana = UserFactory(username="ana", first_name="Ana", last_name="Lima")
    person = account_services.user_register(
        username="zquixotic", email="zq@example.com", password=PASSWORD
    )
    User.objects.filter(pk=person.pk).update(first_name="Zebulon", last_name="Quillfeather")
    person.refresh_from_db()

    rain = project_services.project_create(by=ana, title="Rain Songs")
    project_services.project_join(project=rain, user=person)
    project_services.project_add_director(project=rain, by=ana, user_id=person.pk)
    own = project_services.project_create(by=person, title="Seaside Tapes")
    original = submit(user=ana, project=rain, title="First Rain")
    remix = submit(user=person, project=rain, title="Tide Remix", sources=[original])
    submit(user=person, project=own, title="Gulls")
    answer = submit(user=ana, project=rain, title="Answer", sources=[remix])
    comment = contribution_services.comment_create(
        contribution=original, author=person, body="Lovely drizzle."
    )
    account_services.audit_record(actor=person, action="user.test", target=person)

    ana_client = Client()
    ana_client.force_login(ana)
    projects = (rain, own)
    works = (original, remix, answer)
    pages = [
        "/",
        "/projects/",
        *(p.get_absolute_url() for p in projects),
        *(c.get_absolute_url() for c in works),
        "/api/projects/",
        *(f"/api/projects/{p.slug}/" for p in projects),
        "/api/contributions/",
        *(f"/api/contributions/{c.pk}/" for c in works),
        *(f"/api/contributions/{c.pk}/lineage/" for c in works),
        f"/api/contributions/{original.pk}/comments/",
    ]
    mine = ["/me/notifications/", "/api/me/notifications/"]
    admin = [
        "/admin/accounts/user/",
        f"/admin/accounts/user/{person.pk}/change/",
        "/admin/accounts/auditentry/",
        *(
            f"/admin/accounts/auditentry/{e.pk}/change/"
            for e in AuditEntry.objects.filter(actor=person)
        ),
        *(
            f"/admin/accounts/auditentry/{e.pk}/change/"
            for e in AuditEntry.objects.filter(target_type="accounts.user", target_id=person.pk)
        ),
        "/admin/accounts/notification/",
        "/admin/contributions/contribution/",
        *(f"/admin/contributions/contribution/{c.pk}/change/" for c in works),
        "/admin/contributions/comment/",
        f"/admin/contributions/comment/{comment.pk}/change/",
        "/admin/projects/project/",
        *(f"/admin/projects/project/{p.pk}/change/" for p in projects),
    ]

    def fetch_all() -> dict[str, list[str]]:
        found: dict[str, list[str]] = {}
        for client, urls in (
            (Client(), pages),
            (ana_client, pages + mine),
            (staff_client, admin),
        ):
            for url in urls:
                response = client.get(url)
                assert response.status_code == 200, (url, response.status_code)
                if leaks(response.content):
                    found[url] = leaks(response.content)
        return found

    # Before: they are named in many of those places (so this test can fail).
    before = fetch_all()
    assert rain.get_absolute_url() in before
    assert f"/api/contributions/{answer.pk}/lineage/" in before
    assert "/me/notifications/" in before
    assert "/admin/accounts/user/" in before

    browser = Client()
    browser.force_login(person)
    with django_capture_on_commit_callbacks(execute=True):
        assert browser.post("/me/delete/", {"password": PASSWORD}).status_code == 302

    assert fetch_all() == {}
    # Their work, comment and direction stay, credited to "former member".
    assert Comment.objects.filter(pk=comment.pk).exists()
    assert "former member" in Client().get(original.get_absolute_url()).content.decode()
    assert Client().get("/u/zquixotic/").status_code == 404
