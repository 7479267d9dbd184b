"""Cached fragments, seen by two people at once: each page changes when it must, never
shows one person what belongs to another, and never keeps a CSRF token.

Every check loads each page at least twice per person, alternating, so the second view
comes from the cache the first one filled.
"""

from __future__ import annotations

import html
import re
import secrets
import time
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from accounts import services as account_services
from accounts.models import Notification
from contributions import services as contribution_services
from contributions.models import Contribution
from hitrecord import fragments
from payouts import distributions as money
from payouts import payee
from payouts.models import Distribution, DistributionLine, PayeeDetails
from projects import services as project_services
from projects.models import Membership
from tests import media_samples as samples
from tests.accounts.factories import UserFactory
from tests.contributions.conftest import moto_endpoint, s3  # noqa: F401 - fixtures used below
from tests.contributions.factories import ContributionFactory, SourceFactory
from tests.payouts.factories import lock
from tests.projects.factories import MembershipFactory, ProjectFactory

pytestmark = pytest.mark.django_db


def _client(user=None, **kwargs) -> Client:
    client = Client(**kwargs)
    if user is not None:
        client.force_login(user)
    return client


def _text(response) -> str:
    assert response.status_code == 200, response.status_code
    body = response.content.decode()
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", body, flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", body)).split())


def _twice(*pairs):
    """Each (client, url) loaded twice, alternating; the texts of the second round."""
    for client, url in pairs:
        _text(client.get(url))
    return [_text(client.get(url)) for client, url in pairs]


# --- the header ------------------------------------------------------------------------------


def test_each_person_gets_their_own_header_and_badge():
    ana, ben = UserFactory(username="ana-h"), UserFactory(username="ben-h")
    account_services.notify(recipient=ana, kind=Notification.Kind.PROJECT, message="For Ana")
    a, b = _client(ana), _client(ben)
    ana_page, ben_page = _twice((a, "/projects/"), (b, "/projects/"))
    assert "ana-h" in ana_page
    assert "ben-h" not in ana_page
    assert "ben-h" in ben_page
    assert "ana-h" not in ben_page
    assert "Notifications 1" in ana_page
    assert "Notifications 1" not in ben_page

    # Ana reads hers: her badge goes at once; a new one for Ben shows at once.
    assert a.post("/me/notifications/read/").status_code == 302
    account_services.notify(recipient=ben, kind=Notification.Kind.PROJECT, message="For Ben")
    ana_page, ben_page = _twice((a, "/projects/"), (b, "/projects/"))
    assert "Notifications 1" not in ana_page
    assert "Notifications 1" in ben_page


def test_no_cached_fragment_keeps_a_csrf_token_and_each_served_token_works(monkeypatch):
    project = ProjectFactory(title="Token Harbour")
    ana, ben = UserFactory(), UserFactory()
    MembershipFactory(project=project, user=ana)
    stored: list[str] = []
    real_set = cache.set

    def keep(key, value, *args, **kwargs):
        stored.append(repr(value))
        return real_set(key, value, *args, **kwargs)

    monkeypatch.setattr(cache, "set", keep)
    url = project.get_absolute_url()
    tokens = []
    for person in (ana, ben, ana, ben):
        client = _client(person, enforce_csrf_checks=True)
        page = client.get(url).content.decode()
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        assert fragments.CSRF_PLACEHOLDER not in page
        tokens.append(token)
        # the token served with a cached fragment is this person's own: their POST passes
        action = "leave" if person == ana else "join"
        if person == ben:
            response = client.post(f"{url}{action}/", {"csrfmiddlewaretoken": token})
            assert response.status_code == 302
            project_services.project_leave(project=project, user=ben)
    everything = "".join(stored)
    assert stored, "the pages were cached"
    assert fragments.CSRF_PLACEHOLDER in everything
    for token in tokens:
        assert token not in everything


# --- pages that differ by role -------------------------------------------------------------


def test_one_project_page_four_roles_and_a_join_shows_at_once():
    project = ProjectFactory(title="Role Harbour")
    director = project.created_by
    member, other = UserFactory(), UserFactory()
    MembershipFactory(project=project, user=member)
    url = project.get_absolute_url()
    d, m, o, v = _client(director), _client(member), _client(other), _client()
    seen = _twice((d, url), (m, url), (o, url), (v, url))
    director_page, member_page, other_page, visitor_page = seen
    assert "Edit project and calls" in director_page
    assert "You direct this project." in director_page
    assert "You are a member." in member_page
    assert "Edit project and calls" not in member_page
    assert "Join project" in other_page
    assert "You are a member." not in other_page
    assert "Sign in to join" in visitor_page
    assert "Join project" not in visitor_page

    assert o.post(f"{url}join/").status_code == 302
    member_page, other_page = _twice((m, url), (o, url))
    assert "You are a member." in other_page  # the writer sees their own write
    assert "2 members" in member_page or "3 members" in member_page


