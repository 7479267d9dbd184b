"""Staff change a project's shares and status in the admin, through the service (audited)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from accounts.models import AuditEntry
from tests.projects.factories import ProjectFactory

pytestmark = pytest.mark.django_db


def test_staff_change_the_contributor_share_in_the_admin(staff_client, staff):
    project = ProjectFactory(title="Admin me")
    url = f"/admin/projects/project/{project.pk}/change/"
    page = staff_client.get(url)
    assert page.status_code == 200
    response = staff_client.post(
        url,
        {
            "status": "released",
            "contributor_share": "0.6",
            "remix_upstream_share": "0.5",
            "memberships-TOTAL_FORMS": "0",
            "memberships-INITIAL_FORMS": "0",
            "calls-TOTAL_FORMS": "0",
            "calls-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    project.refresh_from_db()
    assert (project.status, project.contributor_share) == ("released", Decimal("0.6"))
    entry = AuditEntry.objects.get(action="project.contributor_share")
    assert entry.actor == staff
    assert entry.details == {"from": "0.5000", "to": "0.6000"}


def test_the_admin_refuses_a_share_above_one(staff_client):
    project = ProjectFactory()
    response = staff_client.post(
        f"/admin/projects/project/{project.pk}/change/",
        {
            "status": "open",
            "contributor_share": "1.5",
            "remix_upstream_share": "0.5",
            "memberships-TOTAL_FORMS": "0",
            "memberships-INITIAL_FORMS": "0",
            "calls-TOTAL_FORMS": "0",
            "calls-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 200
    assert "less than or equal to 1" in response.content.decode()
    project.refresh_from_db()
    assert project.contributor_share == Decimal("0.5")
