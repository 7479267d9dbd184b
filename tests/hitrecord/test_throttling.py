"""Rate limits hold behind proxies and across processes, and every limit answers a clear
429 (a message and Retry-After) on the page and in the API alike."""

from __future__ import annotations

import pytest
from django.core.checks import run_checks
from django.test import Client

from contributions.models import Comment, Contribution
from projects.models import Membership, Project
from tests.accounts.factories import UserFactory
from tests.contributions.factories import ContributionFactory


def _rates(settings, **rates: str) -> None:
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], **rates},
    }


def _lineage(piece: Contribution, **client_kwargs: str) -> int:
    response = Client(**client_kwargs).get(f"/api/contributions/{piece.pk}/lineage/")
    return response.status_code


# --- DRF throttles and the client address ---------------------------------------------------


@pytest.mark.django_db
def test_a_made_up_x_forwarded_for_does_not_dodge_the_lineage_limit(settings):
    _rates(settings, lineage="3/min")
    piece = ContributionFactory()
    codes = [
        _lineage(piece, REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR=f"10.0.0.{i}")
        for i in range(6)
    ]
    assert codes == [200, 200, 200, 429, 429, 429]
    blocked = Client(REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR="10.9.9.9").get(
        f"/api/contributions/{piece.pk}/lineage/"
    )
    assert blocked.status_code == 429
    assert "throttled" in blocked.json()["detail"].lower()
    assert 0 < int(blocked["Retry-After"]) <= 60
    assert _lineage(piece, REMOTE_ADDR="198.51.100.7") == 200  # someone else


@pytest.mark.django_db
def test_behind_a_trusted_proxy_the_lineage_limit_counts_the_real_client(settings):
    _rates(settings, lineage="2/min")
    settings.TRUSTED_PROXY_IPS = ["172.16.0.0/12"]
    piece = ContributionFactory()

    def via_proxy(forwarded: str) -> int:
        return _lineage(piece, REMOTE_ADDR="172.18.0.5", HTTP_X_FORWARDED_FOR=forwarded)

    # The proxy appends the real client last; what the client wrote before it is ignored.
    assert [via_proxy(f"10.0.0.{i}, 203.0.113.9") for i in range(3)] == [200, 200, 429]
    assert via_proxy("198.51.100.7") == 200  # another client behind the same proxy


@pytest.mark.django_db
def test_ipv6_clients_share_the_lineage_limit_per_64(settings):
    _rates(settings, lineage="3/min")
    piece = ContributionFactory()
    codes = [_lineage(piece, REMOTE_ADDR=f"2001:db8:5:6::{i + 1:x}") for i in range(4)]
    assert codes == [200, 200, 200, 429]
    assert _lineage(piece, REMOTE_ADDR="2001:db8:5:6:ffff:1:2:3") == 429
    assert _lineage(piece, REMOTE_ADDR="2001:db8:5:7::1") == 200


def test_addresses_are_counted_as_v4_or_v6_by_64():
    from hitrecord.throttling import address_key

    assert address_key("203.0.113.9") == "203.0.113.9"
    assert address_key("2001:db8:5:6:ffff:1:2:3") == "2001:db8:5:6::/64"
    assert address_key("::ffff:203.0.113.9") == "203.0.113.9"
    assert address_key("unknown") == "unknown"


# --- per-person write limits: one budget for the page and the API ---------------------------


@pytest.fixture
def artist(db):
    return UserFactory()


@pytest.fixture
def artist_client(artist) -> Client:
    client = Client()
    client.force_login(artist)
    return client


def _assert_friendly_429(response, *, counted: str) -> None:
    assert response.status_code == 429
    html = response.content.decode()
    assert "Slow down a little" in html
    assert f"You have made 2 {counted} in a short time" in html
    assert "Try again in" in html
    assert int(response["Retry-After"]) > 0


def _assert_api_429(response, *, counted: str) -> None:
    assert response.status_code == 429
    assert response.json()["detail"].startswith(f"You have made 2 {counted} in a short time")
    assert int(response["Retry-After"]) > 0


