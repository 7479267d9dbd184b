"""The money pages: a person's earnings (``/me/earnings/``), filing a claim, a project's
public ledger (``/projects/<slug>/ledger/``) and where a person is paid (``/me/payee/``).

Thin: ``payouts.money_selectors`` reads (a fixed number of queries per page),
``payouts.distributions.claim_file`` and ``payouts.payee`` write. Every form works without
JavaScript; a refused write comes back as the same page with the reason beside the field
and a 4xx status.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import datetime
from typing import Any, cast

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.safestring import SafeString
from django.views.decorators.http import require_http_methods, require_POST

from accounts.models import User
from accounts.selectors import people_version
from hitrecord import fragments
from hitrecord.errors import ConflictError, RateLimited
from hitrecord.params import parse_id, parse_page
from payouts import distributions, money_selectors, payee
from payouts.models import Claim, Distribution, DistributionLine, PayeeDetails
from payouts.money import format_minor
from payouts.money_selectors import claims_open
from payouts.money_versions import earnings_scope, ledger_scope, money_version
from projects.models import Project
from projects.selectors import project_get, project_id_for, projects_version

CLAIM_MAX = 5000


def _errors_into(form: forms.Form, error: ValidationError, *, default_field: str) -> None:
    """A service's ``ValidationError`` beside the field it names (or ``default_field``)."""
    if hasattr(error, "error_dict"):
        for field, problems in error.message_dict.items():
            name = field if field in form.fields else default_field
            for problem in problems:
                form.add_error(name, problem)
    else:
        for problem in error.messages:
            form.add_error(default_field, problem)


# --- earnings -------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "HEAD"])
def earnings_page(request: HttpRequest) -> HttpResponse:
    """The signed-in person's lines across projects, with totals per currency. A cached
    fragment of their own, keyed by their earnings version read from the database (exact
    from the instant a write commits) and the people version (it names people)."""
    person = cast(User, request.user)
    number = parse_page(request.GET.get("page"))
    version = money_version(earnings_scope(person.pk))
    key = f"earnings-page:{person.pk}:{version}:{people_version()}:{number}"

    def build() -> tuple[str, list[Distribution]]:
        earnings = money_selectors.earnings_of(person=person, page=number)
        context = {"earnings": earnings, "page": earnings.page, "payee": earnings.payee}
        return fragments.render(EARNINGS_BODY, context), [e.distribution for e in earnings.lines]

    body = _money_fragment(request, key, build)
    return render(request, "payouts/earnings.html", {"body": body})


EARNINGS_BODY = "payouts/_earnings_body.html"
LEDGER_BODY = "payouts/_ledger_body.html"


def _money_fragment(
    request: HttpRequest, key: str, build: Callable[[], tuple[str, list[Distribution]]]
) -> SafeString:
    """A money page's fragment under ``key`` (which holds its database version), built on
    a miss. It also expires at the first claim deadline it shows, since "claims open" then
    turns to "closed" with no write at all."""
    now = timezone.now()

    def page() -> dict[str, Any]:
        html, shown = build()
        deadlines = [
            d.claim_deadline for d in shown if claims_open(d, now=now) and d.claim_deadline
        ]
        return {"html": html, "until": min(deadlines) if deadlines else None}

    cached = fragments.cached_value(
        key,
        page,
        local=True,  # the key holds the database's version: exact in every worker
        usable=lambda cached: cached["until"] is None or now < cached["until"],
        seconds=lambda cached: _seconds_left(cached, now),
    )
    return fragments.serve(request, cached["html"])


def _seconds_left(cached: dict[str, Any], now: datetime) -> int:
    """How long a money fragment may be kept: ``FRAGMENT_SECONDS``, or less when a claim
    deadline it shows comes sooner."""
    if cached["until"] is None:
        return fragments.FRAGMENT_SECONDS
    until: datetime = cached["until"]
    left = math.ceil((until - now).total_seconds())
    return max(1, min(fragments.FRAGMENT_SECONDS, left))


# --- claims ---------------------------------------------------------------------------


