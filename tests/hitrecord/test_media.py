"""The request's media checks accept real files of the allowlist and refuse everything else.

They are the cheap ones (type, size, image header, a container probe); the full decode is
the processing task's, tested in test_media_processing.py. Every file here is made at test
time (Pillow, the wave module, PyAV), never mocked.
"""

from __future__ import annotations

import hashlib
import io
import re
import time
from collections.abc import Callable

import pytest
from django.core.files import File
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import TemporaryUploadedFile
from PIL import Image, ImageFile

from hitrecord import media
from hitrecord.media import MediaInfo, MediaRejected, check_image, precheck_media
from tests import media_samples as samples

GENERATED = re.compile(r"^[0-9a-f]{32}\.[a-z0-9]+$")

# (maker, kind, content type, extension, (width, height) or duration in ms)
ALLOWED_FILES: list[tuple[str, Callable[[], bytes], str, str, str, object]] = [
    ("jpeg", samples.jpeg_bytes, "image", "image/jpeg", ".jpg", (64, 48)),
    ("png", samples.png_bytes, "image", "image/png", ".png", (64, 48)),
    ("webp", samples.webp_bytes, "image", "image/webp", ".webp", (64, 48)),
    ("gif", samples.gif_bytes, "image", "image/gif", ".gif", (64, 48)),
    ("wav", samples.wav_bytes, "audio", "audio/wav", ".wav", 1000),
    ("mp3", samples.mp3_bytes, "audio", "audio/mpeg", ".mp3", 1000),
    ("ogg-vorbis", samples.ogg_bytes, "audio", "audio/ogg", ".ogg", 1000),
    ("ogg-opus", lambda: samples.ogg_bytes(codec="opus"), "audio", "audio/ogg", ".ogg", 1000),
    ("flac", samples.flac_bytes, "audio", "audio/flac", ".flac", 1000),
    ("m4a", samples.m4a_bytes, "audio", "audio/mp4", ".m4a", 1000),
    ("mp4", samples.mp4_bytes, "video", "video/mp4", ".mp4", 1000),
    (
        "mp4-moov-last",
        lambda: samples.mp4_bytes(faststart=False),
        "video",
        "video/mp4",
        ".mp4",
        1000,
    ),
    ("webm", samples.webm_bytes, "video", "video/webm", ".webm", 1000),
    ("mov-h264", samples.mov_bytes, "video", "video/quicktime", ".mov", 1000),
    (
        "mov-hevc-upright",
        lambda: samples.mov_bytes(codec="hevc", rotation=90),
        "video",
        "video/quicktime",
        ".mov",
        1000,
    ),
]
IDS = [case[0] for case in ALLOWED_FILES]
AUDIO_VIDEO = [case for case in ALLOWED_FILES if case[2] != "image"]


def rejected(data: bytes, kind: str, name: str = "upload.bin") -> MediaRejected:
    with pytest.raises(MediaRejected) as caught:
        precheck_media(samples.uploaded(name, data), kind=kind)
    return caught.value


# --- accepted ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("label", "make", "kind", "content_type", "extension", "expected"), ALLOWED_FILES, ids=IDS
)
def test_every_allowed_format_is_accepted_with_its_real_type_and_metadata(
    label, make, kind, content_type, extension, expected
):
    data = make()
    # The name and the declared type lie: only the bytes count.
    upload = samples.uploaded("holiday.txt", data, "text/plain")

    info = precheck_media(upload, kind=kind)

    assert info.kind == kind
    assert info.content_type == content_type
    assert info.extension == extension
    assert info.size_bytes == len(data)
    assert info.sha256 == hashlib.sha256(data).hexdigest()
    if kind == "image":
        assert (info.width, info.height) == expected
        assert info.duration_ms is None
    else:
        if kind == "audio":
            assert info.width is None
            assert info.height is None
        else:  # the probe reads the frame size, upright
            assert (info.width, info.height) in ((160, 120), (120, 160))
        assert info.duration_ms is not None
        assert abs(info.duration_ms - expected) <= 80, info.duration_ms
    assert upload.tell() == 0


def test_an_upright_phone_video_reports_its_upright_size():
    info = precheck_media(
        samples.uploaded("IMG_0001.MOV", samples.mov_bytes(rotation=90)), kind="video"
    )
    assert (info.width, info.height) == (120, 160)


