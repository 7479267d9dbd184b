"""Django admin for the people who run payouts: record revenue, propose and approve
distributions, answer claims, export payment batches and mark lines paid or failed.

Every write goes through ``payouts.distributions`` (or ``contributions.services``), which
check, lock and audit; the admin only gathers input on intermediate pages and shows the
services' messages. Money is read-only here and always shown in the currency's units.
Actions need the model's change permission (superusers have it; other staff get it
through a group), though the models themselves can never be edited in a form: approved
and paid money is refused by the database too, so the admin never tries.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal
from typing import Any, TypeVar, cast

from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.db.models import Count, Model, QuerySet, Sum
from django.forms import Form
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseRedirect,
)
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from accounts.models import User
from contributions import services as contribution_services
from contributions.models import Contribution
from hitrecord import admin_lists
from hitrecord.errors import ConflictError
from hitrecord.params import parse_id, parse_ids, parse_page
from payouts import distributions, exports, money_selectors, payee
from payouts.admin_forms import (
    AnswerForm,
    ClaimDaysForm,
    CurrencyForm,
    MissingSourceForm,
    ReasonForm,
    RecomputeForm,
    ReferenceForm,
    RevenueRecordForm,
)
from payouts.models import Claim, Distribution, DistributionLine, PaymentBatch, Revenue
from payouts.money import format_minor

Payment = DistributionLine.Payment


def _by(request: HttpRequest) -> User:
    return cast(User, request.user)


def _error_text(error: Exception) -> str:
    if isinstance(error, ConflictError):
        return error.message
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    return str(error)


def _units(amount: int | None, currency: str) -> str:
    return "" if amount is None else format_minor(amount, currency)


def _percent(share: str) -> str:
    """``"0.125000000000"`` -> ``"12.5%"``: exact, no float."""
    value = (Decimal(share) * 100).normalize()
    return f"{value:f}%"


def explanation_html(entries: Iterable[dict[str, Any]]) -> SafeString:
    """A line's explanation in words, one item per contribution that kept credit:
    "“Poem” (#3) kept 25% of the whole; it received 25% from remix #5"."""

    def receipt(step: dict[str, Any]) -> str:
        share = _percent(step["share"])
        if step["from"] == "cut":
            weight = f" (weight {step['weight']})" if "weight" in step else ""
            return f"{share} from the cut{weight}"
        return f"{share} from remix #{step['from']}"

    items = format_html_join(
        "",
        "<li>“{}” (#{}) kept {} of the whole; it received {}.</li>",
        (
            (
                entry["contribution"]["title"],
                entry["contribution"]["id"],
                _percent(entry["kept"]),
                ", ".join(receipt(step) for step in entry.get("received", [])) or "nothing",
            )
            for entry in entries
        ),
    )
    return format_html("<ul>{}</ul>", items) if items else format_html("{}", "(no explanation)")


M = TypeVar("M", bound=Model)
F = TypeVar("F", bound=Form)


class PayoutsAdmin(admin.ModelAdmin[M]):
    """Read-only models whose changes happen only through actions and the services."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_run_payouts_permission(self, request: HttpRequest) -> bool:
        """Who may run the actions: staff holding the model's change permission."""
        user = request.user
        return bool(
            user.is_active
            and user.is_staff
            and user.has_perm(f"{self.opts.app_label}.change_{self.opts.model_name}")
        )

    def response_action(self, request: HttpRequest, queryset: QuerySet[M]) -> HttpResponse | None:
        # Django filters ``pk__in`` with whatever was posted: an id too large for the
        # database would be a 500. Odd ids are a message instead.
        if parse_ids(request.POST.getlist(ACTION_CHECKBOX_NAME), limit=10_000) is None:
            self.message_user(
                request, "Choose rows from the list: those are not row ids.", messages.ERROR
            )
            return HttpResponseRedirect(request.get_full_path())
        return super().response_action(request, queryset)

    def form_page(
        self,
        request: HttpRequest,
        *,
        form: Form,
        title: str,
        submit: str,
        intro: str = "",
        action: str | None = None,
        objects: Sequence[Any] = (),
        label: Callable[[Any], str] = str,
    ) -> TemplateResponse:
        """An intermediate page asking for an action's input (or a page of its own)."""
        return TemplateResponse(
            request,
            "admin/payouts/form_page.html",
            {
                **self.admin_site.each_context(request),
                "title": title,
                "intro": intro,
                "form": form,
                "submit": submit,
                "action": action,
                "objects": [{"pk": o.pk, "label": label(o)} for o in objects],
                "action_checkbox_name": ACTION_CHECKBOX_NAME,
                "opts": self.opts,
                "cancel_url": reverse(
                    f"admin:{self.opts.app_label}_{self.opts.model_name}_changelist"
                ),
            },
        )