class ClaimForm(forms.Form):
    text = forms.CharField(
        label="What is wrong?",
        max_length=CLAIM_MAX,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="Say which work is missing, or why a share looks wrong. Staff answer in "
        "writing, and you are told when they do.",
        error_messages={
            "required": "Say what is wrong: which work is missing, or why.",
            "max_length": "Keep the claim under 5,000 characters.",
        },
    )


def _claim_context(distribution: Any, person: User, form: ClaimForm) -> dict[str, Any]:
    project = distribution.revenue.project
    return {
        "distribution": distribution,
        "project": project,
        "amount": format_minor(distribution.amount_minor, distribution.currency),
        "open": money_selectors.claims_open(distribution),
        "existing": Claim.objects.filter(distribution=distribution, claimant=person).first(),
        "form": form,
    }


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def claim_page(request: HttpRequest, distribution_id: str) -> HttpResponse:
    """A small form to file a claim on a proposed distribution, while its window is open.
    Filing goes through ``distributions.claim_file``, which checks everything again."""
    person = cast(User, request.user)
    pk = parse_id(distribution_id)
    distribution = (
        money_selectors.public_distribution(distribution_id=pk) if pk is not None else None
    )
    if distribution is None:
        raise Http404("No public distribution with that number.")
    form = ClaimForm(request.POST or None)
    if request.method != "POST":
        return render(
            request, "payouts/earnings_claim.html", _claim_context(distribution, person, form)
        )
    status = 400
    if form.is_valid():
        try:
            distributions.claim_file(
                distribution=distribution, by=person, text=form.cleaned_data["text"]
            )
        except PermissionDenied as denied:
            status = 403
            form.add_error(None, str(denied) or "You may not file a claim.")
        except ValidationError as error:
            _errors_into(form, error, default_field="text")
        except ConflictError as conflict:
            status = 409
            form.add_error(None, conflict.message)
        else:
            messages.success(
                request,
                f"Your claim on the distribution for “{distribution.revenue.project.title}” "
                "was filed. Staff answer it before the distribution is approved.",
            )
            has_line = DistributionLine.objects.filter(
                distribution=distribution, person=person
            ).exists()
            if has_line:
                return redirect("payouts:earnings")
            return redirect("payouts:ledger", slug=distribution.revenue.project.slug)
    return render(
        request,
        "payouts/earnings_claim.html",
        _claim_context(distribution, person, form),
        status=status,
    )


# --- the public ledger ----------------------------------------------------------------


@require_http_methods(["GET", "HEAD"])
def ledger_page(request: HttpRequest, slug: str) -> HttpResponse:
    """A project's distributions from proposal on, with their lines: public. A cached
    fragment keyed by the ledger's version read from the database (exact from the
    instant a write commits) and the people version (it names people)."""
    project_id = project_id_for(slug=slug)
    number = parse_page(request.GET.get("page"))
    version = money_version(ledger_scope(project_id))
    key = f"ledger-page:{project_id}:{version}:{people_version()}:{number}"
    title = fragments.cached_value(
        f"project-title:{project_id}:{projects_version()}",
        lambda: Project.objects.filter(pk=project_id).values_list("title", flat=True).get(),
        local=True,
    )

    def build() -> tuple[str, list[Distribution]]:
        project = project_get(slug=slug)
        ledger = money_selectors.ledger_of(project=project, page=number)
        context = {"project": project, "ledger": ledger, "page": ledger.page}
        return fragments.render(LEDGER_BODY, context), [e.distribution for e in ledger.entries]

    body = _money_fragment(request, key, build)
    return render(request, "payouts/ledger.html", {"title": title, "body": body})


# --- where a person is paid -----------------------------------------------------------


class PayeeForm(forms.Form):
    """What the page posts; ``payouts.payee.payee_details_set`` checks it all again."""

    payout_email = forms.EmailField(
        label="Payout email",
        max_length=254,
        help_text="The address your payments are sent to (for example your PayPal address). "
        "We send it a link to confirm it before any payment goes there.",
        error_messages={
            "required": "Enter the email address you are paid at.",
            "invalid": "Enter a valid email address, e.g. name@example.com.",
        },
    )
    payee_name = forms.CharField(
        label="Name on the payment",
        max_length=200,
        help_text="The name you are paid under, as your payment account has it.",
        error_messages={
            "required": "Enter the name you are paid under (as your payment account has it).",
            "max_length": "Keep the name under 200 characters.",
        },
    )
    password = forms.CharField(
        label="Your password",
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        help_text="Needed to change your payout email, so nobody else can redirect your payments.",
    )


