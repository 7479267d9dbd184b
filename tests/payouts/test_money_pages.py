"""The money pages: a person's earnings with the explanation in words, filing a claim from
the page, a project's public ledger (from proposal on, never the reference or note), where a
person is paid, and the notifications that lead to the earnings page."""

from __future__ import annotations

import datetime
import html
import re

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import Notification
from payouts import distributions as money
from payouts.models import Claim, Distribution, DistributionLine, PayeeDetails
from payouts.money_selectors import explanation_words, percent_text
from tests.accounts.factories import UserFactory
from tests.contributions.factories import ContributionFactory, SourceFactory
from tests.payouts.factories import lock
from tests.projects.factories import ProjectFactory

pytestmark = pytest.mark.django_db
Status = Distribution.Status

EARNINGS = "/me/earnings/"


def _text(response) -> str:
    """The page as a person reads it: tags dropped, entities decoded, spaces collapsed."""
    body = response.content.decode()
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", body, flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", body)).split())


def _client(user=None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


@pytest.fixture
def world(django_capture_on_commit_callbacks):
    """Film (Cy) <- Song (Ben) <- Poem (Ana); the cut holds Film alone, so Cy keeps 1/2,
    Ben 1/4 and Ana 1/4 (upstream share 0.5). Eve is a member without a line."""
    project = ProjectFactory(title="Harbour Lights")
    director = project.created_by
    ana = UserFactory(username="ana", first_name="Ana", last_name="Ito")
    ben = UserFactory(username="ben", first_name="Ben", last_name="Osei")
    cy = UserFactory(username="cy", first_name="Cy", last_name="Marr")
    eve = UserFactory(username="eve")
    from projects.models import Membership

    Membership.objects.create(project=project, user=eve, role=Membership.Role.MEMBER)
    poem = ContributionFactory(project=project, author=ana, title="Poem")
    song = ContributionFactory(project=project, author=ben, title="Song")
    film = ContributionFactory(project=project, author=cy, title="Film")
    SourceFactory(contribution=song, source=poem)
    SourceFactory(contribution=film, source=song)
    with django_capture_on_commit_callbacks(execute=True):
        version = lock(project, director, [(film, "1.5")])
    return {
        "project": project,
        "version": version,
        "staff": UserFactory(is_staff=True, username="staffer"),
        "ana": ana,
        "ben": ben,
        "cy": cy,
        "eve": eve,
        "director": director,
        "work": {"poem": poem, "song": song, "film": film},
    }


def _computed(
    world,
    capture,
    *,
    amount=100_000,
    currency="USD",
    reference="INV-SECRET-7",
    note="Paid by the label; internal note",
    project=None,
) -> Distribution:
    with capture(execute=True):
        revenue, _ = money.revenue_record(
            project=project or world["project"],
            amount_minor=amount,
            currency=currency,
            by=world["staff"],
            reference=reference,
            note=note,
        )
    return Distribution.objects.get(revenue=revenue)


def _proposed(world, capture, **kwargs) -> Distribution:
    distribution = _computed(world, capture, **kwargs)
    return money.distribution_propose(distribution=distribution, by=world["staff"])


def _past_deadline(distribution) -> None:
    Distribution.objects.filter(pk=distribution.pk).update(
        claim_deadline=timezone.now() - datetime.timedelta(seconds=1)
    )
    # The deadline moved in the data, not by time passing: the cached money pages expire
    # at the deadline they showed, so drop them as reaching it would.
    cache.clear()


def _paid(world, distribution, capture) -> Distribution:
    staff = world["staff"]
    for person in (world["ana"], world["ben"], world["cy"]):
        PayeeDetails.objects.get_or_create(
            person=person,
            defaults={
                "payout_email": f"pay-{person.username}@example.com",
                "email_verified_at": timezone.now(),
            },
        )
    _past_deadline(distribution)
    money.distribution_approve(distribution=distribution, by=staff)
    batch = money.payment_batch_export(currency=distribution.currency, by=staff)
    with capture(execute=True):
        for line in batch.lines.all():
            money.line_mark_paid(line=line, by=staff, reference=f"PP-{line.pk}")
    distribution.refresh_from_db()
    return distribution


# --- words ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("share", "words"),
    [
        ("0.125000000000", "12.5%"),
        ("0.250000000000", "25%"),
        ("1.000000000000", "100%"),
        ("0.333333333333", "33.33%"),
        ("0.000012345678", "0.0012%"),
        ("0.000000000001", "0.0000000001%"),
        ("0.000000000000", "0%"),
        ("0.999950000000", "99.995%"),  # short of the whole: never "100%"
        ("0.999999999999", "99.9999999999%"),
    ],
)
def test_shares_read_as_percentages_that_never_round_to_zero(share, words):
    assert percent_text(share) == words


