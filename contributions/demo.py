"""Demo contributions for ``seed_demo``: real media drawn and synthesised by the code
(Pillow pictures, WAV tones, a short H.264 video with sound from ``demo_media``, short
texts), and a remix chain five long across projects.

Everything goes through ``contribution_submit``, so demo media is checked, stored under
generated names and processed exactly like uploads. Idempotent: a contribution whose
(author, title) exists is left alone.
"""

from __future__ import annotations

import hashlib
import io
import math
import struct
import wave
from decimal import Decimal
from typing import Any

from django.core.files.base import ContentFile
from PIL import Image, ImageDraw

from accounts.models import User
from contributions.demo_media import dawn_video
from contributions.models import Comment, Contribution
from contributions.processing import contribution_process
from contributions.services import (
    SourceSpec,
    comment_create,
    contribution_submit,
)
from projects.models import Project
from projects.services import project_join

SAMPLE_RATE = 22_050

# key, author, project slug, kind, title, body (text) or tone notes / picture seed / the
# video's (title, subtitle), sources
DEMO: list[tuple[str, str, str, str, str, Any, list[tuple[str, str]]]] = [
    (
        "letter",
        "june",
        "letters-to-a-future-city",
        "text",
        "Letter from 2100",
        "Dear city,\n\nWe planted the plane trees you now walk under. Forgive us the heat; "
        "we were learning.\n\n*Keep the river loud.*",
        [],
    ),
    (
        "reading",
        "lena",
        "letters-to-a-future-city",
        "audio",
        "Reading: Letter from 2100",
        [220.0, 277.2, 329.6],
        [("letter", "3")],
    ),
    (
        "cello",
        "tomas",
        "the-lighthouse-keepers-daughter",
        "audio",
        "Cello line for the storm",
        [98.0, 146.8],
        [],
    ),
    (
        "cello-letter",
        "tomas",
        "the-lighthouse-keepers-daughter",
        "audio",
        "Cello under the letter",
        [110.0, 164.8, 220.0],
        [("reading", "2"), ("cello", "1")],
    ),
    (
        "sketch",
        "mira",
        "the-lighthouse-keepers-daughter",
        "image",
        "Lighthouse sketch",
        "sketch",
        [],
    ),
    (
        "storyboard",
        "mira",
        "the-lighthouse-keepers-daughter",
        "image",
        "Storm storyboard",
        "storyboard",
        [("cello-letter", "1"), ("sketch", "2")],
    ),
    ("harbour", "ravi", "rain-on-tin-roofs", "image", "Harbour at dusk", "harbour", []),
    (
        "collage",
        "ravi",
        "rain-on-tin-roofs",
        "image",
        "Harbour collage, after the storm",
        "collage",
        [("storyboard", "1.5"), ("harbour", "1")],
    ),
    ("rain", "lena", "rain-on-tin-roofs", "audio", "Rain on the shed roof", [196.0, 246.9], []),
    (
        "kitchen-poem",
        "june",
        "small-gods-of-the-kitchen",
        "text",
        "The kettle's saint",
        "She hums before she boils,\na small god of patience.\n\nWe answer her with cups.",
        [],
    ),
    (
        "kitchen-drawing",
        "mira",
        "small-gods-of-the-kitchen",
        "image",
        "Saint of the kettle",
        "kettle",
        [("kitchen-poem", "1")],
    ),
    (
        "night-text",
        "june",
        "night-shift",
        "text",
        "3 a.m. at the bakery",
        "Flour in the air like weather. The radio plays to nobody and the bread listens.",
        [],
    ),
    (
        "dawn",
        "kofi",
        "night-shift",
        "video",
        "Dawn, the end of the shift",
        ("Night Shift", "Dawn, the end of the shift"),
        [("night-text", "1")],
    ),
]

COMMENTS = [
    ("reading", "tomas", "Your pause before 'keep the river loud' gave me the cello entry."),
    ("storyboard", "director", "Frame three is the shot. Can we hold it two beats longer?"),
    ("collage", "mira", "Love how the storm board sits inside the harbour light."),
]


def wav_tone(notes: list[float], *, seconds: float = 4.0) -> bytes:
    """A soft chord as 16-bit mono WAV, with a fade in and out."""
    frames = int(SAMPLE_RATE * seconds)
    samples = bytearray()
    for i in range(frames):
        t = i / SAMPLE_RATE
        envelope = min(1.0, t / 0.3, (seconds - t) / 0.8)
        value = sum(math.sin(2 * math.pi * f * t) for f in notes) / len(notes)
        samples += struct.pack("<h", int(value * envelope * 12_000))
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(SAMPLE_RATE)
        out.writeframes(bytes(samples))
    return buffer.getvalue()


def drawing(seed: str, *, size: tuple[int, int] = (960, 640)) -> bytes:
    """An abstract picture, different for every seed: horizon, sun and strokes."""
    digest = hashlib.sha256(seed.encode()).digest()
    width, height = size
    sky = (40 + digest[0] % 120, 60 + digest[1] % 120, 110 + digest[2] % 140)
    sea = (digest[3] % 60, 40 + digest[4] % 80, 70 + digest[5] % 90)
    image = Image.new("RGB", size, sky)
    draw = ImageDraw.Draw(image)
    horizon = height // 2 + digest[6] % (height // 4)
    for y in range(horizon):
        shade = int(60 * y / horizon)
        draw.line([(0, y), (width, y)], fill=tuple(min(255, c + shade) for c in sky))
    draw.rectangle([0, horizon, width, height], fill=sea)
    sun_x, radius = digest[7] * width // 255, 40 + digest[8] % 60
    draw.ellipse(
        [sun_x - radius, horizon - radius * 2, sun_x + radius, horizon], fill=(250, 214, 140)
    )
    for i in range(12):
        x = digest[9 + i] * width // 255
        y = horizon + (digest[20 + i % 10] * (height - horizon)) // 255
        draw.line([(x, y), (x + 60 + digest[i] % 80, y + 4)], fill=(230, 236, 240), width=3)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def seed(world: dict[str, Any]) -> None:
    people: dict[str, User] = world["people"]
    made: dict[str, Contribution] = {}
    for key, username, slug, kind, title, body, sources in DEMO:
        author = people[username]
        existing = Contribution.objects.filter(author=author, title=title).first()
        if existing is not None:
            made[key] = existing
            continue
        project = Project.objects.get(slug=slug)
        project_join(project=project, user=author)
        file = None
        text = ""
        if kind == "text":
            text = body
        elif kind == "audio":
            file = ContentFile(wav_tone(body), name="tone.wav")
        elif kind == "video":
            title_text, subtitle = body
            file = ContentFile(dawn_video(title=title_text, subtitle=subtitle), name="dawn.mp4")
        else:
            file = ContentFile(drawing(body), name="drawing.png")
        made[key] = contribution_submit(
            user=author,
            project=project,
            title=title,
            kind=kind,
            description=f"Made for {project.title}.",
            text=text,
            file=file,
            sources=[SourceSpec(contribution_id=made[s].pk, weight=Decimal(w)) for s, w in sources],
            terms_accepted=True,
        )
        # Remixes below need their sources ready now, inside this transaction; the task
        # enqueued on commit then finds nothing left to do (processing is idempotent).
        contribution_process(contribution_id=made[key].pk)
        made[key].refresh_from_db()
    for key, username, body in COMMENTS:
        if not Comment.objects.filter(contribution=made[key], body=body).exists():
            comment_create(contribution=made[key], author=people[username], body=body)
    world["contributions"] = made