def _payee_context(person: User, form: PayeeForm, **extra: Any) -> dict[str, Any]:
    details = PayeeDetails.objects.filter(person=person).first()
    return {
        "details": details,
        "form": form,
        "needs_password": bool(details and details.payout_email),
        **extra,
    }


def _payee_form(person: User) -> PayeeForm:
    details = PayeeDetails.objects.filter(person=person).first()
    if details is None:
        return PayeeForm()
    return PayeeForm(
        initial={"payout_email": details.payout_email, "payee_name": details.payee_name}
    )


def _rate_limited(
    request: HttpRequest, person: User, form: PayeeForm, limited: RateLimited
) -> HttpResponse:
    response = render(
        request,
        "payouts/payee.html",
        _payee_context(person, form, problem=limited.message),
        status=429,
    )
    response["Retry-After"] = str(limited.retry_after)
    return response


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def payee_page(request: HttpRequest) -> HttpResponse:
    """Set the payout email and payee name through ``payouts.payee.payee_details_set``
    (changing an existing email asks for the password; a new one is confirmed by a link)."""
    person = cast(User, request.user)
    if request.method != "POST":
        return render(request, "payouts/payee.html", _payee_context(person, _payee_form(person)))
    form = PayeeForm(request.POST)
    status = 400
    if form.is_valid():
        before = (
            PayeeDetails.objects.filter(person=person)
            .values_list("payout_email", flat=True)
            .first()
        )
        try:
            details = payee.payee_details_set(
                person=person,
                payout_email=form.cleaned_data["payout_email"],
                payee_name=form.cleaned_data["payee_name"],
                password=form.cleaned_data["password"] or None,
            )
        except PermissionDenied as denied:
            status = 403
            form.add_error(None, str(denied) or "You may not change these details.")
        except ValidationError as error:
            _errors_into(form, error, default_field="payout_email")
        except RateLimited as limited:
            return _rate_limited(request, person, form, limited)
        else:
            if details.payout_email != before and details.email_verified_at is None:
                messages.success(
                    request,
                    f"Saved. We sent a link to {details.payout_email}: follow it to confirm "
                    "the address before payments can go there.",
                )
            else:
                messages.success(request, "Saved.")
            return redirect("payouts:payee")
    return render(request, "payouts/payee.html", _payee_context(person, form), status=status)


@login_required
@require_POST
def payee_resend(request: HttpRequest) -> HttpResponse:
    """Send the link that confirms the payout email again (at most once a minute)."""
    person = cast(User, request.user)
    details = PayeeDetails.objects.filter(person=person).first()
    if details is None or not details.payout_email:
        messages.error(request, "Set a payout email first.")
        return redirect("payouts:payee")
    if details.email_verified_at is not None:
        messages.success(request, f"{details.payout_email} is already confirmed.")
        return redirect("payouts:payee")
    try:
        payee.payee_email_verification_send(person=person)
    except RateLimited as limited:
        return _rate_limited(request, person, _payee_form(person), limited)
    messages.success(request, f"We sent a new link to {details.payout_email}.")
    return redirect("payouts:payee")


@require_http_methods(["GET", "HEAD"])
def payee_verify(request: HttpRequest, token: str) -> HttpResponse:
    """Follow the link that confirms a payout email (anyone holding it: it is signed and
    names the person and the address). Idempotent, so a mail client prefetching it is
    harmless."""
    try:
        details = payee.payee_email_verify(token=token)
    except ValidationError as error:
        return render(
            request, "payouts/payee_verify.html", {"problem": error.messages[0]}, status=400
        )
    messages.success(
        request, f"Thank you: {details.payout_email} is confirmed as your payout email."
    )
    if request.user.is_authenticated and request.user.pk == details.person_id:
        return redirect("payouts:payee")
    return render(request, "payouts/payee_verify.html", {"confirmed": details.payout_email})
