from __future__ import annotations

import pytest
from PIL import Image

from accounts import demo
from accounts.models import User


@pytest.mark.django_db
def test_demo_people_get_drawn_avatars_once():
    world: dict = {}
    demo.seed(world)
    mira = world["people"]["mira"]
    assert mira.avatar
    assert mira.avatar_thumbnail
    with mira.avatar.open("rb") as file, Image.open(file) as image:
        assert image.size == (256, 256)
        image.load()
        # A coloured circle: the centre is painted, the corner is transparent.
        assert image.convert("RGBA").getpixel((5, 5))[3] == 0
        assert image.convert("RGBA").getpixel((128, 40))[3] == 255
    names = {u.username: (u.avatar.name, u.avatar_thumbnail.name) for u in User.objects.all()}

    demo.seed({})
    again = {u.username: (u.avatar.name, u.avatar_thumbnail.name) for u in User.objects.all()}
    assert again == names
    assert User.objects.count() == len(demo.PEOPLE)
