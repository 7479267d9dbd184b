"""Stored originals lose their metadata and anything after their end, never their pixels;
images that would take too much memory to decode are refused from their header."""

from __future__ import annotations

import io
import struct
import time
import tracemalloc
from collections.abc import Callable

import pytest
from PIL import Image, ImageFile, ImageOps

from hitrecord.media import MalformedImage, MediaRejected, check_image, image_thumbnail
from hitrecord.media.sanitize import (
    sanitize_gif,
    sanitize_image,
    sanitize_jpeg,
    sanitize_png,
    sanitize_webp,
)
from tests import media_samples as plain
from tests import sanitize_samples as samples

DIRTY: list[tuple[str, Callable[[], bytes], int]] = [
    ("jpeg", samples.phone_jpeg, 6),
    ("jpeg", lambda: samples.phone_jpeg(progressive=True), 6),
    ("png", samples.phone_png, 8),
    ("webp", samples.phone_webp, 3),
    ("gif", samples.commented_gif, 1),
]
IDS = ["jpeg", "jpeg-progressive", "png", "webp", "gif"]


def exif_of(data: bytes) -> Image.Exif:
    with Image.open(io.BytesIO(data)) as im:
        return im.getexif()


def compressed_picture(data: bytes, fmt: str) -> object:
    """The compressed picture data, which must come through byte for byte."""
    if fmt == "jpeg":
        return samples.jpeg_scans(data)
    if fmt == "png":
        return samples.png_idat(data)
    if fmt == "webp":
        return [c for c in samples.riff_chunks(data) if c[0] in (b"VP8 ", b"VP8L", b"ALPH")]
    return samples.gif_frames(data)


# --- metadata ----------------------------------------------------------------------------


@pytest.mark.parametrize(("fmt", "make", "orientation"), DIRTY, ids=IDS)
def test_metadata_and_trailing_data_go_and_the_picture_stays_byte_for_byte(fmt, make, orientation):
    dirty = make()
    assert b"<script" in dirty
    assert b"secret" in dirty
    assert b"GPSLatitude" in dirty

    clean = sanitize_image(dirty, fmt)

    for secret in samples.SECRETS:
        assert secret not in clean
    exif = exif_of(clean)
    assert exif.get_ifd(0x8825) == {}  # no GPS
    assert 0x010F not in exif  # no Make
    assert 0x0110 not in exif  # no Model
    assert set(exif) <= {0x0112}
    assert exif.get(0x0112, 1) == orientation
    assert compressed_picture(clean, fmt) == compressed_picture(dirty, fmt)
    # Decoded, every frame is the same (a JPEG's appended MPF picture is not a frame of it).
    pixels = samples.frames_pixels(clean)
    assert pixels == samples.frames_pixels(dirty)[: len(pixels)]
    assert sanitize_image(clean, fmt) == clean  # nothing left to strip


def test_the_jpeg_keeps_its_colour_profile_and_jfif_header_first():
    clean = sanitize_jpeg(samples.phone_jpeg())
    assert clean[2:4] == b"\xff\xe0"
    assert clean[6:11] == b"JFIF\x00"
    assert clean.endswith(b"\xff\xd9")
    with Image.open(io.BytesIO(clean)) as im:
        assert im.format == "JPEG"  # no longer a multi-picture file
        assert im.info["icc_profile"] == samples.srgb_icc()
    # The second picture phones append after EOI is gone, not refused.
    assert clean.count(b"\xff\xd8") == 1
    assert b"MPF\x00" not in clean


def test_the_png_keeps_colour_and_transparency_chunks_and_nothing_else():
    clean = sanitize_png(samples.phone_png())
    kinds = [kind for kind, _ in samples.png_chunks(clean)]
    assert kinds == [b"IHDR", b"iCCP", b"eXIf", b"IDAT", b"IEND"]
    assert clean.endswith(b"IEND\xaeB`\x82")
    with Image.open(io.BytesIO(clean)) as im:
        assert im.mode == "RGBA"
        assert im.info["icc_profile"] == samples.srgb_icc()


def test_the_webp_flags_and_riff_size_match_what_is_left():
    clean = sanitize_webp(samples.phone_webp())
    assert struct.unpack("<I", clean[4:8])[0] == len(clean) - 8
    chunks = samples.riff_chunks(clean)
    assert [kind for kind, _ in chunks] == [b"VP8X", b"ICCP", b"VP8 ", b"EXIF"]
    flags = chunks[0][1][0]
    assert flags & 0x08  # EXIF: the orientation
    assert not flags & 0x04  # no XMP
    assert flags & 0x20  # ICC


def test_an_upright_photo_keeps_no_exif_at_all():
    clean = sanitize_jpeg(samples.phone_jpeg(orientation=1))
    assert b"Exif\x00\x00" not in clean
    assert dict(exif_of(clean)) == {}
    webp = sanitize_webp(samples.phone_webp(orientation=1))
    assert b"EXIF" not in webp
    assert not samples.riff_chunks(webp)[0][1][0] & 0x08


def test_the_gif_keeps_looping_and_both_frames():
    clean = sanitize_gif(samples.commented_gif())
    assert b"NETSCAPE2.0" in clean
    assert clean.endswith(b"\x3b")
    with Image.open(io.BytesIO(clean)) as im:
        assert im.n_frames == 2
        assert im.info["loop"] == 0
        assert "comment" not in im.info


