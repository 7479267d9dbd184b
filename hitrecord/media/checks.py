"""The checks a request makes, in time bounded by the upload's size, never by decoding it.

``precheck_media(file, kind=...)`` accepts a file of the kind's allowlist or raises
``MediaRejected`` with a sentence for the artist:

- the type, from the first bytes, matching the kind;
- the size limits;
- images: the dimensions and the decoded-bytes budget, from the header (nothing decoded);
- audio and video: a container probe in a child process (``runner.probe``), limited in
  time and in bytes read: the streams' codecs, the duration and the frame size.

``precheck_head(head, size=..., kind=...)`` is the same for a direct upload to S3, from
its first bytes and its size alone: the request never downloads it; a worker does.

Everything else (the full decode to the last frame, the renditions, the thumbnail or
poster, the metadata) is the processing task's (``contributions.services``).
"""

from __future__ import annotations

import hashlib
import os
from typing import Any

from hitrecord.media import runner
from hitrecord.media.base import (
    CHUNK,
    KINDS,
    Format,
    MediaInfo,
    MediaRejected,
    check_size,
    local_path,
    max_bytes,
    read_head,
    size_of,
)
from hitrecord.media.images import check_header, read_all
from hitrecord.media.sniff import detect, id3_size

HEAD_BYTES = 64 * 1024


def _refuse_text() -> MediaRejected:
    return MediaRejected(
        "Only images, audio and video are uploaded as files; text is written in the page.",
        code="wrong_kind",
    )


def sniff(head: bytes, kind: str, *, total: int | None = None) -> Format:
    """The allowed format of ``kind`` the first bytes are, past a leading ID3 tag."""
    skip = id3_size(head[:10])
    return detect(head[: skip + 4096] if skip < len(head) else head, kind, total=total)


def precheck_head(head: bytes, *, size: int, kind: str) -> Format:
    """A direct upload's format from its first bytes, and its size within the limits."""
    if kind not in KINDS:
        raise _refuse_text()
    check_size(size, kind)
    return sniff(head, kind, total=size)


def precheck_media(file: Any, *, kind: str) -> MediaInfo:
    """The request's checks of an uploaded ``file`` of ``kind``; ``file`` is left at 0.

    The result describes the upload as received (its size and sha256); the processing
    task replaces it with the clean original it makes."""
    if kind not in KINDS:
        raise _refuse_text()
    size = size_of(file)
    check_size(size, kind)
    try:
        if kind == "image":
            return _precheck_image(file)
        return _precheck_av(file, kind, size)
    finally:
        file.seek(0)


def _precheck_image(file: Any) -> MediaInfo:
    data = read_all(file, max_bytes("image"))
    check_size(len(data), "image")
    fmt, header = check_header(data)
    return MediaInfo(
        kind="image",
        content_type=fmt.content_type,
        extension=fmt.extension,
        size_bytes=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        width=header.width,
        height=header.height,
    )


def _precheck_av(file: Any, kind: str, size: int) -> MediaInfo:
    fmt = sniff(read_head(file, HEAD_BYTES), kind, total=size)
    with local_path(file, limit=max_bytes(kind)) as path:
        check_size(os.path.getsize(path), kind)
        probed = runner.probe(path, fmt)
        digest = sha256_path(path)
    return MediaInfo(
        kind=kind,
        content_type=fmt.content_type,
        extension=fmt.extension,
        size_bytes=size,
        sha256=digest,
        width=probed.width,
        height=probed.height,
        duration_ms=probed.duration_ms,
    )


def sha256_path(path: str | os.PathLike[str]) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()
