"""The processing child: every allowed recording and video decodes to its last frame and
gives renditions that every browser plays; hostile files end refused, never in a crash.

Each file is made at test time with PyAV (tests/media_samples.py) and processed by the
real child process (``runner.process``), with its real limits.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from pathlib import Path

import av
import pytest
from PIL import Image

from hitrecord.media import MediaRejected, runner, sniff
from hitrecord.media.avwork import rendition_size
from tests import media_samples as samples


def process(tmp_path: Path, data: bytes, kind: str) -> runner.Processed:
    upload = tmp_path / "upload"
    upload.write_bytes(data)
    fmt = sniff(data[: 64 * 1024], kind, total=len(data))
    out = tmp_path / "out"
    out.mkdir(exist_ok=True)
    return runner.process(str(upload), fmt, outdir=str(out))


def refused(tmp_path: Path, data: bytes, kind: str) -> MediaRejected:
    with pytest.raises(MediaRejected) as caught:
        process(tmp_path, data, kind)
    return caught.value


def streams(path: Path) -> dict[str, list[str]]:
    with av.open(str(path)) as container:
        found: dict[str, list[str]] = {"audio": [], "video": []}
        for stream in container.streams:
            if stream.type in found:
                found[stream.type].append(stream.codec_context.name)
        found["format"] = [container.format.name]
        return found


def frames_to_end(path: Path) -> tuple[int, float]:
    """How many frames decode, and the last frame's time in seconds."""
    count, last = 0, 0.0
    with av.open(str(path)) as container:
        for frame in container.decode(*container.streams):
            count += 1
            last = max(last, float(frame.time or 0))
    return count, last


def top_boxes(path: Path) -> list[bytes]:
    return [kind for kind, _start, _size in samples.mp4_boxes(path.read_bytes())]


AUDIO: list[tuple[str, Callable[[], bytes]]] = [
    ("mp3", samples.mp3_bytes),
    ("ogg-vorbis", samples.ogg_bytes),
    ("ogg-opus", lambda: samples.ogg_bytes(codec="opus")),
    ("flac", samples.flac_bytes),
    ("wav", samples.wav_bytes),
    ("m4a", samples.m4a_bytes),
]
VIDEO: list[tuple[str, Callable[[], bytes]]] = [
    ("mp4", samples.mp4_bytes),
    ("mp4-moov-last", lambda: samples.mp4_bytes(faststart=False)),
    ("mp4-silent", lambda: samples.mp4_bytes(sound=False)),
    ("webm", samples.webm_bytes),
    ("mov-h264", samples.mov_bytes),
    ("mov-hevc", lambda: samples.mov_bytes(codec="hevc")),
]


# --- renditions ----------------------------------------------------------------------------


@pytest.mark.parametrize(("label", "make"), AUDIO, ids=[a for a, _ in AUDIO])
def test_every_recording_gets_an_aac_rendition_and_its_waveform(tmp_path, label, make):
    done = process(tmp_path, make(), "audio")

    assert abs(done.duration_ms - 1000) <= 80
    assert done.rendition.suffix == ".m4a"
    found = streams(done.rendition)
    assert found["audio"] == ["aac"]
    assert found["video"] == []
    assert top_boxes(done.rendition).index(b"moov") < top_boxes(done.rendition).index(b"mdat")
    with av.open(str(done.rendition)) as container:
        rate = container.streams.audio[0].bit_rate or container.bit_rate
        assert 64_000 <= rate <= 200_000  # about 128 kbit/s
        assert abs(float(container.duration or 0) / 1e6 - 1.0) < 0.1
    assert done.peaks is not None
    assert len(done.peaks) == 1000
    assert all(0.0 <= p <= 1.0 for p in done.peaks)
    assert max(done.peaks) > 0.1  # the tone is loud enough to be seen
    assert done.poster is None
    # The original keeps its own codec: remuxed, not re-encoded.
    assert streams(done.original)["audio"] == streams(_write(tmp_path, make()))["audio"]


