from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from projects.models import Membership, Project
from tests.accounts.factories import UserFactory

_slugs = itertools.count(1)


def make_project(*, director=None, **fields) -> Project:
    director = director or UserFactory()
    n = next(_slugs)
    project = Project.objects.create(
        title=fields.pop("title", f"Project {n}"),
        slug=fields.pop("slug", f"project-{n}"),
        created_by=director,
        **fields,
    )
    Membership.objects.create(project=project, user=director, role=Membership.Role.DIRECTOR)
    return project


def join(project: Project, user) -> None:
    Membership.objects.get_or_create(project=project, user=user)


@pytest.fixture
def project(db) -> Project:
    return make_project()


@pytest.fixture
def member(project):
    person = UserFactory()
    join(project, person)
    return person


@pytest.fixture
def member_client(member) -> Client:
    client = Client()
    client.force_login(member)
    return client


def stored_files() -> list[Path]:
    """Every file under the local media root's contributions folder."""
    root = Path(settings.MEDIA_ROOT) / "contributions"
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []
