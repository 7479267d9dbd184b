"""What every media check shares: the refusal, the result, the allowlist and file plumbing."""

from __future__ import annotations

import hashlib
import io
import mimetypes
import os
import re
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings

CHUNK = 1024 * 1024


class MediaRejected(ValueError):
    """An uploaded file we will not accept; ``message`` tells the person what to fix.

    ``code`` is a short, stable word for programs (``empty``, ``too_large``,
    ``too_many_pixels``, ``unsupported``, ``wrong_kind``, ``damaged``).
    """

    def __init__(self, message: str, *, code: str = "invalid") -> None:
        super().__init__(message)
        self.message = message
        self.code = code

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True)
class MediaInfo:
    kind: str  # "image" | "audio" | "video"
    content_type: str  # the real type, detected from the bytes
    extension: str  # used for generated names
    size_bytes: int
    sha256: str  # hex
    width: int | None = None
    height: int | None = None
    duration_ms: int | None = None
    # Images: the bytes to store and serve (metadata stripped, see ``sanitize``); size_bytes
    # and sha256 describe them. None for audio and video, whose upload is stored as it is.
    content: bytes | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class Format:
    """One allowed file format."""

    key: str  # "jpeg", "mp3", ...
    kind: str
    content_type: str
    extension: str
    label: str  # what people call it: "JPEG", "MP3"


FORMATS: dict[str, Format] = {
    f.key: f
    for f in (
        Format("jpeg", "image", "image/jpeg", ".jpg", "JPEG"),
        Format("png", "image", "image/png", ".png", "PNG"),
        Format("webp", "image", "image/webp", ".webp", "WebP"),
        Format("gif", "image", "image/gif", ".gif", "GIF"),
        Format("mp3", "audio", "audio/mpeg", ".mp3", "MP3"),
        Format("ogg", "audio", "audio/ogg", ".ogg", "OGG"),
        Format("wav", "audio", "audio/wav", ".wav", "WAV"),
        Format("flac", "audio", "audio/flac", ".flac", "FLAC"),
        Format("m4a", "audio", "audio/mp4", ".m4a", "M4A"),
        Format("mp4", "video", "video/mp4", ".mp4", "MP4"),
        Format("webm", "video", "video/webm", ".webm", "WebM"),
        Format("mov", "video", "video/quicktime", ".mov", "MOV"),
    )
}

KINDS = ("image", "audio", "video")

# The allowlist per kind: content types, the way storage and serializers usually want it.
ALLOWED: dict[str, frozenset[str]] = {
    kind: frozenset(f.content_type for f in FORMATS.values() if f.kind == kind) for kind in KINDS
}

_PLURAL = {"image": "images", "audio": "audio files", "video": "videos"}


def allowed_labels(kind: str) -> str:
    """'JPEG, PNG, WebP or GIF' for images: the allowlist as people read it."""
    labels = [f.label for f in FORMATS.values() if f.kind == kind]
    return ", ".join(labels[:-1]) + " or " + labels[-1]


def kind_plural(kind: str) -> str:
    return _PLURAL[kind]


def allowed_sentence(kind: str) -> str:
    """'images must be JPEG, PNG, WebP or GIF.'"""
    return f"{kind_plural(kind)} must be {allowed_labels(kind)}."


def register_media_types() -> None:
    """Teach ``mimetypes`` our real types, so served and stored media carry them.

    Django's static ``serve`` view and django-storages pick the Content-Type from the
    file name, and generated names carry the extension of the detected format.
    """
    for f in FORMATS.values():
        mimetypes.add_type(f.content_type, f.extension)


_EXTENSION = re.compile(r"^\.[a-z0-9]{1,5}$")


def generated_name(extension: str) -> str:
    """A fresh storage name: a uuid4 in hex plus ``extension``; no part of any user input."""
    if not _EXTENSION.match(extension):
        raise ValueError(f"Not a file extension we generate names with: {extension!r}")
    return uuid.uuid4().hex + extension


# --- sizes -------------------------------------------------------------------------------


