"""Reads for the money pages: a person's earnings and a project's public ledger.

Read-only, and shaped for the pages: every list comes from a fixed number of queries
whatever its length (the lines with their distribution, revenue, project and credit in one
query; the titles of the remixes named by the explanations in one more; the person's claims
in one more). What is public follows DESIGN.md: a distribution and its lines are shown from
proposal on (a cancelled one too, for the record, once it was proposed); before that
nothing of it appears, not even to staff here: staff see it in the admin.

The explanation is turned into words here, so templates only loop: each contribution a
person holds reads "‘Harbour’ kept 12.5% of the cut; it received 25% from ‘Harbour at
night’". Shares are the stored 12-place decimal strings of fractions of the whole, shown as
percentages with two decimals (two significant digits when smaller than 0.01%).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_EVEN, Decimal, InvalidOperation
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import Prefetch, Q, QuerySet, Sum
from django.utils import timezone

from accounts.models import User
from contributions.models import Contribution
from payouts import exports
from payouts.models import Claim, Distribution, DistributionLine, PayeeDetails, PaymentBatch
from payouts.money import format_minor
from projects.models import Project

PAGE_SIZE = 24
LEDGER_PAGE_SIZE = 10
Status = Distribution.Status
Payment = DistributionLine.Payment

# A difference between what a contribution received and what it kept below this (a fraction
# of the whole) is rounding of the 12-place strings, not credit passed on to sources.
_PASSED_ON_MIN = Decimal("1e-8")


def public_q(prefix: str = "") -> Q:
    """The distributions that are public: proposed, approved or paid, or cancelled after
    they were proposed. ``prefix`` names the relation from another model (``"distribution__"``)."""
    return Q(**{f"{prefix}status__in": [Status.PROPOSED, Status.APPROVED, Status.PAID]}) | Q(
        **{f"{prefix}status": Status.CANCELLED, f"{prefix}proposed_at__isnull": False}
    )


def claims_open(distribution: Distribution, *, now: Any = None) -> bool:
    """Whether claims may be filed now: proposed and before its deadline."""
    now = now or timezone.now()
    return (
        distribution.status == Status.PROPOSED
        and distribution.claim_deadline is not None
        and now < distribution.claim_deadline
    )


# --- words ----------------------------------------------------------------------------


def percent_text(share: str | Decimal) -> str:
    """A share of the whole (``"0.125000000000"``) as people read it: ``"12.5%"``; two
    decimals, trailing zeros dropped, and two significant digits below 0.01%
    (``"0.0012%"``), so a small share never reads as 0% and a share short of the whole
    never as 100% (``"99.995%"``)."""
    try:
        value = Decimal(share) * 100
    except (InvalidOperation, TypeError):
        return "?"
    if value == 0:
        return "0%"
    places = 2
    if abs(value) < Decimal("0.01"):
        places = min(10, 1 - value.adjusted())
    rounded = value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_EVEN)
    if value < 100 <= rounded:  # nor does a share short of the whole read as 100%
        places = min(10, 1 - (100 - value).adjusted())
        rounded = value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_DOWN)
    text = f"{rounded:f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return f"{text}%"


def _quoted(title: str) -> str:
    return f"‘{title}’"


def _weight_text(weight: str) -> str:
    text = str(weight)
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text or "0"


def _join(parts: Sequence[str]) -> str:
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1]


def _decimal(value: object) -> Decimal:
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return Decimal(0)


def explanation_words(entry: dict[str, Any], remix_titles: dict[int, str]) -> str:
    """One explanation entry in words: what the contribution kept, what it received from
    the cut and from each remix using it, and what it passed on to its own sources."""
    title = _quoted(str(entry.get("contribution", {}).get("title") or "Untitled"))
    kept = str(entry.get("kept", "0"))
    parts: list[str] = []
    received_total = Decimal(0)
    for receipt in entry.get("received", []):
        share = str(receipt.get("share", "0"))
        received_total += _decimal(share)
        source = receipt.get("from")
        if source == "cut":
            weight = receipt.get("weight")
            how = "as an item of the cut" + (
                f" (weight {_weight_text(str(weight))})" if weight is not None else ""
            )
            parts.append(f"{percent_text(share)} {how}")
        else:
            remix = remix_titles.get(int(source)) if isinstance(source, int) else None
            name = _quoted(remix) if remix is not None else "a remix"
            parts.append(f"{percent_text(share)} from {name}")
    words = f"{title} kept {percent_text(kept)} of the cut"
    if parts:
        words += f"; it received {_join(parts)}"
    passed = received_total - _decimal(kept)
    if passed > _PASSED_ON_MIN:
        words += f", and passed {percent_text(passed)} on to the work it was built from"
    return words


def _remix_ids(explanations: Iterable[list[dict[str, Any]]]) -> set[int]:
    ids: set[int] = set()
    for entries in explanations:
        for entry in entries or []:
            for receipt in entry.get("received", []):
                source = receipt.get("from")
                if isinstance(source, int) and not isinstance(source, bool):
                    ids.add(source)
    return ids


def remix_titles_of(explanations: Iterable[list[dict[str, Any]]]) -> dict[int, str]:
    """The titles of every remix the explanations name, in one query."""
    ids = _remix_ids(explanations)
    if not ids:
        return {}
    return dict(Contribution.objects.filter(pk__in=ids).values_list("pk", "title"))


# --- earnings -------------------------------------------------------------------------


@dataclass(frozen=True)
class Total:
    """What a person earned in one currency: every public line not cancelled, and the part
    already paid."""

    currency: str
    total: str
    paid: str


@dataclass(frozen=True)
class EarningLine:
    line: DistributionLine
    distribution: Distribution
    project: Project
    amount: str
    percent: str
    explained: list[str]
    claims_open: bool
    claim: Claim | None


@dataclass(frozen=True)
class Earnings:
    totals: list[Total]
    page: Page[Any]
    lines: list[EarningLine]
    payee: PayeeDetails | None


def _lines_of(person: User) -> QuerySet[DistributionLine]:
    return DistributionLine.objects.filter(public_q("distribution__"), person=person)


def totals_minor_of(*, person: User) -> list[tuple[str, int, int]]:
    """A person's ``(currency, earned, paid)`` in minor units over every public line that is
    not cancelled, per currency in order: what the earnings page and the API both show.
    One query."""
    rows = (
        _lines_of(person)
        .exclude(distribution__status=Status.CANCELLED)
        .values("distribution__currency")
        .annotate(
            total=Sum("amount_minor"),
            paid=Sum("amount_minor", filter=Q(payment_status=Payment.PAID)),
        )
        .order_by("distribution__currency")
    )
    return [(r["distribution__currency"], r["total"] or 0, r["paid"] or 0) for r in rows]


def earnings_of(*, person: User, page: int = 1) -> Earnings:
    """A person's public lines across projects, newest first, ``PAGE_SIZE`` a page, with
    their totals per currency and the explanation of each in words. Six queries whatever
    the number of lines (totals, count, lines, remix titles, claims, payee details)."""
    totals = [
        Total(
            currency=currency,
            total=format_minor(total, currency),
            paid=format_minor(paid, currency),
        )
        for currency, total, paid in totals_minor_of(person=person)
    ]
    queryset = (
        _lines_of(person)
        .select_related("distribution__revenue__project", "credit")
        .order_by("-distribution__proposed_at", "-distribution_id")
    )
    paginator = Paginator(queryset, PAGE_SIZE)
    current = paginator.get_page(page)
    lines: list[DistributionLine] = list(current.object_list)
    titles = remix_titles_of(line.credit.explanation for line in lines)
    claims = {
        c.distribution_id: c
        for c in Claim.objects.filter(
            claimant=person, distribution_id__in=[line.distribution_id for line in lines]
        )
    }
    now = timezone.now()
    shown = [
        EarningLine(
            line=line,
            distribution=line.distribution,
            project=line.distribution.revenue.project,
            amount=format_minor(line.amount_minor, line.distribution.currency),
            percent=percent_text(line.credit.share),
            explained=[explanation_words(e, titles) for e in line.credit.explanation or []],
            claims_open=claims_open(line.distribution, now=now),
            claim=claims.get(line.distribution_id),
        )
        for line in lines
    ]
    payee = PayeeDetails.objects.filter(person=person).first()
    return Earnings(totals=totals, page=current, lines=shown, payee=payee)


# --- the public ledger ----------------------------------------------------------------


@dataclass(frozen=True)
class LedgerLine:
    name: str
    username: str
    amount: str
    percent: str
    payment: str
    payment_label: str


@dataclass(frozen=True)
class LedgerEntry:
    distribution: Distribution
    revenue_amount: str
    house: str
    pool: str
    received_on: Any
    version_number: int
    claims_open: bool
    lines: list[LedgerLine]


@dataclass(frozen=True)
class Ledger:
    page: Page[Any]
    entries: list[LedgerEntry]


def ledger_of(*, project: Project, page: int = 1) -> Ledger:
    """A project's public distributions, newest first, ``LEDGER_PAGE_SIZE`` a page, each
    with its lines (display names: "former member" for deleted accounts). Never the
    revenue's reference or note, and nothing of a distribution before it is proposed.
    Three queries whatever the number of distributions and lines."""
    lines = (
        DistributionLine.objects.select_related("person", "credit")
        .defer("credit__explanation")
        .order_by("-amount_minor", "person_id")
    )
    queryset = (
        Distribution.objects.filter(public_q(), revenue__project=project)
        .select_related("revenue", "version")
        .defer("revenue__reference", "revenue__note", "failure_reason")
        .prefetch_related(Prefetch("lines", queryset=lines))
        .order_by("-proposed_at", "-pk")
    )
    paginator = Paginator(queryset, LEDGER_PAGE_SIZE)
    current = paginator.get_page(page)
    now = timezone.now()
    entries = []
    for distribution in current.object_list:
        currency = distribution.currency
        entries.append(
            LedgerEntry(
                distribution=distribution,
                revenue_amount=format_minor(distribution.amount_minor, currency),
                house=format_minor(distribution.house_minor or 0, currency),
                pool=format_minor(distribution.pool_minor or 0, currency),
                received_on=distribution.revenue.received_on,
                version_number=distribution.version.number,
                claims_open=claims_open(distribution, now=now),
                lines=[
                    LedgerLine(
                        name=line.person.display_name,
                        username="" if line.person.is_anonymised else line.person.username,
                        amount=format_minor(line.amount_minor, currency),
                        percent=percent_text(line.credit.share),
                        payment=line.payment_status,
                        payment_label=line.get_payment_status_display(),
                    )
                    for line in distribution.lines.all()
                ],
            )
        )
    return Ledger(page=current, entries=entries)


def public_distribution(*, distribution_id: int) -> Distribution | None:
    """One public distribution with its revenue and project, or None."""
    return (
        Distribution.objects.filter(public_q(), pk=distribution_id)
        .select_related("revenue__project")
        .first()
    )


# --- payment batches: what their files hold (admin and API downloads share it) ----------


def batch_lines(batch: PaymentBatch) -> list[DistributionLine]:
    """A batch's lines with what its files and pages show, in one query."""
    return list(
        batch.lines.select_related("person", "payee", "distribution__revenue__project").order_by(
            "pk"
        )
    )


def payee_of(line: DistributionLine) -> tuple[str, str]:
    kept = getattr(line, "payee", None)
    return (kept.payout_email, kept.payee_name) if kept is not None else ("", "")


def payout_rows(lines: list[DistributionLine]) -> list[exports.PayoutRow]:
    """The batch's lines as the files need them, as the admin's downloads have them: a
    failed line waits for the next batch, and a line whose kept payout email is blank (its
    person deleted the account since) is left out, since nobody can be paid there."""
    rows = []
    for line in lines:
        email, name = payee_of(line)
        if not email or line.payment_status == Payment.FAILED:
            continue
        rows.append(
            exports.PayoutRow(
                line_id=line.pk,
                payee=name or line.person.display_name,
                payout_email=email,
                amount_minor=line.amount_minor,
                currency=line.distribution.currency,
                project=line.distribution.revenue.project.title,
                distribution_id=line.distribution_id,
            )
        )
    return rows
