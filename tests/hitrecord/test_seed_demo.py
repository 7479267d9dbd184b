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