def _units(n: int) -> tuple[float, str]:
    if n >= 1024**3:
        return n / 1024**3, "GB"
    if n >= 1024**2:
        return n / 1024**2, "MB"
    return n / 1024, "KB"


def format_size(n: int) -> str:
    """A file's size for people: '25.0 MB', '812.4 KB', '999 bytes'."""
    if n < 1024:
        return f"{n} byte" if n == 1 else f"{n} bytes"
    value, unit = _units(n)
    return f"{value:.1f} {unit}"


def format_limit(n: int) -> str:
    """A limit for people: '20 MB', '1 GB', '1.5 MB', '1000 bytes'."""
    if n < 1024:
        return f"{n} bytes"
    value, unit = _units(n)
    text = f"{value:.1f}".removesuffix(".0")
    return f"{text} {unit}"


def max_bytes(kind: str) -> int:
    return int(settings.MEDIA_MAX_BYTES[kind])


def check_size(size: int, kind: str) -> None:
    """Refuse empty and oversized files before anything reads them."""
    if size <= 0:
        raise MediaRejected("The file is empty.", code="empty")
    limit = max_bytes(kind)
    if size > limit:
        raise MediaRejected(
            f"The file is {format_size(size)}; {kind_plural(kind)} may be at most "
            f"{format_limit(limit)}.",
            code="too_large",
        )


# --- file objects ------------------------------------------------------------------------


def size_of(file: Any) -> int:
    """The size in bytes, without reading the content.

    Django files know it (an upload from its handler, a stored file from its storage,
    without downloading it); other file objects are measured by seeking to the end.
    """
    size = getattr(file, "size", None)
    if isinstance(size, int):
        return size
    file.seek(0, os.SEEK_END)
    end = int(file.tell())
    file.seek(0)
    return end


def read_head(file: Any, n: int = 4096) -> bytes:
    """The first ``n`` bytes; the position is back at 0 afterwards."""
    file.seek(0)
    try:
        data = file.read(n)
    finally:
        file.seek(0)
    return bytes(data or b"")


def iter_chunks(file: Any, chunk_size: int = CHUNK) -> Iterator[bytes]:
    file.seek(0)
    while True:
        block = file.read(chunk_size)
        if not block:
            break
        yield bytes(block)


def sha256_of(file: Any) -> str:
    """The SHA-256 of the whole file in hex, read in chunks from the start; position back at 0."""
    digest = hashlib.sha256()
    try:
        for block in iter_chunks(file):
            digest.update(block)
    finally:
        file.seek(0)
    return digest.hexdigest()


def _path_of(file: Any) -> str | None:
    """The local path holding exactly this file's bytes, when there is one."""
    temporary = getattr(file, "temporary_file_path", None)
    if callable(temporary):  # a TemporaryUploadedFile
        return str(temporary())
    for candidate in (getattr(file, "file", None), file):
        if candidate is None:
            continue
        name = getattr(candidate, "name", None)
        fileno = getattr(candidate, "fileno", None)
        if not isinstance(name, str) or not callable(fileno):
            continue
        # The name of an open OS file; trust it only if it is the very file that is open.
        try:
            if os.path.samestat(os.fstat(fileno()), os.stat(name)):
                return name
        except (OSError, ValueError, io.UnsupportedOperation):
            continue
    return None


@contextmanager
def local_path(file: Any, *, limit: int) -> Iterator[str]:
    """A path on this machine with the file's bytes, for parsers and ffmpeg.

    A file already on disk is used where it is; anything else (an upload held in
    memory, a file in S3) is copied to a temporary file in chunks, never whole into
    memory, and refused if it turns out longer than ``limit``.
    """
    existing = _path_of(file)
    if existing is not None:
        yield existing
        return
    with tempfile.NamedTemporaryFile(prefix="hitrecord-media-") as tmp:
        copied = 0
        for block in iter_chunks(file):
            copied += len(block)
            if copied > limit:
                raise MediaRejected(
                    f"The file is larger than {format_limit(limit)}, the most we accept.",
                    code="too_large",
                )
            tmp.write(block)
        tmp.flush()
        file.seek(0)
        yield tmp.name