def _write(tmp_path: Path, data: bytes) -> Path:
    path = tmp_path / "as-uploaded"
    path.write_bytes(data)
    return path


def test_the_waveform_follows_the_loudness(tmp_path):
    loud, quiet = samples.wav_bytes(1.0), samples.long_audio_bytes(1 / 60)
    assert max(process(tmp_path, loud, "audio").peaks or [0]) > 0.3
    assert max(process(tmp_path, quiet, "audio").peaks or [1]) < 0.05


@pytest.mark.parametrize(("label", "make"), VIDEO, ids=[v for v, _ in VIDEO])
def test_every_video_gets_an_h264_rendition_and_a_poster_from_a_real_frame(tmp_path, label, make):
    data = make()
    done = process(tmp_path, data, "video")

    assert abs(done.duration_ms - 1000) <= 80
    assert (done.width, done.height) == (160, 120)
    found = streams(done.rendition)
    assert found["video"] == ["h264"]
    assert found["audio"] == ([] if label == "mp4-silent" else ["aac"])
    boxes = top_boxes(done.rendition)
    assert boxes.index(b"moov") < boxes.index(b"mdat")  # faststart: plays while loading
    assert frames_to_end(done.rendition)[0] >= 9  # 10 frames a second, for a second
    assert done.poster is not None
    with Image.open(done.poster) as poster:
        assert poster.format == "JPEG"
        assert poster.size == (160, 120)
        assert len(poster.convert("RGB").getcolors(100_000) or []) > 100  # a picture, not a card
    assert done.peaks is None


def test_a_large_video_is_scaled_to_720p_keeping_its_shape(tmp_path):
    done = process(tmp_path, samples.tone_video_bytes(1, size=(1920, 1080), fps=10), "video")
    with av.open(str(done.rendition)) as container:
        video = container.streams.video[0].codec_context
        assert (video.width, video.height) == (1280, 720)
    assert (done.width, done.height) == (1920, 1080)  # the original's size
    assert rendition_size(3840, 2160) == (1280, 720)
    assert rendition_size(1080, 1920) == (720, 1280)  # 720p, upright
    assert rendition_size(640, 360) == (640, 360)  # never enlarged
    assert rendition_size(1281, 721) == (1278, 720)


@pytest.mark.parametrize("codec", ["h264", "hevc"])
def test_an_upright_phone_video_plays_upright(tmp_path, codec):
    # Stored 160 x 120 (landscape) with a display matrix turning it a quarter clockwise.
    data = samples.mov_bytes(codec=codec, rotation=90)
    done = process(tmp_path, data, "video")

    assert (done.width, done.height) == (120, 160)
    with av.open(str(done.rendition)) as container:
        frame = next(container.decode(video=0))
        assert (frame.width, frame.height) == (120, 160)
        assert not frame.rotation  # the pixels are upright; no matrix left to apply
    with Image.open(done.poster or "") as poster:
        assert poster.size == (120, 160)
    # The original keeps its matrix, so players that apply it still show it upright.
    with av.open(str(done.original)) as container:
        assert next(container.decode(video=0)).rotation == -90


def test_the_original_loses_its_device_and_location_tags_but_not_a_byte_of_its_media(tmp_path):
    data = samples.mov_bytes(location=True)
    with av.open(str(_write(tmp_path, data))) as container:
        tags = dict(container.metadata)
        assert any("location" in key for key in tags)  # the sample carries them
        before = [hashlib.sha256(bytes(p)).hexdigest() for p in container.demux() if p.size]

    done = process(tmp_path, data, "video")

    with av.open(str(done.original)) as container:
        tags = dict(container.metadata)
        after = [hashlib.sha256(bytes(p)).hexdigest() for p in container.demux() if p.size]
    assert not any("location" in key.lower() for key in tags), tags
    assert not any("apple" in key.lower() for key in tags), tags
    assert b"+48.8584" not in done.original.read_bytes()
    assert b"iPhone" not in done.original.read_bytes()
    assert sorted(after) == sorted(before)  # the same packets: remuxed, never re-encoded
    assert streams(done.original)["video"] == ["h264"]


