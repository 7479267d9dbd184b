"""What reached the final product: the draft cut directors edit, its locked versions, and
the credits computed once per version.

A locked version never changes. The services never write one twice, and the database
refuses it too (migration 0002): a version is written with ``sealed = False``, its items
are added, and it is sealed in the same transaction; from then on any INSERT, UPDATE or
DELETE touching the version or its items fails, on SQLite and PostgreSQL alike. Credits
follow the same pattern (``VersionCredits.sealed``), since they are computed after the lock.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from contributions.models import Contribution
from projects.models import Project

WEIGHT_MAX_DIGITS = 9
WEIGHT_PLACES = 3
SHARE_MAX_DIGITS = 5
SHARE_PLACES = 4


class FinalCut(models.Model):
    """A project's draft cut. Directors edit it; ``revision`` grows with every save, so a
    write based on an older revision is refused (409) instead of overwriting a co-director."""

    project = models.OneToOneField(Project, on_delete=models.CASCADE, related_name="final_cut")
    revision = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    def __str__(self) -> str:
        return f"Draft cut of {self.project}"


class FinalCutItem(models.Model):
    """One contribution in the draft, with its weight and optional upstream-share override."""

    cut = models.ForeignKey(FinalCut, on_delete=models.CASCADE, related_name="items")
    contribution = models.ForeignKey(
        Contribution, on_delete=models.CASCADE, related_name="draft_cut_items"
    )
    weight = models.DecimalField(max_digits=WEIGHT_MAX_DIGITS, decimal_places=WEIGHT_PLACES)
    upstream_share = models.DecimalField(
        max_digits=SHARE_MAX_DIGITS, decimal_places=SHARE_PLACES, null=True, blank=True
    )
    position = models.PositiveIntegerField()

    class Meta:
        ordering = ["position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["cut", "contribution"], name="draft_item_once"),
            models.CheckConstraint(condition=models.Q(weight__gt=0), name="draft_item_weight_gt_0"),
            models.CheckConstraint(
                condition=models.Q(upstream_share__isnull=True)
                | models.Q(upstream_share__gte=0, upstream_share__lte=1),
                name="draft_item_share_0_1",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.contribution_id} x {self.weight}"


class CutVersion(models.Model):
    """A locked version of a project's cut, with the shares in force when it was locked."""

    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="cut_versions")
    number = models.PositiveIntegerField()
    contributor_share = models.DecimalField(
        max_digits=SHARE_MAX_DIGITS, decimal_places=SHARE_PLACES
    )
    remix_upstream_share = models.DecimalField(
        max_digits=SHARE_MAX_DIGITS, decimal_places=SHARE_PLACES
    )
    locked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    locked_at = models.DateTimeField()
    # sha256 of the items, weights, overrides and shares: "identical to the latest version".
    fingerprint = models.CharField(max_length=64)
    sealed = models.BooleanField(default=False)

    class Meta:
        ordering = ["project_id", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["project", "number"], name="cut_version_number_once"),
        ]

    def __str__(self) -> str:
        return f"{self.project} v{self.number}"


class CutVersionItem(models.Model):
    """One item of a locked version: never changes."""

    version = models.ForeignKey(CutVersion, on_delete=models.PROTECT, related_name="items")
    contribution = models.ForeignKey(
        Contribution, on_delete=models.PROTECT, related_name="cut_version_items"
    )
    weight = models.DecimalField(max_digits=WEIGHT_MAX_DIGITS, decimal_places=WEIGHT_PLACES)
    upstream_share = models.DecimalField(
        max_digits=SHARE_MAX_DIGITS, decimal_places=SHARE_PLACES, null=True, blank=True
    )
    position = models.PositiveIntegerField()

    class Meta:
        ordering = ["position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["version", "contribution"], name="version_item_once"),
            models.CheckConstraint(
                condition=models.Q(weight__gt=0), name="version_item_weight_gt_0"
            ),
        ]

    def __str__(self) -> str:
        return f"v{self.version_id}: {self.contribution_id} x {self.weight}"


class VersionCredits(models.Model):
    """The split rule's credits of one locked version, computed once and kept: they depend
    on the version alone, never on a revenue. Sealed like the version."""

    version = models.OneToOneField(CutVersion, on_delete=models.PROTECT, related_name="credits")
    computed_at = models.DateTimeField()
    node_count = models.PositiveIntegerField(default=0)
    sealed = models.BooleanField(default=False)

    def __str__(self) -> str:
        return f"Credits of {self.version}"


class PersonCredit(models.Model):
    """One person's exact credit in a version and why (DESIGN.md's explanation shape)."""

    credits = models.ForeignKey(VersionCredits, on_delete=models.PROTECT, related_name="people")
    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    share = models.CharField(max_length=20, help_text="Decimal, half-even to 12 places.")
    share_exact = models.TextField(help_text='The exact fraction, "p/q".')
    explanation = models.JSONField(default=list)

    class Meta:
        ordering = ["person_id"]
        constraints = [
            models.UniqueConstraint(fields=["credits", "person"], name="person_credit_once"),
        ]

    def __str__(self) -> str:
        return f"{self.person_id}: {self.share}"


# --- revenue, distributions, claims, payment batches (issue: payouts) ----------------------


class Revenue(models.Model):
    """Money a project earned, recorded by staff against one locked version of its cut.

    ``amount_minor`` is an integer of the currency's minor units (cents for USD, yen for
    JPY: the ISO 4217 exponent). ``reference`` is an optional external id (an invoice or a
    payout provider's id), unique: recording it again returns the first revenue."""

    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="revenues")
    version = models.ForeignKey(CutVersion, on_delete=models.PROTECT, related_name="revenues")
    amount_minor = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    reference = models.CharField(max_length=200, null=True, blank=True, unique=True)
    note = models.TextField(blank=True, max_length=2000)
    received_on = models.DateField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-recorded_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount_minor__gt=0), name="revenue_amount_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.amount_minor} {self.currency} for {self.project}"


