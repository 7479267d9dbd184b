"""A media contribution as submit leaves it, waiting for its processing task (shared by
the task-policy and processing-lock tests)."""

from __future__ import annotations

from django.core.files.base import ContentFile
from django.utils import timezone

from contributions.models import Contribution
from hitrecord.media import generated_name, precheck_media
from tests import media_samples as samples
from tests.accounts.factories import UserFactory
from tests.contributions.conftest import join, make_project


def queued_contribution(data: bytes | None = None, *, kind: str = "image") -> Contribution:
    """A processing ``kind`` contribution (by default an image) as submit leaves it: ``data``
    through the request's checks, stored as received under a generated name, queued."""
    data = data if data is not None else samples.png_bytes(120, 80)
    project = make_project()
    author = UserFactory()
    join(project, author)
    info = precheck_media(ContentFile(data), kind=kind)
    contribution = Contribution(
        project=project,
        author=author,
        title="Queued",
        kind=kind,
        terms_version="t",
        terms_accepted_at=timezone.now(),
        sha256=info.sha256,
        size_bytes=info.size_bytes,
        detected_type=info.content_type,
        width=info.width,
        height=info.height,
        duration_ms=info.duration_ms,
        status=Contribution.Status.PROCESSING,
        processing_step=Contribution.Step.QUEUED,
    )
    contribution.file.save(generated_name(info.extension), ContentFile(data), save=False)
    contribution.save()
    return contribution
