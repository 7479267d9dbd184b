"""Template helpers for the players and the page that waits for processing.

``{% load players %}`` gives:

- ``{% waveform peaks label=title bars=200 height=96 %}``: the inline SVG waveform
  (``hitrecord.media.waveform.waveform_svg``);
- ``{{ contribution|play_url }}``: what a browser should play, the rendition when there is
  one, else the original;
- ``{% video_box width height as box %}``: the rendition's size (at most 720p, the same
  shape as the original), for the ``<video>`` element's ``width`` and ``height``;
- ``{% processing_steps choices current as steps %}``: the working steps of processing,
  each marked done, current or to do;
- filters ``older_than:seconds``, ``duration`` (milliseconds as 3:07), ``media_size``
  (bytes as 1.2 MB) and ``format_label`` (audio/wav as WAV).

Nothing here touches a model or the database: the helpers read attributes the caller has
already loaded, so a list of candidates stays at its query count.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

from django import template
from django.utils import timezone
from django.utils.safestring import SafeString

from hitrecord.media.base import FORMATS, format_size
from hitrecord.media.waveform import waveform_svg

register = template.Library()

# Renditions are at most 720p: the shorter side of the picture is at most this many pixels.
RENDITION_SHORT_SIDE = 720

_LABELS = {f.content_type: f.label for f in FORMATS.values()}
_LABELS.update({"audio/x-wav": "WAV", "audio/vnd.wave": "WAV"})


@register.simple_tag
def waveform(
    peaks: Any, *, label: str = "", bars: int = 200, width: int = 1000, height: int = 96
) -> SafeString:
    return waveform_svg(peaks or [], width=width, height=height, bars=bars, label=label or "")


def _url(field: Any) -> str:
    """A file field's URL, or "" when it holds no file (``.url`` would raise)."""
    if not field:
        return ""
    try:
        return str(field.url)
    except ValueError:
        return ""


@register.filter
def play_url(contribution: Any) -> str:
    """The rendition's URL when there is one (what every browser plays), else the
    original's; "" when neither is stored."""
    return _url(getattr(contribution, "rendition", None)) or _url(
        getattr(contribution, "file", None)
    )


@register.simple_tag
def video_box(width: Any, height: Any) -> dict[str, int] | None:
    """The size of a video's rendition: the original's, scaled down (to even numbers, as
    H.264 wants) so that its shorter side is at most 720 pixels. None when the size is not
    known."""
    if not isinstance(width, int) or not isinstance(height, int) or width <= 0 or height <= 0:
        return None
    short = min(width, height)
    if short <= RENDITION_SHORT_SIDE:
        return {"width": width, "height": height}
    scale = RENDITION_SHORT_SIDE / short
    return {
        "width": max(round(width * scale / 2) * 2, 2),
        "height": max(round(height * scale / 2) * 2, 2),
    }


@register.simple_tag
def processing_steps(choices: Iterable[tuple[str, str]], current: str) -> list[dict[str, str]]:
    """The steps that do the work (every choice but the first, waiting, and the last,
    done), each with ``value``, ``label`` and ``state``: "done", "current" or "todo".
    Waiting: all to do; done: all done."""
    pairs = [(str(value), str(label)) for value, label in choices]
    values = [value for value, _label in pairs]
    position = values.index(current) if current in values else 0
    steps = []
    for index, (value, label) in list(enumerate(pairs))[1:-1]:
        if index < position:
            state = "done"
        elif index == position:
            state = "current"
        else:
            state = "todo"
        steps.append({"value": value, "label": label, "state": state})
    return steps


@register.filter
def older_than(moment: Any, seconds: Any) -> bool:
    """True when ``moment`` (an aware datetime) is more than ``seconds`` ago."""
    if not isinstance(moment, datetime.datetime):
        return False
    try:
        limit = datetime.timedelta(seconds=float(seconds))
    except (TypeError, ValueError):
        return False
    return timezone.now() - moment > limit


@register.filter
def duration(ms: Any) -> str:
    """Milliseconds as people read a length: 0:07, 3:07, 1:02:03; "" when unknown."""
    if not isinstance(ms, int) or ms < 0:
        return ""
    seconds = round(ms / 1000)
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes}:{seconds:02d}"


@register.filter
def media_size(n: Any) -> str:
    """A file's size as the upload form says it: 1.2 MB; "" when unknown."""
    return format_size(n) if isinstance(n, int) and n >= 0 else ""


@register.filter
def format_label(content_type: Any) -> str:
    """What people call a detected type: audio/wav is WAV, video/mp4 is MP4; "" when
    unknown."""
    if not content_type:
        return ""
    text = str(content_type).split(";", 1)[0].strip().lower()
    return _LABELS.get(text) or text.rpartition("/")[2].upper()
