"""The processing task: idempotent, ends ready or rejected, never stuck; it fully checks
whatever the store holds when it runs."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from django.test import Client
from PIL import Image

from accounts.models import Notification
from contributions.models import Contribution
from contributions.processing import contribution_process
from contributions.tasks import contribution_process as contribution_process_task
from tests import media_samples as samples
from tests import sanitize_samples
from tests.contributions.conftest import stored_files
from tests.contributions.tasks_support import queued_contribution

NOISE = hashlib.shake_256(b"not a picture at all").digest(20_000)


def _replace_in_store(contribution: Contribution, data: bytes) -> None:
    """What an operator's slip or an attacker with store access does: other bytes under
    the name the row points to, after the request checked the upload."""
    Path(contribution.file.path).write_bytes(data)


def _stored_bytes(contribution: Contribution) -> bytes:
    with contribution.file.open("rb") as handle:
        return handle.read()


def _assert_rejected_and_told(contribution: Contribution, before: list[Path], says: str) -> None:
    """Rejected with ``says`` in the reason, told so, and nothing of it left in the store
    (``before``: the stored files before processing, its upload among them)."""
    upload = Path(contribution.file.path)
    assert upload in before
    contribution.refresh_from_db()
    assert contribution.status == Contribution.Status.REJECTED
    assert says in contribution.rejection_reason
    assert not contribution.file
    assert not contribution.thumbnail
    assert not contribution.rendition
    assert stored_files() == [p for p in before if p != upload]  # its upload is gone too
    told = Notification.objects.get(recipient=contribution.author, kind=Notification.Kind.UPLOAD)
    assert contribution.title in told.text
    assert says in told.text
    assert told.url == contribution.get_absolute_url()


@pytest.mark.django_db
def test_processing_twice_is_harmless():
    contribution = queued_contribution(samples.png_bytes(200, 100))
    upload = Path(contribution.file.path)
    assert contribution_process_task.delay(contribution.pk).get() == "ready"
    contribution.refresh_from_db()
    first = (
        contribution.file.name,
        contribution.thumbnail.name,
        contribution.sha256,
        contribution.updated_at,
    )
    assert contribution_process_task.delay(contribution.pk).get() == "skipped"
    contribution.refresh_from_db()
    assert (
        contribution.file.name,
        contribution.thumbnail.name,
        contribution.sha256,
        contribution.updated_at,
    ) == first
    assert contribution.processing_step == Contribution.Step.DONE
    assert contribution.thumbnail.name.startswith("contributions/thumbs/")
    # The clean original replaced the raw upload, under a new generated name.
    assert contribution.file.name != f"contributions/{upload.name}"
    assert not upload.exists()
    assert contribution.sha256 == hashlib.sha256(_stored_bytes(contribution)).hexdigest()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("replacement", "says"),
    [
        (lambda: samples.half(samples.png_bytes(300, 300)), "damaged or incomplete"),
        (samples.svg_bytes, "SVG"),
        (lambda: NOISE, "could not recognise"),
    ],
    ids=["cut", "svg", "noise"],
)
def test_an_image_replaced_in_the_store_by_something_bad_is_fully_checked_and_rejected(
    replacement, says
):
    contribution = queued_contribution(samples.png_bytes(300, 300))
    _replace_in_store(contribution, replacement())
    before = stored_files()
    result = contribution_process(contribution_id=contribution.pk)
    assert result is not None
    _assert_rejected_and_told(contribution, before, says)


@pytest.mark.django_db
def test_an_image_replaced_by_another_valid_one_is_ready_with_that_files_clean_copy():
    contribution = queued_contribution(samples.png_bytes(300, 300))
    other = sanitize_samples.phone_jpeg()
    _replace_in_store(contribution, other)
    assert contribution_process_task.delay(contribution.pk).get() == "ready"
    contribution.refresh_from_db()
    stored = _stored_bytes(contribution)
    # What the row says describes what is stored: the replacement's clean copy.
    assert contribution.detected_type == "image/jpeg"
    assert contribution.file.name.endswith(".jpg")
    assert contribution.sha256 == hashlib.sha256(stored).hexdigest()
    assert contribution.size_bytes == len(stored) < len(other)
    with Image.open(contribution.file.path) as im:
        assert (contribution.width, contribution.height) == im.size
    for secret in sanitize_samples.SECRETS:
        assert secret not in stored


@pytest.mark.django_db
def test_a_video_replaced_by_noise_after_its_header_is_rejected_by_the_full_decode():
    contribution = queued_contribution(samples.mp4_bytes(), kind="video")
    _replace_in_store(contribution, samples.garbage_after_header_mp4_bytes())
    before = stored_files()
    assert contribution_process_task.delay(contribution.pk).get() == "rejected"
    _assert_rejected_and_told(contribution, before, "damaged or incomplete")


@pytest.mark.django_db
def test_a_recording_replaced_by_another_is_ready_with_that_files_clean_copy():
    contribution = queued_contribution(samples.wav_bytes(), kind="audio")
    _replace_in_store(contribution, samples.mp3_bytes(2.0))
    assert contribution_process_task.delay(contribution.pk).get() == "ready"
    contribution.refresh_from_db()
    stored = _stored_bytes(contribution)
    assert contribution.detected_type == "audio/mpeg"
    assert contribution.file.name.endswith(".mp3")
    assert contribution.sha256 == hashlib.sha256(stored).hexdigest()
    assert contribution.size_bytes == len(stored)
    assert 1900 <= contribution.duration_ms <= 2200  # the MP3's length, not the WAV's 1 s
    assert contribution.rendition.name.endswith(".m4a")
    assert len(contribution.waveform_peaks) > 100


@pytest.mark.django_db
def test_the_author_sees_the_rejection_reason():
    contribution = queued_contribution()
    author = Client()
    author.force_login(contribution.author)
    _replace_in_store(contribution, samples.svg_bytes())
    contribution_process(contribution_id=contribution.pk)
    contribution.refresh_from_db()
    assert "SVG" in contribution.rejection_reason
    page = author.get(f"/contributions/{contribution.pk}/").content.decode()
    assert "rejected" in page
    assert "This file is an SVG drawing" in page
    assert Client().get(f"/contributions/{contribution.pk}/").status_code == 404
    stranger = Client().get(f"/api/contributions/{contribution.pk}/")
    assert stranger.status_code == 404


@pytest.mark.django_db
def test_a_file_lost_by_the_store_ends_rejected_not_processing():
    contribution = queued_contribution()
    contribution.file.storage.delete(contribution.file.name)  # the store lost the file
    assert contribution_process_task.delay(contribution.pk).get() == "rejected"  # at once
    contribution.refresh_from_db()
    assert contribution.status == Contribution.Status.REJECTED
    assert "upload it again" in contribution.rejection_reason
    assert Notification.objects.filter(
        recipient=contribution.author, kind=Notification.Kind.UPLOAD
    ).exists()
