"""Pictures for galleries: image thumbnails and video posters (audio: ``waveform``)."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from PIL import Image, ImageOps

from hitrecord.media.base import (
    generated_name,
    max_bytes,
)
from hitrecord.media.images import (
    DECODE_ERRORS,
    PIL_FORMATS,
    check_header,
    damaged,
    read_all,
    too_many_pixels,
    too_many_pixels_for_pillow,
)

# Neutral, calm colours (the studio wall of UI.md): background, ink, accent.
PAPER = (236, 234, 229)
INK = (58, 58, 64)
MUTED = (150, 148, 144)

_FONT_FILES = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
    "/System/Library/Fonts/Supplemental/Arial.ttf",
)


def _save(im: Image.Image, fmt: str, **options: Any) -> bytes:
    out = io.BytesIO()
    im.save(out, fmt, **options)
    return out.getvalue()


def _has_alpha(im: Image.Image) -> bool:
    return im.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in im.info


def _to_jpeg_or_webp(im: Image.Image) -> ContentFile[bytes]:
    """Transparent pictures stay transparent as WebP; everything else becomes a JPEG."""
    if im.mode in ("I", "I;16", "I;16B", "I;16L", "F"):
        im = im.convert("I").point(lambda value: value * (1 / 256)).convert("L")
    if _has_alpha(im):
        data = _save(im.convert("RGBA"), "WEBP", quality=82, method=4)
        return ContentFile(data, name=generated_name(".webp"))
    data = _save(im.convert("RGB"), "JPEG", quality=85, optimize=True, progressive=True)
    return ContentFile(data, name=generated_name(".jpg"))


def image_thumbnail(file: Any, *, max_size: tuple[int, int] = (640, 640)) -> ContentFile[bytes]:
    """A thumbnail within ``max_size`` under a generated name, upright per its EXIF orientation.

    WebP when the picture has transparency, JPEG otherwise; an animated GIF or WebP gives
    its first frame. The pixel and decoded-size limits are enforced before decoding here too.
    """
    data = read_all(file, max_bytes("image"))
    fmt, _header = check_header(data)
    limit = int(settings.MEDIA_MAX_IMAGE_PIXELS)
    try:
        with Image.open(io.BytesIO(data), formats=[PIL_FORMATS[fmt.key]]) as im:
            if im.width * im.height > limit:
                raise too_many_pixels(im.width, im.height, limit)
            # JPEG decodes straight at a fraction of its size: fast for big photos.
            im.draft("RGB", (max_size[0] * 2, max_size[1] * 2))
            im.load()
            upright = ImageOps.exif_transpose(im)
            upright.thumbnail(max_size, Image.Resampling.LANCZOS)
            return _to_jpeg_or_webp(upright)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise too_many_pixels_for_pillow(limit) from exc
    except DECODE_ERRORS as exc:
        raise damaged(fmt.label) from exc


# --- drawn pictures ----------------------------------------------------------------------


def poster_file(path: Path) -> ContentFile[bytes]:
    """The poster the processing child took from a real frame (a JPEG, upright, at most
    640 pixels on its long side), checked by Pillow, under a generated name."""
    data = path.read_bytes()
    try:
        with Image.open(io.BytesIO(data), formats=["JPEG"]) as im:
            im.load()
    except DECODE_ERRORS as exc:
        raise damaged("poster") from exc
    return ContentFile(data, name=generated_name(".jpg"))
