"""A project with a locked cut of three people (poem <- song <- film), each with a verified
payout email, for the payouts admin tests; and an accepted claim on its distribution."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from payouts import distributions as money
from payouts.models import Claim, Distribution, PayeeDetails
from tests.accounts.factories import UserFactory
from tests.contributions.factories import ContributionFactory, SourceFactory
from tests.payouts.factories import lock
from tests.projects.factories import ProjectFactory


def payout_world(capture: Any, *, title: str = "Harbour") -> dict[str, Any]:
    """``capture`` is pytest-django's ``django_capture_on_commit_callbacks``."""
    project = ProjectFactory(title=title)
    director = project.created_by
    ana, ben, cy = UserFactory(), UserFactory(), UserFactory()
    poem = ContributionFactory(project=project, author=ana, title="Poem")
    song = ContributionFactory(project=project, author=ben, title="Song")
    film = ContributionFactory(project=project, author=cy, title="Film")
    SourceFactory(contribution=song, source=poem)
    SourceFactory(contribution=film, source=song)
    with capture(execute=True):
        version = lock(project, director, [(film, "1")])
    for person in (ana, ben, cy):
        PayeeDetails.objects.create(
            person=person,
            payout_email=f"pay-{person.username}@example.com",
            payee_name=f"Payee {person.username}",
            email_verified_at=timezone.now(),
        )
    return {
        "project": project,
        "version": version,
        "people": (ana, ben, cy),
        "works": (poem, song, film),
    }


def computed(
    world: dict[str, Any], capture: Any, *, by: Any, amount: int = 1001, **kwargs: Any
) -> Distribution:
    with capture(execute=True):
        revenue, _ = money.revenue_record(
            project=world["project"], amount_minor=amount, currency="USD", by=by, **kwargs
        )
    return Distribution.objects.get(revenue=revenue, status=Distribution.Status.COMPUTED)


def open_claim(
    world: dict[str, Any], capture: Any, *, by: Any, text: str = "My sketch is missing."
) -> Claim:
    distribution = computed(world, capture, by=by)
    money.distribution_propose(distribution=distribution, by=by)
    return money.claim_file(distribution=distribution, by=world["people"][0], text=text)


def accepted_claim(world: dict[str, Any], capture: Any, *, by: Any) -> Claim:
    claim = open_claim(world, capture, by=by)
    return money.claim_answer(claim=claim, by=by, accept=True, answer="Right: we add it.")
