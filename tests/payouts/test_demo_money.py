"""The demo's money (``seed_demo``): a paid and a proposed distribution on the main project,
through the payout services, so the earnings page and the ledger are lived-in; running the
command twice changes nothing."""

from __future__ import annotations

import html
import re
from io import StringIO

import pytest
from django.apps import apps
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from accounts.models import AuditEntry, Notification, User
from payouts.demo import MAIN_PROJECT
from payouts.demo_money import PAID_REFERENCE, PROPOSED_REFERENCE
from payouts.models import (
    CutVersion,
    Distribution,
    DistributionLine,
    LinePayee,
    PaymentBatch,
    Revenue,
)

pytestmark = pytest.mark.django_db
Status = Distribution.Status
Payment = DistributionLine.Payment


def _snapshot() -> dict[str, object]:
    counts: dict[str, object] = {
        model._meta.label: model.objects.count()
        for model in apps.get_models()
        if model._meta.app_label in {"accounts", "projects", "contributions", "payouts"}
    }
    counts["distributions"] = list(
        Distribution.objects.order_by("pk").values_list(
            "pk", "status", "pool_minor", "claim_deadline", "paid_at"
        )
    )
    counts["lines"] = list(
        DistributionLine.objects.order_by("pk").values_list(
            "pk", "amount_minor", "payment_status", "payment_reference"
        )
    )
    return counts


def _text(response) -> str:
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", response.content.decode(), flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", body)).split())


def test_the_demo_has_a_paid_and_a_proposed_distribution_and_runs_twice_the_same(
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", stdout=StringIO())
    first = _snapshot()

    paid = Distribution.objects.get(revenue__reference=PAID_REFERENCE)
    proposed = Distribution.objects.get(revenue__reference=PROPOSED_REFERENCE)
    project = paid.revenue.project
    assert project.slug == MAIN_PROJECT == proposed.revenue.project.slug
    # recorded by the demo's staff person, on the first and the latest locked versions
    assert paid.revenue.recorded_by.username == proposed.revenue.recorded_by.username == "admin"
    versions = list(CutVersion.objects.filter(project=project).order_by("number"))
    assert paid.version == versions[0]
    assert proposed.version == versions[-1]
    assert paid.currency != proposed.currency  # the totals show two currencies

    # the paid one went the whole way: approved, kept payees, a batch, every line paid
    assert paid.status == Status.PAID
    assert paid.approved_at
    assert paid.paid_at
    assert paid.claim_deadline < timezone.now()
    lines = list(paid.lines.all())
    assert lines
    assert sum(line.amount_minor for line in lines) == paid.pool_minor
    assert {line.payment_status for line in lines} <= {Payment.PAID, Payment.NOT_PAYABLE}
    assert any(line.payment_status == Payment.PAID for line in lines)
    assert LinePayee.objects.filter(line__in=lines).exclude(payout_email="").count() == len(
        [line for line in lines if line.amount_minor > 0]
    )
    assert PaymentBatch.objects.count() == 1
    for action in (
        "revenue.record",
        "distribution.propose",
        "distribution.approve",
        "batch.export",
        "line.paid",
        "distribution.paid",
    ):
        assert AuditEntry.objects.filter(action=action).exists(), action

    # the proposed one is open for claims, its people told
    assert proposed.status == Status.PROPOSED
    assert proposed.claim_deadline > timezone.now()
    assert proposed.lines.exists()
    assert set(proposed.lines.values_list("payment_status", flat=True)) <= {
        Payment.UNPAID,
        Payment.NOT_PAYABLE,
    }
    holders = set(proposed.lines.values_list("person_id", flat=True))
    told = set(
        Notification.objects.filter(kind=Notification.Kind.PROPOSED).values_list(
            "recipient_id", flat=True
        )
    )
    assert holders <= told
    assert Notification.objects.filter(kind=Notification.Kind.PAID).exists()

    # a second run changes nothing
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", stdout=StringIO())
    assert _snapshot() == first
    assert Revenue.objects.count() == 2


def test_the_demo_earnings_page_and_ledger_are_lived_in(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", stdout=StringIO())
    paid = Distribution.objects.get(revenue__reference=PAID_REFERENCE)
    proposed = Distribution.objects.get(revenue__reference=PROPOSED_REFERENCE)
    holder = User.objects.get(
        pk=DistributionLine.objects.filter(distribution=proposed, amount_minor__gt=0)
        .filter(person__in=paid.lines.filter(payment_status=Payment.PAID).values("person_id"))
        .values_list("person_id", flat=True)
        .first()
    )
    client = Client()
    client.force_login(holder)
    earnings = _text(client.get("/me/earnings/"))
    assert "Paid" in earnings
    assert "Proposed" in earnings
    assert "File a claim" in earnings  # the proposed one's window is open
    assert " kept " in earnings
    assert "of the cut" in earnings
    assert paid.currency in earnings
    assert proposed.currency in earnings

    ledger = Client().get(f"/projects/{MAIN_PROJECT}/ledger/")
    text = _text(ledger)
    assert f"Distribution {paid.pk} Paid" in text
    assert f"Distribution {proposed.pk} Proposed" in text
    body = ledger.content.decode()
    assert PAID_REFERENCE not in body
    assert PROPOSED_REFERENCE not in body
    assert "Demo: festival" not in body
