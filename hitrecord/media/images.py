"""Checking images: the format from the bytes, the size from the header, then a full decode."""

from __future__ import annotations

import hashlib
import io
import struct
from typing import Any

from django.conf import settings
from PIL import Image, ImageFile

from hitrecord.media.base import (
    Format,
    MediaInfo,
    MediaRejected,
    check_size,
    format_limit,
    max_bytes,
    size_of,
)
from hitrecord.media.sniff import detect

PIL_FORMATS = {"jpeg": "JPEG", "png": "PNG", "webp": "WEBP", "gif": "GIF"}

# Animated images: decode every frame while frames x canvas stay under this many times the
# single-image pixel limit; past it, the structure walk has still reached the last byte.
FRAME_BUDGET = 4

# JPEG start-of-frame markers (those carrying the picture's size).
_SOF = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}

DECODE_ERRORS = (
    OSError,  # includes UnidentifiedImageError and "image file is truncated"
    SyntaxError,  # Pillow's plugins raise it for malformed headers
    ValueError,
    EOFError,
    IndexError,
    struct.error,
)


def damaged(label: str) -> MediaRejected:
    return MediaRejected(
        f"This {label} file is damaged or incomplete (perhaps the upload was cut short); "
        "please export it again and upload the new file.",
        code="damaged",
    )


def too_many_pixels(width: int, height: int, limit: int) -> MediaRejected:
    megapixels = width * height / 1_000_000
    return MediaRejected(
        f"This image is {width} x {height} pixels ({megapixels:.1f} megapixels); images may "
        f"have at most {limit / 1_000_000:g} megapixels. Please scale it down and upload it "
        "again.",
        code="too_many_pixels",
    )


def read_all(file: Any, limit: int) -> bytes:
    """The whole file (bounded by ``limit``, which the caller has checked), position back at 0."""
    file.seek(0)
    try:
        data = file.read(limit + 1)
    finally:
        file.seek(0)
    data = bytes(data or b"")
    if len(data) > limit:
        raise MediaRejected(
            f"The file is larger than {format_limit(limit)}, the most we accept.",
            code="too_large",
        )
    return data


# --- sizes from the header, before any pixel is decoded ---------------------------------


def _jpeg_size(data: bytes) -> tuple[int, int]:
    i = 2
    n = len(data)
    while i < n:
        if data[i] != 0xFF:
            raise damaged("JPEG")
        while i < n and data[i] == 0xFF:  # fill bytes
            i += 1
        if i >= n:
            break
        marker = data[i]
        i += 1
        if marker in (0x01, *range(0xD0, 0xD8)):  # no length
            continue
        if marker in (0xD9, 0xDA):  # end of image, start of scan: no size came first
            break
        if i + 2 > n:
            break
        (length,) = struct.unpack(">H", data[i : i + 2])
        if marker in _SOF:
            if i + 7 > n:
                break
            height, width = struct.unpack(">HH", data[i + 3 : i + 7])
            return width, height
        i += length
    raise damaged("JPEG")