def test_longer_recordings_report_their_length():
    assert precheck_media(
        samples.uploaded("a", samples.wav_bytes(2.5)), kind="audio"
    ).duration_ms in (
        2499,
        2500,
    )
    info = precheck_media(samples.uploaded("v", samples.webm_bytes(3.0)), kind="video")
    assert info.duration_ms is not None
    assert abs(info.duration_ms - 3000) <= 80


def test_check_image_accepts_the_same_images_as_precheck_media():
    data = samples.png_bytes(30, 20, transparent=True)
    info = check_image(io.BytesIO(data))
    assert info == MediaInfo(
        kind="image",
        content_type="image/png",
        extension=".png",
        size_bytes=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        width=30,
        height=20,
    )
    assert precheck_media(io.BytesIO(data), kind="image") == info


def test_files_on_disk_and_without_a_local_path_are_checked_alike(tmp_path):
    data = samples.flac_bytes()
    on_disk = tmp_path / "take-3.flac"
    on_disk.write_bytes(data)
    temporary = TemporaryUploadedFile("take-3.flac", "audio/flac", len(data), None)
    temporary.write(data)
    temporary.flush()

    with open(on_disk, "rb") as handle:
        results = [
            precheck_media(File(handle), kind="audio"),  # a local file, used where it is
            precheck_media(temporary, kind="audio"),  # a large upload, streamed to disk
            precheck_media(samples.uploaded("take-3.flac", data), kind="audio"),  # in memory
            precheck_media(File(io.BytesIO(data), name="take-3.flac"), kind="audio"),  # e.g. S3
        ]
        assert handle.tell() == 0
    temporary.close()
    # A stored file, as the processing task opens it (local disk here, S3 in production).
    name = default_storage.save(media.generated_name(".flac"), samples.uploaded("x", data))
    with default_storage.open(name, "rb") as stored:
        results.append(precheck_media(stored, kind="audio"))
    default_storage.delete(name)
    assert len(results) == 5
    assert len(set(results)) == 1
    assert results[0].sha256 == hashlib.sha256(data).hexdigest()


# --- images: pixels before decoding -------------------------------------------------------


def test_a_decompression_bomb_is_refused_from_its_header_before_decoding(monkeypatch):
    bomb = samples.bomb_png_bytes()
    assert len(bomb) < 100_000  # 100 megapixels in a few KB
    loads: list[object] = []
    real_load = ImageFile.ImageFile.load

    def counting_load(self):  # a spy: records, then does the real work
        loads.append(self)
        return real_load(self)

    monkeypatch.setattr(ImageFile.ImageFile, "load", counting_load)
    started = time.monotonic()
    with pytest.raises(MediaRejected) as caught:
        check_image(samples.uploaded("cover.png", bomb, "image/png"))
    assert time.monotonic() - started < 1.0
    assert caught.value.code == "too_many_pixels"
    assert "megapixels" in caught.value.message
    assert "10000 x 10000" in caught.value.message
    assert loads == []
    assert check_image(io.BytesIO(samples.png_bytes())).width == 64
    assert len(loads) == 1  # the spy does see a real decode


def test_the_pixel_limit_comes_from_settings_at_call_time(settings):
    # 60 megapixels: under Pillow's own bomb limit, over ours.
    assert rejected(samples.bomb_png_bytes(8000, 7500), "image").code == "too_many_pixels"
    settings.MEDIA_MAX_IMAGE_PIXELS = 3000
    error = rejected(samples.jpeg_bytes(), "image")  # 64 x 48 = 3072 pixels
    assert "at most 0.003 megapixels" in error.message
    settings.MEDIA_MAX_IMAGE_PIXELS = 3072
    assert precheck_media(samples.uploaded("a", samples.jpeg_bytes()), kind="image").width == 64


def test_pillow_global_state_is_left_alone():
    before = Image.MAX_IMAGE_PIXELS
    for make in (samples.png_bytes, samples.gif_bytes, samples.bomb_png_bytes):
        try:
            check_image(io.BytesIO(make()))
        except MediaRejected:
            pass
    assert Image.MAX_IMAGE_PIXELS == before
    assert ImageFile.LOAD_TRUNCATED_IMAGES is False


# --- look-alikes, empty, mislabelled, too large -------------------------------------------