def test_a_remix_still_processing_shows_to_its_author_alone():
    source = ContributionFactory(title="The Harbour Poem")
    uploader, reader = UserFactory(), UserFactory()
    remix = ContributionFactory(
        project=source.project,
        author=uploader,
        title="A Remix Still Cooking",
        kind=Contribution.Kind.IMAGE,
        status=Contribution.Status.PROCESSING,
    )
    SourceFactory(contribution=remix, source=source)
    url = source.get_absolute_url()
    up, rd, visitor = _client(uploader), _client(reader), _client()
    for order in ((up, rd, visitor), (visitor, rd, up)):
        pages = dict(zip(order, _twice(*((c, url) for c in order)), strict=True))
        assert "A Remix Still Cooking" in pages[up]
        assert "A Remix Still Cooking" not in pages[rd]
        assert "A Remix Still Cooking" not in pages[visitor]
        cache.clear()


def test_a_comment_and_a_withdrawal_show_at_once_to_everyone():
    work = ContributionFactory(title="Harbour Song")
    author, reader = work.author, UserFactory()
    url = work.get_absolute_url()
    a, r = _client(author), _client(reader)
    _twice((a, url), (r, url))
    contribution_services.comment_create(contribution=work, author=reader, body="Lovely tune")
    author_page, reader_page = _twice((a, url), (r, url))
    assert "Lovely tune" in author_page
    assert "Lovely tune" in reader_page
    assert "Withdraw" in author_page
    assert "Withdraw" not in reader_page
    contribution_services.contribution_withdraw(contribution=work, by=author)
    author_page, reader_page = _twice((a, url), (r, url))
    assert "Withdrawn by its author" in reader_page


# --- pages of one's own ------------------------------------------------------------------------


def test_inbox_home_and_profile_are_each_persons_own():
    ana, ben = UserFactory(username="ana-i"), UserFactory(username="ben-i")
    account_services.notify(recipient=ana, kind=Notification.Kind.PROJECT, message="Secret for Ana")
    project = ProjectFactory(title="Ana Only Project", created_by=ana)
    a, b = _client(ana), _client(ben)
    ana_inbox, ben_inbox = _twice((a, "/me/notifications/"), (b, "/me/notifications/"))
    assert "Secret for Ana" in ana_inbox
    assert "Secret for Ana" not in ben_inbox
    ana_home, ben_home = _twice((a, "/"), (b, "/"))
    assert "Welcome back, " in ana_home
    assert "Your projects" in ana_home
    assert "Ana Only Project" in ana_home
    assert "Your projects" not in ben_home
    own, others = _twice((a, "/u/ana-i/"), (b, "/u/ana-i/"))
    assert "Edit your profile" in own
    assert "Edit your profile" not in others

    # A name change shows at once on every page that names the person.
    account_services.user_profile_update(
        user=ana, first_name="Anabel", last_name="Ito", bio="", mediums=[]
    )
    project_page, profile_page = _twice((b, project.get_absolute_url()), (b, "/u/ana-i/"))
    assert "Anabel Ito" in project_page
    assert "Anabel Ito" in profile_page


# --- money: exact ------------------------------------------------------------------------------


@pytest.fixture
def paid_world(django_capture_on_commit_callbacks):
    project = ProjectFactory(title="Money Harbour")
    director = project.created_by
    ana, ben = UserFactory(username="ana-m"), UserFactory(username="ben-m")
    poem = ContributionFactory(project=project, author=ana, title="Poem")
    film = ContributionFactory(project=project, author=ben, title="Film")
    SourceFactory(contribution=film, source=poem)
    with django_capture_on_commit_callbacks(execute=True):
        lock(project, director, [(film, "1")])
        revenue, _ = money.revenue_record(
            project=project, amount_minor=1000, currency="USD", by=UserFactory(is_staff=True)
        )
    distribution = Distribution.objects.get(revenue=revenue, status=Distribution.Status.COMPUTED)
    staff = UserFactory(is_staff=True)
    return {"project": project, "ana": ana, "ben": ben, "staff": staff, "d": distribution}


