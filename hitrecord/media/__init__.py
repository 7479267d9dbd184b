"""Shared checks for uploaded media, the processing of audio and video, and gallery pictures.

Everything is decided from the bytes, never from a file's name or declared type. The
allowlist per kind: image: JPEG, PNG, WebP, GIF; audio: MP3, OGG, WAV, FLAC, M4A; video:
MP4, WebM, MOV.

- In the request, ``precheck_media(file, kind=...)`` (and ``precheck_head`` for a direct
  upload to S3) makes only the cheap checks: the type from the first bytes, the size
  limits, an image's dimensions and decoded size from its header, and a container probe
  limited in time and bytes (``runner.probe``).
- In the processing task, ``check_image(file)`` decodes an image fully and gives the bytes
  to store (metadata stripped, ``sanitize_image``); ``runner.process`` decodes audio and
  video to the last frame in a child process with memory and CPU limits and makes the
  clean original, the rendition, the poster and the waveform peaks (``avwork``).
- ``image_thumbnail``, ``poster_file`` and ``waveform.waveform_picture`` make the gallery
  pictures, under names from ``generated_name`` (no part of what the uploader typed).

Limits come from settings (``MEDIA_MAX_BYTES``, ``MEDIA_MAX_IMAGE_PIXELS``,
``MEDIA_MAX_IMAGE_DECODED_BYTES``, ``MEDIA_MAX_DURATION_SECONDS`` and the ``MEDIA_DECODE_*``
and ``MEDIA_PROBE_*`` limits of ``runner``), read at call time.
"""

from __future__ import annotations

from hitrecord.media.base import (
    ALLOWED,
    FORMATS,
    KINDS,
    Format,
    MediaInfo,
    MediaRejected,
    allowed_labels,
    format_limit,
    format_size,
    generated_name,
    register_media_types,
    sha256_of,
)
from hitrecord.media.checks import precheck_head, precheck_media, sha256_path, sniff
from hitrecord.media.images import check_image
from hitrecord.media.pictures import image_thumbnail, poster_file
from hitrecord.media.sanitize import MalformedImage, sanitize_image
from hitrecord.media.sniff import identify

__all__ = [
    "ALLOWED",
    "FORMATS",
    "KINDS",
    "Format",
    "MediaInfo",
    "MalformedImage",
    "MediaRejected",
    "allowed_labels",
    "check_image",
    "format_limit",
    "format_size",
    "generated_name",
    "identify",
    "image_thumbnail",
    "poster_file",
    "precheck_head",
    "precheck_media",
    "register_media_types",
    "sanitize_image",
    "sha256_of",
    "sha256_path",
    "sniff",
]

register_media_types()