def test_an_explanation_entry_in_words():
    entry = {
        "contribution": {"id": 1, "title": "Harbour"},
        "kept": "0.125000000000",
        "received": [{"from": 7, "share": "0.250000000000"}],
    }
    assert explanation_words(entry, {7: "Harbour at night"}) == (
        "‘Harbour’ kept 12.5% of the cut; it received 25% from ‘Harbour at night’, "
        "and passed 12.5% on to the work it was built from"
    )
    item = {
        "contribution": {"id": 2, "title": "Night"},
        "kept": "0.300000000000",
        "received": [
            {"from": "cut", "weight": "1.500", "share": "0.300000000000"},
        ],
    }
    assert explanation_words(item, {}) == (
        "‘Night’ kept 30% of the cut; it received 30% as an item of the cut (weight 1.5)"
    )


# --- earnings -------------------------------------------------------------------------


def test_earnings_need_a_sign_in():
    response = Client().get(EARNINGS)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_a_computed_distribution_is_not_shown_to_its_line_holders(
    world, django_capture_on_commit_callbacks
):
    distribution = _computed(world, django_capture_on_commit_callbacks)
    assert distribution.status == Status.COMPUTED
    for who in ("cy", "staff"):
        text = _text(_client(world[who]).get(EARNINGS))
        assert "No earnings yet" in text
        assert "Harbour Lights" not in text
        assert "500.00 USD" not in text


def test_the_line_holder_sees_amount_share_status_and_why_in_words(
    world, django_capture_on_commit_callbacks
):
    _proposed(world, django_capture_on_commit_callbacks, amount=100_000)
    # pool = 500.00 USD: Cy 250.00 (50%), Ben 125.00 (25%), Ana 125.00 (25%).
    text = _text(_client(world["ben"]).get(EARNINGS))
    assert "Harbour Lights" in text
    assert "Proposed" in text
    assert "your line: unpaid" in text
    assert "125.00 USD" in text
    assert "25% of the pool" in text
    film = world["work"]["film"]
    assert (
        f"‘Song’ kept 25% of the cut; it received 50% from ‘{film.title}’, and passed 25% on "
        "to the work it was built from." in text
    )
    # the totals at the top: earned and paid so far, per currency
    assert text.index("Earned") < text.index("Harbour Lights")
    assert "USD 125.00 USD 0.00 USD" in text

    cy = _text(_client(world["cy"]).get(EARNINGS))
    assert "250.00 USD" in cy
    assert "50% of the pool" in cy
    assert (
        "‘Film’ kept 50% of the cut; it received 100% as an item of the cut (weight 1.5), "
        "and passed 50% on to the work it was built from." in cy
    )
    # a member without a line, and staff, see no line of others
    for who in ("eve", "staff", "director"):
        other = _text(_client(world[who]).get(EARNINGS))
        assert "No earnings yet" in other
        assert "125.00 USD" not in other


