"""Demo video for ``seed_demo``: a short dawn over a city skyline, drawn and encoded here.

The pictures are drawn with Pillow frame by frame (a sky warming from night blue to
orange, the sun rising behind a skyline whose windows go dark one by one, the project's
title fading in) and encoded with PyAV (FFmpeg's libraries in its wheels: no ffmpeg
program, no numpy) as H.264 with an AAC sound track, a soft chord swelling and fading, in
an MP4 with its index in front. The result is an ordinary upload: ``seed_demo`` submits
it through ``contribution_submit`` and the processing task makes its rendition and poster
like anyone's. Deterministic: the same arguments give the same pictures and sound.
"""

from __future__ import annotations

import heapq
import math
import random
import tempfile
from array import array
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
from PIL import Image, ImageDraw, ImageFont

SAMPLE_RATE = 44_100
# (when in seconds, packets): what one stream muxes, in time order, so the two streams are
# encoded and written interleaved.
Timed = tuple[float, list[Any]]

NIGHT_TOP, DAWN_TOP = (12, 18, 52), (86, 132, 196)
NIGHT_LOW, DAWN_LOW = (70, 40, 90), (252, 166, 92)
SKYLINE = (24, 22, 36)
WINDOW = (255, 214, 120)
CHORD = (147, 220, 294, 370)  # D major, open voicing, in whole hertz


def dawn_video(
    *,
    title: str,
    subtitle: str = "",
    seconds: float = 5.0,
    size: tuple[int, int] = (640, 360),
    fps: int = 24,
) -> bytes:
    """An MP4 of ``seconds`` of dawn at ``size`` and ``fps``, ``title`` (and ``subtitle``)
    written over the sky, with sound: H.264 (yuv420p) and AAC, faststart."""
    with tempfile.TemporaryDirectory(prefix="hitrecord-demo-") as folder:
        target = Path(folder) / "dawn.mp4"
        with av.open(str(target), "w", format="mp4", options={"movflags": "+faststart"}) as out:
            video = out.add_stream("libx264", rate=fps, options={"preset": "veryfast", "crf": "21"})
            if not isinstance(video, av.VideoStream):
                raise TypeError("libx264 gave no video stream")
            video.width, video.height = size
            video.pix_fmt = "yuv420p"
            sound = out.add_stream("aac", rate=SAMPLE_RATE)
            if not isinstance(sound, av.AudioStream):
                raise TypeError("aac gave no audio stream")
            sound.layout = "mono"
            sound.bit_rate = 96_000
            streams = [
                _pictures(video, title, subtitle, seconds, size, fps),
                _sound(sound, seconds),
            ]
            for _, packets in heapq.merge(*streams, key=lambda item: item[0]):
                out.mux(packets)
        return target.read_bytes()


def _mix(a: tuple[int, int, int], b: tuple[int, int, int], t: float) -> tuple[int, int, int]:
    return (
        round(a[0] + (b[0] - a[0]) * t),
        round(a[1] + (b[1] - a[1]) * t),
        round(a[2] + (b[2] - a[2]) * t),
    )


def _skyline(width: int, height: int) -> tuple[list[tuple[int, int, int, int]], list[Any]]:
    """Buildings (boxes standing on the bottom edge) and their windows, the same every time."""
    rng = random.Random(7)  # noqa: S311 - a drawing, not a secret
    buildings, windows = [], []
    x = 0
    while x < width:
        w = rng.randint(width // 16, width // 8)
        h = rng.randint(height // 6, height * 2 // 5)
        buildings.append((x, height - h, x + w, height))
        for wy in range(height - h + 8, height - 8, 14):
            for wx in range(x + 5, x + w - 8, 11):
                if rng.random() < 0.45:
                    windows.append((rng.random(), (wx, wy, wx + 5, wy + 7)))
        x += w + rng.randint(0, 6)
    return buildings, windows


def _pictures(
    stream: av.VideoStream,
    title: str,
    subtitle: str,
    seconds: float,
    size: tuple[int, int],
    fps: int,
) -> Iterator[Timed]:
    width, height = size
    count = max(1, round(seconds * fps))
    mask = Image.linear_gradient("L").resize(size)  # 0 at the top, 255 at the bottom
    buildings, windows = _skyline(width, height)
    title_font = ImageFont.load_default(size=height // 8)
    small_font = ImageFont.load_default(size=height // 18)
    horizon = height * 3 // 4
    radius = height // 9
    for index in range(count):
        t = index / max(1, count - 1)
        # Eased in and out, from before dawn (not black night), so that the poster the
        # processing takes a second in already shows the sky warming and the title.
        light = 0.2 + 0.8 * t * t * (3 - 2 * t)
        top = Image.new("RGB", size, _mix(NIGHT_TOP, DAWN_TOP, light))
        low = Image.new("RGB", size, _mix(NIGHT_LOW, DAWN_LOW, light))
        frame = Image.composite(low, top, mask)
        draw = ImageDraw.Draw(frame)
        sun_y = horizon + radius - (horizon - height // 4) * light
        sun_x = width * 2 // 3
        for ring, glow in ((2.2, 0.25), (1.6, 0.5)):
            r = radius * ring
            colour = _mix(_mix(NIGHT_LOW, DAWN_LOW, light), (255, 226, 150), glow * light)
            draw.ellipse((sun_x - r, sun_y - r, sun_x + r, sun_y + r), fill=colour)
        draw.ellipse(
            (sun_x - radius, sun_y - radius, sun_x + radius, sun_y + radius), fill=(255, 236, 170)
        )
        for box in buildings:
            draw.rectangle(box, fill=SKYLINE)
        for goes_dark, box in windows:
            if goes_dark > light:  # the night shift goes home as the sun comes up
                draw.rectangle(box, fill=WINDOW)
        text_alpha = min(1.0, t / 0.15)
        ink = _mix(_mix(NIGHT_TOP, DAWN_TOP, light), (255, 255, 255), text_alpha)
        draw.text((width // 16, height // 10), title, fill=ink, font=title_font)
        if subtitle:
            draw.text(
                (width // 16, height // 10 + height // 7), subtitle, fill=ink, font=small_font
            )
        picture = av.VideoFrame.from_bytes(frame.convert("RGBA").tobytes(), width, height)
        picture.pts = index
        picture.time_base = Fraction(1, fps)
        yield index / fps, list(stream.encode(picture))
    yield math.inf, list(stream.encode(None))


def _sound(stream: av.AudioStream, seconds: float) -> Iterator[Timed]:
    """The chord swelling in and fading out, in one-second frames, mono s16."""
    # Whole-number frequencies repeat every second: the chord is computed for one second
    # and only the loudness is computed per sample.
    chord = [
        sum(math.sin(2 * math.pi * f * k / SAMPLE_RATE) for f in CHORD) / len(CHORD)
        for k in range(SAMPLE_RATE)
    ]
    total = round(seconds * SAMPLE_RATE)
    for start in range(0, total, SAMPLE_RATE):
        count = min(SAMPLE_RATE, total - start)
        samples = array("h")
        for k in range(count):
            t = (start + k) / SAMPLE_RATE
            envelope = min(1.0, t / 1.2, (seconds - t) / 1.5)
            samples.append(round(chord[k] * envelope * 9_000))
        frame = av.AudioFrame(format="s16", layout="mono", samples=count)
        frame.planes[0].update(samples.tobytes())
        frame.sample_rate = SAMPLE_RATE
        frame.pts = start
        frame.time_base = Fraction(1, SAMPLE_RATE)
        yield start / SAMPLE_RATE, list(stream.encode(frame))
    yield math.inf, list(stream.encode(None))