def _webp_size(data: bytes) -> tuple[int, int]:
    if len(data) < 30:
        raise damaged("WebP")
    chunk = data[12:16]
    if chunk == b"VP8X":
        width = 1 + int.from_bytes(data[24:27], "little")
        height = 1 + int.from_bytes(data[27:30], "little")
        return width, height
    if chunk == b"VP8 ":
        if data[23:26] != b"\x9d\x01\x2a":
            raise damaged("WebP")
        width, height = struct.unpack("<HH", data[26:30])
        return width & 0x3FFF, height & 0x3FFF
    if chunk == b"VP8L":
        if data[20] != 0x2F:
            raise damaged("WebP")
        bits = int.from_bytes(data[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    raise damaged("WebP")


def _webp_structure(data: bytes) -> None:
    """The RIFF container must hold exactly its chunks: a cut file declares more than it has."""
    riff_size = int.from_bytes(data[4:8], "little")
    end = 8 + riff_size
    if riff_size < 4 or end > len(data):
        raise damaged("WebP")
    i = 12
    while i < end:
        if i + 8 > end:
            raise damaged("WebP")
        size = int.from_bytes(data[i + 4 : i + 8], "little")
        i += 8 + size + (size & 1)
        if i > end:
            raise damaged("WebP")


def _gif_walk(data: bytes) -> tuple[int, int, int]:
    """Walk every block to the trailer; the canvas size (grown by any larger frame) and frames."""
    n = len(data)
    if n < 13:
        raise damaged("GIF")
    width, height, flags = struct.unpack("<HHB", data[6:11])
    i = 13
    if flags & 0x80:
        i += 3 * (2 ** ((flags & 7) + 1))
    frames = 0

    def sub_blocks(j: int) -> int:
        while True:
            if j >= n:
                raise damaged("GIF")
            length = data[j]
            j += 1 + length
            if length == 0:
                return j

    while True:
        if i >= n:
            raise damaged("GIF")  # ended before the trailer
        block = data[i]
        if block == 0x3B:  # trailer
            break
        if block == 0x21:  # extension: label, then sub-blocks
            i = sub_blocks(i + 2)
        elif block == 0x2C:  # image descriptor
            if i + 10 > n:
                raise damaged("GIF")
            left, top, w, h, local = struct.unpack("<HHHHB", data[i + 1 : i + 10])
            width, height = max(width, left + w), max(height, top + h)
            i += 10
            if local & 0x80:
                i += 3 * (2 ** ((local & 7) + 1))
            i = sub_blocks(i + 1)  # after the LZW minimum code size
            frames += 1
        else:
            raise damaged("GIF")
    if frames == 0:
        raise damaged("GIF")
    return width, height, frames


def _png_size(data: bytes) -> tuple[int, int]:
    if len(data) < 24 or data[12:16] != b"IHDR":
        raise damaged("PNG")
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def _header_size(data: bytes, fmt: Format) -> tuple[int, int, int | None]:
    """(width, height, frames when the header says) read without decoding anything."""
    if fmt.key == "png":
        return (*_png_size(data), 1)
    if fmt.key == "jpeg":
        return (*_jpeg_size(data), 1)
    if fmt.key == "webp":
        return (*_webp_size(data), None)
    return _gif_walk(data)


def check_header(data: bytes) -> tuple[Format, int | None]:
    """The image format and frame count (when known), once the header's size is within limits.

    Nothing is decoded: this is what stands between a decompression bomb and Pillow.
    """
    fmt = detect(data[:4096], "image", total=len(data))
    limit = int(settings.MEDIA_MAX_IMAGE_PIXELS)
    width, height, frames = _header_size(data, fmt)
    if width * height > limit:
        raise too_many_pixels(width, height, limit)
    if width == 0 or height == 0:
        raise damaged(fmt.label)
    return fmt, frames


def too_many_pixels_for_pillow(limit: int) -> MediaRejected:
    return MediaRejected(
        f"This image has too many pixels; images may have at most {limit / 1_000_000:g} "
        "megapixels. Please scale it down and upload it again.",
        code="too_many_pixels",
    )


# --- the check ---------------------------------------------------------------------------


def _decode(data: bytes, fmt: Format, limit: int, frames: int | None) -> tuple[int, int]:
    """Parse the whole file with Pillow: ``verify()``, then reopen and ``load()`` every pixel."""
    if ImageFile.LOAD_TRUNCATED_IMAGES:
        # Something switched Pillow into accepting cut files; we would accept them too.
        raise RuntimeError("PIL.ImageFile.LOAD_TRUNCATED_IMAGES must stay False.")
    pil_format = [PIL_FORMATS[fmt.key]]
    try:
        with Image.open(io.BytesIO(data), formats=pil_format) as im:
            im.verify()
        with Image.open(io.BytesIO(data), formats=pil_format) as im:
            width, height = im.size
            if width * height > limit:
                raise too_many_pixels(width, height, limit)
            im.load()
            if frames is None:  # WebP: its demuxer counts frames without decoding them
                frames = int(getattr(im, "n_frames", 1))
            if frames > 1 and frames * width * height <= FRAME_BUDGET * limit:
                for index in range(1, frames):
                    im.seek(index)
                    im.load()
    except MediaRejected:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        # Only when our limit is above Pillow's own (the warning raises where warnings are
        # errors, as in the tests).
        raise too_many_pixels_for_pillow(limit) from exc
    except DECODE_ERRORS as exc:
        raise damaged(fmt.label) from exc
    return width, height


def check_image(file: Any) -> MediaInfo:
    """Accept a JPEG, PNG, WebP or GIF that decodes completely, or raise MediaRejected.

    Reads ``file`` from the start and leaves it at position 0. The size limit is checked
    before anything is read, the pixel count from the header before anything is decoded.
    """
    size = size_of(file)
    check_size(size, "image")
    data = read_all(file, max_bytes("image"))
    check_size(len(data), "image")
    fmt, frames = check_header(data)
    if fmt.key == "webp":
        _webp_structure(data)
    width, height = _decode(data, fmt, int(settings.MEDIA_MAX_IMAGE_PIXELS), frames)
    return MediaInfo(
        kind="image",
        content_type=fmt.content_type,
        extension=fmt.extension,
        size_bytes=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        width=width,
        height=height,
    )
