"""Demo people for ``seed_demo``: an admin, a director and several artists."""

from __future__ import annotations

from typing import Any

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
            )
        people[username] = user
    world["people"] = people
    world["sign_ins"] = [
        ("admin", DEMO_PASSWORD, "admin"),
        ("director", DEMO_PASSWORD, "director"),
        ("mira", DEMO_PASSWORD, "artist"),
    ]
