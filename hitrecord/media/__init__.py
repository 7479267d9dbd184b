"""Shared checks for uploaded media, and the pictures galleries show for them.

Everything is decided from the bytes, never from a file's name or declared type:

- ``check_image(file)`` and ``check_media(file, kind=...)`` accept a file from the
  allowlist of its kind (image: JPEG, PNG, WebP, GIF; audio: MP3, OGG, WAV, FLAC;
  video: MP4, WebM) or raise ``MediaRejected`` with a sentence for the artist. Each file
  is walked and parsed to its last byte (a file cut short is refused), images are
  decoded fully after their pixel count and decoded size are checked from the header,
  and audio and video are decoded to the end by ffmpeg where it is installed.
- An accepted image's ``MediaInfo.content`` is what to store and serve: the same pixels,
  byte for byte, without GPS, camera, XMP or other metadata and without anything after
  the image's end, orientation kept (``sanitize_image``, pure bytes to bytes).
- ``image_thumbnail``, ``video_poster`` and ``audio_thumbnail`` make the pictures, under
  names from ``generated_name`` (no part of what the uploader typed).

Limits come from ``settings.MEDIA_MAX_BYTES``, ``settings.MEDIA_MAX_IMAGE_PIXELS`` and
``settings.MEDIA_MAX_IMAGE_DECODED_BYTES``, read at call time. Optional:
``MEDIA_FFMPEG_TIMEOUT`` (seconds, default 120) and ``MEDIA_DECODE_MAX_BYTES`` (default
256 MB; larger files get the structural checks only).
"""

from __future__ import annotations

import shutil as shutil  # tests simulate a machine without ffmpeg through `media.shutil.which`

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
from hitrecord.media.checks import check_media
from hitrecord.media.images import check_image
from hitrecord.media.pictures import (
    audio_thumbnail,
    image_thumbnail,
    video_placeholder,
    video_poster,
)
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
    "audio_thumbnail",
    "check_image",
    "check_media",
    "format_limit",
    "format_size",
    "generated_name",
    "identify",
    "image_thumbnail",
    "register_media_types",
    "sanitize_image",
    "sha256_of",
    "video_placeholder",
    "video_poster",
]

register_media_types()
