"""Running ``avwork`` in a child process with limits: decoding cannot take down a worker.

Celery's prefork children are daemonic and cannot start ``multiprocessing`` children, and
a decoder crashing or eating memory must end one file's processing, not the worker. So
each probe and each full decode is a fresh ``python -I avwork.py`` started with
``subprocess``; it applies its own address-space (RLIMIT_AS) and CPU-time (RLIMIT_CPU)
limits before it opens the file, and pins every codec's thread count so that thread
stacks fit in that address space. The parent adds a wall-clock timeout. Whatever the
child does (refuses the file, runs out of memory, is killed by the kernel at its CPU
limit, crashes in FFmpeg), the caller gets a result or a ``MediaRejected`` with a
sentence for the artist; never an exception that would make the task retry the file.

Settings, read at call time: ``MEDIA_MAX_DURATION_SECONDS``, ``MEDIA_MAX_VIDEO_PIXELS``,
``MEDIA_DECODE_MEMORY_BYTES``, ``MEDIA_DECODE_CPU_SECONDS``, ``MEDIA_DECODE_WALL_SECONDS``,
``MEDIA_PROBE_SECONDS``, ``MEDIA_PROBE_BYTES`` and ``MEDIA_DECODE_THREADS``.
"""

from __future__ import annotations

import json
import logging
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings

from hitrecord.media.base import Format, MediaRejected

logger = logging.getLogger(__name__)

SCRIPT = Path(__file__).with_name("avwork.py")


@dataclass(frozen=True)
class Probed:
    duration_ms: int | None
    width: int | None
    height: int | None


@dataclass(frozen=True)
class Processed:
    """What the child made, as files in its folder (deleted with the folder)."""

    duration_ms: int
    width: int | None
    height: int | None
    original: Path
    rendition: Path
    poster: Path | None
    peaks: list[float] | None


TOO_DEMANDING = (
    "This file took more computing time to decode than we allow (it may be very long or "
    "unusually complex); please export it shorter or smaller and upload it again."
)
TOO_BIG = (
    "This file needs more memory to decode than we allow; please export it smaller "
    "(fewer pixels or a shorter length) and upload it again."
)


def _request(path: str, fmt: Format, **extra: Any) -> dict[str, Any]:
    return {
        "path": path,
        "fmt": fmt.key,
        "label": fmt.label,
        "kind": fmt.kind,
        "extension": fmt.extension,
        "max_seconds": int(settings.MEDIA_MAX_DURATION_SECONDS),
        "max_pixels": int(settings.MEDIA_MAX_VIDEO_PIXELS),
        "probe_bytes": int(settings.MEDIA_PROBE_BYTES),
        "threads": int(settings.MEDIA_DECODE_THREADS),
        **extra,
    }


def _run(command: str, request: dict[str, Any], *, wall: float, cpu: int) -> dict[str, Any]:
    message = {
        "command": command,
        "request": request,
        "limits": {"memory_bytes": int(settings.MEDIA_DECODE_MEMORY_BYTES), "cpu_seconds": cpu},
    }
    try:
        done = subprocess.run(  # noqa: S603 - our own script, our own arguments
            [sys.executable, "-I", str(SCRIPT)],
            input=json.dumps(message).encode(),
            capture_output=True,
            timeout=wall,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise MediaRejected(TOO_DEMANDING, code="too_slow") from None
    if done.returncode != 0:
        return _died(done)
    try:
        answer = json.loads(done.stdout or b"{}")
    except ValueError:
        return _died(done)
    if "rejected" in answer:
        if "detail" in answer:
            logger.info("a %s was refused by the decoder: %s", request["label"], answer["detail"])
        refusal = answer["rejected"]
        raise MediaRejected(str(refusal["message"]), code=str(refusal.get("code", "damaged")))
    if command not in ("probe", "process") or not isinstance(answer, dict):
        raise RuntimeError(f"the media child answered {answer!r}")
    return answer


def _died(done: subprocess.CompletedProcess[bytes]) -> dict[str, Any]:
    """The child ended without an answer: a limit stopped it, or the decoder crashed."""
    code = done.returncode
    stderr = done.stderr[-2000:].decode("utf-8", "replace")
    if code in (-signal.SIGXCPU, -signal.SIGKILL):
        raise MediaRejected(TOO_DEMANDING, code="too_slow")
    if "MemoryError" in stderr or "Cannot allocate memory" in stderr or "bad_alloc" in stderr:
        raise MediaRejected(TOO_BIG, code="too_much_memory")
    logger.warning("the media child ended with %s: %s", code, stderr)
    raise MediaRejected(
        "This file could not be decoded (the decoder stopped on it); please export it again "
        "and upload the new file.",
        code="damaged",
    )


def probe(path: str, fmt: Format) -> Probed:
    """The container's headers checked in a child, limited in time and bytes read."""
    answer = _run(
        "probe",
        _request(path, fmt),
        wall=float(settings.MEDIA_PROBE_SECONDS),
        cpu=max(1, int(settings.MEDIA_PROBE_SECONDS)),
    )["probe"]
    return Probed(answer["duration_ms"], answer["width"], answer["height"])


def process(path: str, fmt: Format, *, outdir: str) -> Processed:
    """Decode to the last frame and make the clean original, the rendition, the poster
    (video) and the waveform peaks (audio), in ``outdir``."""
    answer = _run(
        "process",
        _request(path, fmt, outdir=outdir),
        wall=float(settings.MEDIA_DECODE_WALL_SECONDS),
        cpu=int(settings.MEDIA_DECODE_CPU_SECONDS),
    )["processed"]
    poster = answer.get("poster")
    return Processed(
        duration_ms=int(answer["duration_ms"]),
        width=answer.get("width"),
        height=answer.get("height"),
        original=Path(answer["original"]),
        rendition=Path(answer["rendition"]),
        poster=Path(poster) if poster else None,
        peaks=answer.get("peaks"),
    )