def test_money_pages_are_exact_right_after_each_write(paid_world):
    w = paid_world
    ledger = f"{w['project'].get_absolute_url()}ledger/"
    a, b = _client(w["ana"]), _client(w["ben"])
    ana_earnings, ledger_page = _twice((a, "/me/earnings/"), (b, ledger))
    assert "No earnings yet" in ana_earnings
    assert "Nothing here yet" in ledger_page

    money.distribution_propose(distribution=w["d"], by=w["staff"])
    ana_earnings, ben_earnings, ledger_page = _twice(
        (a, "/me/earnings/"), (b, "/me/earnings/"), (b, ledger)
    )
    ana_line = DistributionLine.objects.get(distribution=w["d"], person=w["ana"])
    ben_line = DistributionLine.objects.get(distribution=w["d"], person=w["ben"])
    assert "No earnings yet" not in ana_earnings
    assert "Nothing here yet" not in ledger_page
    assert "Poem" in ana_earnings
    assert "Poem" not in ben_earnings

    # Where Ana is paid shows on her page the moment she sets it.
    assert "not said where you are paid" in _text(a.get("/me/earnings/"))
    payee.payee_details_set(person=w["ana"], payout_email="ana@example.com", payee_name="Ana I")
    assert "ana@example.com is not confirmed yet" in _text(a.get("/me/earnings/"))
    assert "ana@example.com" not in _text(b.get("/me/earnings/"))

    # Approved and paid: the ledger says so on the next view.
    PayeeDetails.objects.filter(person=w["ana"]).update(email_verified_at=timezone.now())
    Distribution.objects.filter(pk=w["d"].pk).update(
        claim_deadline=timezone.now() - timedelta(seconds=1)
    )
    money.distribution_approve(distribution=Distribution.objects.get(pk=w["d"].pk), by=w["staff"])
    assert "approved" in _text(b.get(ledger)).lower()
    batch = money.payment_batch_export(currency="USD", by=w["staff"])
    line = DistributionLine.objects.get(batch=batch, person=w["ana"])
    before = _text(b.get(ledger))
    money.line_mark_paid(line=line, by=w["staff"], reference="PAY-1")
    after = _text(b.get(ledger))
    assert before != after
    assert after.count("Paid") > before.count("Paid")
    assert ana_line.amount_minor + ben_line.amount_minor == w["d"].pool_minor


def test_claims_close_on_the_page_at_the_deadline_without_any_write(paid_world):
    w = paid_world
    money.distribution_propose(distribution=w["d"], by=w["staff"])
    # The deadline is near (set in the data: the payouts code has no clock seam).
    deadline = timezone.now() + timedelta(seconds=2)
    Distribution.objects.filter(pk=w["d"].pk).update(claim_deadline=deadline)
    a = _client(w["ana"])
    assert "File a claim" in _text(a.get("/me/earnings/"))
    assert "File a claim" in _text(a.get("/me/earnings/"))  # cached, still open
    # Time passes, nothing is written: the cached page expires at the deadline it showed.
    time.sleep(max(0.0, (deadline - timezone.now()).total_seconds()) + 0.2)
    assert "File a claim" not in _text(a.get("/me/earnings/"))


# --- media URLs outlive the fragments that hold them -----------------------------------------


def test_presigned_media_urls_in_a_cached_page_outlive_it(
    s3,  # noqa: F811 - the fixture imported above
    member_client,
    project,
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        response = member_client.post(
            "/api/contributions/",
            {
                "project": project.slug,
                "title": "Harbour in the cloud",
                "kind": "image",
                "terms_accepted": "true",
                "file": samples.uploaded("x.png", samples.png_bytes(320, 200), "image/png"),
            },
        )
    assert response.status_code == 201, response.content
    url = f"/contributions/{response.json()['id']}/"
    first = Client().get(url).content.decode()
    again = Client().get(url).content.decode()  # from the cache
    assert first == again
    sources = re.findall(r'<img[^>]+src="([^"]+)"', again)
    signed = [html.unescape(s) for s in sources if "X-Amz-Expires" in s]
    assert signed
    for src in signed:
        expires = int(parse_qs(urlsplit(src).query)["X-Amz-Expires"][0])
        assert expires >= 10 * fragments.FRAGMENT_SECONDS
        assert requests.get(src, timeout=10).status_code == 200


@pytest.fixture
def project(db):
    from tests.contributions.conftest import make_project

    return make_project()


@pytest.fixture
def member_client(project) -> Client:
    member = UserFactory()
    Membership.objects.create(project=project, user=member, role=Membership.Role.MEMBER)
    return _client(member)


# --- the process's own copies ----------------------------------------------------------------


def test_local_copies_are_bounded_evict_the_least_recently_used_and_expire():
    from hitrecord.fragments import _LocalValues

    local = _LocalValues(max_bytes=70_000)
    picture = "<svg>" + "<g>box</g>" * 5_000 + "</svg>"  # 50 KB
    local.put("a", picture, 60)
    assert local.get("a") == picture
    assert local.size == len(picture)
    noise_b, noise_c = secrets.token_hex(5_000), secrets.token_hex(15_000)  # 10 and 30 KB
    local.put("b", noise_b, 60)
    assert local.get("a") == picture  # now b is the least recently used
    local.put("c", noise_c, 60)  # over the bound: the least recently used go first
    assert local.get("b") is None
    assert local.get("a") is None
    assert local.get("c") == noise_c
    assert local.size <= 70_000
    local.put("d", "z", 0)  # already expired
    assert local.get("d") is None


def test_a_bumped_version_is_a_new_key_so_no_process_serves_the_old_page():
    project = ProjectFactory(title="Versioned Harbour")
    client = _client(UserFactory())
    url = project.get_absolute_url()
    assert "Versioned Harbour" in _text(client.get(url))
    project_services.project_update(project=project, by=project.created_by, brief="A new brief")
    assert "A new brief" in _text(client.get(url))