@pytest.mark.parametrize(
    ("fmt", "make"),
    [
        ("jpeg", plain.jpeg_bytes),
        ("png", plain.png_bytes),
        ("webp", plain.webp_bytes),
        ("gif", plain.gif_bytes),
    ],
)
def test_a_file_without_metadata_comes_through_unchanged(fmt, make):
    data = make()
    assert sanitize_image(data, fmt) == data


@pytest.mark.parametrize(
    ("fmt", "data"),
    [
        ("jpeg", plain.jpeg_bytes()[:-200]),
        ("png", plain.png_bytes()[:-30]),
        ("webp", plain.webp_bytes()[:-10]),
        ("gif", plain.gif_bytes()[:-20]),
        ("jpeg", b"not a jpeg"),
    ],
    ids=["jpeg", "png", "webp", "gif", "not-jpeg"],
)
def test_a_file_cut_short_cannot_be_walked(fmt, data):
    with pytest.raises(MalformedImage):
        sanitize_image(data, fmt)


# --- check_image hands back the cleaned bytes --------------------------------------------


@pytest.mark.parametrize(("fmt", "make", "orientation"), DIRTY, ids=IDS)
def test_check_image_describes_and_returns_the_cleaned_file(fmt, make, orientation):
    import hashlib

    dirty = make()
    info = check_image(plain.uploaded("photo.bin", dirty))
    assert info.content == sanitize_image(dirty, fmt)
    assert info.size_bytes == len(info.content)
    assert info.sha256 == hashlib.sha256(info.content).hexdigest()
    assert (info.width, info.height) == (48, 32)


def test_a_rotated_photo_still_shows_the_right_way_up():
    clean = check_image(io.BytesIO(samples.phone_jpeg(orientation=6))).content
    assert clean is not None
    with Image.open(io.BytesIO(clean)) as im:
        assert im.size == (48, 32)
        assert ImageOps.exif_transpose(im).size == (32, 48)  # turned 90 degrees
    with Image.open(image_thumbnail(io.BytesIO(clean))) as thumb:
        assert thumb.size[0] < thumb.size[1]


# --- decoded size, from the header ---------------------------------------------------------


def test_a_deep_png_is_refused_from_its_header_before_pillow_sees_it(monkeypatch):
    bomb = samples.deep_png()
    assert len(bomb) < 400_000  # 400 MB of pixels in a few hundred KB, under 50 megapixels
    opened: list[object] = []
    loads: list[object] = []
    real_open, real_load = Image.open, ImageFile.ImageFile.load
    monkeypatch.setattr(Image, "open", lambda *a, **k: opened.append(a) or real_open(*a, **k))
    monkeypatch.setattr(
        ImageFile.ImageFile, "load", lambda self: loads.append(self) or real_load(self)
    )
    tracemalloc.start()
    started = time.monotonic()
    try:
        with pytest.raises(MediaRejected) as caught:
            check_image(plain.uploaded("deep.png", bomb, "image/png"))
        elapsed = time.monotonic() - started
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert elapsed < 0.5
    assert peak < 50 * 1024 * 1024
    assert opened == []
    assert loads == []
    assert caught.value.code == "too_much_memory"
    message = caught.value.message
    assert "7071 x 7071 pixels, 4 channels of 16 bits" in message
    assert "381.5 MB" in message
    assert "at most 256 MB" in message
    assert "8 bits per channel" in message
    with pytest.raises(MediaRejected, match="of memory once opened"):
        image_thumbnail(io.BytesIO(bomb))
    # The spies do see a real decode.
    check_image(io.BytesIO(plain.png_bytes()))
    assert opened
    assert loads


def test_the_decoded_size_limit_counts_channels_depth_and_frames(settings):
    # 64 x 48 RGB JPEG: 9216 bytes; the two-frame GIF: 2 x 64 x 48 x 4 = 24576 bytes.
    settings.MEDIA_MAX_IMAGE_DECODED_BYTES = 9216
    assert check_image(io.BytesIO(plain.jpeg_bytes())).width == 64
    settings.MEDIA_MAX_IMAGE_DECODED_BYTES = 9215
    with pytest.raises(MediaRejected, match="3 channels of 8 bits"):
        check_image(io.BytesIO(plain.jpeg_bytes()))
    settings.MEDIA_MAX_IMAGE_DECODED_BYTES = 24576
    assert check_image(io.BytesIO(plain.gif_bytes())).width == 64
    settings.MEDIA_MAX_IMAGE_DECODED_BYTES = 24575
    with pytest.raises(MediaRejected, match="2 frames") as caught:
        check_image(io.BytesIO(plain.gif_bytes()))
    assert "fewer frames" in caught.value.message
    # A transparent WebP decodes to four channels.
    settings.MEDIA_MAX_IMAGE_DECODED_BYTES = 64 * 48 * 4 - 1
    with pytest.raises(MediaRejected, match="4 channels of 8 bits"):
        check_image(io.BytesIO(plain.webp_bytes(transparent=True)))


def test_the_default_decoded_size_limit_is_256_mib(settings):
    assert settings.MEDIA_MAX_IMAGE_DECODED_BYTES == 256 * 1024 * 1024
