"""Issue 10: the media processing task's time per minute of audio and of 720p video.

Two uploads, made here and kept in bench/results/ (made once, about half a minute):

- **audio**: 2 minutes of music-like sound, a WAV (44.1 kHz, 16-bit stereo, 21 MB) of a
  four-chord progression with a plucked melody over it, each note with its own attack
  and decay, so the AAC encoder and the peaks have real work;
- **video**: 1 minute of 1280 x 720, 30 fps H.264 at 5 Mbit/s with AAC stereo sound
  (``bench_20_upload_stream.write_grain_video``: a panning gradient, a moving ball and
  film grain, ``GRAIN`` below, so decoding and encoding cost what a camera's file costs;
  a flat test picture would be several times cheaper).

Each is submitted by a bench artist through ``contribution_submit`` (the request's
checks: the probe in a child process, the file stored), then processed by
``contributions.processing.contribution_process``, the body of the Celery task
``contributions.tasks.contribution_process``, called directly in this process and
timed: the full decode to the last frame and the renditions in the ``avwork`` child with
its limits, then storing the clean original, the rendition, the poster or waveform, and
the row. The submit and the processing share one transaction, as in ``seed_demo``, so the
task enqueued on commit (in-process here, or to ``CELERY_BROKER_URL``'s workers) finds
nothing left to do: only the direct call is timed.

The value is the task's wall time divided by the media's length in minutes. The note
gives the child's share (``runner.process``) and its CPU seconds (user + system, from
``getrusage(RUSAGE_CHILDREN)``): ``MEDIA_DECODE_THREADS`` (2) threads per codec, so
CPU time above wall time means both cores were used. Targets for this 2-core machine:
audio < 5 s per minute, video < 60 s per minute (``MEDIA_MAX_DURATION_SECONDS`` is 10
minutes, and the task's soft time limit 600 s: at the target a 10-minute 720p video
fits).
"""

from __future__ import annotations

import math
import resource
import time
import wave
from array import array
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.bench_20_upload_stream import write_grain_video
from bench.core import Context, Row, Target, judge

TITLE = "media task"
RESULTS = Path(__file__).resolve().parent / "results"
PREFIX = "media task: "
AUDIO_SECONDS = 120
VIDEO_SECONDS = 60
RATE = 44_100
# Film grain of the video: 0.1 makes a textured, handheld-looking picture whose rendition
# comes out near 4 Mbit/s; clean footage (0.04, about 0.7 Mbit/s) processes about twice as
# fast, very grainy footage (0.25) about 1.4 times slower.
GRAIN = 0.1


@dataclass(frozen=True)
class Upload:
    kind: str
    label: str
    path: Path
    target: Target


def run(ctx: Context) -> list[Row]:
    uploads = [
        Upload(
            "audio",
            f"{AUDIO_SECONDS // 60} min WAV, 44.1 kHz stereo",
            write_music_wav(RESULTS / f"task-audio-{AUDIO_SECONDS}s.wav", seconds=AUDIO_SECONDS),
            Target.value_below(5, "s/min"),
        ),
        Upload(
            "video",
            f"{VIDEO_SECONDS // 60} min 1280x720 30 fps H.264 5 Mbit/s + AAC",
            _video(RESULTS / f"task-video-{VIDEO_SECONDS}s-720p-grain10.mp4"),
            Target.value_below(60, "s/min"),
        ),
    ]
    ctx.setup_django()
    return [_measure(upload) for upload in uploads]


def _video(path: Path) -> Path:
    if not path.exists():
        partial = path.with_suffix(".part.mp4")
        write_grain_video(
            partial,
            seconds=VIDEO_SECONDS,
            size=(1280, 720),
            fps=30,
            bit_rate=5_000_000,
            grain=GRAIN,
        )
        partial.rename(path)
    return path


