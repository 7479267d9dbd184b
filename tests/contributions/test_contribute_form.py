"""The contribute form as a new person meets it (issue 11, "what a new user met"): where the
confirmation goes, what a non-member is offered, what answering a call picks, what happens
to a chosen file after an error, and where the weights' errors are said."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.test import Client

from contributions.models import Contribution, Source
from tests import media_samples as samples
from tests.accounts.factories import UserFactory
from tests.contributions.conftest import BUCKET, join, make_project, s3_keys, stored_files
from tests.contributions.factories import ContributionFactory
from tests.projects.factories import CallFactory

XHR = {"HTTP_X_REQUESTED_WITH": "XMLHttpRequest"}


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _fields(project, **fields):
    return {"project": project.slug, "title": "My part", "terms": "on", **fields}


def _source_rows(page: str) -> dict[int, str]:
    """Each "Built from" row's HTML, by the source's id."""
    rows = re.findall(r'<div class="source-row[^"]*">(.*?)</div>', page, re.DOTALL)
    return {int(re.search(r'name="sources" value="(\d+)"', row)[1]): row for row in rows}


def _file_field(page: str) -> str:
    found = re.search(
        r'<div class="kind-file">(.*?)<input type="hidden" name="upload_key"', page, re.S
    )
    assert found, "the page has no file field"
    return found[1]


def _non_field_errors(page: str) -> list[str]:
    return re.findall(r'<p class="form-error" role="alert">(.*?)</p>', page)


def _checked(page: str, name: str) -> list[str]:
    """The values of the checked radios / selected options of ``name``."""
    radios = re.findall(rf'<input type="radio" name="{name}" value="([^"]*)"[^>]*checked', page)
    select = re.search(rf'<select name="{name}"[^>]*>(.*?)</select>', page, re.DOTALL)
    options = re.findall(r'<option value="([^"]*)"[^>]*selected', select[1]) if select else []
    return radios + options


# --- 1. the confirmation reaches the person ------------------------------------------------


@pytest.mark.django_db
def test_the_upload_script_gets_the_address_and_the_confirmation_waits_there(
    member_client, project, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = member_client.post(
            "/contributions/new/",
            _fields(project, kind="image", file=samples.uploaded("a.png", samples.png_bytes())),
            **XHR,
        )
    assert response.status_code == 200, response.content.decode()[:2000]
    contribution = Contribution.objects.get()
    assert response.json() == {"redirect": f"/contributions/{contribution.pk}/"}
    # Nothing was shown yet: the message is on the page the script opens next, once.
    page = member_client.get(response.json()["redirect"]).content.decode()
    assert "Uploaded. We are checking the file and making its thumbnail." in page
    again = member_client.get(response.json()["redirect"]).content.decode()
    assert "We are checking the file" not in again


@pytest.mark.django_db
def test_without_the_script_the_form_still_redirects_with_the_message(
    member_client, project, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = member_client.post(
            "/contributions/new/", _fields(project, kind="text", text="Hello."), follow=True
        )
    assert response.redirect_chain[0][1] == 302
    assert "Your contribution is live." in response.content.decode()


@pytest.mark.django_db
def test_the_upload_script_gets_the_page_with_its_errors_when_refused(member_client, project):
    response = member_client.post(
        "/contributions/new/",
        _fields(project, kind="image", file=samples.uploaded("x.png", samples.svg_bytes())),
        **XHR,
    )
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
    assert "SVG" in _file_field(response.content.decode())


# --- 2. no dead end for someone who is not a member --------------------------------------


@pytest.mark.django_db
def test_someone_in_no_project_is_shown_how_to_join_one_not_an_empty_form():
    page = _client(UserFactory()).get("/contributions/new/").content.decode()
    assert '<select name="project"' not in page
    assert 'name="terms"' not in page
    assert "you have not joined one yet" in page
    assert 'href="/projects/">Find a project to join</a>' in page


@pytest.mark.django_db
def test_a_non_member_asking_for_a_project_gets_its_join_button_and_no_form(project):
    page = _client(UserFactory()).get(f"/contributions/new/?project={project.slug}")
    html = page.content.decode()
    assert page.status_code == 200
    assert f'action="/projects/{project.slug}/join/"' in html
    assert f"Join {project.title}</button>" in html
    assert f'href="/projects/{project.slug}/">See the project first' in html
    assert '<select name="project"' not in html


@pytest.mark.django_db
def test_a_member_elsewhere_may_join_or_choose_among_their_projects(project):
    person = UserFactory()
    mine = make_project(title="My band")
    join(mine, person)
    html = _client(person).get(f"/contributions/new/?project={project.slug}").content.decode()
    assert f"Join {project.title}</button>" in html
    assert "Or share it in one of your projects below." in html
    select = re.search(r'<select name="project"[^>]*>(.*?)</select>', html, re.DOTALL)[1]
    assert re.findall(r'<option value="([^"]*)"', select) == ["", mine.slug]


@pytest.mark.django_db
def test_a_non_member_answering_a_call_is_told_to_join_for_that_call(project):
    call = CallFactory(project=project, title="We need a cello line")
    html = _client(UserFactory()).get(f"/contributions/new/?call={call.pk}").content.decode()
    assert f"Join {project.title}</button>" in html
    assert "join it to answer its call <strong>We need a cello line</strong>" in html
    # Joining comes back to the same form, which then answers the call.
    assert f'name="next" value="/contributions/new/?call={call.pk}"' in html


@pytest.mark.django_db
def test_a_non_member_remixing_is_offered_the_sources_project(project):
    source = ContributionFactory(project=project, title="Bassline")
    html = _client(UserFactory()).get(f"/contributions/new/?remix={source.pk}").content.decode()
    assert f"Join {project.title}</button>" in html
    assert "join it to publish your remix there" in html


@pytest.mark.django_db
def test_an_archived_project_says_so_instead_of_offering_to_join(project):
    project.status = project.Status.ARCHIVED
    project.save()
    html = _client(UserFactory()).get(f"/contributions/new/?project={project.slug}").content
    assert b"is archived: it takes no new contributions." in html
    assert b"/join/" not in html


@pytest.mark.django_db
def test_someone_in_one_project_finds_it_chosen(member_client, project):
    html = member_client.get("/contributions/new/").content.decode()
    assert _checked(html, "project") == [project.slug]
    assert f"Contribute to {project.title}" in html


@pytest.mark.django_db
def test_posting_to_a_project_one_has_not_joined_says_how_to_fix_it(project):
    person = UserFactory()
    join(make_project(), person)
    response = _client(person).post(
        "/contributions/new/", _fields(project, kind="text", text="Hello.")
    )
    assert response.status_code == 400
    assert "join a project to contribute to it" in response.content.decode()
    assert not Contribution.objects.exists()


# --- 3. answering a call picks its project, the call and its medium -----------------------


@pytest.mark.django_db
@pytest.mark.parametrize("medium", ["audio", "video", "image", "text"])
def test_answering_a_call_picks_its_medium_project_and_call(member_client, project, medium):
    make_project(title="Another")  # not the call's
    call = CallFactory(project=project, medium=medium, title="We need this")
    html = member_client.get(f"/contributions/new/?call={call.pk}").content.decode()
    assert _checked(html, "kind") == [medium]
    assert _checked(html, "project") == [project.slug]
    assert _checked(html, "call") == [str(call.pk)]
    assert "Answering the call" in html


@pytest.mark.django_db
def test_a_closed_call_or_another_projects_call_is_not_picked(member_client, project):
    closed = CallFactory(project=project, medium="audio", is_open=False)
    other = CallFactory(medium="video")
    html = member_client.get(f"/contributions/new/?call={closed.pk}").content.decode()
    assert _checked(html, "kind") == []
    assert _checked(html, "call") == [""]
    url = f"/contributions/new/?project={project.slug}&call={other.pk}"
    html = member_client.get(url).content.decode()
    assert _checked(html, "kind") == []
    assert _checked(html, "project") == [project.slug]


# --- 4. a chosen file is not dropped silently ----------------------------------------------


@pytest.mark.django_db
def test_after_an_error_the_page_says_beside_the_file_to_choose_it_again(member_client, project):
    before = stored_files()
    response = member_client.post(
        "/contributions/new/",
        _fields(
            project, title="", kind="audio", file=samples.uploaded("tone.wav", samples.wav_bytes())
        ),
    )
    assert response.status_code == 400
    field = _file_field(response.content.decode())
    assert "You chose tone.wav" in field
    assert "choose it again before you share" in field
    assert stored_files() == before


@pytest.mark.django_db
def test_a_refused_file_gets_its_reason_not_the_reminder(member_client, project):
    response = member_client.post(
        "/contributions/new/",
        _fields(project, kind="image", file=samples.uploaded("x.png", samples.svg_bytes())),
    )
    field = _file_field(response.content.decode())
    assert "SVG" in field
    assert "choose it again" not in field


@pytest.mark.django_db
def test_a_direct_upload_is_kept_across_an_error_and_a_gone_one_is_asked_again(
    s3, member_client, project
):
    s3.put_object(Bucket=BUCKET, Key="incoming/kept", Body=samples.png_bytes())
    kept = member_client.post(
        "/contributions/new/", _fields(project, title="", kind="image", upload_key="incoming/kept")
    ).content.decode()
    assert "Your file is uploaded and kept" in _file_field(kept)
    assert 'name="upload_key" id="id_upload_key" value="incoming/kept"' in kept
    assert s3_keys(s3) == ["incoming/kept"]

    gone = member_client.post(
        "/contributions/new/", _fields(project, title="", kind="image", upload_key="incoming/gone")
    ).content.decode()
    assert "Choose the file again" in _file_field(gone)
    assert 'name="upload_key" id="id_upload_key" value=""' in gone


# --- 5, 6, 7. weights: beside their field, checked first, asked only when they matter ----


def _remix_of(project, member, count: int) -> list[Contribution]:
    join(project, member)
    return [ContributionFactory(project=project, title=f"Source {n}") for n in range(count)]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("weight", "message"),
    [
        ("11", "A weight must be more than 0 and at most 10."),
        ("0", "A weight must be more than 0 and at most 10."),
        ("1.2345", "A weight may have at most 3 decimal places."),
        ("lots", "A weight must be a number; got &#x27;lots&#x27;."),
        ("", "Give each source a weight"),
    ],
)
def test_a_weight_error_shows_beside_that_sources_weight(
    member_client, member, project, weight, message
):
    first, second = _remix_of(project, member, 2)
    before = stored_files()
    response = member_client.post(
        "/contributions/new/",
        _fields(
            project,
            kind="image",
            sources=[first.pk, second.pk],
            **{f"weight_{first.pk}": "2", f"weight_{second.pk}": weight},
            file=samples.uploaded("a.png", samples.png_bytes()),
        ),
    )
    assert response.status_code == 400
    page = response.content.decode()
    rows = _source_rows(page)
    assert message in rows[second.pk]
    assert "field--error" not in rows[first.pk]
    assert 'class="field__error"' not in rows[first.pk]
    assert _non_field_errors(page) == []
    # Refused before the file was stored.
    assert not Contribution.objects.filter(title="My part").exists()
    assert stored_files() == before


@pytest.mark.django_db
def test_with_one_source_the_weight_is_optional_and_counts_as_one(
    member_client, member, project, django_capture_on_commit_callbacks
):
    (source,) = _remix_of(project, member, 1)
    form = member_client.get(f"/contributions/new/?remix={source.pk}").content.decode()
    row = _source_rows(form)[source.pk]
    assert "(optional)" in row
    assert "with one source its weight changes nothing" in form
    assert " required" not in row
    with django_capture_on_commit_callbacks(execute=True):
        response = member_client.post(
            "/contributions/new/",
            _fields(
                project,
                kind="text",
                text="Mine.",
                sources=[source.pk],
                **{f"weight_{source.pk}": ""},
            ),
        )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Source.objects.get().weight == Decimal(1)


@pytest.mark.django_db
def test_with_several_sources_each_weight_is_asked_for_and_stored(
    member_client, member, project, django_capture_on_commit_callbacks
):
    first, second = _remix_of(project, member, 2)
    form = member_client.get(f"/contributions/new/?remix={first.pk},{second.pk}").content.decode()
    rows = _source_rows(form)
    for row in rows.values():
        assert "(optional)" not in row
        assert 'value="1"' in row
        assert " required" in row
    assert "relative to the others" in form
    with django_capture_on_commit_callbacks(execute=True):
        response = member_client.post(
            "/contributions/new/",
            _fields(
                project,
                kind="text",
                text="Mine.",
                sources=[first.pk, second.pk],
                **{f"weight_{first.pk}": "2.5", f"weight_{second.pk}": "0.125"},
            ),
        )
    assert response.status_code == 302, response.content.decode()[:2000]
    weights = dict(Source.objects.values_list("source_id", "weight"))
    assert weights == {first.pk: Decimal("2.5"), second.pk: Decimal("0.125")}


@pytest.mark.django_db
def test_required_fields_carry_the_words_the_script_shows(member_client, project):
    """upload.js shows these before sending a file; the server says the same words."""
    html = member_client.get(f"/contributions/new/?project={project.slug}").content.decode()
    response = member_client.post("/contributions/new/", {"project": project.slug})
    errors = response.content.decode()
    for message in (
        "Give the contribution a title.",
        "Choose what you are sharing: text, image, audio or video.",
        "Accept the contributor terms to share your work.",
    ):
        assert f'data-required-message="{message}"' in html
        assert f'<p class="field__error" role="alert">{message}</p>' in errors