def _bound(form_class: type[F], request: HttpRequest, **kwargs: Any) -> F:
    """The form bound to the POST once "apply" was pressed, unbound (initial values) before."""
    data = request.POST if "apply" in request.POST else None
    return form_class(data, **kwargs)


# --- revenue ------------------------------------------------------------------------------


@admin.register(Revenue)
class RevenueAdmin(PayoutsAdmin[Revenue]):
    list_display = (
        "pk",
        "project",
        "version_number",
        "amount",
        "currency",
        "reference",
        "received_on",
        "recorded_by",
        "recorded_at",
    )
    list_display_links = ("pk", "project")
    list_filter = ("currency", "received_on")
    search_fields = ("project__title", "reference")
    list_select_related = ("project", "version", "recorded_by")
    date_hierarchy = "recorded_at"
    get_changelist = admin_lists.get_changelist  # odd ?recorded_at__year=: no 500
    fields = (
        "project",
        "version",
        "amount",
        "currency",
        "reference",
        "note",
        "received_on",
        "recorded_by",
        "recorded_at",
        "distributions_links",
    )
    readonly_fields = fields

    @admin.display(description="version", ordering="version__number")
    def version_number(self, revenue: Revenue) -> int:
        return revenue.version.number

    @admin.display(description="amount", ordering="amount_minor")
    def amount(self, revenue: Revenue) -> str:
        return format_minor(revenue.amount_minor, revenue.currency)

    @admin.display(description="distributions")
    def distributions_links(self, revenue: Revenue) -> SafeString:
        return format_html_join(
            ", ",
            '<a href="{}">{}</a>',
            (
                (reverse("admin:payouts_distribution_change", args=[d.pk]), str(d))
                for d in revenue.distributions.order_by("pk")
            ),
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return admin.ModelAdmin.has_add_permission(self, request)

    def add_view(
        self, request: HttpRequest, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        """ "Record revenue": the form converts the amount from units to minor units; the
        service decides everything else, and its refusals are shown on the form."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = RevenueRecordForm(request.POST if request.method == "POST" else None)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                revenue, created = distributions.revenue_record(
                    project=data["project"],
                    version=data["version"],
                    amount_minor=data["amount_minor"],
                    currency=data["currency"],
                    reference=data["reference"] or None,
                    note=data["note"],
                    received_on=data["received_on"],
                    by=_by(request),
                )
            except ValidationError as error:
                for field, texts in error.message_dict.items():
                    form.add_error(
                        "amount"
                        if field == "amount_minor"
                        else (field if field in form.fields else None),
                        texts,
                    )
            except ConflictError as error:
                form.add_error("reference", error.message)
            else:
                amount = format_minor(revenue.amount_minor, revenue.currency)
                if created:
                    self.message_user(
                        request,
                        f"Recorded {amount} for “{revenue.project.title}”; its distribution "
                        "is being computed.",
                        messages.SUCCESS,
                    )
                else:
                    self.message_user(
                        request,
                        f"Reference {revenue.reference} was already recorded ({amount} for "
                        f"“{revenue.project.title}”): nothing new was written.",
                        messages.WARNING,
                    )
                return HttpResponseRedirect(
                    reverse("admin:payouts_revenue_change", args=[revenue.pk])
                )
        return self.form_page(
            request,
            form=form,
            title="Record revenue",
            submit="Record revenue",
            intro="Revenue is recorded against a project's locked cut; its distribution is "
            "computed in the background. Amounts are in the currency's units.",
        )


# --- distributions ------------------------------------------------------------------------


class LineColumns:
    """The columns a line shows wherever staff see it: the distribution's inline and the
    lines list."""

    @admin.display(description="amount", ordering="amount_minor")
    def amount(self, line: DistributionLine) -> str:
        return format_minor(line.amount_minor, line.distribution.currency)

    @admin.display(description="share")
    def share(self, line: DistributionLine) -> str:
        return f"{_percent(line.credit.share)} ({line.credit.share_exact})"

    @admin.display(description="payee kept at approval (staff only)")
    def payee(self, line: DistributionLine) -> str:
        return _payee_text(line)

    @admin.display(description="why")
    def explanation(self, line: DistributionLine) -> SafeString:
        return explanation_html(line.credit.explanation)


class LineInline(LineColumns, admin.TabularInline[DistributionLine, Distribution]):
    model = DistributionLine
    fields = (
        "person",
        "amount",
        "share",
        "payment_status",
        "payment_reference",
        "batch",
        "payee",
        "explanation",
    )
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = False

    def get_queryset(self, request: HttpRequest) -> QuerySet[DistributionLine]:
        return (
            super()
            .get_queryset(request)
            .select_related("person", "credit", "batch", "payee", "distribution")
        )

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


def _payee_text(line: DistributionLine) -> str:
    try:
        payee = line.payee
    except ObjectDoesNotExist:
        return "(not approved yet)"
    if payee.redacted:
        return "(redacted)"
    return (
        f"{payee.payee_name} <{payee.payout_email}>"
        if payee.payout_email
        else "(no verified payout email)"
    )


class ClaimInline(admin.TabularInline[Claim, Distribution]):
    model = Claim
    fields = ("claimant", "status", "text", "answer", "answered_by", "created_at")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def get_queryset(self, request: HttpRequest) -> QuerySet[Claim]:
        return super().get_queryset(request).select_related("claimant", "answered_by")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Distribution)
class DistributionAdmin(PayoutsAdmin[Distribution]):
    list_display = (
        "pk",
        "project",
        "status",
        "amount",
        "pool",
        "house",
        "currency",
        "claim_deadline",
        "created_at",
    )
    list_display_links = ("pk", "project")
    list_filter = (
        "status",
        "currency",
        ("revenue__project", admin.RelatedOnlyFieldListFilter),
        "created_at",
    )
    search_fields = ("revenue__project__title", "revenue__reference")
    list_select_related = ("revenue__project",)
    date_hierarchy = "created_at"
    get_changelist = admin_lists.get_changelist  # odd ?created_at__year=: no 500
    fields = (
        "revenue_link",
        "project",
        "version",
        "status",
        "amount",
        "pool",
        "house",
        "currency",
        "claim_deadline",
        "failure_reason",
        "created_at",
        "computed_at",
        "proposed_at",
        "approved_at",
        "approved_by",
        "paid_at",
        "payee_changes",
    )
    readonly_fields = fields
    inlines = [LineInline, ClaimInline]
    actions = ["propose", "approve", "recompute"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Distribution]:
        return super().get_queryset(request).select_related("revenue__project", "version")

    def get_inlines(
        self, request: HttpRequest, obj: Distribution | None
    ) -> list[type[admin.options.InlineModelAdmin[Any, Any]]]:
        """The claims table only when there are claims: an empty one says nothing, and on a
        phone Django makes it a scrolling box that holds nothing a keyboard can reach."""
        if obj is None or not obj.claims.exists():
            return [LineInline]
        return [LineInline, ClaimInline]

    @admin.display(description="project", ordering="revenue__project__title")
    def project(self, distribution: Distribution) -> str:
        return distribution.revenue.project.title

    @admin.display(description="revenue")
    def revenue_link(self, distribution: Distribution) -> SafeString:
        revenue = distribution.revenue
        return format_html(
            '<a href="{}">{} (reference {})</a>',
            reverse("admin:payouts_revenue_change", args=[revenue.pk]),
            format_minor(revenue.amount_minor, revenue.currency),
            revenue.reference or "none",
        )

    @admin.display(description="payout details changed lately")
    def payee_changes(self, distribution: Distribution) -> str:
        """People of this distribution whose payout email or name changed in the days
        before its approval (or before now, while not approved): worth a second look
        before paying, since that is how a hijacked account would redirect money."""
        at = distribution.approved_at or timezone.now()
        people = list(distribution.lines.values_list("person_id", flat=True))
        changed = payee.payee_changes_before(person_ids=people, at=at)
        if not changed:
            return "none"
        names = dict(User.objects.filter(pk__in=changed).values_list("pk", "username"))
        return "; ".join(
            f"{names.get(pk, pk)} on {when:%Y-%m-%d %H:%M}" for pk, when in sorted(changed.items())
        )

    @admin.display(description="amount", ordering="amount_minor")
    def amount(self, distribution: Distribution) -> str:
        return _units(distribution.amount_minor, distribution.currency)

    @admin.display(description="pool", ordering="pool_minor")
    def pool(self, distribution: Distribution) -> str:
        return _units(distribution.pool_minor, distribution.currency)

    @admin.display(description="house", ordering="house_minor")
    def house(self, distribution: Distribution) -> str:
        return _units(distribution.house_minor, distribution.currency)

    def _each(
        self,
        request: HttpRequest,
        queryset: QuerySet[Distribution],
        verb: str,
        run: Callable[[Distribution], object],
    ) -> None:
        done = 0
        for distribution in queryset.order_by("pk"):
            try:
                run(distribution)
            except (ConflictError, ValidationError, PermissionDenied) as error:
                self.message_user(
                    request, f"Distribution {distribution.pk}: {_error_text(error)}", messages.ERROR
                )
            else:
                done += 1
        if done:
            self.message_user(request, f"{verb} {done} distribution(s).", messages.SUCCESS)

    @admin.action(description="Propose (open the claim window)", permissions=["run_payouts"])
    def propose(
        self, request: HttpRequest, queryset: QuerySet[Distribution]
    ) -> TemplateResponse | None:
        form = _bound(ClaimDaysForm, request)
        if not form.is_bound or not form.is_valid():
            return self.form_page(
                request,
                form=form,
                title="Propose distributions",
                submit="Propose",
                intro="Proposing makes each distribution and its lines public, notifies its "
                "people and opens claims for the window below.",
                action="propose",
                objects=list(queryset.order_by("pk")),
                label=_distribution_label,
            )
        days = form.cleaned_data["claim_days"]
        self._each(
            request,
            queryset,
            "Proposed",
            lambda d: distributions.distribution_propose(
                distribution=d, by=_by(request), claim_days=days
            ),
        )
        return None

    @admin.action(
        description="Approve (after the claim window, with no open claim)",
        permissions=["run_payouts"],
    )
    def approve(self, request: HttpRequest, queryset: QuerySet[Distribution]) -> None:
        self._each(
            request,
            queryset,
            "Approved",
            lambda d: distributions.distribution_approve(distribution=d, by=_by(request)),
        )

    @admin.action(
        description="Recompute (failed or cancelled), optionally on a newer version",
        permissions=["run_payouts"],
    )
    def recompute(
        self, request: HttpRequest, queryset: QuerySet[Distribution]
    ) -> TemplateResponse | None:
        chosen = list(queryset.order_by("pk"))
        project_ids = sorted({d.revenue.project_id for d in chosen})
        form = _bound(RecomputeForm, request, project_ids=project_ids)
        if not form.is_bound or not form.is_valid():
            return self.form_page(
                request,
                form=form,
                title="Recompute distributions",
                submit="Recompute",
                intro="A failed distribution is computed again; a cancelled one stays for the "
                "record and its revenue gets a new distribution.",
                action="recompute",
                objects=chosen,
                label=_distribution_label,
            )
        version = form.cleaned_data["version"]
        self._each(
            request,
            queryset,
            "Recomputing",
            lambda d: distributions.distribution_recompute(
                distribution=d, by=_by(request), version=version
            ),
        )
        return None


def _distribution_label(distribution: Distribution) -> str:
    return (
        f"Distribution {distribution.pk} of “{distribution.revenue.project.title}”: "
        f"{format_minor(distribution.amount_minor, distribution.currency)}, {distribution.status}"
    )


# --- claims -------------------------------------------------------------------------------


@admin.register(Claim)
class ClaimAdmin(PayoutsAdmin[Claim]):
    list_display = ("pk", "distribution_link", "project", "claimant", "status", "created_at")
    list_filter = ("status", "created_at")
    search_fields = ("claimant__username", "text", "distribution__revenue__project__title")
    list_select_related = ("distribution__revenue__project", "claimant")
    fields = (
        "distribution_link",
        "project",
        "claimant",
        "text",
        "status",
        "answer",
        "answered_by",
        "answered_at",
        "created_at",
    )
    readonly_fields = fields
    actions = ["accept", "reject", "add_missing_source"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Claim]:
        return (
            super()
            .get_queryset(request)
            .select_related("distribution__revenue__project", "claimant", "answered_by")
        )

    @admin.display(description="distribution", ordering="distribution_id")
    def distribution_link(self, claim: Claim) -> SafeString:
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:payouts_distribution_change", args=[claim.distribution_id]),
            str(claim.distribution),
        )

    @admin.display(description="project", ordering="distribution__revenue__project__title")
    def project(self, claim: Claim) -> str:
        return claim.distribution.revenue.project.title

    def _answer(
        self, request: HttpRequest, queryset: QuerySet[Claim], *, accept: bool
    ) -> TemplateResponse | None:
        action = "accept" if accept else "reject"
        form = _bound(AnswerForm, request)
        chosen = list(queryset.order_by("pk"))
        if not form.is_bound or not form.is_valid():
            return self.form_page(
                request,
                form=form,
                title=f"{action.capitalize()} claims",
                submit=action.capitalize(),
                intro="Accepting a claim cancels its distribution (kept for the record; "
                "recompute it once the claim is settled)."
                if accept
                else "The claimant is told the answer below.",
                action=action,
                objects=chosen,
                label=lambda c: f"Claim {c.pk} by {c.claimant.display_name}: {c.text[:200]}",
            )
        done = 0
        for claim in chosen:
            try:
                distributions.claim_answer(
                    claim=claim, by=_by(request), accept=accept, answer=form.cleaned_data["answer"]
                )
            except (ConflictError, ValidationError, PermissionDenied) as error:
                self.message_user(
                    request, f"Claim {claim.pk}: {_error_text(error)}", messages.ERROR
                )
            else:
                done += 1
        if done:
            self.message_user(
                request, f"{action.capitalize()}ed {done} claim(s).", messages.SUCCESS
            )
        return None

    @admin.action(description="Accept, with a written answer", permissions=["run_payouts"])
    def accept(self, request: HttpRequest, queryset: QuerySet[Claim]) -> TemplateResponse | None:
        return self._answer(request, queryset, accept=True)

    @admin.action(description="Reject, with a written answer", permissions=["run_payouts"])
    def reject(self, request: HttpRequest, queryset: QuerySet[Claim]) -> TemplateResponse | None:
        return self._answer(request, queryset, accept=False)

    @admin.action(
        description="Add a missing source to a contribution (settles an accepted claim)",
        permissions=["run_payouts"],
    )
    def add_missing_source(
        self, request: HttpRequest, queryset: QuerySet[Claim]
    ) -> TemplateResponse | None:
        chosen = list(queryset.order_by("pk")[:2])
        if len(chosen) != 1:
            self.message_user(request, "Choose exactly one accepted claim.", messages.ERROR)
            return None
        claim = chosen[0]
        form = _bound(MissingSourceForm, request)
        if form.is_bound and form.is_valid():
            if self._add_source(request, form, claim):
                return None
        return self.form_page(
            request,
            form=form,
            title="Add a missing source",
            submit="Add the source",
            intro="The remix gets one more source link (audited with this claim). A source "
            "must be older than the remix. Locked versions keep the credits they were "
            "computed with: the link counts from the next locked version's credits on.",
            action="add_missing_source",
            objects=chosen,
            label=lambda c: (
                f"Claim {c.pk} ({c.status}) by {c.claimant.display_name}: {c.text[:200]}"
            ),
        )

    def _add_source(self, request: HttpRequest, form: MissingSourceForm, claim: Claim) -> bool:
        found: dict[str, Contribution] = {}
        for field in ("remix", "source"):
            pk = parse_id(form.cleaned_data[field].strip())
            contribution = Contribution.objects.filter(pk=pk).first() if pk else None
            if contribution is None:
                form.add_error(field, "No contribution has that id.")
            else:
                found[field] = contribution
        if len(found) < 2:
            return False
        try:
            contribution_services.source_add_missing(
                contribution=found["remix"],
                source=found["source"],
                weight=form.cleaned_data["weight"],
                by=_by(request),
                claim=claim,
            )
        except ValidationError as error:
            for field, texts in error.message_dict.items():
                form.add_error(field if field in form.fields else None, texts)
            return False
        except (ConflictError, PermissionDenied) as error:
            form.add_error(None, _error_text(error))
            return False
        self.message_user(
            request,
            f"“{found['remix'].title}” (#{found['remix'].pk}) is now built from "
            f"“{found['source'].title}” (#{found['source'].pk}).",
            messages.SUCCESS,
        )
        return True


# --- paying -------------------------------------------------------------------------------


def batch_rows(batch: PaymentBatch) -> list[exports.PayoutRow]:
    """The rows of a batch's files (shared with the API's downloads)."""
    return money_selectors.payout_rows(money_selectors.batch_lines(batch))


@admin.register(PaymentBatch)
class PaymentBatchAdmin(PayoutsAdmin[PaymentBatch]):
    list_display = ("pk", "currency", "line_count", "total", "created_by", "created_at")
    list_filter = ("currency", "created_at")
    list_select_related = ("created_by",)
    date_hierarchy = "created_at"
    get_changelist = admin_lists.get_changelist  # odd ?created_at__year=: no 500
    change_list_template = "admin/payouts/paymentbatch/change_list.html"
    fields = ("currency", "line_count", "total", "created_by", "created_at", "downloads", "lines")
    readonly_fields = fields
    actions = ["mark_paid"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[PaymentBatch]:
        return (
            super()
            .get_queryset(request)
            .select_related("created_by")
            .annotate(line_total=Count("lines"), amount_total=Sum("lines__amount_minor"))
        )

    @admin.display(description="lines", ordering="line_total")
    def line_count(self, batch: PaymentBatch) -> int:
        return cast(int, getattr(batch, "line_total", 0))

    @admin.display(description="total", ordering="amount_total")
    def total(self, batch: PaymentBatch) -> str:
        return _units(getattr(batch, "amount_total", None) or 0, batch.currency)

    @admin.display(description="downloads")
    def downloads(self, batch: PaymentBatch) -> SafeString:
        parts = exports.paypal_part_count(
            batch.lines.exclude(payment_status=Payment.FAILED).count()
        )
        csv_url = reverse("admin:payouts_paymentbatch_csv", args=[batch.pk])
        paypal_url = reverse("admin:payouts_paymentbatch_paypal", args=[batch.pk])
        paypal = format_html_join(
            " ",
            '<a href="{}?part={}">PayPal bulk file, part {} of {}</a>',
            ((paypal_url, n, n, parts) for n in range(1, parts + 1)),
        )
        return format_html('<a href="{}">CSV</a> · {}', csv_url, paypal)

    @admin.display(description="lines")
    def lines(self, batch: PaymentBatch) -> SafeString:
        url = reverse("admin:payouts_distributionline_changelist")
        # The whole sentence is the link: a link inside running text that differs from it
        # by colour alone is lost to people who cannot tell the colours apart (admin's
        # links are not underlined).
        return format_html(
            '<a href="{}?batch__id__exact={}">The lines of this batch, to mark one failed</a>',
            url,
            batch.pk,
        )

    def get_urls(self) -> list[URLPattern]:
        view = self.admin_site.admin_view
        return [
            path("export/", view(self.export_view), name="payouts_paymentbatch_export"),
            path("<str:batch_id>/csv/", view(self.csv_view), name="payouts_paymentbatch_csv"),
            path(
                "<str:batch_id>/paypal/", view(self.paypal_view), name="payouts_paymentbatch_paypal"
            ),
            *super().get_urls(),
        ]

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        return super().changelist_view(
            request,
            {
                **(extra_context or {}),
                "can_export": self.has_run_payouts_permission(request),
                "export_url": reverse("admin:payouts_paymentbatch_export"),
            },
        )

    def export_view(self, request: HttpRequest) -> HttpResponse:
        """ "Export payable lines": one currency's payable unpaid lines become a batch."""
        if not self.has_run_payouts_permission(request):
            raise PermissionDenied
        form = CurrencyForm(request.POST if request.method == "POST" else None)
        if request.method == "POST" and form.is_valid():
            try:
                batch = distributions.payment_batch_export(
                    currency=form.cleaned_data["currency"], by=_by(request)
                )
            except (ConflictError, ValidationError) as error:
                self.message_user(request, _error_text(error), messages.ERROR)
            else:
                self.message_user(
                    request,
                    f"Batch {batch.pk}: {batch.lines.count()} {batch.currency} line(s) to pay. "
                    "Download the file, pay, then mark the batch paid.",
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(
                    reverse("admin:payouts_paymentbatch_change", args=[batch.pk])
                )
        return self.form_page(
            request,
            form=form,
            title="Export payable lines",
            submit="Export",
            intro="Every payable unpaid line of the currency (approved distributions, a "
            "verified payout email kept at approval) goes into one new batch; no later "
            "export repeats them.",
        )

    def _batch_for_download(self, request: HttpRequest, batch_id: str) -> PaymentBatch:
        if not self.has_view_permission(request):
            raise PermissionDenied
        pk = parse_id(batch_id)
        if pk is None:
            raise Http404("No payment batch has that id.")
        return get_object_or_404(PaymentBatch, pk=pk)

    def csv_view(self, request: HttpRequest, batch_id: str) -> HttpResponse:
        batch = self._batch_for_download(request, batch_id)
        response = HttpResponse(
            exports.batch_csv(batch_rows(batch)), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = f'attachment; filename="batch-{batch.pk}.csv"'
        return response

    def paypal_view(self, request: HttpRequest, batch_id: str) -> HttpResponse:
        batch = self._batch_for_download(request, batch_id)
        rows = batch_rows(batch)
        parts = exports.paypal_part_count(len(rows))
        part = parse_page(request.GET.get("part", "1"), default=0)
        if not 1 <= part <= parts:
            return HttpResponseBadRequest(
                f"Choose a part from 1 to {parts}: ?part=1".encode(), content_type="text/plain"
            )
        response = HttpResponse(
            exports.paypal_file(rows, part=part), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = (
            f'attachment; filename="batch-{batch.pk}-paypal-{part}-of-{parts}.csv"'
        )
        return response

    @admin.action(
        description="Mark the batch's lines paid, with a reference", permissions=["run_payouts"]
    )
    def mark_paid(
        self, request: HttpRequest, queryset: QuerySet[PaymentBatch]
    ) -> TemplateResponse | None:
        form = _bound(ReferenceForm, request)
        chosen = list(queryset.order_by("pk"))
        if not form.is_bound or not form.is_valid():
            return self.form_page(
                request,
                form=form,
                title="Mark batches paid",
                submit="Mark paid",
                intro="Every line of these batches still in the batch is marked paid with "
                "this reference, and each person is told. Mark lines that failed first.",
                action="mark_paid",
                objects=chosen,
            )
        reference = form.cleaned_data["reference"]
        paid = 0
        for batch in chosen:
            for line in batch.lines.filter(payment_status=Payment.IN_BATCH).order_by("pk"):
                try:
                    distributions.line_mark_paid(line=line, by=_by(request), reference=reference)
                except (ConflictError, ValidationError, PermissionDenied) as error:
                    self.message_user(
                        request, f"Line {line.pk}: {_error_text(error)}", messages.ERROR
                    )
                else:
                    paid += 1
        self.message_user(request, f"Marked {paid} line(s) paid.", messages.SUCCESS)
        return None


@admin.register(DistributionLine)
class DistributionLineAdmin(LineColumns, PayoutsAdmin[DistributionLine]):
    list_display = (
        "pk",
        "distribution",
        "project",
        "person",
        "amount",
        "payment_status",
        "batch",
        "payment_reference",
        "failure_reason",
        "payee",
    )
    list_filter = ("payment_status", "distribution__currency", "batch")
    search_fields = (
        "person__username",
        "distribution__revenue__project__title",
        "payment_reference",
    )
    list_select_related = ("distribution__revenue__project", "person", "batch", "payee")
    fields = (
        "distribution",
        "project",
        "person",
        "amount",
        "share",
        "payment_status",
        "batch",
        "payment_reference",
        "failure_reason",
        "paid_at",
        "payee",
        "explanation",
    )
    readonly_fields = fields
    actions = ["mark_failed"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[DistributionLine]:
        return (
            super()
            .get_queryset(request)
            .select_related("distribution__revenue__project", "person", "batch", "payee", "credit")
        )

    @admin.display(description="project", ordering="distribution__revenue__project__title")
    def project(self, line: DistributionLine) -> str:
        return line.distribution.revenue.project.title

    @admin.action(
        description="Mark failed, with a reason (the next export takes them again)",
        permissions=["run_payouts"],
    )
    def mark_failed(
        self, request: HttpRequest, queryset: QuerySet[DistributionLine]
    ) -> TemplateResponse | None:
        form = _bound(ReasonForm, request)
        chosen = list(queryset.order_by("pk"))
        if not form.is_bound or not form.is_valid():
            return self.form_page(
                request,
                form=form,
                title="Mark lines failed",
                submit="Mark failed",
                action="mark_failed",
                objects=chosen,
                label=lambda line: (
                    f"Line {line.pk}: {line.person.display_name}, "
                    f"{format_minor(line.amount_minor, line.distribution.currency)}"
                ),
            )
        failed = 0
        for line in chosen:
            try:
                distributions.line_mark_failed(
                    line=line, by=_by(request), reason=form.cleaned_data["reason"]
                )
            except (ConflictError, ValidationError, PermissionDenied) as error:
                self.message_user(request, f"Line {line.pk}: {_error_text(error)}", messages.ERROR)
            else:
                failed += 1
        if failed:
            self.message_user(request, f"Marked {failed} line(s) failed.", messages.SUCCESS)
        return None
