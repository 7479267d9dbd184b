"""The processing task: idempotent, ends ready or rejected, never stuck."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.test import Client
from django.utils import timezone

from contributions.models import Contribution
from contributions.services import contribution_process
from contributions.tasks import contribution_process as contribution_process_task
from hitrecord.media import check_media
from tests import media_samples as samples


def _processing(project, author, data: bytes, *, stored: bytes | None = None) -> Contribution:
    """A contribution as submit leaves it: ``data`` checked and measured, ``stored``
    (by default the same bytes) in the store, waiting for its task."""
    info = check_media(ContentFile(data), kind="image")
    contribution = Contribution(
        project=project,
        author=author,
        title="Queued",
        kind="image",
        terms_version="t",
        terms_accepted_at=timezone.now(),
        sha256=info.sha256,
        size_bytes=info.size_bytes,
        detected_type=info.content_type,
        width=info.width,
        height=info.height,
    )
    content = ContentFile(data if stored is None else stored)
    contribution.file.save("queued.png", content, save=False)
    contribution.save()
    return contribution


@pytest.mark.django_db
def test_processing_twice_is_harmless(project, member):
    contribution = _processing(project, member, samples.png_bytes(200, 100))
    assert contribution_process_task.delay(contribution.pk).get() == "ready"
    contribution.refresh_from_db()
    first = (contribution.thumbnail.name, contribution.sha256, contribution.updated_at)
    assert contribution_process_task.delay(contribution.pk).get() == "skipped"
    contribution.refresh_from_db()
    assert (contribution.thumbnail.name, contribution.sha256, contribution.updated_at) == first
    assert contribution.thumbnail.name.startswith("contributions/thumbs/")


@pytest.mark.django_db
def test_a_file_changed_in_the_store_ends_rejected_with_a_reason(project, member):
    # E.g. a file replaced or cut in the store after it was checked.
    good = samples.png_bytes(300, 300)
    contribution = _processing(project, member, good, stored=samples.half(good))
    stored = contribution.file.path
    result = contribution_process(contribution_id=contribution.pk)
    assert result is not None
    contribution.refresh_from_db()
    assert contribution.status == Contribution.Status.REJECTED
    assert "not the one that was checked" in contribution.rejection_reason
    assert not contribution.file
    assert not Path(stored).exists()


@pytest.mark.django_db
def test_the_author_sees_the_rejection_reason(project, member, member_client):
    contribution = _processing(project, member, samples.png_bytes(), stored=samples.svg_bytes())
    contribution_process(contribution_id=contribution.pk)
    page = member_client.get(f"/contributions/{contribution.pk}/").content.decode()
    assert "rejected" in page
    assert "not the one that was checked" in page
    assert Client().get(f"/contributions/{contribution.pk}/").status_code == 404


@pytest.mark.django_db
def test_a_file_lost_by_the_store_ends_rejected_not_processing(project, member):
    contribution = _processing(project, member, samples.png_bytes())
    contribution.file.storage.delete(contribution.file.name)  # the store lost the file
    assert contribution_process_task.delay(contribution.pk).get() == "rejected"  # at once
    contribution.refresh_from_db()
    assert contribution.status == Contribution.Status.REJECTED
    assert "upload it again" in contribution.rejection_reason