# --- refusals ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("label", "make", "kind"),
    [(a, m, "audio") for a, m in AUDIO] + [(v, m, "video") for v, m in VIDEO],
    ids=[a for a, _ in AUDIO] + [v for v, _ in VIDEO],
)
def test_a_file_cut_at_half_its_length_is_refused(tmp_path, label, make, kind):
    error = refused(
        tmp_path, samples.half(make() if label != "mp3" else samples.mp3_bytes(3)), kind
    )
    assert error.code == "damaged"
    assert "damaged or incomplete" in error.message
    assert "export it again" in error.message


def test_a_file_whose_pictures_do_not_decode_is_refused(tmp_path):
    error = refused(tmp_path, samples.garbage_after_header_mp4_bytes(), "video")
    assert error.code == "damaged"


def test_noise_in_the_middle_of_a_recording_is_refused(tmp_path):
    flac = bytearray(samples.flac_bytes(2.0))
    for k in range(len(flac) // 2, len(flac) // 2 + 64):
        flac[k] ^= 0x5A
    assert refused(tmp_path, bytes(flac), "audio").code == "damaged"


def test_a_recording_longer_than_it_says_is_stopped_at_the_maximum(tmp_path, settings):
    # 30 minutes of tiny frames: the header says so, and the probe refuses it at once.
    started = time.monotonic()
    error = refused(tmp_path, samples.many_frames_video_bytes(), "video")
    assert time.monotonic() - started < 10
    assert error.code == "too_long"
    assert "30:00 long" in error.message
    assert "at most 10 minutes" in error.message


def test_a_pixel_bomb_is_refused_by_the_memory_limit_when_it_passes_the_header(tmp_path, settings):
    # Let the 8192 x 8192 frames past the header check, and give the child little memory:
    # the decoder cannot allocate its frames and the child ends; the caller gets a refusal.
    settings.MEDIA_MAX_VIDEO_PIXELS = 8192 * 8192
    settings.MEDIA_DECODE_MEMORY_BYTES = 400 * 1024 * 1024
    error = refused(tmp_path, samples.huge_frame_video_bytes(), "video")
    assert error.code == "too_much_memory", error.message
    assert "needs more memory to decode than we allow" in error.message


def test_a_file_that_needs_too_much_cpu_is_stopped_by_the_cpu_limit(tmp_path, settings):
    settings.MEDIA_DECODE_CPU_SECONDS = 1
    data = samples.tone_video_bytes(20, size=(1280, 720), fps=30)
    started = time.monotonic()
    error = refused(tmp_path, data, "video")
    assert time.monotonic() - started < 30
    assert error.code == "too_slow"
    assert "more computing time" in error.message


def test_a_file_that_takes_too_long_on_the_clock_is_stopped(tmp_path, settings):
    settings.MEDIA_DECODE_WALL_SECONDS = 1
    data = samples.tone_video_bytes(20, size=(1280, 720), fps=30)
    started = time.monotonic()
    assert refused(tmp_path, data, "video").code == "too_slow"
    assert time.monotonic() - started < 10


def test_the_child_answers_in_json_and_reads_no_settings_of_its_own(tmp_path):
    """The script runs alone (``python -I``): its whole input is the request it is given."""
    import subprocess
    import sys

    upload = _write(tmp_path, samples.wav_bytes())
    message = {
        "command": "probe",
        "request": {
            "path": str(upload),
            "fmt": "wav",
            "label": "WAV",
            "kind": "audio",
            "max_seconds": 600,
            "max_pixels": 100,
        },
        "limits": {"memory_bytes": 1024**3, "cpu_seconds": 10},
    }
    done = subprocess.run(
        [sys.executable, "-I", str(runner.SCRIPT)],
        input=json.dumps(message).encode(),
        capture_output=True,
        check=True,
        timeout=60,
    )
    answer = json.loads(done.stdout)
    assert answer["probe"]["duration_ms"] == 1000
    assert answer["probe"]["audio_codec"] == "pcm_s16le"
