"""Pictures for galleries: image thumbnails, video posters and drawn cards, all made with Pillow."""

from __future__ import annotations

import io
import unicodedata
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from PIL import Image, ImageDraw, ImageFont, ImageOps

from hitrecord.media import tools
from hitrecord.media.base import (
    MediaInfo,
    generated_name,
    local_path,
    max_bytes,
    read_head,
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
from hitrecord.media.sniff import identify

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


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    for candidate in _FONT_FILES:
        if Path(candidate).is_file():
            try:
                return ImageFont.truetype(candidate, size)
            except OSError:
                continue
    return ImageFont.load_default(size)


def _card_size(max_size: tuple[int, int], ratio: float) -> tuple[int, int]:
    width, height = max_size
    if width / height > ratio:
        width = round(height * ratio)
    else:
        height = round(width / ratio)
    return max(width, 16), max(height, 16)


def video_placeholder(*, max_size: tuple[int, int] = (640, 640)) -> ContentFile[bytes]:
    """A film-strip glyph on a neutral background (16:9), for videos without a poster frame."""
    width, height = _card_size(max_size, 16 / 9)
    im = Image.new("RGB", (width, height), PAPER)
    draw = ImageDraw.Draw(im)
    unit = min(width, height) / 100
    # The strip: a dark band with sprocket holes along both edges.
    left, right = width * 0.22, width * 0.78
    top, bottom = height * 0.2, height * 0.8
    draw.rounded_rectangle((left, top, right, bottom), radius=4 * unit, fill=INK)
    hole_w, hole_h = 5 * unit, 4 * unit
    count = max(int((right - left) // (hole_w * 2)), 3)
    step = (right - left) / count
    for k in range(count):
        x = left + step * k + (step - hole_w) / 2
        for y in (top + 3 * unit, bottom - 3 * unit - hole_h):
            draw.rounded_rectangle((x, y, x + hole_w, y + hole_h), radius=unit, fill=PAPER)
    # A play triangle in the frame.
    cx, cy, r = width / 2, height / 2, 11 * unit
    draw.polygon([(cx - r * 0.6, cy - r), (cx - r * 0.6, cy + r), (cx + r, cy)], fill=PAPER)
    return ContentFile(_save(im, "PNG", optimize=True), name=generated_name(".png"))


def video_poster(file: Any, *, max_size: tuple[int, int] = (640, 640)) -> ContentFile[bytes]:
    """A poster frame made by ffmpeg when it is installed; the drawn placeholder otherwise.

    The placeholder is also used when ffmpeg cannot get a frame out of the file.
    """
    if tools.ffmpeg() is None:
        return video_placeholder(max_size=max_size)
    found = identify(read_head(file, 64))
    key = getattr(found, "key", None)
    if key not in ("mp4", "webm"):
        return video_placeholder(max_size=max_size)
    with local_path(file, limit=max_bytes("video")) as path:
        frame = tools.video_frame_png(path, key)
    if frame is None:
        return video_placeholder(max_size=max_size)
    try:
        with Image.open(io.BytesIO(frame), formats=["PNG"]) as im:
            im.load()
            im.thumbnail(max_size, Image.Resampling.LANCZOS)
            return _to_jpeg_or_webp(im.convert("RGB"))
    except DECODE_ERRORS:
        return video_placeholder(max_size=max_size)


def _clean_title(title: str) -> str:
    text = "".join(ch if unicodedata.category(ch)[0] != "C" else " " for ch in title)
    return " ".join(text.split()) or "Untitled"


def _wrap(draw: ImageDraw.ImageDraw, text: str, font: Any, width: float, lines: int) -> list[str]:
    words = text.split(" ")
    out: list[str] = []
    current = ""
    for word in words:
        trial = f"{current} {word}".strip()
        if draw.textlength(trial, font=font) <= width:
            current = trial
            continue
        if current:
            out.append(current)
        current = word
        while draw.textlength(current, font=font) > width and len(current) > 1:
            # A single word too long for a line: cut it.
            cut = len(current)
            while cut > 1 and draw.textlength(current[:cut], font=font) > width:
                cut -= 1
            out.append(current[:cut])
            current = current[cut:]
    if current:
        out.append(current)
    if len(out) > lines:
        out = out[:lines]
        last = out[-1]
        while last and draw.textlength(last + "…", font=font) > width:
            last = last[:-1]
        out[-1] = last.rstrip() + "…"
    return out


def _duration_text(ms: int | None) -> str:
    if ms is None:
        return ""
    seconds = round(ms / 1000)
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes}:{seconds:02d}"


def audio_thumbnail(
    info: MediaInfo, *, title: str, size: tuple[int, int] = (640, 640)
) -> ContentFile[bytes]:
    """A drawn card for a recording: a waveform drawn from its checksum, a note, the title.

    The same file always gets the same waveform, and different files look different.
    """
    width, height = size
    im = Image.new("RGB", (width, height), PAPER)
    draw = ImageDraw.Draw(im)
    unit = min(width, height) / 100
    seed = bytes.fromhex(info.sha256) if len(info.sha256) == 64 else b"\x80" * 32
    accent = (90 + seed[0] % 80, 90 + seed[1] % 80, 110 + seed[2] % 80)
    # The waveform: mirrored bars, smoothed so it reads as sound, not noise.
    bars = 40
    margin = 8 * unit
    step = (width - 2 * margin) / bars
    mid = height * 0.42
    previous = 0.5
    for k in range(bars):
        raw = seed[k % 32] / 255
        envelope = 0.35 + 0.65 * (1 - abs(k - bars / 2) / (bars / 2)) ** 0.5
        level = (previous + raw) / 2 * envelope
        previous = raw
        half = max(level * height * 0.22, unit)
        x = margin + step * k
        draw.rounded_rectangle(
            (x + step * 0.2, mid - half, x + step * 0.8, mid + half), radius=unit, fill=accent
        )
    # A note glyph in the top-left corner.
    nx, ny = margin, margin
    draw.ellipse((nx, ny + 9 * unit, nx + 7 * unit, ny + 14 * unit), fill=INK)
    draw.rectangle((nx + 5.6 * unit, ny, nx + 7 * unit, ny + 11.5 * unit), fill=INK)
    draw.polygon(
        [(nx + 7 * unit, ny), (nx + 12 * unit, ny + 3 * unit), (nx + 7 * unit, ny + 5 * unit)],
        fill=INK,
    )
    # The title, then the length.
    title_font = _font(max(int(7 * unit), 10))
    small_font = _font(max(int(5 * unit), 9))
    y = height * 0.7
    for line in _wrap(draw, _clean_title(title), title_font, width - 2 * margin, 2):
        draw.text((margin, y), line, font=title_font, fill=INK)
        y += 8.5 * unit
    duration = _duration_text(info.duration_ms)
    if duration:
        draw.text((margin, y + unit), duration, font=small_font, fill=MUTED)
    return ContentFile(_save(im, "PNG", optimize=True), name=generated_name(".png"))
