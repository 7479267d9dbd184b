"""The processing task: idempotent, ends ready or rejected, never stuck."""

from __future__ import annotations

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from contributions.models import Contribution
from contributions.services import contribution_process
from contributions.tasks import contribution_process as contribution_process_task
from tests import media_samples as samples


def _processing(project, author, data: bytes, kind: str = "image") -> Contribution:
    contribution = Contribution(
        project=project,
        author=author,
        title="Queued",
        kind=kind,
        terms_version="t",
        terms_accepted_at=timezone.now(),
    )
    contribution.file.save("queued.bin", ContentFile(data), save=False)
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
    assert contribution.width == 200 and contribution.height == 100  # noqa: PT018


@pytest.mark.django_db
def test_a_file_that_fails_the_checks_in_the_task_ends_rejected_with_a_reason(project, member):
    # E.g. a direct upload replaced in the store after it was submitted.
    contribution = _processing(project, member, samples.half(samples.png_bytes(300, 300)))
    stored = contribution.file.path
    result = contribution_process(contribution_id=contribution.pk)
    assert result is not None
    contribution.refresh_from_db()
    assert contribution.status == Contribution.Status.REJECTED
    assert contribution.rejection_reason
    assert not contribution.file
    from pathlib import Path

    assert not Path(stored).exists()


@pytest.mark.django_db
def test_the_author_sees_the_rejection_reason(project, member, member_client):
    contribution = _processing(project, member, samples.svg_bytes())
    contribution_process(contribution_id=contribution.pk)
    page = member_client.get(f"/contributions/{contribution.pk}/").content.decode()
    assert "rejected" in page
    assert "SVG" in page


@pytest.mark.django_db
def test_a_file_lost_by_the_store_ends_rejected_not_processing(project, member):
    contribution = _processing(project, member, samples.png_bytes())
    contribution.file.storage.delete(contribution.file.name)  # the store lost the file
    assert contribution_process_task.delay(contribution.pk).get() == "rejected"  # at once
    contribution.refresh_from_db()
    assert contribution.status == Contribution.Status.REJECTED
    assert "upload it again" in contribution.rejection_reason
