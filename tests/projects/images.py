"""Real image bytes made by the tests: a small PNG, a decompression bomb, not-an-image."""

from __future__ import annotations

import io
import struct
import zlib

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image


def png_bytes(
    size: tuple[int, int] = (320, 200), colour: tuple[int, int, int] = (180, 60, 20)
) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, format="PNG")
    return buffer.getvalue()


def bomb_png_bytes(width: int = 40_000, height: int = 40_000) -> bytes:
    """A tiny PNG whose header declares 1.6 billion pixels: a decompression bomb."""
    data = bytearray(png_bytes((1, 1)))
    # IHDR follows the 8-byte signature: length(4) type(4) width(4) height(4) ...
    data[16:24] = struct.pack(">II", width, height)
    crc = zlib.crc32(bytes(data[12:29])) & 0xFFFFFFFF
    data[29:33] = struct.pack(">I", crc)
    return bytes(data)


def png_upload(name: str = "cover.png", **kwargs) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, png_bytes(**kwargs), content_type="image/png")


def bomb_upload(name: str = "bomb.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, bomb_png_bytes(), content_type="image/png")


def text_upload(name: str = "cover.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"this is not an image at all\n" * 20, content_type="image/png")
