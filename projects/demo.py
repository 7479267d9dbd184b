"""Demo projects for ``seed_demo``: a dozen projects across every medium, with covers drawn
here (saved through the same cover path as uploads), members and open calls.

Idempotent: a project whose slug exists is left alone (its members and calls too).
"""

from __future__ import annotations

import hashlib
import io
from typing import Any

from django.core.files.base import ContentFile
from PIL import Image, ImageDraw

from accounts.models import User
from projects import services
from projects.models import Project

# slug, title, creator, mediums, status, members, calls [(title, medium, good_first)], brief
DemoProject = tuple[str, str, str, list[str], str, list[str], list[tuple[str, str, bool]], str]
PROJECTS: list[DemoProject] = [
    (
        "the-lighthouse-keepers-daughter",
        "The Lighthouse Keeper's Daughter",
        "director",
        ["text", "image", "audio", "video"],
        "in_production",
        ["mira", "tomas", "june", "kofi", "lena"],
        [
            ("We need a cello line for the storm scene", "audio", False),
            ("Storyboard frames for the opening", "image", True),
        ],
        "A short animated film about a girl who keeps a lighthouse lit after her father "
        "is lost at sea.\n\n**We need:** a score, storyboards, a narrator.",
    ),
    (
        "letters-to-a-future-city",
        "Letters to a Future City",
        "director",
        ["text", "audio"],
        "open",
        ["june", "lena"],
        [
            ("Write a letter to the city in 2100", "text", True),
            ("Read a letter aloud", "audio", True),
        ],
        "An anthology of letters addressed to the city our grandchildren will live in. "
        "Short, honest, hopeful or not.",
    ),
    (
        "rain-on-tin-roofs",
        "Rain on Tin Roofs",
        "director",
        ["audio"],
        "open",
        ["tomas", "lena"],
        [("Field recordings of rain", "audio", True), ("A slow piano motif", "audio", False)],
        "An ambient album built from rain recordings made by people around the world.",
    ),
    (
        "night-shift",
        "Night Shift",
        "director",
        ["image", "video"],
        "open",
        ["ravi", "kofi"],
        [("Photographs of people working at night", "image", True)],
        "A photo essay and a short video about the people who keep the city running while "
        "it sleeps.",
    ),
    (
        "small-gods-of-the-kitchen",
        "Small Gods of the Kitchen",
        "director",
        ["text", "image"],
        "open",
        ["june", "mira"],
        [("Illustrate a kitchen god", "image", True), ("Write a one-page myth", "text", False)],
        "A bestiary of tiny household deities: the god of lost lids, the goddess of the "
        "last biscuit.",
    ),
    (
        "the-long-walk-home",
        "The Long Walk Home",
        "director",
        ["video", "audio"],
        "released",
        ["kofi", "tomas", "ravi"],
        [],
        "A released short film: three friends, one night, a city without buses.",
    ),
    (
        "paper-boats",
        "Paper Boats",
        "director",
        ["image", "text"],
        "in_production",
        ["mira", "june"],
        [("Watercolour boats on a grey river", "image", False)],
        "A picture book for children about sending wishes down the river.",
    ),
    (
        "voices-from-the-market",
        "Voices from the Market",
        "director",
        ["audio", "text"],
        "open",
        ["lena"],
        [("Interview a market trader", "audio", True), ("Transcribe an interview", "text", True)],
        "An oral history of a market that is about to close.",
    ),
    (
        "a-field-guide-to-clouds",
        "A Field Guide to Clouds",
        "director",
        ["image"],
        "archived",
        ["ravi", "mira"],
        [],
        "Finished and archived: a collaborative field guide to the clouds over our cities.",
    ),
    (
        "after-the-flood",
        "After the Flood",
        "mira",
        ["image", "video"],
        "open",
        ["director", "kofi"],
        [("Animate a drawing of rising water", "video", False)],
        "Illustrations and short animations about a town rebuilding after a flood.",
    ),
    (
        "songs-for-slow-trains",
        "Songs for Slow Trains",
        "tomas",
        ["audio", "text"],
        "open",
        ["lena", "june"],
        [("Lyrics about a train journey", "text", True), ("A harmonica part", "audio", False)],
        "A folk song cycle written for the slowest railway lines left in Europe.",
    ),
    (
        "the-museum-of-small-things",
        "The Museum of Small Things",
        "june",
        ["text", "image", "video"],
        "in_production",
        ["mira", "ravi", "director"],
        [("Photograph something small you keep", "image", True)],
        "A virtual museum of the small objects people never throw away, and their stories.",
    ),
]

PALETTES = [
    ((250, 208, 160), (179, 64, 11)),
    ((200, 225, 255), (37, 99, 235)),
    ((220, 252, 231), (22, 101, 52)),
    ((251, 207, 232), (190, 24, 93)),
    ((221, 214, 254), (109, 40, 217)),
    ((165, 243, 252), (14, 116, 144)),
]


def draw_cover(seed: str, *, size: tuple[int, int] = (960, 600)) -> ContentFile[bytes]:
    """An abstract cover (a gradient with circles and bands), different for every ``seed``,
    as a PNG upload."""
    digest = hashlib.sha256(seed.encode()).digest()
    top, bottom = PALETTES[digest[0] % len(PALETTES)]
    width, height = size
    image = Image.new("RGB", size)
    draw = ImageDraw.Draw(image)
    for y in range(height):
        t = y / (height - 1)
        colour = tuple(int(a + (b - a) * t) for a, b in zip(top, bottom, strict=True))
        draw.line([(0, y), (width, y)], fill=colour)
    for i in range(6):
        x = digest[1 + i] * width // 255
        y = digest[7 + i] * height // 255
        r = 30 + digest[13 + i] % 140
        shade = 255 - (digest[19 + i] % 90)
        draw.ellipse([x - r, y - r, x + r, y + r], outline=(shade, shade, shade), width=6)
    for i in range(3):
        y = digest[25 + i] * height // 255
        draw.rectangle([0, y, width, y + 8 + digest[28 + i] % 24], fill=bottom)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return ContentFile(buffer.getvalue(), name="cover.png")


def seed(world: dict[str, Any]) -> None:
    people: dict[str, User] = world["people"]
    projects: dict[str, Project] = {}
    for slug, title, creator, mediums, status, members, calls, brief in PROJECTS:
        project = Project.objects.filter(slug=slug).first()
        if project is None:
            project = services.project_create(
                by=people[creator],
                title=title,
                brief=brief,
                mediums=mediums,
                status="open",  # open while people join; the real status is set below
                cover=draw_cover(slug),
            )
            for username in members:
                services.project_join(project=project, user=people[username])
            for call_title, medium, good_first in calls:
                services.call_create(
                    project=project,
                    by=people[creator],
                    title=call_title,
                    medium=medium,
                    good_first=good_first,
                    description=f"For {title}. Ask questions in the comments of your draft.",
                )
            if creator != "director" and "director" in members:
                services.project_add_director(
                    project=project, by=people[creator], user_id=people["director"].pk
                )
            if status != "open":
                services.project_update(project=project, by=people[creator], status=status)
        projects[slug] = project
    world["projects"] = projects