@pytest.mark.parametrize(
    ("data", "kind", "says"),
    [
        (samples.svg_bytes(), "image", "This file is an SVG drawing; images must be JPEG, PNG, "),
        (b"\xef\xbb\xbf  <svg xmlns='http://www.w3.org/2000/svg'/>", "image", "SVG drawing"),
        (samples.html_bytes(), "image", "web page (HTML)"),
        (b"<script>alert(1)</script>", "video", "web page (HTML)"),
        (samples.pdf_bytes(), "image", "PDF document"),
        (samples.zip_bytes(), "audio", "ZIP archive"),
        (bytes(range(256)) * 20, "video", "We could not recognise this file"),
        (b"Dear director,\nhere is my cello line.\n", "audio", "text document"),
        (b"BM" + bytes(100), "image", "BMP bitmap"),
    ],
    ids=["svg", "svg-bom", "html", "script", "pdf", "zip", "random", "text", "bmp"],
)
def test_look_alikes_are_refused_naming_what_they_are_and_what_is_allowed(data, kind, says):
    error = rejected(data, kind, name="cover.png")
    assert says in error.message
    allowed = {"image": "JPEG, PNG, WebP or GIF", "audio": "MP3, OGG, WAV, FLAC or M4A"}
    assert allowed.get(kind, "MP4, WebM or MOV") in error.message
    assert error.code == "unsupported"


@pytest.mark.parametrize("kind", ["image", "audio", "video"])
def test_an_empty_file_is_refused(kind):
    assert rejected(b"", kind).message == "The file is empty."


def test_an_image_sent_as_audio_is_refused_saying_it_is_an_image():
    error = rejected(samples.png_bytes(), "audio", name="song.mp3")
    assert error.code == "wrong_kind"
    assert error.message.startswith("This file is an image (PNG), not audio.")


def test_an_mp3_named_png_is_refused_as_an_image():
    upload = samples.uploaded("cover.png", samples.mp3_bytes(), "image/png")
    with pytest.raises(MediaRejected) as caught:
        check_image(upload)
    assert caught.value.message.startswith("This file is audio (MP3), not an image.")
    assert upload.tell() == 0


def test_sound_and_pictures_are_each_refused_as_the_other_kind():
    # The probe looks inside: an M4A sent as video holds no pictures.
    assert "holds only sound" in rejected(samples.m4a_bytes(), "video").message
    # A video in MP4 boxes sent as audio holds pictures.
    error = rejected(samples.mp4_bytes(), "audio")
    assert error.code == "wrong_kind"
    assert "holds pictures as well as sound" in error.message
    assert rejected(samples.webm_bytes(), "audio").message.startswith(
        "This file is a WebM file, a video format; audio files must be"
    )
    assert rejected(samples.mov_bytes(), "audio").code == "wrong_kind"


def test_a_recording_longer_than_the_maximum_is_refused_from_its_header(settings):
    settings.MEDIA_MAX_DURATION_SECONDS = 60
    started = time.monotonic()
    error = rejected(samples.long_audio_bytes(2), "audio")
    assert time.monotonic() - started < 5
    assert error.code == "too_long"
    assert error.message == (
        "This recording is 2:00 long; audio and video may be at most 1 minutes. "
        "Please trim it and upload it again."
    )


def test_a_video_with_huge_frames_is_refused_from_its_header():
    data = samples.huge_frame_video_bytes()
    assert len(data) < 2_000_000
    error = rejected(data, "video")
    assert error.code == "too_many_pixels"
    assert "8192 x 8192 pixels" in error.message


def test_a_file_whose_container_cannot_be_opened_is_refused_as_damaged():
    # MP4 boxes that start right, then noise: nothing to probe.
    head = samples.mp4_bytes()[:64]
    error = rejected(head + bytes(range(256)) * 8, "video")
    assert error.code == "damaged"
    assert "damaged or incomplete" in error.message


def test_text_is_not_a_file_kind():
    assert "text is written in the page" in rejected(samples.png_bytes(), "text").message


