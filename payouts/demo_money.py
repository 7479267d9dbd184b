"""Demo money for ``seed_demo``: one paid and one proposed distribution on the demo's main
project, so ``/me/earnings/`` and the project's ledger are lived-in.

It runs right after ``payouts.demo`` (which locks the cut's two versions) and goes through
``payouts.distributions`` like staff would: the demo's staff person ``admin`` records
revenue against version 1, the distribution is computed, proposed, its claim window closed,
approved, exported in a payment batch and every payable line marked paid; then a second
revenue, in another currency, against the latest version is computed and proposed, its
claim window open. The demo artists' payout emails are set and confirmed first (rows
written directly: the demo cannot follow emailed links), so their lines are payable.

The claim window cannot pass in a demo, so the paid distribution is proposed with the
shortest window (one day) and its deadline is then moved into the past with a queryset
update: allowed, since the distribution is still proposed (the database guard protects
only approved and paid distributions).

Idempotent: each revenue carries a reference (``demo-paid-1``, ``demo-proposed-1``); one
already recorded is left alone, so a second run changes nothing.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.utils import timezone

from accounts.models import User
from payouts import distributions
from payouts.demo import MAIN_PROJECT
from payouts.models import CutVersion, Distribution, DistributionLine, PayeeDetails, Revenue
from projects.models import Project

PAID_REFERENCE = "demo-paid-1"
PROPOSED_REFERENCE = "demo-proposed-1"
PAID_AMOUNT = (240_000, "USD")  # 2,400.00 USD from a festival screening licence
PROPOSED_AMOUNT = (90_000, "EUR")  # 900.00 EUR from streaming


def _payees(distribution: Distribution) -> None:
    """Confirmed payout details for everyone with a line who has none yet."""
    people = User.objects.filter(
        pk__in=distribution.lines.values("person_id"), is_anonymised=False
    ).exclude(payee_details__isnull=False)
    now = timezone.now()
    PayeeDetails.objects.bulk_create(
        PayeeDetails(
            person=person,
            payout_email=person.email,
            payee_name=person.get_full_name() or person.username,
            email_verified_at=now,
            changed_at=now,
        )
        for person in people
        if person.email
    )


def _record(
    *,
    project: Project,
    version: CutVersion,
    admin: User,
    reference: str,
    amount: tuple[int, str],
    days_ago: int,
    note: str,
) -> Distribution:
    revenue, _ = distributions.revenue_record(
        project=project,
        version=version,
        amount_minor=amount[0],
        currency=amount[1],
        by=admin,
        reference=reference,
        note=note,
        received_on=timezone.localdate() - datetime.timedelta(days=days_ago),
    )
    distribution = Distribution.objects.get(revenue=revenue)
    # The task runs once the seed's transaction commits (in-process in the embedded mode);
    # computing here makes the demo complete with a broker too. The service is idempotent,
    # so the task then finds it computed.
    computed = distributions.distribution_compute(distribution_id=distribution.pk)
    if computed is None or computed.status != Distribution.Status.COMPUTED:
        raise RuntimeError(f"The demo distribution {distribution.pk} did not compute.")
    return computed


def _seed_paid(project: Project, version: CutVersion, admin: User) -> None:
    distribution = _record(
        project=project,
        version=version,
        admin=admin,
        reference=PAID_REFERENCE,
        amount=PAID_AMOUNT,
        days_ago=40,
        note="Demo: festival screening licence.",
    )
    _payees(distribution)
    distribution = distributions.distribution_propose(
        distribution=distribution, by=admin, claim_days=1
    )
    # The window has "passed": still proposed, so the row may change.
    Distribution.objects.filter(pk=distribution.pk, status=Distribution.Status.PROPOSED).update(
        claim_deadline=timezone.now() - datetime.timedelta(minutes=1)
    )
    distribution.refresh_from_db()
    distributions.distribution_approve(distribution=distribution, by=admin)
    batch = distributions.payment_batch_export(currency=distribution.currency, by=admin)
    for line in batch.lines.filter(distribution=distribution).order_by("pk"):
        distributions.line_mark_paid(line=line, by=admin, reference=f"DEMO-PAYOUT-{line.pk}")


def _seed_proposed(project: Project, version: CutVersion, admin: User) -> None:
    distribution = _record(
        project=project,
        version=version,
        admin=admin,
        reference=PROPOSED_REFERENCE,
        amount=PROPOSED_AMOUNT,
        days_ago=3,
        note="Demo: first quarter of streaming.",
    )
    _payees(distribution)
    distributions.distribution_propose(distribution=distribution, by=admin)


def seed(world: dict[str, Any]) -> None:
    admin: User = world["people"]["admin"]
    project = Project.objects.get(slug=MAIN_PROJECT)
    versions = list(CutVersion.objects.filter(project=project, sealed=True).order_by("number"))
    if not versions:
        return
    if not Revenue.objects.filter(reference=PAID_REFERENCE).exists():
        _seed_paid(project, versions[0], admin)
    if not Revenue.objects.filter(reference=PROPOSED_REFERENCE).exists():
        _seed_proposed(project, versions[-1], admin)
    world["distributions"] = list(
        Distribution.objects.filter(revenue__reference__in=[PAID_REFERENCE, PROPOSED_REFERENCE])
    )
    world["paid_lines"] = DistributionLine.objects.filter(
        distribution__revenue__reference=PAID_REFERENCE,
        payment_status=DistributionLine.Payment.PAID,
    ).count()
