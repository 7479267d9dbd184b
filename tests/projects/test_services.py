"""The project services: what they store, who may call them, and what they refuse."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from accounts.models import AuditEntry
from hitrecord.errors import ConflictError
from projects import services
from projects.models import Call, Membership, Project
from tests.accounts.factories import UserFactory
from tests.projects.factories import CallFactory, MembershipFactory, ProjectFactory
from tests.projects.images import bomb_upload, png_upload, text_upload

pytestmark = pytest.mark.django_db


def test_create_makes_the_creator_director_renders_the_brief_and_audits_the_shares(user):
    project = services.project_create(
        by=user,
        title="  The Storm  ",
        brief="A film about **weather**.\n\n<script>alert(1)</script>",
        mediums=["video", "audio", "video"],
        remix_upstream_share="0.25",
    )
    assert project.slug == "the-storm"
    assert project.title == "The Storm"
    assert "<strong>weather</strong>" in project.brief_html
    assert "<script" not in project.brief_html
    assert project.mediums == ["audio", "video"]  # each once, in the fixed order
    assert project.remix_upstream_share == Decimal("0.25")
    assert project.contributor_share == Decimal("0.50")
    membership = Membership.objects.get(project=project)
    assert (membership.user, membership.role) == (user, Membership.Role.DIRECTOR)
    entry = AuditEntry.objects.get(action="project.create", target_id=str(project.pk))
    assert entry.details == {"contributor_share": "0.5000", "remix_upstream_share": "0.2500"}


def test_slugs_are_unique_stable_and_never_empty(user):
    first = services.project_create(by=user, title="Night Shift")
    second = services.project_create(by=user, title="Night shift!")
    third = services.project_create(by=user, title="NIGHT SHIFT")
    assert [first.slug, second.slug, third.slug] == [
        "night-shift",
        "night-shift-2",
        "night-shift-3",
    ]
    assert services.project_create(by=user, title="???").slug == "project"
    assert services.project_create(by=user, title="!!!").slug == "project-2"
    # "new" would hide the project behind /projects/new/.
    assert services.project_create(by=user, title="New").slug == "new-2"
    services.project_update(project=first, by=user, title="Day Shift")
    first.refresh_from_db()
    assert (first.title, first.slug) == ("Day Shift", "night-shift")


def test_create_stores_the_cover_under_a_generated_name_with_a_thumbnail(user):
    project = services.project_create(by=user, title="Covered", cover=png_upload("my holiday.png"))
    assert project.cover.name.startswith("covers/")
    assert "holiday" not in project.cover.name
    assert project.cover_thumbnail.name.startswith("covers/thumbs/")
    assert project.cover.storage.exists(project.cover.name)
    assert project.cover_thumbnail.storage.exists(project.cover_thumbnail.name)


@pytest.mark.parametrize(
    ("upload", "words"), [(text_upload, "text document"), (bomb_upload, "megapixels")]
)
def test_a_cover_that_is_not_an_image_or_a_bomb_saves_nothing(user, upload, words):
    with pytest.raises(ValidationError) as raised:
        services.project_create(by=user, title="Bad cover", cover=upload())
    assert words in raised.value.message_dict["cover"][0]
    assert not Project.objects.exists()
    assert not Membership.objects.exists()


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"title": "   "}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"brief": "x" * 20_001}, "brief"),
        ({"mediums": ["text", "smell"]}, "mediums"),
        ({"status": "finished"}, "status"),
        ({"remix_upstream_share": "1.5"}, "remix_upstream_share"),
        ({"remix_upstream_share": "-0.1"}, "remix_upstream_share"),
        ({"remix_upstream_share": "half"}, "remix_upstream_share"),
        ({"remix_upstream_share": "NaN"}, "remix_upstream_share"),
        ({"remix_upstream_share": "0.12345"}, "remix_upstream_share"),
    ],
)
def test_create_refuses_bad_fields_and_saves_nothing(user, fields, field):
    with pytest.raises(ValidationError) as raised:
        services.project_create(by=user, **{"title": "Fine", **fields})
    assert field in raised.value.message_dict
    assert not Project.objects.exists()


def test_only_staff_set_contributor_share(user, staff):
    with pytest.raises(PermissionDenied, match="Only staff"):
        services.project_create(by=user, title="Mine", contributor_share="0.7")
    project = services.project_create(by=user, title="Mine")
    with pytest.raises(PermissionDenied, match="Only staff"):
        services.project_update(project=project, by=user, contributor_share="0.7")
    services.project_update(project=project, by=staff, contributor_share="0.7")
    project.refresh_from_db()
    assert project.contributor_share == Decimal("0.7")
    entry = AuditEntry.objects.get(action="project.contributor_share")
    assert (entry.actor, entry.details) == (staff, {"from": "0.5000", "to": "0.7000"})


def test_directors_change_the_remix_share_audited_others_may_not(user):
    project = services.project_create(by=user, title="Mine")
    stranger = UserFactory()
    with pytest.raises(PermissionDenied, match="directors"):
        services.project_update(project=project, by=stranger, title="Theirs")
    services.project_update(project=project, by=user, remix_upstream_share=Decimal("0.1"))
    project.refresh_from_db()
    assert project.remix_upstream_share == Decimal("0.1")
    entry = AuditEntry.objects.get(action="project.remix_upstream_share")
    assert entry.details == {"from": "0.5000", "to": "0.1000"}


def test_update_rerenders_the_brief_and_replaces_the_cover(user):
    project = services.project_create(by=user, title="Mine", cover=png_upload())
    old_cover = project.cover.name
    services.project_update(project=project, by=user, brief="*new*", cover=png_upload())
    project.refresh_from_db()
    assert project.brief_html.strip() == "<p><em>new</em></p>"
    assert project.cover.name != old_cover


def test_archived_projects_only_change_status(user):
    project = services.project_create(by=user, title="Old", status="archived")
    member = UserFactory()
    with pytest.raises(ConflictError, match="archived"):
        services.project_update(project=project, by=user, title="New title")
    with pytest.raises(ConflictError, match="archived"):
        services.project_join(project=project, user=member)
    with pytest.raises(ConflictError, match="archived"):
        services.call_create(project=project, by=user, title="A call", medium="text")
    services.project_update(project=project, by=user, status="open")
    project.refresh_from_db()
    assert project.status == "open"


def test_join_is_idempotent_and_leave_keeps_a_director(user):
    project = services.project_create(by=user, title="Ours")
    artist = UserFactory()
    membership, created = services.project_join(project=project, user=artist)
    assert created
    assert membership.role == Membership.Role.MEMBER
    again, created = services.project_join(project=project, user=artist)
    assert (again.pk, created) == (membership.pk, False)
    _, created = services.project_join(project=project, user=user)
    assert created is False  # the director stays a director
    assert Membership.objects.get(project=project, user=user).role == Membership.Role.DIRECTOR
    with pytest.raises(ConflictError, match="only director"):
        services.project_leave(project=project, user=user)
    assert services.project_leave(project=project, user=artist) is True
    assert services.project_leave(project=project, user=artist) is False
    assert list(project.memberships.values_list("user", flat=True)) == [user.pk]


def test_add_director_needs_a_member_and_is_audited(user):
    project = services.project_create(by=user, title="Ours")
    artist, outsider = UserFactory(), UserFactory()
    services.project_join(project=project, user=artist)
    with pytest.raises(ValidationError) as raised:
        services.project_add_director(project=project, by=user, user_id=outsider.pk)
    assert "not a member" in raised.value.message_dict["user"][0]
    with pytest.raises(ValidationError):
        services.project_add_director(project=project, by=user, user_id=2**70)
    with pytest.raises(PermissionDenied):
        services.project_add_director(project=project, by=artist, user_id=artist.pk)
    membership, changed = services.project_add_director(project=project, by=user, user_id=artist.pk)
    assert changed
    assert membership.role == Membership.Role.DIRECTOR
    assert services.project_add_director(project=project, by=user, user_id=artist.pk)[1] is False
    entry = AuditEntry.objects.get(action="project.director_add")
    assert entry.details == {"user": artist.pk}  # ids only, never a name
    # With two directors, the creator may now leave.
    assert services.project_leave(project=project, user=user) is True


def test_calls_are_created_closed_and_reopened_by_directors_only(user):
    project = services.project_create(by=user, title="Ours")
    call = services.call_create(
        project=project, by=user, title="A cello line", medium="audio", good_first=True
    )
    assert (call.is_open, call.good_first, call.medium) == (True, True, "audio")
    with pytest.raises(PermissionDenied):
        services.call_update(call=call, by=UserFactory(), is_open=False)
    services.call_update(call=call, by=user, is_open=False)
    call.refresh_from_db()
    assert call.is_open is False
    services.call_update(call=call, by=user, is_open=True, title="A viola line")
    call.refresh_from_db()
    assert (call.is_open, call.title) == (True, "A viola line")
    with pytest.raises(ValidationError) as raised:
        services.call_create(project=project, by=user, title="x", medium="smell")
    assert "medium" in raised.value.message_dict
    with pytest.raises(ValidationError):
        services.call_create(project=project, by=user, title=" ", medium="text")
    assert Call.objects.count() == 1


def test_staff_may_direct_any_project(staff):
    project = ProjectFactory()
    services.call_create(project=project, by=staff, title="Staff call", medium="image")
    services.project_update(project=project, by=staff, status="in_production")
    project.refresh_from_db()
    assert project.status == "in_production"


def test_factories_make_a_directed_project_with_members_and_calls():
    project = ProjectFactory()
    MembershipFactory(project=project)
    CallFactory(project=project, good_first=True)
    assert project.memberships.filter(role="director").get().user == project.created_by
    assert project.memberships.count() == 2
    assert project.calls.get().good_first is True
