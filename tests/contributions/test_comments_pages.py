"""Comments on a contribution page come 20 a page, oldest first, paged by ``?comments=``;
the page costs as many queries with 50 comments as with 1."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from contributions.models import Comment, Contribution
from tests.accounts.factories import UserFactory
from tests.contributions.factories import ContributionFactory

pytestmark = pytest.mark.django_db


def _comments(contribution: Contribution, count: int, *, start: int = 0) -> None:
    people = [UserFactory() for _ in range(3)]
    base = timezone.now() - timedelta(days=1)
    made = Comment.objects.bulk_create(
        Comment(contribution=contribution, author=people[i % 3], body=f"Note number {i:03d}")
        for i in range(start, start + count)
    )
    # Distinct times, in order: "oldest first" is what is checked.
    for offset, comment in enumerate(made):
        Comment.objects.filter(pk=comment.pk).update(
            created_at=base + timedelta(minutes=start + offset)
        )


def _count(client: Client, url: str) -> int:
    cache.clear()  # the page is a cached fragment: count what rendering it costs
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(queries)


def test_comments_are_paged_twenty_at_a_time_oldest_first():
    contribution = ContributionFactory()
    _comments(contribution, 45)
    url = contribution.get_absolute_url()
    first = Client().get(url).content.decode()
    assert "Note number 000" in first
    assert "Note number 019" in first
    assert "Note number 020" not in first
    assert first.index("Note number 000") < first.index("Note number 019")
    assert "?comments=2#comments" in first
    last = Client().get(f"{url}?comments=3").content.decode()
    assert "Note number 040" in last
    assert "Note number 044" in last
    assert "Note number 039" not in last
    assert "Page 3 of 3" in last


@pytest.mark.parametrize("raw", ["²", "٣", "0", "-1", "x", "99999999999999999999"])
def test_an_odd_comments_page_is_the_first_page_not_an_error(raw):
    contribution = ContributionFactory()
    _comments(contribution, 25)
    response = Client().get(f"{contribution.get_absolute_url()}?comments={raw}")
    assert response.status_code == 200
    assert "Note number 000" in response.content.decode()


def test_a_page_past_the_end_shows_the_last_page():
    contribution = ContributionFactory()
    _comments(contribution, 25)
    page = Client().get(f"{contribution.get_absolute_url()}?comments=9").content.decode()
    assert "Note number 024" in page
    assert "Page 2 of 2" in page


def test_hidden_comments_are_not_shown_or_counted():
    contribution = ContributionFactory()
    _comments(contribution, 21)
    Comment.objects.filter(body="Note number 000").update(hidden=True)
    page = Client().get(contribution.get_absolute_url()).content.decode()
    assert "Note number 000" not in page
    assert "Note number 020" in page  # 20 visible: one page
    assert "?comments=2" not in page


def test_posting_a_comment_leads_to_the_page_where_it_is():
    contribution = ContributionFactory()
    _comments(contribution, 40)
    client = Client()
    client.force_login(UserFactory())
    response = client.post(f"/contributions/{contribution.pk}/comments/", {"body": "The newest"})
    assert response.status_code == 302
    assert response["Location"] == f"{contribution.get_absolute_url()}?comments=3#comments"
    assert "The newest" in client.get(response["Location"]).content.decode()


@pytest.mark.parametrize("signed_in", [False, True])
def test_the_page_makes_as_many_queries_with_50_comments_as_with_1(signed_in):
    client = Client()
    if signed_in:
        client.force_login(UserFactory())
    contribution = ContributionFactory()
    _comments(contribution, 1)
    url = contribution.get_absolute_url()
    one = _count(client, url)
    _comments(contribution, 49, start=1)
    fifty = _count(client, url)
    last_page = _count(client, f"{url}?comments=3")
    assert one == fifty == last_page


def test_the_api_comments_list_is_paginated():
    contribution = ContributionFactory()
    _comments(contribution, 30)
    body = Client().get(f"/api/contributions/{contribution.pk}/comments/").json()
    assert body["count"] == 30
    assert len(body["results"]) == 24
    assert body["results"][0]["body"] == "Note number 000"
    assert body["next"]
