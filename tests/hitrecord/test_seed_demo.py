from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from accounts.models import User


def _snapshot() -> dict[str, int]:
    from django.apps import apps

    return {
        model._meta.label: model.objects.count()
        for model in apps.get_models()
        if model._meta.app_label in {"accounts", "projects", "contributions", "payouts"}
    }


@pytest.mark.django_db
def test_seed_demo_creates_people_and_is_idempotent(client):
    out = StringIO()
    call_command("seed_demo", stdout=out)
    assert "director" in out.getvalue()
    assert "password" in out.getvalue()
    assert User.objects.filter(is_staff=True).exists()
    artists = User.objects.filter(is_staff=False).exclude(bio="")
    assert artists.count() >= 5
    first = _snapshot()
    call_command("seed_demo", stdout=StringIO())
    assert _snapshot() == first
    assert client.login(username="director", password="hitrecord-demo")


@pytest.mark.django_db
def test_the_demo_has_real_media_and_a_remix_chain_four_deep_across_projects():
    from contributions.lineage import ancestors
    from contributions.models import Contribution

    call_command("seed_demo", stdout=StringIO())
    kinds = set(Contribution.objects.values_list("kind", flat=True))
    assert {"text", "image", "audio"} <= kinds
    media = Contribution.objects.exclude(kind="text")
    assert media.exists()
    assert all(c.status == "ready" and c.thumbnail and c.sha256 for c in media)
    deepest = max(
        (ancestors(c.pk) for c in Contribution.objects.all()),
        key=lambda nodes: max((n.depth for n in nodes), default=0),
    )
    assert max(n.depth for n in deepest) >= 4
    assert len({n.project_slug for n in deepest}) >= 2


def _streams(name: str) -> dict[str, tuple[str, int, int]]:
    """A stored file's streams as a player sees them: {type: (codec, width, height)}."""
    import av
    from django.core.files.storage import default_storage

    with default_storage.open(name, "rb") as handle, av.open(handle) as container:
        return {
            stream.type: (
                stream.codec_context.name,
                getattr(stream.codec_context, "width", 0),
                getattr(stream.codec_context, "height", 0),
            )
            for stream in container.streams
        }


@pytest.mark.django_db
def test_the_demo_has_a_short_video_with_sound_a_rendition_and_a_poster():
    from django.core.files.storage import default_storage
    from PIL import Image

    from contributions.models import Contribution

    call_command("seed_demo", stdout=StringIO())
    video = Contribution.objects.get(kind="video")
    assert video.status == "ready"
    assert video.author.username == "kofi"
    assert video.project.slug == "night-shift"
    assert video.source_links.get().source.title == "3 a.m. at the bakery"
    assert (video.width, video.height) == (640, 360)
    assert 4_000 <= video.duration_ms <= 6_000
    # What the page plays: H.264 pictures and AAC sound in an MP4.
    assert _streams(video.rendition.name) == {
        "video": ("h264", 640, 360),
        "audio": ("aac", 0, 0),
    }
    # The poster is a real frame: a picture of many colours, not a blank.
    with default_storage.open(video.thumbnail.name, "rb") as handle:
        poster = Image.open(handle)
        poster.load()
    assert poster.format == "JPEG"
    assert poster.width == 640
    assert len(poster.convert("RGB").getcolors(maxcolors=1 << 20) or []) > 500


@pytest.mark.django_db
def test_every_demo_recording_has_its_waveform_and_a_rendition():
    import json

    from django.core.files.storage import default_storage

    from contributions.models import Contribution

    call_command("seed_demo", stdout=StringIO())
    recordings = Contribution.objects.filter(kind="audio")
    assert recordings.count() >= 4
    for recording in recordings:
        assert recording.status == "ready", recording.title
        peaks = recording.waveform_peaks
        assert len(peaks) == 1000, recording.title
        # The tones fade in and out: quiet at both ends, loud in the middle.
        assert peaks[0] < 0.2 < max(peaks[400:600])
        assert peaks[-1] < 0.2
        with default_storage.open(recording.waveform.name, "rb") as handle:
            stored = json.load(handle)
        assert stored["points"] == 1000
        assert stored["peaks"] == peaks
        assert _streams(recording.rendition.name) == {"audio": ("aac", 0, 0)}
        assert recording.rendition.name.endswith(".m4a")
