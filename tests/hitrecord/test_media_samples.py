"""The sample media files are what they claim to be, checked by opening each with PyAV.

The upload and transcoding tests trust these files: a phone movie that has lost its
rotation, or a "bomb" that is not large, would make those tests pass without proving
anything.
"""

from __future__ import annotations

import io

import av
import pytest
from av.container import InputContainer
from PIL import ImageChops

from tests import media_samples as samples


def _open(data: bytes) -> InputContainer:
    return av.open(io.BytesIO(data))


def _streams(container: InputContainer) -> list[tuple[str, str]]:
    return [(stream.type, stream.codec.canonical_name) for stream in container.streams]


def _seconds(container: InputContainer) -> float:
    assert container.duration is not None
    return container.duration / av.time_base


def _first_frame(container: InputContainer) -> av.VideoFrame:
    return next(container.decode(video=0))


def _boxes(data: bytes) -> list[bytes]:
    return [kind for kind, _, _ in samples.mp4_boxes(data)]


# --- sound -------------------------------------------------------------------------------


def test_mp3_is_a_lame_tone_at_44_khz_of_the_length_asked():
    data = samples.mp3_bytes()
    assert data.startswith(b"ID3")
    with _open(data) as container:
        assert container.format.name == "mp3"
        assert _streams(container) == [("audio", "mp3")]
        assert container.streams.audio[0].rate == 44_100
        assert _seconds(container) == pytest.approx(1.0, abs=0.05)
    with _open(samples.mp3_bytes(2.0)) as container:
        assert _seconds(container) == pytest.approx(2.0, abs=0.05)


@pytest.mark.parametrize(
    ("codec", "name", "rate"), [("vorbis", "vorbis", 44_100), ("opus", "opus", 48_000)]
)
def test_ogg_holds_vorbis_or_opus(codec, name, rate):
    data = samples.ogg_bytes(codec=codec)
    assert data.startswith(b"OggS")
    with _open(data) as container:
        assert container.format.name == "ogg"
        assert _streams(container) == [("audio", name)]
        assert container.streams.audio[0].rate == rate
        assert _seconds(container) == pytest.approx(1.0, abs=0.05)
        assert sum(frame.samples for frame in container.decode(audio=0)) > 0.95 * rate


def test_ogg_refuses_a_codec_it_does_not_make():
    with pytest.raises(ValueError, match="Vorbis or Opus"):
        samples.ogg_bytes(codec="speex")


def test_flac_is_flac_of_the_length_asked():
    data = samples.flac_bytes(3.0)
    assert data.startswith(b"fLaC")
    with _open(data) as container:
        assert container.format.name == "flac"
        assert _streams(container) == [("audio", "flac")]
        assert _seconds(container) == pytest.approx(3.0, abs=0.01)


def test_m4a_is_aac_alone_under_the_m4a_brand():
    data = samples.m4a_bytes()
    assert data[4:8] == b"ftyp"
    assert data[8:12] == b"M4A "
    with _open(data) as container:
        assert container.metadata["major_brand"] == "M4A "
        assert _streams(container) == [("audio", "aac")]
        assert _seconds(container) == pytest.approx(1.0, abs=0.05)


def test_long_audio_is_long_in_time_and_small_in_bytes():
    data = samples.long_audio_bytes(60)
    assert len(data) < 50_000
    with _open(data) as container:
        assert container.format.name == "flac"
        audio = container.streams.audio[0]
        assert (audio.codec.canonical_name, audio.rate, audio.channels) == ("flac", 8_000, 1)
        assert _seconds(container) == pytest.approx(3600, abs=0.1)


# --- pictures and sound ------------------------------------------------------------------


def test_mp4_is_h264_and_aac_with_a_moving_colourful_picture():
    data = samples.mp4_bytes()
    assert data[8:12] == b"isom"
    boxes = _boxes(data)
    assert boxes.index(b"moov") < boxes.index(b"mdat")  # faststart: the index first
    with _open(data) as container:
        assert _streams(container) == [("video", "h264"), ("audio", "aac")]
        video = container.streams.video[0]
        assert (video.width, video.height, video.format.name) == (160, 120, "yuv420p")
        assert video.average_rate == 10
        assert video.frames == 10
        assert _seconds(container) == pytest.approx(1.0, abs=0.05)
        frames = [frame.to_image() for frame in container.decode(video=0)]
    assert len(frames) == 10
    assert len(frames[0].getcolors(1_000_000) or []) > 100  # a poster worth looking at
    assert ImageChops.difference(frames[0], frames[-1]).getbbox() is not None  # it moves


def test_mp4_options_move_the_index_and_drop_the_sound():
    assert _boxes(samples.mp4_bytes(faststart=False))[-1] == b"moov"
    with _open(samples.mp4_bytes(faststart=False)) as container:
        assert _streams(container) == [("video", "h264"), ("audio", "aac")]
    with _open(samples.mp4_bytes(sound=False)) as container:
        assert _streams(container) == [("video", "h264")]
    with _open(samples.mp4_bytes(3.0)) as container:
        assert _seconds(container) == pytest.approx(3.0, abs=0.05)


