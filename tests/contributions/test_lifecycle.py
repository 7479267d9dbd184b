"""Withdraw instead of delete, take-downs, feedback, and how media is served."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.test import Client

from accounts.models import AuditEntry, Notification
from contributions import services
from contributions.models import Comment, Contribution
from tests import media_samples as samples
from tests.accounts.factories import UserFactory


def _image(client, project, django_capture_on_commit_callbacks, **extra):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/api/contributions/",
            {
                "project": project.slug,
                "title": "Picture",
                "kind": "image",
                "terms_accepted": "true",
                "file": samples.uploaded("p.png", samples.png_bytes(), "image/png"),
                **extra,
            },
        )
    assert response.status_code == 201, response.content
    return Contribution.objects.get(pk=response.json()["id"])


def _media(client, project, django_capture_on_commit_callbacks, kind, name, data):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/api/contributions/",
            {
                "project": project.slug,
                "title": name,
                "kind": kind,
                "terms_accepted": "true",
                "file": samples.uploaded(name, data),
            },
        )
    assert response.status_code == 201, response.content
    contribution = Contribution.objects.get(pk=response.json()["id"])
    assert contribution.status == Contribution.Status.READY, contribution.rejection_reason
    return contribution


def _files(contribution) -> dict[str, str]:
    """Every stored file of a contribution, by field: storage name."""
    fields = ("file", "thumbnail", "rendition", "waveform")
    return {f: getattr(contribution, f).name for f in fields if getattr(contribution, f)}


def _status(url: str) -> int:
    """The status an anonymous visitor gets for ``url``, the file read to its end (the test
    client then closes it without closing the database connection)."""
    response = Client().get(url)
    if response.streaming:
        b"".join(response.streaming_content)
    return response.status_code


def _remix(client, project, source):
    response = client.post(
        "/api/contributions/",
        {
            "project": project.slug,
            "title": "Remix",
            "kind": "text",
            "text": "x",
            "terms_accepted": True,
            "sources": [{"contribution": source.pk}],
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    return response.json()


@pytest.mark.django_db
def test_withdraw_hides_from_browsing_keeps_lineage_and_is_audited(
    member_client, member, project, django_capture_on_commit_callbacks
):
    picture = _image(member_client, project, django_capture_on_commit_callbacks)
    remix = _remix(member_client, project, picture)
    response = member_client.post(f"/api/contributions/{picture.pk}/withdraw/")
    assert response.status_code == 200
    assert response.json()["withdrawn"] is True
    listed = [
        c["id"]
        for c in Client().get(f"/api/contributions/?project={project.slug}").json()["results"]
    ]
    assert picture.pk not in listed
    assert remix["id"] in listed
    ancestors = Client().get(f"/api/contributions/{remix['id']}/lineage/").json()["ancestors"]
    assert [(a["id"], a["withdrawn"]) for a in ancestors] == [(picture.pk, True)]
    assert AuditEntry.objects.filter(
        action="contribution.withdraw", target_id=str(picture.pk)
    ).exists()
    page = Client().get(f"/contributions/{picture.pk}/").content.decode()
    assert "Withdrawn by its author" in page


@pytest.mark.django_db
def test_only_the_author_withdraws_or_deletes(
    member_client, project, django_capture_on_commit_callbacks
):
    picture = _image(member_client, project, django_capture_on_commit_callbacks)
    stranger = Client()
    stranger.force_login(UserFactory())
    assert stranger.post(f"/api/contributions/{picture.pk}/withdraw/").status_code == 403
    assert stranger.delete(f"/api/contributions/{picture.pk}/").status_code == 403
    assert Client().delete(f"/api/contributions/{picture.pk}/").status_code == 401
    picture.refresh_from_db()
    assert not picture.withdrawn


@pytest.mark.django_db
def test_delete_is_allowed_while_unused_and_removes_the_files(
    member_client, project, django_capture_on_commit_callbacks
):
    picture = _image(member_client, project, django_capture_on_commit_callbacks)
    paths = [picture.file.path, picture.thumbnail.path]
    with django_capture_on_commit_callbacks(execute=True):
        response = member_client.delete(f"/api/contributions/{picture.pk}/")
    assert response.status_code == 204
    assert not Contribution.objects.filter(pk=picture.pk).exists()
    from pathlib import Path

    assert not any(Path(p).exists() for p in paths)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("kind", "name", "make", "fields"),
    [
        ("audio", "tune.wav", samples.wav_bytes, {"file", "thumbnail", "rendition", "waveform"}),
        ("video", "clip.mp4", samples.mp4_bytes, {"file", "thumbnail", "rendition"}),
    ],
)
def test_delete_of_a_recording_or_video_removes_every_file_it_had(
    member_client, project, settings, django_capture_on_commit_callbacks, kind, name, make, fields
):
    work = _media(member_client, project, django_capture_on_commit_callbacks, kind, name, make())
    files = _files(work)
    assert set(files) == fields
    paths = [Path(settings.MEDIA_ROOT) / stored for stored in files.values()]
    assert all(path.is_file() for path in paths)
    with django_capture_on_commit_callbacks(execute=True):
        response = member_client.delete(f"/api/contributions/{work.pk}/")
    assert response.status_code == 204
    assert [path.name for path in paths if path.exists()] == []
    for stored in files.values():
        assert _status(f"/media/{stored}") == 404


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("kind", "name", "make"),
    [("audio", "tune.wav", samples.wav_bytes), ("video", "clip.mp4", samples.mp4_bytes)],
)
def test_a_take_down_removes_the_rendition_and_waveform_too(
    member_client, project, staff, settings, django_capture_on_commit_callbacks, kind, name, make
):
    work = _media(member_client, project, django_capture_on_commit_callbacks, kind, name, make())
    files = _files(work)
    assert "rendition" in files
    with django_capture_on_commit_callbacks(execute=True):
        services.contribution_take_down(contribution=work, by=staff, reason="rights complaint")
    work.refresh_from_db()
    assert work.removed
    for stored in files.values():  # nobody but staff gets any of its media
        assert _status(f"/media/{stored}") == 404, stored
    assert _files(work) == {}
    assert work.waveform_peaks == []
    for stored in files.values():
        assert not (Path(settings.MEDIA_ROOT) / stored).exists(), stored


@pytest.mark.django_db
def test_delete_of_used_work_answers_409_saying_to_withdraw(
    member_client, project, django_capture_on_commit_callbacks
):
    picture = _image(member_client, project, django_capture_on_commit_callbacks)
    _remix(member_client, project, picture)
    response = member_client.delete(f"/api/contributions/{picture.pk}/")
    assert response.status_code == 409
    assert "withdraw" in response.json()["detail"]
    assert Contribution.objects.filter(pk=picture.pk).exists()
    # The page says so too.
    page = member_client.post(f"/contributions/{picture.pk}/delete/", follow=True)
    assert "withdraw it instead" in page.content.decode()


@pytest.mark.django_db
def test_staff_take_down_from_admin_removes_media_keeps_node_and_is_audited(
    member_client, member, project, staff_client, django_capture_on_commit_callbacks
):
    picture = _image(member_client, project, django_capture_on_commit_callbacks)
    remix = _remix(member_client, project, picture)
    from pathlib import Path

    media_path = Path(picture.file.path)
    changelist = "/admin/contributions/contribution/"
    asked = staff_client.post(changelist, {"action": "take_down", "_selected_action": [picture.pk]})
    assert asked.status_code == 200
    assert "Reason" in asked.content.decode()
    picture.refresh_from_db()
    assert not picture.removed  # nothing happens before the reason is given
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(
            changelist,
            {
                "action": "take_down",
                "_selected_action": [picture.pk],
                "apply": "Take down",
                "reason": "Rights complaint from the photographer",
            },
        )
    assert response.status_code == 302
    picture.refresh_from_db()
    assert picture.removed
    assert not picture.file
    assert not media_path.exists()
    assert AuditEntry.objects.filter(
        action="contribution.take_down", target_id=str(picture.pk)
    ).exists()
    told = Notification.objects.get(recipient=member, kind="moderation")
    assert "Rights complaint from the photographer" in told.message
    ancestors = Client().get(f"/api/contributions/{remix['id']}/lineage/").json()["ancestors"]
    assert ancestors[0]["removed"] is True
    page = Client().get(f"/contributions/{picture.pk}/").content.decode()
    assert "taken down" in page


@pytest.mark.django_db
def test_feedback_can_be_read_by_anyone_written_when_signed_in_and_hidden_by_staff(
    member_client, project, staff_client
):
    text = member_client.post(
        "/api/contributions/",
        {
            "project": project.slug,
            "title": "Poem",
            "kind": "text",
            "text": "x",
            "terms_accepted": True,
        },
        content_type="application/json",
    ).json()
    url = f"/api/contributions/{text['id']}/comments/"
    assert Client().post(url, {"body": "hi"}, content_type="application/json").status_code == 401
    commenter = Client()
    commenter.force_login(UserFactory(username="critic"))
    created = commenter.post(url, {"body": "Love the second line"}, content_type="application/json")
    assert created.status_code == 201
    assert created.json()["author"]["username"] == "critic"
    assert commenter.post(url, {"body": "  "}, content_type="application/json").status_code == 400
    listing = Client().get(url).json()
    assert listing["count"] == 1
    assert listing["results"][0]["body"] == "Love the second line"

    comment = Comment.objects.get()
    staff_client.post(
        "/admin/contributions/comment/", {"action": "hide", "_selected_action": [comment.pk]}
    )
    assert Client().get(url).json()["count"] == 0
    assert AuditEntry.objects.filter(action="comment.hide", target_id=str(comment.pk)).exists()
    assert (
        "Love the second line" not in Client().get(f"/contributions/{text['id']}/").content.decode()
    )


@pytest.mark.django_db
def test_media_is_served_with_its_real_type_nosniff_and_never_as_html(
    member_client, project, settings, django_capture_on_commit_callbacks
):
    picture = _image(member_client, project, django_capture_on_commit_callbacks)
    response = Client().get(picture.file.url)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]
    # Read to the end: the test client then closes the file without closing the database
    # connection (a bare close() does, and the media view now asks the database).
    b"".join(response.streaming_content)
    from pathlib import Path

    planted = Path(settings.MEDIA_ROOT) / "contributions" / "planted.html"
    planted.write_text("<script>alert(1)</script>")
    html = Client().get("/media/contributions/planted.html")
    assert html["Content-Type"] == "application/octet-stream"
    assert html["Content-Disposition"].startswith("attachment")
    html.close()
    assert Client().get("/media/../settings.py").status_code == 404
