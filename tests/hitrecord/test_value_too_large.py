"""Numbers too large for the database get a 4xx on pages too, admin included.

SQLite raises ``OverflowError`` on such an id, which ``ValueTooLargeMiddleware`` turns into
a 400; PostgreSQL compares it and finds nothing, so the form says the choice is invalid.
Either way nothing is stored and nobody sees a 500."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("path", ["/admin/auth/group/add/", "/admin/accounts/user/{pk}/change/"])
def test_an_oversized_related_id_in_admin_is_refused_not_a_500(staff_client, staff, path):
    url = path.format(pk=staff.pk)
    assert staff_client.get(url).status_code == 200
    data = {
        "name": "crew",
        "permissions": [str(2**70)],
        "groups": [str(2**70)],
        "username": staff.username,
        "email": "",
        "date_joined_0": "2026-01-01",
        "date_joined_1": "00:00:00",
    }
    response = staff_client.post(url, data)
    body = response.content.decode()
    if response.status_code == 400:
        assert "too large" in body
    else:
        assert response.status_code == 200  # the form again, saying what is wrong
        assert "Select a valid choice" in body
    assert not Group.objects.exists()
    assert not staff.groups.exists()