def _measure(upload: Upload) -> Row:
    from django.core.files import File
    from django.db import transaction

    from contributions import processing
    from contributions.services import contribution_submit
    from hitrecord.media import runner

    artist, project = _artist()
    with transaction.atomic(), upload.path.open("rb") as handle:
        contribution = contribution_submit(
            user=artist,
            project=project,
            title=f"Bench {upload.kind} {time.time_ns()}",
            kind=upload.kind,
            file=File(handle, name=upload.path.name),
            terms_accepted=True,
        )
        with _timed(runner, "process") as child:
            cpu_before = _children_cpu()
            started = time.perf_counter()
            done = processing.contribution_process(contribution_id=contribution.pk)
            wall = time.perf_counter() - started
            cpu = _children_cpu() - cpu_before
    problem = _unfinished(done, upload.kind)
    if problem or done is None:
        raise RuntimeError(f"the {upload.kind} was not processed: {problem}")
    minutes = (done.duration_ms or 0) / 60_000
    out = done.rendition.size / 2**20
    return judge(
        name=f"{PREFIX}{upload.kind} ({upload.label}), per minute",
        value=round(wall / minutes, 2),
        unit="s/min",
        target=upload.target,
        note=(
            f"{wall:.1f} s for {minutes:.1f} min; the child {child[0]:.1f} s of it, "
            f"{cpu:.1f} CPU s; input {upload.path.stat().st_size / 2**20:.0f} MB, "
            f"rendition {out:.1f} MB"
        ),
        details={"wall_s": wall, "child_s": child[0], "cpu_s": cpu, "minutes": minutes},
    )


def _unfinished(done: Any, kind: str) -> str:
    """What is missing from a processed contribution, or "" when it is complete."""
    if done is None:
        return "nothing to do"
    if done.status != "ready":
        return f"{done.status}: {done.rejection_reason}"
    if not done.rendition or not done.thumbnail:
        return "no rendition or thumbnail"
    if kind == "audio" and len(done.waveform_peaks) != 1000:
        return f"{len(done.waveform_peaks)} waveform points"
    return ""


def _artist() -> tuple[Any, Any]:
    from accounts.models import User
    from projects.models import Membership, Project

    user, _ = User.objects.get_or_create(
        username="bench-media-artist", defaults={"email": "bench-media-artist@example.com"}
    )
    project, _ = Project.objects.get_or_create(
        slug="bench-media", defaults={"title": "Bench media", "created_by": user}
    )
    Membership.objects.get_or_create(project=project, user=user)
    return user, project


@contextmanager
def _timed(module: Any, name: str) -> Iterator[list[float]]:
    """Time every call of ``module.name`` while inside (the total, in seconds)."""
    original: Callable[..., Any] = getattr(module, name)
    spent = [0.0]

    def timed(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            spent[0] += time.perf_counter() - started

    setattr(module, name, timed)
    try:
        yield spent
    finally:
        setattr(module, name, original)


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


# --- the music -------------------------------------------------------------------------------

# A minor, F major, C major, G major; two seconds each, eight seconds a round.
CHORDS = [
    (220.0, 261.6, 329.6),
    (174.6, 220.0, 261.6),
    (130.8, 164.8, 196.0),
    (196.0, 246.9, 293.7),
]
MELODY = [659.3, 587.3, 523.3, 493.9, 523.3, 587.3, 659.3, 784.0]  # a note every second


def write_music_wav(path: Path, *, seconds: int) -> Path:
    """A WAV of ``seconds`` of the progression (rounds of eight seconds, computed once and
    repeated): chords held in the left and right channels apart, the melody plucked
    (fast attack, exponential decay) in the middle. Made once and kept."""
    if path.exists():
        return path
    round_ = _music_round()
    frames_per_round = len(round_) // 4  # stereo, 2 bytes a sample
    total = seconds * RATE
    partial = path.with_suffix(".part.wav")
    with wave.open(str(partial), "wb") as out:
        out.setnchannels(2)
        out.setsampwidth(2)
        out.setframerate(RATE)
        written = 0
        while written < total:
            take = min(frames_per_round, total - written)
            out.writeframes(round_[: 4 * take])
            written += take
    partial.rename(path)
    return path


def _music_round() -> bytes:
    samples = array("h")
    for chord_index, chord in enumerate(CHORDS):
        for k in range(2 * RATE):
            t = k / RATE
            swell = min(1.0, t / 0.05) * (0.6 + 0.4 * math.exp(-t * 1.5))
            left = sum(math.sin(2 * math.pi * f * t) for f in chord[:2]) * swell
            right = sum(math.sin(2 * math.pi * f * t) for f in chord[1:]) * swell
            note = MELODY[(2 * chord_index + k // RATE) % len(MELODY)]
            since = (k % RATE) / RATE
            pluck = (
                math.sin(2 * math.pi * note * since) * math.exp(-since * 4) * min(1, since / 0.01)
            )
            samples.extend(
                (_clip(3_500 * left + 6_000 * pluck), _clip(3_500 * right + 6_000 * pluck))
            )
    return samples.tobytes()


def _clip(value: float) -> int:
    return max(-32_768, min(32_767, int(value)))
