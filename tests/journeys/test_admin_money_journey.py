"""The money journey in a real browser: staff record revenue in Django admin, see its
distribution computed and propose it; an artist files a claim and staff reject it with an
answer; once the claim window has closed staff approve, export a payment batch (the PayPal
file is read back) and mark its lines paid; the artist then reads the amount and why on
/me/earnings/, the public ledger shows the distribution, and the notifications told of
each step. Paying and filing a claim are done a second time with the keyboard alone.

Every page visited passes ``Visit.check`` (axe, one h1, labels, alt text, CSP) at a
desktop and a phone size, and its screenshot is kept under test-results/journeys/money/.
"""

from __future__ import annotations

import csv
import io
import re

import pytest

from payouts import distributions as money
from payouts.models import Claim, Distribution, DistributionLine, PaymentBatch
from tests.journeys.money_support import (
    AdminVisit,
    admin_action,
    choose_with_keys,
    close_claims,
    messages_text,
    money_world,
    open_page,  # noqa: F401 - fixture
    press_to_load,
    read_download,
    screen_text,
    sign_in,
    tab_to,
)
from tests.journeys.support import Visit

Status = Distribution.Status
Payment = DistributionLine.Payment
JOURNEY = "money"
CLAIM_ANA = "My poem is in the film twice, not once: please look at the second scene."
CLAIM_BEN = "The song's bridge was written with a friend who is not credited."
ANSWER = "We checked the film: the poem is used once, and the bridge is Ben's alone."
# Ana, Ben, Cy: half the revenue is the pool; Cy keeps 1/2 of it, Ben and Ana 1/4 each.
AMOUNTS = {100_000: ("125.00", "125.00", "250.00"), 20_000: ("25.00", "25.00", "50.00")}


def _paypal_rows(text: str) -> dict[str, list[str]]:
    """PayPal's bulk file read back: no header; email, amount, currency, line id, note."""
    rows = list(csv.reader(io.StringIO(text)))
    assert all(len(row) == 5 for row in rows), rows
    return {row[0]: row[1:] for row in rows}


def _expected_rows(distribution: Distribution, world) -> dict[str, list[str]]:
    lines = {line.person_id: line for line in distribution.lines.all()}
    return {
        f"pay-{person.username}@example.com": [
            amount,
            "USD",
            str(lines[person.pk].pk),
            "hitrecord: Harbour Lights",
        ]
        for person, amount in zip(world.artists, AMOUNTS[distribution.amount_minor], strict=True)
    }


