"""Real media files made at test time, for any test that uploads something.

Images come from Pillow, WAV from the standard library, everything else from ffmpeg
(installed here and in CI). Each file is made once per test session and cached, so
importing these in many tests stays fast. All functions return ``bytes``.
"""

from __future__ import annotations

import io
import math
import shutil
import struct
import subprocess
import tempfile
import wave
import zipfile
import zlib
from functools import cache
from pathlib import Path

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageDraw

# --- images ------------------------------------------------------------------------------


def _picture(w: int, h: int, mode: str = "RGB") -> Image.Image:
    """A picture with something in it (gradient, shapes), so encoders do real work."""
    across = Image.linear_gradient("L").rotate(90).resize((w, h))
    down = Image.linear_gradient("L").resize((w, h))
    im = Image.merge("RGB", (across, down, Image.new("L", (w, h), 128)))
    draw = ImageDraw.Draw(im)
    draw.ellipse((w // 4, h // 4, 3 * w // 4, 3 * h // 4), fill=(250, 240, 20))
    draw.rectangle((0, 0, w // 5, h // 5), fill=(10, 10, 10))
    if mode == "RGBA":
        im = im.convert("RGBA")
        alpha = Image.new("L", (w, h), 255)
        ImageDraw.Draw(alpha).rectangle((0, 0, w // 2, h), fill=0)
        im.putalpha(alpha)
    return im


def _encode(im: Image.Image, fmt: str, **options: object) -> bytes:
    out = io.BytesIO()
    im.save(out, fmt, **options)
    return out.getvalue()


@cache
def jpeg_bytes(w: int = 64, h: int = 48, *, exif_orientation: int | None = None) -> bytes:
    """A JPEG; with ``exif_orientation`` (e.g. 6: turn 90 degrees clockwise to show it)."""
    options: dict[str, object] = {"quality": 90}
    if exif_orientation is not None:
        exif = Image.Exif()
        exif[0x0112] = exif_orientation
        options["exif"] = exif.tobytes()
    return _encode(_picture(w, h), "JPEG", **options)


@cache
def png_bytes(w: int = 64, h: int = 48, *, transparent: bool = False) -> bytes:
    return _encode(_picture(w, h, "RGBA" if transparent else "RGB"), "PNG")


@cache
def webp_bytes(w: int = 64, h: int = 48, *, transparent: bool = False) -> bytes:
    return _encode(_picture(w, h, "RGBA" if transparent else "RGB"), "WEBP", quality=80)


@cache
def gif_bytes(w: int = 64, h: int = 48) -> bytes:
    """An animated GIF of two frames."""
    first = _picture(w, h).convert("P", palette=Image.Palette.ADAPTIVE)
    second = _picture(w, h).transpose(Image.Transpose.ROTATE_180)
    second = second.convert("P", palette=Image.Palette.ADAPTIVE)
    return _encode(first, "GIF", save_all=True, append_images=[second], duration=200, loop=0)


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


@cache
def bomb_png_bytes(w: int = 10_000, h: int = 10_000) -> bytes:
    """A valid 1-bit PNG whose header says ``w`` x ``h`` (100 megapixels) in a few KB.

    Written by hand: every row is a filter byte and zeros, compressed as it is produced.
    """
    row = b"\x00" * (1 + (w + 7) // 8)
    packer = zlib.compressobj(9)
    body = b"".join(packer.compress(row) for _ in range(h)) + packer.flush()
    header = struct.pack(">IIBBBBB", w, h, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", body)
        + _png_chunk(b"IEND", b"")
    )


# --- audio and video ---------------------------------------------------------------------


@cache
def wav_bytes(seconds: float = 1.0, rate: int = 22_050) -> bytes:
    """A mono 16-bit sine tone at 440 Hz, written with the standard library."""
    out = io.BytesIO()
    frames = int(seconds * rate)
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(
            b"".join(
                struct.pack("<h", int(12_000 * math.sin(2 * math.pi * 440 * k / rate)))
                for k in range(frames)
            )
        )
    return out.getvalue()


# Found once, at import: tests that simulate a machine without ffmpeg (by patching
# `shutil.which`) can still make their sample files.
FFMPEG = shutil.which("ffmpeg")


def _ffmpeg(args: list[str], suffix: str) -> bytes:
    program = FFMPEG
    if program is None:
        raise RuntimeError("ffmpeg is needed to make sample media (apt-get install ffmpeg).")
    with tempfile.TemporaryDirectory(prefix="hitrecord-samples-") as folder:
        target = Path(folder) / f"sample{suffix}"
        subprocess.run(
            [program, "-nostdin", "-v", "error", "-y", *args, str(target)],
            check=True,
            capture_output=True,
            timeout=60,
        )
        return target.read_bytes()


def _tone(seconds: float) -> list[str]:
    return ["-f", "lavfi", "-i", f"sine=frequency=440:sample_rate=44100:duration={seconds}"]


def _picture_source(seconds: float) -> list[str]:
    return ["-f", "lavfi", "-i", f"testsrc=size=160x120:rate=10:duration={seconds}"]


@cache
def mp3_bytes(seconds: float = 1.0) -> bytes:
    return _ffmpeg([*_tone(seconds), "-c:a", "libmp3lame", "-b:a", "64k"], ".mp3")


@cache
def ogg_bytes(seconds: float = 1.0, *, codec: str = "vorbis") -> bytes:
    """Ogg Vorbis (default) or Ogg Opus (``codec="opus"``)."""
    encoder = {"vorbis": "libvorbis", "opus": "libopus"}[codec]
    return _ffmpeg([*_tone(seconds), "-c:a", encoder], ".ogg")


@cache
def flac_bytes(seconds: float = 1.0) -> bytes:
    return _ffmpeg([*_tone(seconds), "-c:a", "flac"], ".flac")


@cache
def mp4_bytes(seconds: float = 1.0, *, faststart: bool = True, sound: bool = True) -> bytes:
    """H.264 pictures (a test card) and AAC sound; ``sound=False`` for pictures only."""
    audio = [*_tone(seconds), "-c:a", "aac", "-shortest"] if sound else []
    return _ffmpeg(
        [
            *_picture_source(seconds),
            *audio,
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-pix_fmt",
            "yuv420p",
            *(["-movflags", "+faststart"] if faststart else []),
        ],
        ".mp4",
    )


@cache
def m4a_bytes(seconds: float = 1.0) -> bytes:
    """AAC sound alone in an MP4 box structure (what phones record): not an allowed video."""
    return _ffmpeg([*_tone(seconds), "-c:a", "aac"], ".mp4")


@cache
def webm_bytes(seconds: float = 1.0) -> bytes:
    """VP8 pictures and Opus sound."""
    return _ffmpeg(
        [
            *_picture_source(seconds),
            *_tone(seconds),
            "-c:v",
            "libvpx",
            "-deadline",
            "realtime",
            "-cpu-used",
            "8",
            "-b:v",
            "200k",
            "-c:a",
            "libopus",
            "-shortest",
        ],
        ".webm",
    )


# --- look-alikes and helpers -------------------------------------------------------------


def svg_bytes() -> bytes:
    return (
        b'<?xml version="1.0" encoding="UTF-8"?>\n'
        b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
        b'<script>alert(document.domain)</script><rect width="10" height="10"/></svg>\n'
    )


def html_bytes() -> bytes:
    return b"<!DOCTYPE html>\n<html><body><script>alert(1)</script></body></html>\n"


def pdf_bytes() -> bytes:
    return b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def zip_bytes() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("cover.png", png_bytes())
    return out.getvalue()


def half(data: bytes) -> bytes:
    """The file cut at half its length, as an interrupted upload leaves it."""
    return data[: len(data) // 2]


def uploaded(
    name: str, data: bytes, content_type: str = "application/octet-stream"
) -> SimpleUploadedFile:
    """A Django upload, as a view receives it (the name and type are the client's claims)."""
    return SimpleUploadedFile(name, data, content_type=content_type)
