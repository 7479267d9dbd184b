"""The benchmark world (``bench/world.py``): the sizes it promises, a second build adding
nothing, samples that hold what they claim, and every page answering from it."""

from __future__ import annotations

import io
from fractions import Fraction

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.urls import reverse

from accounts.models import Notification, User
from bench import world
from contributions.lineage import ancestors, descendants
from payouts import split
from payouts.models import CutVersion, Distribution, DistributionLine, PersonCredit
from payouts.selectors import credits_of_items
from projects.models import Membership
from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db

SIZE_KEYS = ["artists", "projects", "contributions", "remix_links", "locked_cuts", "distributions"]


def _size_counts(counts: dict[str, int]) -> dict[str, int]:
    return {key: counts[key] for key in SIZE_KEYS}


def test_tiny_world_has_its_size_and_a_second_build_adds_nothing():
    first = world.build("tiny")
    assert _size_counts(first) == vars(world.SIZES["tiny"])
    assert first["comments"] > 0
    assert first["distribution_lines"] > 0
    assert world.build("tiny") == first


def test_topping_up_to_small_reaches_small_and_keeps_the_tiny_rows():
    world.build("tiny")
    tiny_slugs = world.sample().project_slugs
    counts = world.build("small")
    assert _size_counts(counts) == vars(world.SIZES["small"])
    assert set(tiny_slugs) <= set(world.sample().project_slugs)
    assert world.build("small") == counts


def test_sampled_objects_hold_what_the_interface_promises():
    world.build("tiny")
    s = world.sample()
    for name in (
        "user_ids",
        "usernames",
        "project_slugs",
        "contribution_ids",
        "cut_slugs",
        "director_slugs",
        "ledger_viewers",
        "earners",
        "split_slugs",
        "search_words",
    ):
        assert getattr(s, name), name
    assert all(u.startswith("world-") for u in s.usernames)
    assert all(slug.startswith("world-") for slug in s.project_slugs)
    for user_id in s.user_ids:
        assert Notification.objects.filter(recipient_id=user_id).exists()
        assert Membership.objects.filter(user_id=user_id).exists()
    for contribution_id in s.contribution_ids:
        assert max(node.depth for node in ancestors(contribution_id)) >= 5
        assert descendants(contribution_id)
    for slug in s.cut_slugs:
        assert CutVersion.objects.filter(project__slug=slug, sealed=True).exists()
    for user_id, slug in s.director_slugs:
        assert Membership.objects.filter(
            user_id=user_id, project__slug=slug, role=Membership.Role.DIRECTOR
        ).exists()
    for user_id in s.earners:
        assert DistributionLine.objects.filter(person_id=user_id).exists()
    assert s.largest_cut_slug in s.cut_slugs
    assert any(
        word in slug for word in (w.lower() for w in s.search_words) for slug in s.project_slugs
    )


def test_stored_credits_and_lines_follow_the_payout_rule():
    """What the world stored equals what the payout code computes from the database now,
    and every distribution's lines share exactly its pool."""
    world.build("tiny")
    for version in CutVersion.objects.filter(project__slug__startswith="world-"):
        assert version.sealed
        assert version.credits.sealed
        rows = list(
            version.items.order_by("position", "pk").values_list(
                "contribution_id", "weight", "upstream_share"
            )
        )
        expected = credits_of_items(rows, upstream_share=version.remix_upstream_share)
        stored = {
            p.person_id: (p.share_exact, p.explanation)
            for p in PersonCredit.objects.filter(credits__version=version)
        }
        assert stored == {
            a: (person.share_exact, expected.explanation(a))
            for a, person in expected.people.items()
        }
    for distribution in Distribution.objects.filter(revenue__reference__startswith="world-"):
        lines = list(distribution.lines.select_related("credit"))
        assert sum(line.amount_minor for line in lines) == distribution.pool_minor
        shares = {line.person_id: Fraction(line.credit.share_exact) for line in lines}
        assert split.allocate(shares, distribution.pool_minor) == {
            line.person_id: line.amount_minor for line in lines
        }


def test_contribution_urls_are_the_real_ones():
    assert world._contribution_url(42) == reverse("contributions:detail", kwargs={"pk": 42})


def _get(client: Client, path: str, user_id: int | None = None) -> int:
    client.logout()
    if user_id is not None:
        client.force_login(User.objects.get(pk=user_id))
    return client.get(path).status_code


def test_every_sampled_page_answers_for_the_right_person():
    world.build("tiny")
    s = world.sample()
    client = Client()
    someone = s.user_ids[0]
    director, cut_slug = next((d, slug) for d, slug in s.director_slugs if slug in s.cut_slugs)
    viewer, ledger_slug = s.ledger_viewers[0]
    pages = [
        ("/", None),
        ("/", someone),
        ("/projects/", None),
        (f"/projects/?search={s.search_words[0]}", None),
        (f"/projects/{s.project_slugs[-1]}/", someone),
        (f"/contributions/{s.contribution_ids[0]}/", None),
        (f"/contributions/{s.contribution_ids[-1]}/", someone),
        (f"/u/{s.usernames[0]}/", None),
        ("/me/notifications/", someone),
        (f"/projects/{cut_slug}/cut/", director),
        (f"/projects/{s.largest_cut_slug}/credits/", None),
        (f"/projects/{s.cut_slugs[-1]}/credits/", None),
        (f"/projects/{ledger_slug}/ledger/", viewer),
        ("/me/earnings/", s.earners[0]),
        (f"/api/projects/{s.split_slugs[0]}/final-cut/split/?amount_minor=10000", director)
        if s.split_slugs[0] == cut_slug
        else (f"/api/projects/{cut_slug}/final-cut/split/?amount_minor=10000", director),
    ]
    answers = {path: _get(client, path, user) for path, user in pages}
    assert answers == {path: 200 for path, _user in pages}


def test_seed_bench_refuses_a_database_with_real_accounts():
    UserFactory(username="june")
    with pytest.raises(CommandError, match="not bench or world accounts"):
        call_command("seed_bench", "--size", "tiny")
    assert not User.objects.filter(username__startswith="world-").exists()
    out = io.StringIO()
    call_command("seed_bench", "--size", "tiny", "--force", stdout=out)
    assert "The tiny world is ready" in out.getvalue()
    assert User.objects.filter(username__startswith="world-artist-").count() == 20
