"""ffmpeg and ffprobe, where installed: decoding to the end, durations and poster frames.

Every call names the demuxer of the format our own checks detected (so ffmpeg never
follows a playlist or a URL inside a file), reads only local files, and has a timeout.
A machine without ffmpeg is allowed: callers fall back to the structural checks and to
drawn placeholders.
"""

from __future__ import annotations

import logging
import shutil
import subprocess

from django.conf import settings

from hitrecord.media.structure import damaged

logger = logging.getLogger(__name__)

DEMUXERS = {
    "mp3": "mp3",
    "ogg": "ogg",
    "wav": "wav",
    "flac": "flac",
    "mp4": "mov",
    "webm": "matroska",
}

# The settings MEDIA_FFMPEG_TIMEOUT (seconds) and MEDIA_DECODE_MAX_BYTES (files above it are
# not decoded end to end: the structural walk, which reads every container part, still runs)
# are declared with their defaults in hitrecord/settings.


def ffmpeg() -> str | None:
    return shutil.which("ffmpeg")


def ffprobe() -> str | None:
    return shutil.which("ffprobe")


def _timeout() -> float:
    return float(settings.MEDIA_FFMPEG_TIMEOUT)


def _input(path: str, fmt_key: str) -> list[str]:
    return ["-protocol_whitelist", "file", "-f", DEMUXERS[fmt_key], "-i", f"file:{path}"]


def _run(args: list[str], timeout: float) -> subprocess.CompletedProcess[bytes] | None:
    try:
        return subprocess.run(  # noqa: S603 - a fixed program, our own arguments
            args,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        logger.warning(
            "%s took longer than %ss; relying on the structural checks", args[0], timeout
        )
        return None
    except OSError:
        logger.exception("could not run %s", args[0])
        return None


def probe_duration_ms(path: str, fmt_key: str, label: str) -> int | None:
    """The duration ffprobe reads; MediaRejected if ffprobe cannot read the file at all."""
    program = ffprobe()
    if program is None:
        return None
    result = _run(
        [
            program,
            "-v",
            "error",
            *_input(path, fmt_key),
            "-show_entries",
            "format=duration",
            "-of",
            "default=noprint_wrappers=1:nokey=1",
        ],
        timeout=min(_timeout(), 30),
    )
    if result is None:
        return None
    if result.returncode != 0:
        raise damaged(label)
    try:
        seconds = float(result.stdout.decode("ascii", "replace").strip().splitlines()[0])
    except (ValueError, IndexError):
        return None
    if seconds != seconds or seconds < 0:  # "N/A" or NaN
        return None
    return round(seconds * 1000)


def decode_to_end(path: str, fmt_key: str, label: str, size: int) -> bool:
    """Decode every stream to the end with ffmpeg; any decoding error refuses the file.

    Skipped (the structural walk has already run) when ffmpeg is missing, for files
    larger than MEDIA_DECODE_MAX_BYTES, and when it runs past the timeout; returns
    whether the file was decoded.
    """
    program = ffmpeg()
    if program is None:
        return False
    if size > int(settings.MEDIA_DECODE_MAX_BYTES):
        return False
    result = _run(
        [
            program,
            "-nostdin",
            "-v",
            "error",
            *_input(path, fmt_key),
            "-map",
            "0",
            "-f",
            "null",
            "-",
        ],
        timeout=_timeout(),
    )
    if result is None:
        return False
    if result.returncode != 0 or result.stderr.strip():
        logger.info("ffmpeg could not decode a %s: %s", label, result.stderr[-500:])
        raise damaged(label, "it does not play to the end")
    return True


def video_frame_png(path: str, fmt_key: str) -> bytes | None:
    """One frame as PNG bytes: a second in when the video is that long, else the first."""
    program = ffmpeg()
    if program is None:
        return None
    for seek in ("1", "0"):
        result = _run(
            [
                program,
                "-nostdin",
                "-v",
                "error",
                "-ss",
                seek,
                *_input(path, fmt_key),
                "-map",
                "0:v:0",
                "-frames:v",
                "1",
                "-f",
                "image2pipe",
                "-c:v",
                "png",
                "-",
            ],
            timeout=min(_timeout(), 60),
        )
        if result is not None and result.returncode == 0 and result.stdout:
            return result.stdout
    return None
