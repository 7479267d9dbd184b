"""The allowlist per kind: detect from the bytes, walk the structure, parse, decode where we can."""

from __future__ import annotations

import hashlib
import mmap
import os
from typing import Any

import mutagen
from mutagen.flac import FLAC
from mutagen.mp3 import MP3
from mutagen.oggflac import OggFLAC
from mutagen.oggopus import OggOpus
from mutagen.oggspeex import OggSpeex
from mutagen.oggtheora import OggTheora
from mutagen.oggvorbis import OggVorbis
from mutagen.wave import WAVE

from hitrecord.media import structure, tools
from hitrecord.media.base import (
    CHUNK,
    KINDS,
    Format,
    MediaInfo,
    MediaRejected,
    allowed_sentence,
    check_size,
    local_path,
    max_bytes,
    size_of,
)
from hitrecord.media.images import check_image
from hitrecord.media.sniff import detect, id3_size
from hitrecord.media.structure import Buffer, damaged


def _parse_audio(data: Buffer, path: str, fmt: Format) -> int | None:
    """Walk and parse an audio file; its duration in ms when known."""
    if fmt.key == "wav":
        duration: int | None = structure.wav_structure(data)
        _mutagen(WAVE, path, fmt)
        return duration
    if fmt.key == "mp3":
        duration = structure.mp3_structure(data)
        _mutagen(MP3, path, fmt)
        return duration
    if fmt.key == "ogg":
        structure.ogg_structure(data)
        try:
            parsed = mutagen.File(path, options=[OggVorbis, OggOpus, OggFLAC, OggSpeex, OggTheora])
        except Exception as exc:  # noqa: BLE001 - any parser failure means a damaged file
            raise damaged(fmt.label) from exc
        if isinstance(parsed, OggTheora):
            raise MediaRejected(
                f"This file is an Ogg video (Theora); {allowed_sentence('audio')}",
                code="unsupported",
            )
        if parsed is None:
            raise MediaRejected(
                "This OGG file does not hold Vorbis, Opus or FLAC sound; "
                + allowed_sentence("audio"),
                code="unsupported",
            )
        return round(float(parsed.info.length) * 1000)
    # FLAC
    parsed = _mutagen(FLAC, path, fmt)
    info = parsed.info
    structure.flac_structure(
        data,
        total_samples=int(info.total_samples),
        min_block=int(info.max_blocksize),
        max_frame=int(info.max_framesize),
    )
    if not info.sample_rate:
        raise damaged(fmt.label)
    return int(info.total_samples) * 1000 // int(info.sample_rate) if info.total_samples else None


def _mutagen(cls: Any, path: str, fmt: Format) -> Any:
    try:
        return cls(path)
    except Exception as exc:  # noqa: BLE001 - any parser failure means a damaged file
        raise damaged(fmt.label) from exc


def _parse_video(data: Buffer, fmt: Format) -> int | None:
    if fmt.key == "mp4":
        duration, has_video = structure.mp4_structure(data)
    else:
        duration, has_video = structure.webm_structure(data)
    if not has_video:
        raise MediaRejected(
            f"This {fmt.label} file holds only sound, no pictures; upload it as audio "
            "(MP3, OGG, WAV or FLAC) instead.",
            code="wrong_kind",
        )
    return duration


def _head(data: Buffer) -> bytes:
    """Enough of the start to identify the file, past a leading ID3 tag if there is one."""
    skip = id3_size(data[:10])
    return data[: skip + 4096]


def check_media(file: Any, *, kind: str) -> MediaInfo:
    """Accept a file of ``kind`` ("image", "audio", "video") from the allowlist, or raise.

    The format is decided from the bytes; the size limit is checked before anything is
    read; the file is walked and parsed to its last byte, and decoded to the end by
    ffmpeg where it is installed. A file with no local path is first copied in chunks to
    a temporary file. ``file`` is left at position 0.
    """
    if kind not in KINDS:
        raise MediaRejected(
            "Only images, audio and video are uploaded as files; text is written in the page.",
            code="wrong_kind",
        )
    if kind == "image":
        return check_image(file)
    check_size(size_of(file), kind)
    try:
        return _check_local(file, kind)
    finally:
        file.seek(0)


def _check_local(file: Any, kind: str) -> MediaInfo:
    with local_path(file, limit=max_bytes(kind)) as path:
        size = os.path.getsize(path)
        check_size(size, kind)
        with (
            open(path, "rb") as handle,
            mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as m,
        ):
            data: Buffer = m
            fmt = detect(_head(data), kind, total=size)
            if kind == "audio":
                duration_ms = _parse_audio(data, path, fmt)
            else:
                duration_ms = _parse_video(data, fmt)
            del data
        # Hashed through small reads, not the map: touching every mapped page would count
        # the whole file in this process's memory.
        digest = _sha256_path(path)
        decoded = tools.decode_to_end(path, fmt.key, fmt.label, size)
        if duration_ms is None or not decoded:
            # ffprobe as a second reader where ffmpeg did not decode, and for durations.
            probed = tools.probe_duration_ms(path, fmt.key, fmt.label)
            duration_ms = probed if duration_ms is None else duration_ms
    return MediaInfo(
        kind=kind,
        content_type=fmt.content_type,
        extension=fmt.extension,
        size_bytes=size,
        sha256=digest,
        duration_ms=duration_ms,
    )


def _sha256_path(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()
