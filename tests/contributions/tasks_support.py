"""A media contribution as submit leaves it, waiting for its processing task (shared by
the task-policy and processing-lock tests)."""

from __future__ import annotations

from django.core.files.base import ContentFile
from django.utils import timezone

from contributions.models import Contribution
from hitrecord.media import check_media
from tests import media_samples as samples
from tests.accounts.factories import UserFactory
from tests.contributions.conftest import join, make_project


def queued_contribution(data: bytes | None = None) -> Contribution:
    """A processing image contribution whose stored bytes are the checked ``data``."""
    data = data if data is not None else samples.png_bytes(120, 80)
    project = make_project()
    author = UserFactory()
    join(project, author)
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
    contribution.file.save("queued.png", ContentFile(data), save=False)
    contribution.save()
    return contribution
