"""The shared media checks accept real files of the allowlist and refuse everything else.

Every file here is made at test time (Pillow, the wave module, ffmpeg), never mocked.
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
from hitrecord.media import MediaInfo, MediaRejected, check_image, check_media
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
]
IDS = [case[0] for case in ALLOWED_FILES]
AUDIO_VIDEO = [case for case in ALLOWED_FILES if case[2] != "image"]


def rejected(data: bytes, kind: str, name: str = "upload.bin") -> MediaRejected:
    with pytest.raises(MediaRejected) as caught:
        check_media(samples.uploaded(name, data), kind=kind)
    return caught.value


def without_ffmpeg(monkeypatch: pytest.MonkeyPatch) -> None:
    """A machine without ffmpeg (allowed): nothing finds the programs."""
    monkeypatch.setattr(media.shutil, "which", lambda name, *args, **kwargs: None)


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

    info = check_media(upload, kind=kind)

    assert info.kind == kind
    assert info.content_type == content_type
    assert info.extension == extension
    assert info.size_bytes == len(data)
    assert info.sha256 == hashlib.sha256(data).hexdigest()
    if kind == "image":
        assert (info.width, info.height) == expected
        assert info.duration_ms is None
    else:
        assert info.width is None
        assert info.height is None
        assert info.duration_ms is not None
        assert abs(info.duration_ms - expected) <= 80, info.duration_ms
    assert upload.tell() == 0


@pytest.mark.parametrize(
    ("label", "make", "kind", "content_type", "extension", "expected"), AUDIO_VIDEO, ids=IDS[4:]
)
def test_audio_and_video_are_checked_without_ffmpeg_too(
    monkeypatch, label, make, kind, content_type, extension, expected
):
    without_ffmpeg(monkeypatch)
    data = make()

    info = check_media(samples.uploaded("a", data), kind=kind)
    assert info.content_type == content_type
    assert info.duration_ms is not None
    assert abs(info.duration_ms - expected) <= 80

    # The structural walk alone still refuses a file cut in half.
    assert rejected(samples.half(data), kind).code == "damaged"


def test_longer_recordings_report_their_length():
    assert check_media(samples.uploaded("a", samples.wav_bytes(2.5)), kind="audio").duration_ms in (
        2499,
        2500,
    )
    info = check_media(samples.uploaded("v", samples.webm_bytes(3.0)), kind="video")
    assert info.duration_ms is not None
    assert abs(info.duration_ms - 3000) <= 80


def test_check_image_accepts_the_same_images_as_check_media():
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
    assert check_media(io.BytesIO(data), kind="image") == info


def test_files_on_disk_and_without_a_local_path_are_checked_alike(tmp_path):
    data = samples.flac_bytes()
    on_disk = tmp_path / "take-3.flac"
    on_disk.write_bytes(data)
    temporary = TemporaryUploadedFile("take-3.flac", "audio/flac", len(data), None)
    temporary.write(data)
    temporary.flush()

    with open(on_disk, "rb") as handle:
        results = [
            check_media(File(handle), kind="audio"),  # a local file, used where it is
            check_media(temporary, kind="audio"),  # a large upload, streamed to disk
            check_media(samples.uploaded("take-3.flac", data), kind="audio"),  # in memory
            check_media(File(io.BytesIO(data), name="take-3.flac"), kind="audio"),  # e.g. S3
        ]
        assert handle.tell() == 0
    temporary.close()
    # A stored file, as the processing task opens it (local disk here, S3 in production).
    name = default_storage.save(media.generated_name(".flac"), samples.uploaded("x", data))
    with default_storage.open(name, "rb") as stored:
        results.append(check_media(stored, kind="audio"))
    default_storage.delete(name)
    assert len(results) == 5
    assert len(set(results)) == 1
    assert results[0].sha256 == hashlib.sha256(data).hexdigest()


# --- cut files ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("label", "make", "kind", "content_type", "extension", "expected"), ALLOWED_FILES, ids=IDS
)
def test_a_file_cut_at_half_its_length_is_refused(
    label, make, kind, content_type, extension, expected
):
    error = rejected(samples.half(make()), kind)
    assert error.code == "damaged"
    assert "damaged or incomplete" in error.message
    assert "export it again" in error.message


def _cut_before(data: bytes, marker: bytes) -> bytes:
    """Cut exactly where a part begins, near the middle: the cut a header cannot reveal."""
    starts = [m.start() for m in re.finditer(re.escape(marker), data)]
    middle = min(starts, key=lambda start: abs(start - len(data) // 2))
    return data[:middle]


@pytest.mark.parametrize(
    ("make", "kind", "marker"),
    [
        (lambda: samples.ogg_bytes(3.0), "audio", b"OggS"),  # a whole number of pages
        (lambda: samples.flac_bytes(3.0), "audio", b"\xff\xf8"),  # at a frame sync
        (lambda: samples.webm_bytes(3.0), "video", b"\x1f\x43\xb6\x75"),  # before a cluster
        (lambda: samples.mp4_bytes(3.0), "video", b"mdat"),  # before the media data
    ],
    ids=["ogg-page", "flac-frame", "webm-cluster", "mp4-box"],
)
def test_a_file_cut_exactly_between_two_parts_is_refused(monkeypatch, make, kind, marker):
    without_ffmpeg(monkeypatch)  # the structure alone must notice
    data = make()
    cut = _cut_before(data, marker)
    if marker == b"mdat":
        cut = cut[:-4]  # the box starts with its size
    assert rejected(cut, kind).code == "damaged"


def test_an_mp3_cut_between_two_frames_is_refused(monkeypatch):
    without_ffmpeg(monkeypatch)
    from hitrecord.media.sniff import id3_size
    from hitrecord.media.structure import mp3_frame

    data = samples.mp3_bytes(2.0)
    ends = []
    position = id3_size(data)
    while (frame := mp3_frame(data[position : position + 4])) is not None:
        position += frame[0]
        ends.append(position)
    cut = min(ends, key=lambda end: abs(end - len(data) // 2))
    error = rejected(data[:cut], "audio")
    assert "shorter than its header says" in error.message


def test_a_file_damaged_in_the_middle_is_refused():
    ogg = bytearray(samples.ogg_bytes())
    ogg[len(ogg) // 2] ^= 0xFF
    assert "checksum" in rejected(bytes(ogg), "audio").message

    flac = bytearray(samples.flac_bytes(2.0))
    for k in range(len(flac) // 2, len(flac) // 2 + 64):  # noise inside one frame
        flac[k] ^= 0x5A
    assert rejected(bytes(flac), "audio").code == "damaged"  # ffmpeg cannot decode it


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
    assert check_media(samples.uploaded("a", samples.jpeg_bytes()), kind="image").width == 64


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
    allowed = {"image": "JPEG, PNG, WebP or GIF", "audio": "MP3, OGG, WAV or FLAC"}
    assert allowed.get(kind, "MP4 or WebM") in error.message
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


def test_sound_in_a_video_container_is_refused_in_both_directions():
    m4a = samples.m4a_bytes()
    assert "holds only sound" in rejected(m4a, "video").message
    assert "audio files must be MP3, OGG, WAV or FLAC" in rejected(m4a, "audio").message
    assert rejected(samples.webm_bytes(), "audio").message.startswith(
        "This file is a WebM file, a video format; audio files must be"
    )


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


def test_video_poster_is_a_frame_of_the_video():
    poster = media.video_poster(samples.uploaded("clip.mp4", samples.mp4_bytes()))
    assert GENERATED.match(poster.name)
    assert poster.name.endswith(".jpg")
    im = _open(poster).convert("RGB")
    assert im.size == (160, 120)  # the video's own shape, not the 16:9 placeholder
    assert len(im.getcolors(1_000_000) or []) > 100  # ffmpeg's colourful test card

    webm = _open(media.video_poster(io.BytesIO(samples.webm_bytes()), max_size=(80, 80)))
    assert webm.size == (80, 60)


def test_video_poster_without_ffmpeg_is_the_drawn_placeholder(monkeypatch):
    without_ffmpeg(monkeypatch)
    poster = media.video_poster(samples.uploaded("clip.mp4", samples.mp4_bytes()))
    assert GENERATED.match(poster.name)
    assert poster.name.endswith(".png")
    im = _open(poster).convert("RGB")
    assert im.size == (640, 360)
    assert im.getpixel((2, 2)) == (236, 234, 229)  # the neutral background
    assert im.getpixel((320, 100)) != (236, 234, 229)  # the film strip


def test_video_poster_falls_back_to_the_placeholder_when_ffmpeg_fails():
    poster = media.video_poster(io.BytesIO(samples.half(samples.mp4_bytes(faststart=False))))
    assert poster.name.endswith(".png")
    assert _open(poster).size == (640, 360)


def test_audio_thumbnail_draws_a_card_with_the_title():
    info = check_media(samples.uploaded("a.wav", samples.wav_bytes()), kind="audio")
    card = media.audio_thumbnail(info, title="Cello line for\x00 the night\nsequence " * 4)
    assert GENERATED.match(card.name)
    im = _open(card).convert("RGB")
    assert im.size == (640, 640)
    assert len(im.getcolors(1_000_000) or []) > 3  # waveform, glyph and text on the background

    other = check_media(samples.uploaded("b.mp3", samples.mp3_bytes()), kind="audio")
    other_card = _open(media.audio_thumbnail(other, title="Cello line")).convert("RGB")
    assert other_card.tobytes() != im.tobytes()


# --- names, checksums, types ---------------------------------------------------------------


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
        info = check_media(samples.uploaded("x", make()), kind=kind)
        assert info.content_type == content_type
        name = default_storage.save(
            media.generated_name(info.extension), samples.uploaded("x", make())
        )
        response = client.get(f"/media/{name}")
        assert response.status_code == 200
        assert response["Content-Type"] == content_type
        response.close()
        default_storage.delete(name)
