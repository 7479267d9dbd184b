"""Checking images: the format from the bytes, the size and decoded size from the header,
then the metadata stripped and a full decode of what will be stored."""

from __future__ import annotations

import hashlib
import io
import struct
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from PIL import Image, ImageFile

from hitrecord.media.base import (
    Format,
    MediaInfo,
    MediaRejected,
    check_size,
    format_limit,
    format_size,
    max_bytes,
    size_of,
)
from hitrecord.media.sanitize import MalformedImage, sanitize_image
from hitrecord.media.sniff import detect

PIL_FORMATS = {"jpeg": "JPEG", "png": "PNG", "webp": "WEBP", "gif": "GIF"}

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


@dataclass(frozen=True)
class Header:
    """What an image's header says about the memory its pixels will take once decoded."""

    width: int
    height: int
    channels: int
    bits: int  # per sample
    frames: int

    @property
    def decoded_bytes(self) -> int:
        """Pixels x channels x bytes per sample x frames."""
        return self.width * self.height * self.channels * ((self.bits + 7) // 8) * self.frames


def _jpeg_header(data: bytes) -> Header:
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
            if i + 8 > n:
                break
            precision, height, width, components = struct.unpack(">BHHB", data[i + 2 : i + 8])
            return Header(width, height, max(components, 1), max(precision, 8), 1)
        i += length
    raise damaged("JPEG")


_VP8X_ANIMATION, _VP8X_ALPHA = 0x02, 0x10


def _webp_header(data: bytes) -> Header:
    """Walk the RIFF container (it must hold exactly its chunks: a cut file declares more
    than it has) and read the canvas, its alpha and its frames."""
    if len(data) < 30:
        raise damaged("WebP")
    riff_size = int.from_bytes(data[4:8], "little")
    end = 8 + riff_size
    if riff_size < 4 or end > len(data):
        raise damaged("WebP")
    frames = 0
    i = 12
    while i < end:
        if i + 8 > end:
            raise damaged("WebP")
        if data[i : i + 4] == b"ANMF":
            frames += 1
        size = int.from_bytes(data[i + 4 : i + 8], "little")
        i += 8 + size + (size & 1)
        if i > end:
            raise damaged("WebP")
    chunk = data[12:16]
    if chunk == b"VP8X":
        flags = data[20]
        width = 1 + int.from_bytes(data[24:27], "little")
        height = 1 + int.from_bytes(data[27:30], "little")
        animated = bool(flags & _VP8X_ANIMATION)
        channels = 4 if animated or flags & _VP8X_ALPHA else 3
        return Header(width, height, channels, 8, max(frames, 1) if animated else 1)
    if chunk == b"VP8 ":
        if data[23:26] != b"\x9d\x01\x2a":
            raise damaged("WebP")
        width, height = struct.unpack("<HH", data[26:30])
        return Header(width & 0x3FFF, height & 0x3FFF, 3, 8, 1)
    if chunk == b"VP8L":
        if data[20] != 0x2F:
            raise damaged("WebP")
        bits = int.from_bytes(data[21:25], "little")
        return Header((bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1, 4, 8, 1)
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


# PNG colour type: samples per pixel.
_PNG_CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}


def _png_header(data: bytes) -> Header:
    """IHDR's size, bit depth and colour type, and APNG's frame count from acTL."""
    if len(data) < 33 or data[12:16] != b"IHDR":
        raise damaged("PNG")
    width, height, depth, colour = struct.unpack(">IIBB", data[16:26])
    if colour not in _PNG_CHANNELS or depth not in (1, 2, 4, 8, 16):
        raise damaged("PNG")
    frames = 1
    i = 33  # after the signature and IHDR: look for acTL, which comes before IDAT
    while i + 8 <= len(data):
        length = int.from_bytes(data[i : i + 4], "big")
        kind = data[i + 4 : i + 8]
        if kind == b"acTL" and i + 12 <= len(data):
            frames = max(int.from_bytes(data[i + 8 : i + 12], "big"), 1)
        if kind in (b"IDAT", b"IEND"):
            break
        i += 12 + length
    return Header(width, height, _PNG_CHANNELS[colour], depth, frames)


def _header(data: bytes, fmt: Format) -> Header:
    """The header's account of the picture, read without decoding anything."""
    if fmt.key == "png":
        return _png_header(data)
    if fmt.key == "jpeg":
        return _jpeg_header(data)
    if fmt.key == "webp":
        return _webp_header(data)
    width, height, frames = _gif_walk(data)
    return Header(width, height, 4, 8, frames)  # decoded to RGBA, frame after frame


def too_much_memory(header: Header, limit: int) -> MediaRejected:
    frames = f", {header.frames} frames" if header.frames > 1 else ""
    advice = ["scale it down"]
    if header.bits > 8:
        advice.append("save it with 8 bits per channel")
    if header.frames > 1:
        advice.append("use fewer frames")
    return MediaRejected(
        f"This image would take {format_size(header.decoded_bytes)} of memory once opened "
        f"({header.width} x {header.height} pixels, {header.channels} channels of "
        f"{header.bits} bits{frames}); images may take at most {format_limit(limit)}. "
        f"Please {' or '.join(advice)}, and upload it again.",
        code="too_much_memory",
    )


def check_header(data: bytes) -> tuple[Format, Header]:
    """The image format and what its header says, once that is within limits.

    Nothing is decoded: this is what stands between a decompression bomb and Pillow. The
    pixel count is checked against ``MEDIA_MAX_IMAGE_PIXELS`` and the decoded size (pixels
    x channels x bytes per sample x frames) against ``MEDIA_MAX_IMAGE_DECODED_BYTES``.
    """
    fmt = detect(data[:4096], "image", total=len(data))
    limit = int(settings.MEDIA_MAX_IMAGE_PIXELS)
    header = _header(data, fmt)
    if header.width * header.height > limit:
        raise too_many_pixels(header.width, header.height, limit)
    if header.width == 0 or header.height == 0:
        raise damaged(fmt.label)
    budget = int(settings.MEDIA_MAX_IMAGE_DECODED_BYTES)
    if header.decoded_bytes > budget:
        raise too_much_memory(header, budget)
    return fmt, header


def too_many_pixels_for_pillow(limit: int) -> MediaRejected:
    return MediaRejected(
        f"This image has too many pixels; images may have at most {limit / 1_000_000:g} "
        "megapixels. Please scale it down and upload it again.",
        code="too_many_pixels",
    )


# --- the check ---------------------------------------------------------------------------


def _decode(data: bytes, fmt: Format, limit: int) -> tuple[int, int]:
    """Parse the whole file with Pillow: ``verify()``, then reopen and ``load()`` every pixel
    of every frame (the header's decoded size has been checked, so all of them fit)."""
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
            for index in range(1, int(getattr(im, "n_frames", 1))):
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
    before anything is read, the pixel count and decoded size from the header before
    anything is decoded. The result's ``content`` is the file to store and serve: the same
    pixels, byte for byte, without metadata (GPS, camera, XMP, comments) and without
    anything after the image's end (see ``sanitize``); the orientation is kept. Its size
    and sha256 are those of ``content``, and ``content`` is what was decoded.
    """
    size = size_of(file)
    check_size(size, "image")
    data = read_all(file, max_bytes("image"))
    check_size(len(data), "image")
    fmt, _header = check_header(data)
    try:
        clean = sanitize_image(data, fmt.key)
    except MalformedImage as exc:
        raise damaged(fmt.label) from exc
    width, height = _decode(clean, fmt, int(settings.MEDIA_MAX_IMAGE_PIXELS))
    return MediaInfo(
        kind="image",
        content_type=fmt.content_type,
        extension=fmt.extension,
        size_bytes=len(clean),
        sha256=hashlib.sha256(clean).hexdigest(),
        width=width,
        height=height,
        content=clean,
    )
