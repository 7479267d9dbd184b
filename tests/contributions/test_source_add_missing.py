"""Staff settle an accepted payout claim by appending a missing source to a remix: only an
older source (so no cycle), never twice, staff only, audited, with a parsed weight."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from accounts.models import AuditEntry
from contributions.models import Contribution, Source
from contributions.services import source_add_missing
from hitrecord.errors import ConflictError
from tests.accounts.factories import UserFactory
from tests.contributions.factories import ContributionFactory
from tests.payouts.payadmin_support import accepted_claim, open_claim, payout_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def settled(django_capture_on_commit_callbacks):
    staff = UserFactory(is_staff=True)
    world = payout_world(django_capture_on_commit_callbacks)
    claim = accepted_claim(world, django_capture_on_commit_callbacks, by=staff)
    return world, claim, staff


def test_an_older_source_is_appended_and_audited(settled):
    world, claim, staff = settled
    poem, song, film = world["works"]
    link = source_add_missing(contribution=film, source=poem, weight="2.5", by=staff, claim=claim)
    assert (link.contribution, link.source, link.weight) == (film, poem, Decimal("2.5"))
    assert list(film.source_links.order_by("pk").values_list("source_id", flat=True)) == [
        song.pk,
        poem.pk,
    ]
    entry = AuditEntry.objects.get(action="contribution.source_add_missing")
    assert entry.actor == staff
    assert entry.details == {"source": poem.pk, "weight": "2.5", "claim": claim.pk}


def test_a_newer_source_is_refused_so_no_cycle_can_be_made(settled):
    world, claim, staff = settled
    poem, song, film = world["works"]
    # poem <- song <- film: making film a source of poem would close a loop.
    with pytest.raises(ValidationError, match="newer than the remix") as error:
        source_add_missing(contribution=poem, source=film, weight="1", by=staff, claim=claim)
    assert "source" in error.value.message_dict
    later = ContributionFactory()
    with pytest.raises(ValidationError, match="newer than the remix"):
        source_add_missing(contribution=film, source=later, weight="1", by=staff, claim=claim)
    # Older by id but stamped later (clock skew, imports): still refused.
    Contribution.objects.filter(pk=poem.pk).update(created_at=film.created_at.replace(year=2100))
    poem.refresh_from_db()
    with pytest.raises(ValidationError, match="newer than the remix"):
        source_add_missing(contribution=film, source=poem, weight="1", by=staff, claim=claim)
    assert not Source.objects.filter(contribution=film, source__in=[poem, later]).exists()
    assert not Source.objects.filter(contribution=poem).exists()


def test_a_duplicate_or_self_link_is_refused(settled):
    world, claim, staff = settled
    poem, song, film = world["works"]
    with pytest.raises(ConflictError, match="already a source"):
        source_add_missing(contribution=song, source=poem, weight="1", by=staff, claim=claim)
    with pytest.raises(ValidationError, match="its own source"):
        source_add_missing(contribution=song, source=song, weight="1", by=staff, claim=claim)
    assert Source.objects.filter(contribution=song).count() == 1


@pytest.mark.parametrize("weight", ["0", "-1", "10.5", "1.0005", "abc"])
def test_the_weight_is_parsed_like_any_link_weight(settled, weight):
    world, claim, staff = settled
    poem, _song, film = world["works"]
    with pytest.raises(ValidationError) as error:
        source_add_missing(contribution=film, source=poem, weight=weight, by=staff, claim=claim)
    assert "weight" in error.value.message_dict
    assert not Source.objects.filter(contribution=film, source=poem).exists()


def test_only_staff_and_only_for_an_accepted_claim(django_capture_on_commit_callbacks):
    staff = UserFactory(is_staff=True)
    world = payout_world(django_capture_on_commit_callbacks)
    poem, _song, film = world["works"]
    claim = open_claim(world, django_capture_on_commit_callbacks, by=staff)
    with pytest.raises(ConflictError, match="accepted claim"):
        source_add_missing(contribution=film, source=poem, weight="1", by=staff, claim=claim)
    with pytest.raises(PermissionDenied):
        source_add_missing(
            contribution=film, source=poem, weight="1", by=world["people"][0], claim=claim
        )
    assert not Source.objects.filter(contribution=film, source=poem).exists()


def test_a_withdrawn_source_is_refused(settled):
    world, claim, staff = settled
    poem, _song, film = world["works"]
    Contribution.objects.filter(pk=poem.pk).update(withdrawn=True)
    poem.refresh_from_db()
    with pytest.raises(ValidationError, match="withdrawn"):
        source_add_missing(contribution=film, source=poem, weight="1", by=staff, claim=claim)
