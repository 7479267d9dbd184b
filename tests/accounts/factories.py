from __future__ import annotations

import factory
from django.utils import timezone

from accounts.models import User


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"artist{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.com")
    first_name = factory.Faker("first_name")
    bio = "Makes things."
    password = factory.django.Password("correct-horse-battery")
    # Confirmed by default, so mail reaches factory people as it would a real member;
    # ``UserFactory(unverified=True)`` for someone who has not followed the link yet.
    email_verified_at = factory.LazyFunction(timezone.now)

    class Params:
        unverified = factory.Trait(email_verified_at=None)


class AnonymisedUserFactory(UserFactory):
    """A person who deleted their account: the row stays, nothing personal does."""

    username = factory.Sequence(lambda n: f"former-member-x{n}")
    email = ""
    email_verified_at = None
    first_name = ""
    bio = ""
    is_active = False
    is_anonymised = True
    password = factory.PostGenerationMethodCall("set_unusable_password")


def image_bytes(
    size: tuple[int, int] = (320, 240), color: str = "#b3400b", image_format: str = "PNG"
) -> bytes:
    """A real image made with Pillow, as the bytes of a file of ``image_format``."""
    from io import BytesIO

    from PIL import Image

    buffer = BytesIO()
    Image.new("RGB", size, color).save(buffer, format=image_format)
    return buffer.getvalue()


def png_bomb_bytes(side: int = 10_000) -> bytes:
    """A small PNG that claims ``side`` x ``side`` pixels (100 million by default): a
    decompression bomb for anyone who decodes it without checking the size first."""
    from io import BytesIO

    from PIL import Image

    buffer = BytesIO()
    Image.new("1", (side, side), 0).save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


SVG_BYTES = (
    b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
    b"<script>alert(1)</script><circle cx='5' cy='5' r='5'/></svg>"
)
