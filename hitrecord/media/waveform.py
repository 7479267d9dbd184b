"""An audio file's waveform, drawn from its peaks: inline SVG for pages, a PNG for galleries.

The processing task measures the peaks once (about a thousand floats in [0, 1], each the
loudest sample of its slice of the recording) and stores them on the row, so pages draw the
waveform without reading the store. Both pictures are mirrored bars around the middle line,
the way people know sound from editors and SoundCloud.

The SVG takes its colours from CSS (``fill: currentColor`` through classes in
``static/css/contributions.css``), so the design tokens and dark mode apply; it has no
script and no event handler (CSP). ``static/js/player.js`` lays a copy of it over the
original, clipped to the part already played.

Peaks come from the database and so are treated as untrusted: anything that is not a finite
number counts as silence, and values are clamped to [0, 1].
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Sequence
from html import escape

from django.core.files.base import ContentFile
from django.utils.safestring import SafeString, mark_safe
from PIL import Image, ImageDraw

from hitrecord.media.base import generated_name
from hitrecord.media.pictures import INK, MUTED, PAPER

# Each bar takes this share of its slot; the rest is the gap to the next bar.
BAR_SHARE = 0.6
# The quietest bar is still drawn this tall (viewBox units), so silence reads as a line.
MIN_BAR = 1.0

# XML 1.0 refuses these characters even escaped; a title may contain them.
_XML_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def clean_peaks(peaks: object) -> list[float]:
    """``peaks`` as floats in [0, 1]; what is not a finite number counts as 0, and anything
    but a sequence of values (a string, a mapping, None) as no peaks at all."""
    if isinstance(peaks, str | bytes | bytearray) or not isinstance(peaks, Sequence):
        return []
    out: list[float] = []
    for value in peaks:
        try:
            number = 0.0 if isinstance(value, bool) else float(value)
        except (TypeError, ValueError, OverflowError):
            number = 0.0
        out.append(min(max(number, 0.0), 1.0) if math.isfinite(number) else 0.0)
    return out


def resample_peaks(peaks: Sequence[float], n: int) -> list[float]:
    """``n`` peaks from ``peaks`` (cleaned as ``clean_peaks`` does).

    Fewer: each output is the loudest of its slice of the input, so a short loud click
    never disappears between two samples. More: each input is repeated over its share of
    the output. Empty input (or ``n < 1``) gives an empty list.
    """
    values = clean_peaks(peaks)
    count = len(values)
    if n < 1 or count == 0:
        return []
    if count == n:
        return values
    if count < n:
        return [values[i * count // n] for i in range(n)]
    return [max(values[i * count // n : (i + 1) * count // n]) for i in range(n)]


def _num(value: float) -> str:
    """A coordinate with at most one decimal and no trailing zero: compact and stable."""
    text = f"{value:.1f}".removesuffix(".0")
    return "0" if text in ("", "-0") else text


def _bars_path(levels: Sequence[float], *, width: int, height: int) -> str:
    """One path of mirrored bars; a single thin line across the middle when there are none."""
    mid = height / 2
    if not levels:
        return f"M0 {_num(mid - MIN_BAR / 2)}h{width}v{_num(MIN_BAR)}h-{width}z"
    slot = width / len(levels)
    bar = slot * BAR_SHARE
    room = height - 2  # a pixel of air above and below the loudest bar
    parts = []
    for i, level in enumerate(levels):
        tall = max(level * room, MIN_BAR)
        x = i * slot + (slot - bar) / 2
        parts.append(f"M{_num(x)} {_num(mid - tall / 2)}h{_num(bar)}v{_num(tall)}h-{_num(bar)}z")
    return "".join(parts)


def waveform_svg(
    peaks: Sequence[float],
    *,
    width: int = 1000,
    height: int = 96,
    bars: int = 200,
    label: str = "",
) -> SafeString:
    """The waveform as inline SVG: ``bars`` mirrored bars (as many as there are peaks when
    there are fewer), each the loudest of its slice; a flat line when there are no peaks.

    ``role="img"`` with the label "Waveform of <label>" for screen readers. The picture
    stretches to its box (``preserveAspectRatio="none"``): CSS sets its size. The label is
    escaped and cleaned of characters XML forbids, so the markup always parses.
    """
    values = clean_peaks(peaks)
    levels = resample_peaks(values, min(max(bars, 1), len(values)))
    name = " ".join(_XML_FORBIDDEN.sub("", label).split())
    aria = f"Waveform of {name}" if name else "Waveform"
    path = _bars_path(levels, width=width, height=height)
    return mark_safe(  # noqa: S308 - every value is a number or escaped just above
        f'<svg xmlns="http://www.w3.org/2000/svg" class="waveform" viewBox="0 0 {width} '
        f'{height}" preserveAspectRatio="none" role="img" aria-label="{escape(aria)}" '
        f'focusable="false">'
        f'<path class="waveform__bars" d="{path}"/></svg>'
    )


def waveform_picture(
    peaks: Sequence[float], *, size: tuple[int, int] = (640, 360)
) -> ContentFile[bytes]:
    """The gallery thumbnail of a recording: its waveform in ink on the calm paper of every
    drawn picture (see ``pictures``), as a PNG under a generated name.

    The bars keep clear of the left and right edges, so a gallery card that crops the
    picture to its own shape still shows the whole recording. No peaks: a flat line.
    """
    width, height = max(size[0], 16), max(size[1], 16)
    im = Image.new("RGB", (width, height), PAPER)
    draw = ImageDraw.Draw(im)
    margin_x = round(width * 0.08)
    mid = height / 2
    room = height * 0.7
    draw.line((margin_x, mid, width - margin_x, mid), fill=MUTED, width=max(height // 180, 1))
    inner = width - 2 * margin_x
    levels = resample_peaks(peaks, max(inner // 8, 1))
    if levels:
        slot = inner / len(levels)
        bar = max(slot * BAR_SHARE, 1.0)
        for i, level in enumerate(levels):
            half = max(level * room, 2.0) / 2
            x = margin_x + i * slot + (slot - bar) / 2
            draw.rectangle((x, mid - half, x + bar - 1, mid + half), fill=INK)
    out = io.BytesIO()
    im.save(out, "PNG", optimize=True)
    return ContentFile(out.getvalue(), name=generated_name(".png"))