def test_the_size_limit_is_checked_before_anything_is_read(settings, tmp_path):
    # 25 MB of zeros: if anything read it, the message would be "could not recognise".
    big = tmp_path / "huge.jpg"
    with open(big, "wb") as handle:
        handle.truncate(25 * 1024 * 1024)
    with open(big, "rb") as handle:
        with pytest.raises(MediaRejected) as caught:
            check_image(File(handle))
    assert caught.value.message == "The file is 25.0 MB; images may be at most 20 MB."
    assert caught.value.code == "too_large"

    settings.MEDIA_MAX_BYTES = {"image": 1000, "audio": 1000, "video": 1000}
    png = samples.png_bytes(200, 200)
    assert len(png) > 1000
    error = rejected(png, "image")
    assert error.message.endswith("; images may be at most 1000 bytes.")
    assert rejected(samples.wav_bytes(), "audio").message == (
        "The file is 43.1 KB; audio files may be at most 1000 bytes."
    )
    assert "videos may be at most 1000 bytes" in rejected(samples.mp4_bytes(), "video").message


# --- pictures ----------------------------------------------------------------------------


def _open(content) -> Image.Image:
    im = Image.open(io.BytesIO(content.read()))
    im.load()
    return im


def test_image_thumbnail_is_a_real_smaller_image_under_a_generated_name():
    upload = samples.uploaded("my-holiday.jpg", samples.jpeg_bytes(1600, 900))
    thumb = media.image_thumbnail(upload, max_size=(320, 320))
    assert GENERATED.match(thumb.name)
    assert thumb.name.endswith(".jpg")
    im = _open(thumb)
    assert im.format == "JPEG"
    assert im.size == (320, 180)


def test_image_thumbnail_applies_exif_orientation():
    # Stored 64 x 48 with orientation 6: shown turned a quarter clockwise, 48 x 64.
    data = samples.jpeg_bytes(64, 48, exif_orientation=6)
    assert check_image(io.BytesIO(data)).width == 64  # the stored size
    im = _open(media.image_thumbnail(io.BytesIO(data))).convert("RGB")
    assert im.size == (48, 64)
    # The black square at the stored top-left is now at the top-right.
    assert max(im.getpixel((im.width - 3, 3))) < 60
    assert max(im.getpixel((3, 3))) > 60


def test_image_thumbnail_keeps_transparency_and_takes_a_gifs_first_frame():
    thumb = media.image_thumbnail(io.BytesIO(samples.png_bytes(64, 48, transparent=True)))
    assert thumb.name.endswith(".webp")
    im = _open(thumb)
    assert im.mode == "RGBA"
    assert im.getpixel((5, 24))[3] < 20
    assert im.getpixel((60, 24))[3] > 235

    first = _open(media.image_thumbnail(io.BytesIO(samples.gif_bytes()))).convert("RGB")
    assert max(first.getpixel((2, 2))) < 60  # the second frame has its dark square elsewhere


def test_image_thumbnail_refuses_a_bomb():
    with pytest.raises(MediaRejected) as caught:
        media.image_thumbnail(io.BytesIO(samples.bomb_png_bytes()))
    assert "megapixels" in caught.value.message


def test_generated_names_contain_nothing_from_the_upload():
    upload = samples.uploaded("../../etc/passwd my cover.png", samples.png_bytes())
    info = check_image(upload)
    names = {media.generated_name(info.extension) for _ in range(50)}
    assert len(names) == 50
    for name in names:
        assert GENERATED.match(name)
        assert name.endswith(".png")
        assert "passwd" not in name
        assert "cover" not in name
    with pytest.raises(ValueError, match="extension"):
        media.generated_name("/../x.png")


def test_sha256_of_reads_from_the_start_and_rewinds():
    data = samples.gif_bytes()
    handle = io.BytesIO(data)
    handle.seek(17)
    assert media.sha256_of(handle) == hashlib.sha256(data).hexdigest()
    assert handle.tell() == 0


def test_local_media_is_served_with_its_real_type(db, client, settings):
    if settings.MEDIA_IN_S3:
        pytest.skip("media is served by the S3 store, which keeps the type it was given")

    for make, kind, content_type in [
        (samples.webp_bytes, "image", "image/webp"),
        (samples.flac_bytes, "audio", "audio/flac"),
        (samples.wav_bytes, "audio", "audio/wav"),
        (samples.webm_bytes, "video", "video/webm"),
    ]:
        info = precheck_media(samples.uploaded("x", make()), kind=kind)
        assert info.content_type == content_type
        name = default_storage.save(
            media.generated_name(info.extension), samples.uploaded("x", make())
        )
        response = client.get(f"/media/{name}")
        assert response.status_code == 200
        assert response["Content-Type"] == content_type
        response.close()
        default_storage.delete(name)