def test_webm_is_vp8_and_opus():
    data = samples.webm_bytes()
    assert data.startswith(b"\x1a\x45\xdf\xa3")
    with _open(data) as container:
        assert container.format.name == "matroska,webm"
        assert _streams(container) == [("video", "vp8"), ("audio", "opus")]
        video = container.streams.video[0]
        assert (video.width, video.height) == (160, 120)
        assert _seconds(container) == pytest.approx(1.0, abs=0.05)
        assert len(_first_frame(container).to_image().getcolors(1_000_000) or []) > 100


def test_mov_is_a_quicktime_movie_with_the_phones_tags():
    data = samples.mov_bytes()
    assert data[4:12] == b"ftypqt  "
    with _open(data) as container:
        assert container.metadata["major_brand"] == "qt  "
        assert _streams(container) == [("video", "h264"), ("audio", "aac")]
        video = container.streams.video[0]
        assert (video.width, video.height) == (160, 120)
        assert _seconds(container) == pytest.approx(1.0, abs=0.05)
        tags = container.metadata
        assert tags["com.apple.quicktime.make"] == "Apple"
        assert tags["com.apple.quicktime.model"] == "iPhone 15"
        assert tags["com.apple.quicktime.location.ISO6709"] == "+48.8584+002.2945+035.000/"
        assert tags["location"].startswith("+48.8584+002.2945+")
        assert _first_frame(container).rotation == 0


def test_mov_without_location_keeps_the_device_but_not_the_place():
    with _open(samples.mov_bytes(location=False)) as container:
        tags = container.metadata
        assert tags["com.apple.quicktime.model"] == "iPhone 15"
        assert not [key for key in tags if "location" in key]


def test_mov_turned_90_is_stored_landscape_and_shown_portrait():
    with _open(samples.mov_bytes(rotation=90)) as container:
        video = container.streams.video[0]
        assert (video.width, video.height) == (160, 120)  # stored landscape
        frame = _first_frame(container)
    # FFmpeg counts counter-clockwise: -90 is a quarter turn clockwise, as an iPhone held
    # upright records it; turned that way for display it is portrait.
    assert frame.rotation == -90
    assert [entry.type.name for entry in frame.side_data].count("DISPLAYMATRIX") == 1
    assert frame.to_image().rotate(frame.rotation, expand=True).size == (120, 160)


def test_mov_in_hevc_carries_the_apple_tag_size_and_rotation():
    data = samples.mov_bytes(codec="hevc", rotation=90, size=(320, 240))
    with _open(data) as container:
        assert _streams(container) == [("video", "hevc"), ("audio", "aac")]
        video = container.streams.video[0]
        assert video.codec_tag == "hvc1"
        assert (video.width, video.height) == (320, 240)
        assert container.metadata["com.apple.quicktime.make"] == "Apple"
        assert _first_frame(container).rotation == -90


def test_tone_video_is_hd_h264_and_aac_of_the_length_asked():
    with _open(samples.tone_video_bytes(2.0)) as container:
        assert _streams(container) == [("video", "h264"), ("audio", "aac")]
        video = container.streams.video[0]
        assert (video.width, video.height, video.average_rate) == (1280, 720, 30)
        assert video.frames == 60
        assert _seconds(container) == pytest.approx(2.0, abs=0.05)
    with _open(samples.tone_video_bytes(1.0, size=(320, 180), fps=25)) as container:
        video = container.streams.video[0]
        assert (video.width, video.height, video.frames) == (320, 180, 25)


# --- hostile files -----------------------------------------------------------------------


def test_huge_frame_video_claims_64_megapixels_in_a_small_file():
    data = samples.huge_frame_video_bytes()
    assert len(data) < 400_000
    with _open(data) as container:
        assert _streams(container) == [("video", "h264")]
        video = container.streams.video[0]
        assert (video.width, video.height) == (8192, 8192)
        assert video.frames == 2


def test_many_frames_video_lasts_half_an_hour_in_a_small_file():
    data = samples.many_frames_video_bytes()
    assert len(data) < 300_000
    with _open(data) as container:
        assert _streams(container) == [("video", "h264")]
        video = container.streams.video[0]
        assert (video.width, video.height, video.frames) == (16, 16, 1800)
        assert _seconds(container) == pytest.approx(1800, abs=1)


def test_garbage_after_header_passes_a_probe_and_fails_a_decode():
    data, good = samples.garbage_after_header_mp4_bytes(), samples.mp4_bytes()
    assert len(data) == len(good)
    header = data.index(b"mdat") + 4
    assert data[:header] == good[:header]
    assert data[header:] != good[header:]
    with _open(data) as container:  # the probe sees a fine movie
        assert _streams(container) == [("video", "h264"), ("audio", "aac")]
        video = container.streams.video[0]
        assert (video.width, video.height) == (160, 120)
        assert _seconds(container) == pytest.approx(1.0, abs=0.05)
        with pytest.raises(av.error.InvalidDataError):
            list(container.decode(video=0))