class Distribution(models.Model):
    """How one revenue is split: its pool among the people of its version's credits."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        COMPUTED = "computed", "Computed"
        PROPOSED = "proposed", "Proposed"
        APPROVED = "approved", "Approved"
        PAID = "paid", "Paid"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"

    revenue = models.ForeignKey(Revenue, on_delete=models.PROTECT, related_name="distributions")
    version = models.ForeignKey(CutVersion, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(
        max_length=12, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    currency = models.CharField(max_length=3)
    amount_minor = models.BigIntegerField()
    pool_minor = models.BigIntegerField(null=True, blank=True)
    house_minor = models.BigIntegerField(null=True, blank=True)
    claim_deadline = models.DateTimeField(null=True, blank=True)
    failure_reason = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    computed_at = models.DateTimeField(null=True, blank=True)
    proposed_at = models.DateTimeField(null=True, blank=True)
    approved_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    paid_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["revenue"],
                condition=~models.Q(status="cancelled"),
                name="one_live_distribution_per_revenue",
            ),
        ]

    def __str__(self) -> str:
        return f"Distribution {self.pk} ({self.status})"

    @property
    def is_public(self) -> bool:
        """From proposal on, the distribution and its lines are public."""
        return self.status in {
            self.Status.PROPOSED,
            self.Status.APPROVED,
            self.Status.PAID,
        } or (self.status == self.Status.CANCELLED and self.proposed_at is not None)


class PaymentBatch(models.Model):
    """The payable unpaid lines of one currency, exported together to be paid."""

    currency = models.CharField(max_length=3)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name_plural = "payment batches"

    def __str__(self) -> str:
        return f"Batch {self.pk} ({self.currency})"


class DistributionLine(models.Model):
    """One person's amount in a distribution, paid on its own through payment batches.
    Its share, exact share and explanation are the version's stored credits."""

    class Payment(models.TextChoices):
        UNPAID = "unpaid", "Unpaid"
        IN_BATCH = "in_batch", "In a payment batch"
        PAID = "paid", "Paid"
        FAILED = "failed", "Failed"
        NOT_PAYABLE = "not_payable", "Not payable"

    distribution = models.ForeignKey(Distribution, on_delete=models.PROTECT, related_name="lines")
    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    credit = models.ForeignKey(PersonCredit, on_delete=models.PROTECT, related_name="+")
    amount_minor = models.BigIntegerField()
    payment_status = models.CharField(
        max_length=12, choices=Payment.choices, default=Payment.UNPAID, db_index=True
    )
    payment_reference = models.CharField(max_length=200, blank=True)
    failure_reason = models.CharField(max_length=500, blank=True)
    batch = models.ForeignKey(
        PaymentBatch, null=True, blank=True, on_delete=models.PROTECT, related_name="lines"
    )
    paid_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["distribution_id", "-amount_minor", "person_id"]
        constraints = [
            models.UniqueConstraint(fields=["distribution", "person"], name="line_once"),
            models.CheckConstraint(
                condition=models.Q(amount_minor__gte=0), name="line_amount_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person_id}: {self.amount_minor}"


class LinePayee(models.Model):
    """Where a line is paid, as in force when its distribution was approved. Staff only;
    deleting the account redacts it."""

    line = models.OneToOneField(DistributionLine, on_delete=models.PROTECT, related_name="payee")
    payout_email = models.EmailField(blank=True)
    payee_name = models.CharField(max_length=200, blank=True)
    recorded_at = models.DateTimeField(auto_now_add=True)
    redacted = models.BooleanField(default=False)

    def __str__(self) -> str:
        return f"Payee of line {self.line_id}"


class Claim(models.Model):
    """A person's claim on a proposed distribution ("my work is missing"), one per person."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        ACCEPTED = "accepted", "Accepted"
        REJECTED = "rejected", "Rejected"

    distribution = models.ForeignKey(Distribution, on_delete=models.PROTECT, related_name="claims")
    claimant = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="claims"
    )
    text = models.TextField(max_length=5000)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    answer = models.TextField(blank=True, max_length=5000)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    answered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["distribution", "claimant"], name="one_claim_each"),
        ]

    def __str__(self) -> str:
        return f"Claim {self.pk} on {self.distribution_id} ({self.status})"


class PayeeDetails(models.Model):
    """Where a person is paid. The payout email is verified before any line is exported
    to it; a change asks for the password and notifies the old address."""

    person = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="payee_details"
    )
    payout_email = models.EmailField(blank=True)
    payee_name = models.CharField(max_length=200, blank=True)
    email_verified_at = models.DateTimeField(null=True, blank=True)
    changed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "payee details"

    def __str__(self) -> str:
        return f"Payee details of {self.person_id}"

    @property
    def payable(self) -> bool:
        return bool(self.payout_email) and self.email_verified_at is not None


class MoneyVersion(models.Model):
    """A counter per money page ("ledger:<project id>", "earnings:<person id>"), raised in
    the same transaction as every write that changes what the page shows
    (``payouts.money_versions``). A page reads it with its first query and keys its
    cached fragment by it, so a money page is exact from the instant the write commits:
    it is never served from a cache keyed by anything the database does not say."""

    scope = models.CharField(max_length=64, primary_key=True)
    number = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.scope} #{self.number}"
