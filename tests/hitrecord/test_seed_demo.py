from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from accounts.models import User


def _snapshot() -> dict[str, int]:
    from django.apps import apps

    return {
        model._meta.label: model.objects.count()
        for model in apps.get_models()
        if model._meta.app_label in {"accounts", "projects", "contributions", "payouts"}
    }


@pytest.mark.django_db
def test_seed_demo_creates_people_and_is_idempotent(client):
    out = StringIO()
    call_command("seed_demo", stdout=out)
    assert "director" in out.getvalue()
    assert "password" in out.getvalue()
    assert User.objects.filter(is_staff=True).exists()
    artists = User.objects.filter(is_staff=False).exclude(bio="")
    assert artists.count() >= 5
    first = _snapshot()
    call_command("seed_demo", stdout=StringIO())
    assert _snapshot() == first
    assert client.login(username="director", password="hitrecord-demo")


@pytest.mark.django_db
def test_the_demo_has_real_media_and_a_remix_chain_four_deep_across_projects():
    from contributions.lineage import ancestors
    from contributions.models import Contribution

    call_command("seed_demo", stdout=StringIO())
    kinds = set(Contribution.objects.values_list("kind", flat=True))
    assert {"text", "image", "audio"} <= kinds
    media = Contribution.objects.exclude(kind="text")
    assert media.exists()
    assert all(c.status == "ready" and c.thumbnail and c.sha256 for c in media)
    deepest = max(
        (ancestors(c.pk) for c in Contribution.objects.all()),
        key=lambda nodes: max((n.depth for n in nodes), default=0),
    )
    assert max(n.depth for n in deepest) >= 4
    assert len({n.project_slug for n in deepest}) >= 2
