"""Demo people for ``seed_demo``: an admin, a director and several artists."""

from __future__ import annotations

import colorsys
import hashlib
import io
from typing import Any

from django.core.files.base import ContentFile
from django.utils import timezone
from PIL import Image, ImageDraw, ImageFont

from accounts import services
from accounts.backends import person_changed
from accounts.models import User

DEMO_PASSWORD = "hitrecord-demo"  # noqa: S105 - printed by `make run` on purpose

PEOPLE = [
    # username, first, last, mediums, bio, staff
    ("admin", "Ada", "Admin", [], "Keeps the books and answers claims.", True),
    (
        "director",
        "Dana",
        "Reyes",
        ["video", "text"],
        "Director of short films made by many hands. Loves a good open call.",
        False,
    ),
    (
        "mira",
        "Mira",
        "Okafor",
        ["image"],
        "Illustrator. Ink, gouache and too many sketchbooks.",
        False,
    ),
    (
        "tomas",
        "Tomás",
        "Lindqvist",
        ["audio"],
        "Cellist and sound designer; records in a converted barn.",
        False,
    ),
    ("june", "June", "Park", ["text"], "Writes small stories and the occasional lyric.", False),
    (
        "kofi",
        "Kofi",
        "Mensah",
        ["video", "image"],
        "Animator. Frame by frame, mostly at night.",
        False,
    ),
    (
        "lena",
        "Lena",
        "Vogel",
        ["audio", "text"],
        "Voice actor and poet; reads everything aloud twice.",
        False,
    ),
    (
        "ravi",
        "Ravi",
        "Shah",
        ["image", "video"],
        "Photographer chasing light in rainy cities.",
        False,
    ),
]


def seed(world: dict[str, Any]) -> None:
    people: dict[str, User] = {}
    for username, first, last, mediums, bio, staff in PEOPLE:
        user = User.objects.filter(username__iexact=username).first()
        if user is None:
            user = User.objects.create_user(
                username=username,
                email=f"{username}@demo.hitrecord.localhost",
                password=DEMO_PASSWORD,
                first_name=first,
                last_name=last,
                bio=bio,
                mediums=mediums,
                is_staff=staff,
                is_superuser=staff,
                # Demo addresses count as confirmed, so `make run` prints their mail.
                email_verified_at=timezone.now(),
            )
        elif user.email and user.email_verified_at is None:  # seeded before verification
            User.objects.filter(pk=user.pk).update(email_verified_at=timezone.now())
            person_changed(user.pk)
        if not user.avatar:
            services.user_avatar_set(user=user, avatar=drawn_avatar(first, last, key=username))
        people[username] = user
    world["people"] = people
    world["sign_ins"] = [
        ("admin", DEMO_PASSWORD, "admin"),
        ("director", DEMO_PASSWORD, "director"),
        ("mira", DEMO_PASSWORD, "artist"),
    ]


def drawn_avatar(first: str, last: str, *, key: str, size: int = 256) -> ContentFile[bytes]:
    """A PNG of the person's initials on a coloured circle; the colour follows ``key``, so
    the same person always gets the same picture."""
    hue = int(hashlib.sha256(key.encode()).hexdigest()[:4], 16) / 0xFFFF
    red, green, blue = (round(c * 255) for c in colorsys.hls_to_rgb(hue, 0.42, 0.55))
    image = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.ellipse((0, 0, size - 1, size - 1), fill=(red, green, blue, 255))
    initials = (first[:1] + last[:1]).upper() or "?"
    font = ImageFont.load_default(size=size * 0.42)
    draw.text((size / 2, size / 2), initials, fill=(255, 255, 255, 255), font=font, anchor="mm")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return ContentFile(buffer.getvalue(), name=f"{key}.png")