@pytest.mark.browser
def test_staff_pay_a_distribution_that_artists_can_follow(page, open_page, size):  # noqa: F811
    world = money_world()
    admin = AdminVisit(page, JOURNEY, size)

    # --- staff record revenue; its distribution is computed, then proposed ------------
    page.goto("/admin/")
    admin.check("admin-sign-in", stock_login=True)
    page.fill("#id_username", world.admin.username)
    page.fill("#id_password", "correct-horse-battery")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r"/admin/$"))
    admin.check("admin-index")

    page.goto("/admin/payouts/revenue/add/")
    admin.check("record-revenue")
    page.get_by_label("Project").select_option(label="Harbour Lights")
    page.get_by_label("Amount").fill("1000.00")
    page.get_by_label("Reference").fill("INV-2025-041")
    page.get_by_role("button", name="Record revenue").click()
    page.wait_for_url(re.compile(r"/admin/payouts/revenue/\d+/change/$"))
    assert "Recorded 1,000.00 USD for “Harbour Lights”" in messages_text(page)
    admin.check("revenue")

    distribution = Distribution.objects.get(revenue__reference="INV-2025-041")
    page.get_by_role("link", name=f"Distribution {distribution.pk} (computed)").click()
    page.wait_for_url(re.compile(rf"/admin/payouts/distribution/{distribution.pk}/change/$"))
    assert page.locator(".field-status .readonly").inner_text() == "Computed"
    shown = screen_text(page, "#content")
    assert "500.00 USD" in shown  # the pool, and the house's half
    for amount in ("250.00 USD", "125.00 USD"):
        assert amount in shown
    assert "“Poem” (#" in shown  # each line says why
    admin.check("distribution-computed")

    admin_action(page, "distribution", "propose", [distribution.pk])
    admin.check("propose")
    assert page.get_by_label("Claim window (days)").input_value() == "14"
    page.get_by_role("button", name="Propose").click()
    page.wait_for_load_state()
    assert "Proposed 1 distribution(s)." in messages_text(page)
    admin.check("distributions-proposed")

    # --- an artist is told, reads her line and files a claim ------------------------------
    ana_page = open_page()
    ana = Visit(ana_page, JOURNEY, size)
    sign_in(ana_page, world.ana, ana, "artist-sign-in")
    ana_page.goto("/me/notifications/")
    ana.check("artist-notified")
    told = ana_page.get_by_role("link", name=re.compile("A distribution of 1,000.00 USD"))
    assert "“Harbour Lights” was proposed; claims are open until" in told.inner_text()
    told.click()
    ana_page.wait_for_url(re.compile(r"/me/earnings/$"))
    assert "125.00 USD" in screen_text(ana_page, "main")
    ana.check("earnings-proposed")
    ana_page.get_by_role("link", name="File a claim").click()
    ana.check("claim")
    ana_page.get_by_label("What is wrong?").fill(CLAIM_ANA)
    ana_page.get_by_role("button", name="File the claim").click()
    ana_page.wait_for_url(re.compile(r"/me/earnings/$"))
    assert "Your claim on the distribution for “Harbour Lights” was filed" in screen_text(
        ana_page, "main"
    )
    assert "Your claim: open" in screen_text(ana_page, "main")
    ana.check("earnings-claimed")

    # --- a second artist files one with the keyboard alone --------------------------------
    ben_page = open_page()
    ben = Visit(ben_page, JOURNEY, size)
    sign_in(ben_page, world.ben)
    ben_page.goto("/me/earnings/")
    tab_to(ben_page, "a[href*='/me/earnings/claims/']")
    press_to_load(ben_page)
    assert ben_page.locator("h1").inner_text() == "File a claim"
    tab_to(ben_page, "textarea[name=text]")
    ben_page.keyboard.type(CLAIM_BEN)
    tab_to(ben_page, "form.claim-form button[type=submit]")
    press_to_load(ben_page)
    assert "Your claim: open" in screen_text(ben_page, "main")

    # --- staff reject both with an answer; approval waits for the window ------------------
    claims = list(Claim.objects.filter(distribution=distribution).order_by("pk"))
    assert [c.claimant for c in claims] == [world.ana, world.ben]
    page.goto("/admin/payouts/claim/")
    admin.check("claims")
    admin_action(page, "claim", "reject", [c.pk for c in claims])
    admin.check("reject-claims")
    page.get_by_label("Answer").fill(ANSWER)
    page.get_by_role("button", name="Reject").click()
    page.wait_for_load_state()
    assert "Rejected 2 claim(s)." in messages_text(page)

    admin_action(page, "distribution", "approve", [distribution.pk])
    refused = messages_text(page)
    assert f"Distribution {distribution.pk}: The claim window is open until" in refused
    assert Distribution.objects.get(pk=distribution.pk).status == Status.PROPOSED

    close_claims(distribution)
    admin_action(page, "distribution", "approve", [distribution.pk])
    assert "Approved 1 distribution(s)." in messages_text(page)

    # --- staff export a batch, read PayPal's file back, and mark the lines paid -----------
    page.goto("/admin/payouts/paymentbatch/")
    page.get_by_role("link", name="Export payable lines").click()
    admin.check("export")
    assert page.get_by_label("Currency").input_value() == "USD"
    page.get_by_role("button", name="Export").click()
    page.wait_for_url(re.compile(r"/admin/payouts/paymentbatch/\d+/change/$"))
    assert "3 USD line(s) to pay" in messages_text(page)
    admin.check("batch")
    with page.expect_download() as downloaded:
        page.get_by_role("link", name="PayPal bulk file, part 1 of 1").click()
    assert _paypal_rows(read_download(downloaded.value)) == _expected_rows(distribution, world)

    batch = PaymentBatch.objects.get()
    admin_action(page, "paymentbatch", "mark_paid", [batch.pk])
    admin.check("mark-paid")
    page.get_by_label("Reference").fill("PAYPAL-5K2X9")
    page.get_by_role("button", name="Mark paid").click()
    page.wait_for_load_state()
    assert "Marked 3 line(s) paid." in messages_text(page)
    page.goto(f"/admin/payouts/distribution/{distribution.pk}/change/")
    assert page.locator(".field-status .readonly").inner_text() == "Paid"
    admin.check("distribution-paid")

    # --- the artist sees what she earned and why, the ledger, and what she was told ------
    ana_page.goto("/me/earnings/")
    earned = screen_text(ana_page, "main")
    assert "125.00 USD" in earned
    assert "your line: paid" in earned
    assert "‘Poem’ kept 25% of the cut; it received 25% from ‘Song’" in earned
    assert "Your claim: rejected " + ANSWER in earned
    ana.check("earnings-paid")
    ana_page.get_by_role("link", name="ledger").click()
    ana_page.wait_for_url(re.compile(r"/ledger/$"))
    ledger = screen_text(ana_page, "main")
    assert f"Distribution {distribution.pk} Paid" in ledger
    assert "1,000.00 USD" in ledger
    for name, amount in (("Ana Ito", "125.00"), ("Ben Osei", "125.00"), ("Cy Marr", "250.00")):
        assert re.search(rf"{name} \S+ {amount} USD Paid", ledger), (name, ledger)
    ana.check("ledger")
    ana_page.goto("/me/notifications/")
    told = screen_text(ana_page, "main")
    assert "was proposed; claims are open until" in told
    assert f"Your claim was rejected: {ANSWER}" in told
    assert "You were paid 125.00 USD for “Harbour Lights”." in told
    ana.check("artist-told-each-step")

    # --- a second sale, paid again with the keyboard alone ------------------------------
    # Recorded and proposed through the services (the first pass used those pages), with
    # its claim window over; approving, exporting and marking paid are the keys' work.
    sale, _ = money.revenue_record(
        project=world.project, amount_minor=20_000, currency="USD", by=world.admin
    )
    second = money.distribution_propose(
        distribution=Distribution.objects.get(revenue=sale), by=world.admin
    )
    close_claims(second)

    page.goto("/admin/payouts/distribution/")
    tab_to(page, f"input.action-select[value='{second.pk}']")
    page.keyboard.press("Space")
    choose_with_keys(page, "select[name=action]", "Approve")
    tab_to(page, "button[name=index]")
    press_to_load(page)
    assert "Approved 1 distribution(s)." in messages_text(page)

    page.goto("/admin/payouts/paymentbatch/")
    tab_to(page, "a[href$='/paymentbatch/export/']")
    press_to_load(page)
    tab_to(page, "input[type=submit][name=apply]")
    press_to_load(page)
    assert "3 USD line(s) to pay" in messages_text(page)
    tab_to(page, "a[href*='/paypal/']")
    with page.expect_download() as downloaded:
        page.keyboard.press("Enter")
    # Only the new lines: the first batch's are paid and never exported twice.
    assert _paypal_rows(read_download(downloaded.value)) == _expected_rows(second, world)

    batch_two = PaymentBatch.objects.exclude(pk=batch.pk).get()
    page.goto("/admin/payouts/paymentbatch/")
    tab_to(page, f"input.action-select[value='{batch_two.pk}']")
    page.keyboard.press("Space")
    choose_with_keys(page, "select[name=action]", "Mark")
    tab_to(page, "button[name=index]")
    press_to_load(page)
    tab_to(page, "input[name=reference]")
    page.keyboard.type("PAYPAL-7Q4M1")
    press_to_load(page)
    assert "Marked 3 line(s) paid." in messages_text(page)
    admin.check("batches-paid-by-keyboard")
    assert set(
        DistributionLine.objects.filter(distribution=second).values_list(
            "payment_status", flat=True
        )
    ) == {Payment.PAID}

    ana_page.goto("/me/earnings/")
    totals = screen_text(ana_page, ".earnings__totals")
    assert "USD 150.00 USD 150.00 USD" in totals  # earned, and paid so far

    for visit in (admin, ana, ben):
        visit.finish()