def test_totals_are_per_currency_and_leave_out_cancelled_distributions(
    world, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    _proposed(world, capture, amount=1_000, reference="A")
    _proposed(world, capture, amount=3_000, currency="JPY", reference="B")
    cancelled = _proposed(world, capture, amount=800, reference="C")
    claim = money.claim_file(distribution=cancelled, by=world["ana"], text="Missing")
    money.claim_answer(claim=claim, by=world["staff"], accept=True, answer="Right, recomputing.")
    text = _text(_client(world["cy"]).get(EARNINGS))
    assert "JPY 750 JPY 0 JPY" in text  # pool 1500 JPY, Cy holds half
    assert "USD 2.50 USD 0.00 USD" in text  # the cancelled 2.00 is listed, not counted
    assert "Cancelled" in text
    assert "2.00 USD" in text


def test_the_claim_button_shows_only_while_proposed_and_before_the_deadline(
    world, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    distribution = _proposed(world, capture)
    claim_url = f"/me/earnings/claims/{distribution.pk}/"
    page = _client(world["ana"]).get(EARNINGS).content.decode()
    assert claim_url in page
    assert "File a claim" in page
    _past_deadline(distribution)
    page = _client(world["ana"]).get(EARNINGS).content.decode()
    assert claim_url not in page
    assert "File a claim" not in page
    _paid(world, distribution, capture)
    text = _text(_client(world["ana"]).get(EARNINGS))
    assert "File a claim" not in text
    assert "your line: paid" in text
    assert "USD 125.00 USD 125.00 USD" in text


def test_filing_a_claim_through_the_page(world, django_capture_on_commit_callbacks):
    distribution = _proposed(world, django_capture_on_commit_callbacks)
    ana = _client(world["ana"])
    url = f"/me/earnings/claims/{distribution.pk}/"
    form = ana.get(url)
    assert form.status_code == 200
    assert 'name="text"' in form.content.decode()

    empty = ana.post(url, {"text": "   "})
    assert empty.status_code == 400
    assert "Say what is wrong" in _text(empty)
    assert 'class="field field--error"' in empty.content.decode()
    too_long = ana.post(url, {"text": "x" * 5001})
    assert too_long.status_code == 400
    assert "under 5,000 characters" in _text(too_long)
    assert not Claim.objects.exists()

    filed = ana.post(url, {"text": "My sketch for the poem is missing."}, follow=True)
    assert filed.redirect_chain[-1][0] == EARNINGS
    claim = Claim.objects.get()
    assert (claim.claimant, claim.distribution, claim.status) == (
        world["ana"],
        distribution,
        Claim.Status.OPEN,
    )
    text = _text(filed)
    assert "Your claim on the distribution" in text
    assert "Your claim: open" in text
    assert "File a claim" not in text

    again = ana.post(url, {"text": "Again"})
    assert again.status_code == 409
    assert "You filed a claim on this distribution" in _text(again)
    assert Claim.objects.count() == 1

    money.claim_answer(
        claim=claim, by=world["staff"], accept=False, answer="The sketch is not in the cut."
    )
    text = _text(ana.get(EARNINGS))
    assert "Your claim: rejected The sketch is not in the cut." in text


def test_a_claim_needs_a_verified_email_and_says_where_to_verify(
    world, django_capture_on_commit_callbacks
):
    distribution = _proposed(world, django_capture_on_commit_callbacks)
    unverified = UserFactory(unverified=True)
    url = f"/me/earnings/claims/{distribution.pk}/"
    page = _client(unverified).get(url)
    assert 'href="/accounts/verify/"' in page.content.decode()
    refused = _client(unverified).post(url, {"text": "My work is missing"})
    assert refused.status_code == 403
    assert "Claims need a confirmed email address" in _text(refused)
    assert 'href="/accounts/verify/"' in refused.content.decode()
    assert not Claim.objects.exists()


def test_a_person_without_a_line_files_from_the_ledger(world, django_capture_on_commit_callbacks):
    distribution = _proposed(world, django_capture_on_commit_callbacks)
    ledger = world["project"].slug
    url = f"/me/earnings/claims/{distribution.pk}/"
    assert url in _client().get(f"/projects/{ledger}/ledger/").content.decode()
    filed = _client(world["eve"]).post(url, {"text": "My drawing is in the film."})
    assert filed.status_code == 302
    assert filed["Location"] == f"/projects/{ledger}/ledger/"
    assert Claim.objects.filter(claimant=world["eve"]).exists()
    # anonymous: to the sign-in first
    assert Client().get(url).status_code == 302


def test_claims_are_refused_after_the_deadline_and_before_proposal(
    world, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    computed = _computed(world, capture, reference="early")
    assert _client(world["ana"]).get(f"/me/earnings/claims/{computed.pk}/").status_code == 404
    assert (
        _client(world["ana"]).post(f"/me/earnings/claims/{computed.pk}/", {"text": "x"}).status_code
        == 404
    )
    proposed = _proposed(world, capture, reference="late")
    _past_deadline(proposed)
    late = _client(world["ana"]).post(f"/me/earnings/claims/{proposed.pk}/", {"text": "Late"})
    assert late.status_code == 409
    assert "closed" in _text(late)
    assert not Claim.objects.exists()


@pytest.mark.parametrize("raw", ["abc", "0", "-1", "99999999999999999999999", "١٢"])
def test_odd_claim_numbers_are_404_not_500(world, raw):
    assert _client(world["ana"]).get(f"/me/earnings/claims/{raw}/").status_code == 404


def test_odd_page_numbers_fall_back_to_the_first_page(world, django_capture_on_commit_callbacks):
    _proposed(world, django_capture_on_commit_callbacks)
    for raw in ("abc", "0", "99999999999999999999", "²"):
        response = _client(world["ben"]).get(EARNINGS, {"page": raw})
        assert response.status_code == 200
        assert "125.00 USD" in _text(response)
        ledger = Client().get(f"/projects/{world['project'].slug}/ledger/", {"page": raw})
        assert ledger.status_code == 200
        assert "125.00 USD" in _text(ledger)


def _queries(client: Client, url: str) -> int:
    cache.clear()  # what rendering it costs, not what the cache saves
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def test_earnings_and_ledger_take_the_same_queries_for_one_or_many_lines(
    world, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    first = _proposed(world, capture, reference="one")
    cy = _client(world["cy"])
    ledger_url = f"/projects/{world['project'].slug}/ledger/"
    one_earnings = _queries(cy, EARNINGS)
    one_ledger = _queries(Client(), ledger_url)
    # many: more distributions, one paid, in two currencies, with a claim, more people
    _paid(world, first, capture)
    for n, currency in enumerate(["USD", "EUR", "JPY", "EUR"]):
        _proposed(world, capture, reference=f"many-{n}", currency=currency)
    money.claim_file(
        distribution=Distribution.objects.filter(status=Status.PROPOSED).first(),
        by=world["cy"],
        text="A share looks wrong",
    )
    assert DistributionLine.objects.filter(person=world["cy"]).count() == 5
    assert _queries(cy, EARNINGS) == one_earnings
    assert _queries(Client(), ledger_url) == one_ledger


def test_earnings_are_paginated_24_a_page(world, django_capture_on_commit_callbacks):
    for n in range(25):
        _proposed(world, django_capture_on_commit_callbacks, amount=200 + n, reference=f"p{n}")
    first = _text(_client(world["cy"]).get(EARNINGS))
    assert "Page 1 of 2" in first
    assert first.count("Distribution ") == 24
    second = _text(_client(world["cy"]).get(EARNINGS, {"page": "2"}))
    assert second.count("Distribution ") == 1


# --- the public ledger ----------------------------------------------------------------


def _ledger(world, user=None):
    return _client(user).get(f"/projects/{world['project'].slug}/ledger/")


def test_the_ledger_shows_nothing_before_proposal_to_anyone(
    world, django_capture_on_commit_callbacks
):
    distribution = _computed(world, django_capture_on_commit_callbacks)
    for who in (None, "cy", "eve", "director", "staff"):
        response = _ledger(world, world[who] if who else None)
        assert response.status_code == 200
        text = _text(response)
        assert "Nothing here yet" in text
        assert f"Distribution {distribution.pk}" not in text
        assert "1,000.00 USD" not in text
        assert "250.00 USD" not in text


def test_the_ledger_is_public_from_proposal_on_without_reference_or_note(
    world, django_capture_on_commit_callbacks
):
    distribution = _proposed(world, django_capture_on_commit_callbacks, amount=100_001)
    for who in (None, "eve", "cy", "staff"):
        response = _ledger(world, world[who] if who else None)
        body = response.content.decode()
        text = _text(response)
        assert f"Distribution {distribution.pk} Proposed" in text
        assert "Revenue 1,000.01 USD" in text
        assert "House share 500.01 USD" in text
        assert "Pool for contributors 500.00 USD" in text
        assert "Claims open until" in text
        assert "Cy Marr 50% 250.00 USD Unpaid" in text
        assert "Ben Osei 25% 125.00 USD Unpaid" in text
        assert "INV-SECRET-7" not in body
        assert "internal note" not in body


def test_the_ledger_shows_paid_lines_and_former_members(world, django_capture_on_commit_callbacks):
    from accounts.services import user_anonymise

    capture = django_capture_on_commit_callbacks
    distribution = _paid(world, _proposed(world, capture), capture)
    user_anonymise(user=world["ana"], by=world["ana"])
    text = _text(_ledger(world))
    assert f"Distribution {distribution.pk} Paid" in text
    assert "former member 25% 125.00 USD Paid" in text
    assert "Ana Ito" not in text
    assert "Claims closed" in text
    assert "File a claim" not in text


def test_the_ledger_of_an_unknown_project_is_404():
    assert Client().get("/projects/no-such-project/ledger/").status_code == 404


def test_the_project_page_links_its_ledger(world):
    body = Client().get(world["project"].get_absolute_url()).content.decode()
    assert f'href="/projects/{world["project"].slug}/ledger/"' in body


# --- notifications lead to the earnings page ------------------------------------------


def _notifications(user) -> tuple[str, str]:
    response = _client(user).get("/me/notifications/")
    return response.content.decode(), _text(response)


def test_proposal_claim_answer_and_payment_notify_with_a_link_to_earnings(
    world, django_capture_on_commit_callbacks, mailoutbox
):
    capture = django_capture_on_commit_callbacks
    with capture(execute=True):
        distribution = _proposed(world, capture)
    body, text = _notifications(world["ben"])
    assert "was proposed; claims are open until" in text
    assert f'href="{EARNINGS}"' in body
    assert any(world["ben"].email in m.to for m in mailoutbox)

    with capture(execute=True):
        claim = money.claim_file(distribution=distribution, by=world["ben"], text="Missing")
        money.claim_answer(claim=claim, by=world["staff"], accept=False, answer="All there.")
    body, text = _notifications(world["ben"])
    assert "Your claim was rejected: All there." in text

    _paid(world, distribution, capture)
    body, text = _notifications(world["ben"])
    assert "You were paid 125.00 USD for “Harbour Lights”." in text
    # three notifications link to the earnings page (besides the header's two links: its
    # wide navigation and its phone menu)
    main = body.split("<main", 1)[1].split("</main>", 1)[0]
    assert main.count(f'href="{EARNINGS}"') == 3
    kinds = set(Notification.objects.filter(recipient=world["ben"]).values_list("kind", flat=True))
    assert {Notification.Kind.PROPOSED, Notification.Kind.CLAIM, Notification.Kind.PAID} <= kinds
    # the paid mail went out too
    assert any(
        "125.00 USD" in (m.body + m.subject) for m in mailoutbox if world["ben"].email in m.to
    )


# --- where a person is paid -----------------------------------------------------------


def test_the_payee_page_needs_a_sign_in():
    response = Client().get("/me/payee/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_the_payee_page_shows_whether_the_payout_email_is_confirmed(world):
    PayeeDetails.objects.create(person=world["ana"], payout_email="ana-pay@example.com")
    text = _text(_client(world["ana"]).get("/me/payee/"))
    assert "ana-pay@example.com is not confirmed yet" in text
    assert "Send the link again" in text
    assert "Your password" in text
    PayeeDetails.objects.filter(person=world["ana"]).update(email_verified_at=timezone.now())
    text = _text(_client(world["ana"]).get("/me/payee/"))
    assert "ana-pay@example.com is confirmed" in text
    assert "Send the link again" not in text
    # someone else's details never show
    other = _text(_client(world["ben"]).get("/me/payee/"))
    assert "ana-pay@example.com" not in other
    assert "Your password" not in other


PASSWORD = "correct-horse-battery"  # tests.accounts.factories.UserFactory's


def _link(message) -> str:
    return re.search(r"https?://[^/\s]+(/me/payee/verify/[^\s]+/)", message.body).group(1)


def test_setting_confirming_and_changing_the_payout_email_through_the_page(
    world, django_capture_on_commit_callbacks, mailoutbox
):
    ana = _client(world["ana"])
    with django_capture_on_commit_callbacks(execute=True):
        saved = ana.post(
            "/me/payee/",
            {"payout_email": "ana-pay@example.com", "payee_name": "Ana Ito"},
            follow=True,
        )
    assert saved.redirect_chain[-1][0] == "/me/payee/"
    text = _text(saved)
    assert "We sent a link to ana-pay@example.com" in text
    assert "ana-pay@example.com is not confirmed yet" in text
    details = PayeeDetails.objects.get(person=world["ana"])
    assert (details.payout_email, details.payee_name, details.payable) == (
        "ana-pay@example.com",
        "Ana Ito",
        False,
    )
    [mail] = [m for m in mailoutbox if m.to == ["ana-pay@example.com"]]
    link = _link(mail)

    # the link works for anyone holding it, signed in or not, and twice
    confirmed = Client().get(link)
    assert confirmed.status_code == 200
    assert "is confirmed" in _text(confirmed)
    assert ana.get(link, follow=True).redirect_chain[-1][0] == "/me/payee/"
    details.refresh_from_db()
    assert details.payable
    assert Client().get("/me/payee/verify/not-a-token/").status_code == 400

    # changing it asks for the password, beside the field
    change = {"payout_email": "ana-new@example.com", "payee_name": "Ana Ito"}
    missing = ana.post("/me/payee/", change)
    assert missing.status_code == 400
    assert "Enter your password to change your payout email." in _text(missing)
    assert 'autocomplete="current-password"' in missing.content.decode()
    wrong = ana.post("/me/payee/", {**change, "password": "not-it"})
    assert wrong.status_code == 400
    assert "That password is not right" in _text(wrong)
    details.refresh_from_db()
    assert details.payout_email == "ana-pay@example.com"
    assert details.payable

    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        changed = ana.post("/me/payee/", {**change, "password": PASSWORD})
    assert changed.status_code == 302
    details.refresh_from_db()
    assert details.payout_email == "ana-new@example.com"
    assert not details.payable
    assert {tuple(m.to) for m in mailoutbox} == {("ana-new@example.com",), ("ana-pay@example.com",)}


def test_bad_payee_input_is_a_400_beside_the_field(world):
    ana = _client(world["ana"])
    bad = ana.post("/me/payee/", {"payout_email": "not an email", "payee_name": ""})
    assert bad.status_code == 400
    text = _text(bad)
    assert "Enter a valid email address" in text
    assert "Enter the name you are paid under" in text
    assert not PayeeDetails.objects.exists()


def test_resending_the_payout_link_at_most_once_a_minute(
    world, django_capture_on_commit_callbacks, mailoutbox
):
    PayeeDetails.objects.create(
        person=world["ana"], payout_email="ana-pay@example.com", payee_name="Ana"
    )
    ana = _client(world["ana"])
    mailoutbox.clear()
    sent = ana.post("/me/payee/resend/", follow=True)
    assert "We sent a new link to ana-pay@example.com" in _text(sent)
    assert [m.to for m in mailoutbox] == [["ana-pay@example.com"]]
    again = ana.post("/me/payee/resend/")
    assert again.status_code == 429
    assert "less than a minute ago" in _text(again)
    assert len(mailoutbox) == 1
    assert ana.get("/me/payee/resend/").status_code == 405
