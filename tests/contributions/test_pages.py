"""The contribution page, the submit form and the gallery, as a person sees them."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from contributions.models import Comment, Contribution, Source
from tests import media_samples as samples
from tests.accounts.factories import UserFactory
from tests.contributions.conftest import join, make_project


def _submit(client, project, django_capture_on_commit_callbacks, **fields):
    with django_capture_on_commit_callbacks(execute=True):
        return client.post(
            "/contributions/new/",
            {"project": project.slug, "title": "My part", "terms": "on", **fields},
        )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("kind", "name", "make", "player"),
    [
        ("image", "a.png", samples.png_bytes, '<img src="/media/contributions/'),
        ("audio", "a.wav", samples.wav_bytes, "<audio controls"),
        ("video", "a.webm", samples.webm_bytes, "<video controls"),
    ],
)
def test_the_form_uploads_and_the_page_shows_a_player(
    member_client, project, django_capture_on_commit_callbacks, kind, name, make, player
):
    response = _submit(
        member_client,
        project,
        django_capture_on_commit_callbacks,
        kind=kind,
        file=samples.uploaded(name, make(), "application/octet-stream"),
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    contribution = Contribution.objects.get()
    assert response["Location"] == f"/contributions/{contribution.pk}/"
    page = Client().get(response["Location"]).content.decode()
    assert player in page
    assert "Remix this" in page
    assert f"?remix={contribution.pk}" in page


@pytest.mark.django_db
def test_text_written_in_the_page(member_client, project, django_capture_on_commit_callbacks):
    response = _submit(
        member_client,
        project,
        django_capture_on_commit_callbacks,
        kind="text",
        text="The *river* spoke.",
    )
    assert response.status_code == 302
    page = Client().get(response["Location"]).content.decode()
    assert "The <em>river</em> spoke." in page


@pytest.mark.django_db
def test_a_refused_file_shows_the_reason_next_to_the_field(
    member_client, project, django_capture_on_commit_callbacks
):
    response = _submit(
        member_client,
        project,
        django_capture_on_commit_callbacks,
        kind="image",
        file=samples.uploaded("x.png", samples.svg_bytes(), "image/png"),
    )
    assert response.status_code == 400
    assert "SVG" in response.content.decode()
    assert not Contribution.objects.exists()


@pytest.mark.django_db
def test_the_terms_checkbox_is_required(member_client, project, django_capture_on_commit_callbacks):
    response = _submit(
        member_client, project, django_capture_on_commit_callbacks, kind="text", text="x", terms=""
    )
    assert response.status_code == 400
    assert not Contribution.objects.exists()


@pytest.mark.django_db
def test_processing_shows_without_javascript_and_refreshes(member_client, member, project):
    contribution = Contribution.objects.create(
        project=project,
        author=member,
        title="Slow video",
        kind="video",
        terms_version="t",
        terms_accepted_at=timezone.now(),
    )
    page = member_client.get(f"/contributions/{contribution.pk}/").content.decode()
    assert "processing" in page
    assert '<meta http-equiv="refresh"' in page
    # Others do not see unfinished work.
    assert Client().get(f"/contributions/{contribution.pk}/").status_code == 404


@pytest.mark.django_db
def test_non_members_are_one_click_from_joining_on_the_form(project):
    outsider = UserFactory()
    client = Client()
    client.force_login(outsider)
    page = client.get(f"/contributions/new/?project={project.slug}").content.decode()
    assert f"Join {project.title}" in page
    assert f'action="/projects/{project.slug}/join/"' in page


@pytest.mark.django_db
def test_remix_this_prefills_the_sources_with_weights(member_client, member, project):
    source = Contribution.objects.create(
        project=project,
        author=member,
        title="Bassline",
        kind="text",
        text="x",
        status="ready",
        terms_version="t",
        terms_accepted_at=timezone.now(),
    )
    page = member_client.get(f"/contributions/new/?remix={source.pk}").content.decode()
    assert "Built from" in page
    assert "Bassline" in page
    assert f'name="weight_{source.pk}"' in page
    assert 'value="Remix of Bassline"' in page


@pytest.mark.django_db
def test_the_page_shows_sources_with_weights_remixes_and_comments(member_client, member, project):
    now = timezone.now()
    base = dict(
        project=project,
        author=member,
        kind="text",
        text="x",
        status="ready",
        terms_version="t",
        terms_accepted_at=now,
    )
    source = Contribution.objects.create(title="Source", **base)
    middle = Contribution.objects.create(title="Middle", **base)
    later = Contribution.objects.create(title="Later", **base)
    Source.objects.create(contribution=middle, source=source, weight="2.5")
    Source.objects.create(contribution=later, source=middle)
    Comment.objects.create(contribution=middle, author=member, body="Nice work")
    page = Client().get(f"/contributions/{middle.pk}/").content.decode()
    assert "Source" in page
    assert "weight 2.5" in page
    assert "Later" in page
    assert "Remixed 1 time" in page
    assert "Nice work" in page
    assert "<svg" in page  # the lineage picture


def _world(size: int):
    """A project with ``size`` contributions, each remixing the previous, with comments."""
    director = UserFactory()
    project = make_project(director=director)
    people = [UserFactory() for _ in range(3)]
    for person in people:
        join(project, person)
    now = timezone.now()
    items = Contribution.objects.bulk_create(
        Contribution(
            project=project,
            author=people[i % 3],
            title=f"Piece {i}",
            kind="text",
            text="words " * 20,
            status="ready",
            terms_version="t",
            terms_accepted_at=now,
        )
        for i in range(size)
    )
    Source.objects.bulk_create(
        Source(contribution=items[i], source=items[i - 1]) for i in range(1, size)
    )
    Comment.objects.bulk_create(
        Comment(contribution=items[size // 2], author=people[i % 3], body=f"c{i}")
        for i in range(size)
    )
    return project, items, people


def _count_queries(client, url) -> int:
    from django.core.cache import cache

    cache.clear()
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(queries)


@pytest.mark.django_db
def test_query_counts_do_not_grow_with_the_world():
    small_project, small, small_people = _world(2)
    big_project, big, big_people = _world(40)
    client = Client()
    pairs = [
        (f"/contributions/{small[1].pk}/", f"/contributions/{big[20].pk}/"),
        (f"/api/contributions/{small[1].pk}/lineage/", f"/api/contributions/{big[20].pk}/lineage/"),
        (
            f"/api/contributions/?project={small_project.slug}",
            f"/api/contributions/?project={big_project.slug}",
        ),
        (f"/u/{small_people[0].username}/", f"/u/{big_people[0].username}/"),
        (f"/projects/{small_project.slug}/", f"/projects/{big_project.slug}/"),
    ]
    for small_url, big_url in pairs:
        small_count = _count_queries(client, small_url)
        big_count = _count_queries(client, big_url)
        assert small_count == big_count, (small_url, small_count, big_count)
        if not small_url.startswith("/api/"):
            # cold (the page is cached after this): 11 with the head a repeat view reuses
            assert big_count <= 11, (big_url, big_count)


@pytest.mark.django_db
def test_joining_from_the_form_comes_back_to_the_form(project):
    outsider = UserFactory()
    client = Client()
    client.force_login(outsider)
    form_url = f"/contributions/new/?project={project.slug}"
    response = client.post(f"/projects/{project.slug}/join/", {"next": form_url})
    assert response.status_code == 302
    assert response["Location"] == form_url
    page = client.get(form_url).content.decode()
    assert f"Join {project.title}" not in page
    assert 'name="terms"' in page
    # Somewhere else entirely is not followed.
    other = make_project()
    away = client.post(f"/projects/{other.slug}/join/", {"next": "https://evil.example/"})
    assert away["Location"] == f"/projects/{other.slug}/"


@pytest.mark.django_db
def test_the_project_gallery_filters_by_kind_and_needs_a_remix_and_pages(member, project):
    now = timezone.now()
    base = dict(
        project=project, author=member, status="ready", terms_version="t", terms_accepted_at=now
    )
    texts = Contribution.objects.bulk_create(
        Contribution(title=f"Verse {i}", kind="text", text="words", **base) for i in range(26)
    )
    picture = Contribution.objects.create(title="Only picture", kind="image", **base)
    Source.objects.create(contribution=texts[25], source=texts[24])
    hidden = Contribution.objects.create(title="Hidden one", kind="text", withdrawn=True, **base)

    page = Client().get(f"/projects/{project.slug}/").content.decode()
    assert "Page 1 of 2" in page
    assert hidden.title not in page
    images = Client().get(f"/projects/{project.slug}/?kind=image").content.decode()
    assert picture.title in images
    assert "Verse 3" not in images
    needs = Client().get(f"/projects/{project.slug}/?kind=text&needs_remix=1").content.decode()
    assert "Verse 25<" in needs  # remixes another, but nothing remixes it
    assert "Verse 24<" not in needs  # remixed once
    assert "Verse 23<" in needs
    second = Client().get(f"/projects/{project.slug}/?page=2").content.decode()
    assert "Page 2 of 2" in second
    profile = Client().get(f"/u/{member.username}/?kind=image").content.decode()
    assert picture.title in profile
    assert "Verse 3" not in profile


@pytest.mark.django_db
def test_the_lineage_endpoint_is_throttled(member, project, settings):
    rates = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**rates, "lineage": "3/min"},
    }
    from rest_framework.throttling import ScopedRateThrottle

    ScopedRateThrottle.THROTTLE_RATES = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
    try:
        piece = Contribution.objects.create(
            project=project,
            author=member,
            title="Popular",
            kind="text",
            text="x",
            status="ready",
            terms_version="t",
            terms_accepted_at=timezone.now(),
        )
        client = Client()
        codes = [
            client.get(f"/api/contributions/{piece.pk}/lineage/").status_code for _ in range(4)
        ]
        assert codes == [200, 200, 200, 429]
        blocked = client.get(f"/api/contributions/{piece.pk}/lineage/")
        assert "throttled" in blocked.json()["detail"].lower()
        assert int(blocked["Retry-After"]) > 0
    finally:
        ScopedRateThrottle.THROTTLE_RATES = rates
