"""Factories for contributions and their remix links, plus bulk helpers for big graphs.

``ContributionFactory()`` makes a ready TEXT contribution with the contributor terms
accepted, in a fresh simple project, by a fresh user. ``SourceFactory(contribution=remix,
source=original, weight=Decimal("2"))`` links a remix to what it was built from.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

import factory
from django.conf import settings
from django.utils import timezone

from contributions.models import Contribution, Source
from contributions.selectors import contribution_scope
from contributions.services import contributions_changed
from hitrecord import fragments
from projects.models import Project
from tests.accounts.factories import UserFactory


class SimpleProjectFactory(factory.django.DjangoModelFactory):
    """A bare project (no memberships, no calls): enough for a contribution to belong to."""

    class Meta:
        model = Project

    title = factory.Sequence(lambda n: f"Project {n}")
    slug = factory.Sequence(lambda n: f"project-{n}")
    created_by = factory.SubFactory(UserFactory)


class _BumpsPages(factory.django.DjangoModelFactory):
    """Rows made here stand in for the services' writes, so they renew the cached pages
    that show them, as the services do (``contributions_changed``)."""

    class Meta:
        abstract = True

    @classmethod
    def _create(cls, model_class: Any, *args: Any, **kwargs: Any) -> Any:
        instance = super()._create(model_class, *args, **kwargs)
        if isinstance(instance, Source):
            contributions_changed([instance.contribution], related_ids=[instance.source_id])
        else:
            contributions_changed([instance])
        return instance


class ContributionFactory(_BumpsPages):
    class Meta:
        model = Contribution

    project = factory.SubFactory(SimpleProjectFactory)
    author = factory.SubFactory(UserFactory)
    title = factory.Sequence(lambda n: f"Contribution {n}")
    kind = Contribution.Kind.TEXT
    text = "A few words to remix."
    text_html = "<p>A few words to remix.</p>"
    status = Contribution.Status.READY
    terms_version = factory.LazyFunction(lambda: settings.CONTRIBUTOR_TERMS_VERSION)
    terms_accepted_at = factory.LazyFunction(timezone.now)


class SourceFactory(_BumpsPages):
    """``contribution`` (the remix) was built from ``source``."""

    class Meta:
        model = Source

    contribution = factory.SubFactory(ContributionFactory)
    source = factory.SubFactory(ContributionFactory)
    weight = Decimal(1)


def bulk_contributions(
    count: int, *, project: Project, author: Any, title_prefix: str = "Part", **fields: Any
) -> list[Contribution]:
    """``count`` ready text contributions in one INSERT, returned with their ids, in order."""
    now = timezone.now()
    rows = [
        Contribution(
            project=project,
            author=author,
            title=f"{title_prefix} {i}",
            kind=Contribution.Kind.TEXT,
            text="Words.",
            text_html="<p>Words.</p>",
            status=Contribution.Status.READY,
            terms_version=settings.CONTRIBUTOR_TERMS_VERSION,
            terms_accepted_at=now,
            **fields,
        )
        for i in range(count)
    ]
    made = Contribution.objects.bulk_create(rows)
    contributions_changed(made)
    return made


def bulk_sources(links: Iterable[tuple[Any, ...]]) -> list[Source]:
    """Remix links in one INSERT: each item is ``(source, remix)`` or ``(source, remix,
    weight)``; contributions or their ids."""

    def _id(value: Contribution | int) -> int:
        return value if isinstance(value, int) else value.pk

    rows = []
    for link in links:
        source, remix = link[0], link[1]
        weight = link[2] if len(link) > 2 else Decimal(1)
        rows.append(Source(contribution_id=_id(remix), source_id=_id(source), weight=weight))
    made = Source.objects.bulk_create(rows)
    fragments.bump(
        *{contribution_scope(pk) for row in made for pk in (row.contribution_id, row.source_id)}
    )
    return made