@pytest.mark.django_db
def test_comments_are_limited_per_person_on_the_page_and_the_api(settings, artist, artist_client):
    settings.THROTTLE_COMMENT = "2/hour"
    piece = ContributionFactory()
    page = f"/contributions/{piece.pk}/comments/"
    api = f"/api/contributions/{piece.pk}/comments/"
    assert artist_client.post(page, {"body": "Lovely line."}).status_code == 302
    created = artist_client.post(api, {"body": "The bridge too."}, content_type="application/json")
    assert created.status_code == 201

    _assert_friendly_429(artist_client.post(page, {"body": "And more"}), counted="comments")
    _assert_api_429(
        artist_client.post(api, {"body": "More"}, content_type="application/json"),
        counted="comments",
    )
    assert Comment.objects.filter(author=artist).count() == 2
    other = Client()
    other.force_login(UserFactory())
    assert other.post(page, {"body": "Mine is fine"}).status_code == 302


@pytest.mark.django_db
def test_contributions_are_limited_per_person_on_the_page_and_the_api(
    settings, artist, artist_client
):
    settings.THROTTLE_CONTRIBUTION = "2/hour"
    project = Project.objects.create(title="Open", slug="open", created_by=artist)
    Membership.objects.create(project=project, user=artist, role=Membership.Role.DIRECTOR)
    form = {"project": project.slug, "kind": "text", "text": "Words.", "terms": "on"}
    body = {"project": project.slug, "kind": "text", "text": "Words.", "terms_accepted": True}

    assert artist_client.post("/contributions/new/", {**form, "title": "One"}).status_code == 302
    created = artist_client.post(
        "/api/contributions/", {**body, "title": "Two"}, content_type="application/json"
    )
    assert created.status_code == 201, created.content

    _assert_friendly_429(
        artist_client.post("/contributions/new/", {**form, "title": "Three"}),
        counted="contributions",
    )
    _assert_api_429(
        artist_client.post(
            "/api/contributions/", {**body, "title": "Four"}, content_type="application/json"
        ),
        counted="contributions",
    )
    assert Contribution.objects.filter(author=artist).count() == 2


@pytest.mark.django_db
def test_projects_are_limited_per_person_on_the_page_and_the_api(settings, artist, artist_client):
    settings.THROTTLE_PROJECT = "2/day"
    form = {"title": "First", "status": "open", "remix_upstream_share": "0.5"}
    assert artist_client.post("/projects/new/", form).status_code == 302
    created = artist_client.post(
        "/api/projects/", {"title": "Second"}, content_type="application/json"
    )
    assert created.status_code == 201, created.content

    refused = artist_client.post("/projects/new/", {**form, "title": "Third"})
    _assert_friendly_429(refused, counted="projects")
    assert 82_000 < int(refused["Retry-After"]) <= 86_400
    _assert_api_429(
        artist_client.post("/api/projects/", {"title": "Fourth"}, content_type="application/json"),
        counted="projects",
    )
    assert Project.objects.filter(created_by=artist).count() == 2


def test_the_default_rates_are_declared_settings():
    from hitrecord.settings import base

    assert base.THROTTLE_COMMENT == "60/hour"
    assert base.THROTTLE_CONTRIBUTION == "30/hour"
    assert base.THROTTLE_PROJECT == "20/day"
    assert base.THROTTLE_PASSWORD_RESET_EMAIL == "3/hour"
    assert base.THROTTLE_PASSWORD_RESET_ADDRESS == "10/hour"


@pytest.mark.django_db
def test_a_malformed_rate_names_the_setting(settings, artist_client):
    from django.core.exceptions import ImproperlyConfigured

    from hitrecord.throttling import limit_action

    settings.THROTTLE_PROJECT = "lots"
    with pytest.raises(ImproperlyConfigured, match="THROTTLE_PROJECT must look like '30/hour'"):
        limit_action(action="project", user=UserFactory())


# --- across processes -----------------------------------------------------------------------


def _shared_cache_warnings() -> list[str]:
    return [m.msg for m in run_checks(include_deployment_checks=True) if m.id == "hitrecord.W001"]


def test_check_deploy_warns_when_debug_is_off_and_the_cache_is_per_process(settings):
    settings.DEBUG = False
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    (warning,) = _shared_cache_warnings()
    assert "would each count sign-in attempts and rate limits on their own" in warning


def test_check_deploy_is_quiet_with_a_shared_cache_or_in_debug(settings):
    settings.DEBUG = False
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:6379/10",
        }
    }
    assert _shared_cache_warnings() == []
    settings.DEBUG = True
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    assert _shared_cache_warnings() == []
