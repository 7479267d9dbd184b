"""The money API: recording revenue, distributions and their state changes, claims, payment
batches and their files, settling lines, a person's earnings and payee details.

Thin, like ``payouts.api``: serializers check the shape (amounts must be JSON integers),
``payouts.distributions`` and ``payouts.payee`` decide and write, and the shared exception
handler turns their ``PermissionDenied`` / ``ValidationError`` / ``ConflictError`` into
403 / 400 / 409. A distribution is visible to staff only until it is proposed; to anyone
else it is a 404 until then. Nobody but staff sees a revenue's reference or note, or the
payee details kept on a line.
"""

from __future__ import annotations

from typing import Any, cast

from django.db.models import QuerySet
from django.http import HttpResponse
from django.urls import reverse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    inline_serializer,
)
from rest_framework import exceptions, generics, permissions, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User
from hitrecord.api import Pagination
from hitrecord.params import parse_id
from hitrecord.parsers import SafeJSONParser
from payouts import distributions, exports, money_selectors, payee
from payouts.models import CutVersion, Distribution, DistributionLine, PaymentBatch, Revenue
from payouts.money import AMOUNT_MAX_MINOR
from payouts.money_selectors import public_q
from projects.api import UserRefSerializer
from projects.models import Project

Status = Distribution.Status
Payment = DistributionLine.Payment

ERRORS = {
    400: OpenApiResponse(description="Bad input; the body says what to fix."),
    401: OpenApiResponse(description="Sign in first (token or session)."),
    403: OpenApiResponse(description="Signed in, but not allowed; the body says why."),
    404: OpenApiResponse(description="No such object, or not visible to you yet."),
    409: OpenApiResponse(description="Clashes with the current state; the body says why."),
    429: OpenApiResponse(description="Too many attempts; see Retry-After."),
}
VERSION_MAX = 2**31 - 1
WHOLE = (
    "Send a whole number as a JSON integer (e.g. 1250 for 12.50 USD), not text, a decimal or "
    "true/false."
)


class WholeNumberField(serializers.IntegerField):
    """A JSON integer and nothing else: ``"12"``, ``12.5``, ``12.0`` and ``true`` are refused
    (DRF's ``IntegerField`` would take the first and third), so money is never guessed."""

    default_error_messages = {"whole": WHOLE}

    def to_internal_value(self, data: Any) -> int:
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("whole")
        return int(super().to_internal_value(data))


class StaffOnly(permissions.BasePermission):
    """Signed-in staff (anonymous callers get 401, everyone else 403 with this message)."""

    message = "Only staff run payouts."

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.is_staff)


def _id_or_404(raw: str) -> int:
    value = parse_id(raw)
    if value is None:
        raise exceptions.NotFound("No such id: ids are positive whole numbers.")
    return value


def _user_ref(user: User) -> dict[str, Any]:
    return {"id": user.pk, "username": "former member" if user.is_anonymised else user.username}


def _is_staff(request: Request) -> bool:
    return bool(request.user.is_authenticated and request.user.is_staff)


# --- shapes ---------------------------------------------------------------------------------


@extend_schema_field({"oneOf": [{"type": "string", "enum": ["cut"]}, {"type": "integer"}]})
class ReceivedFromField(serializers.JSONField):
    """Where a share came from: the text ``"cut"`` or a remix's integer id."""


ReceivedSerializer = inline_serializer(
    name="ExplanationReceived",
    fields={
        "from": ReceivedFromField(
            help_text='"cut" (with the item\'s weight) or the id of the remix that passed it on.'
        ),
        "share": serializers.CharField(help_text="A decimal string, half-even to 12 places."),
        "weight": serializers.CharField(required=False),
    },
)
ExplanationEntrySerializer = inline_serializer(
    name="ExplanationEntry",
    fields={
        "contribution": inline_serializer(
            name="ExplanationContribution",
            fields={"id": serializers.IntegerField(), "title": serializers.CharField()},
        ),
        "kept": serializers.CharField(help_text="The share of the whole that stayed here."),
        "received": serializers.ListField(child=ReceivedSerializer),
    },
)


@extend_schema_field(serializers.ListField(child=ExplanationEntrySerializer))
class ExplanationField(serializers.JSONField):
    """The line's explanation: one entry per contribution of the person that kept credit."""


class RevenueWriteSerializer(serializers.Serializer[Any]):
    project = serializers.CharField(max_length=200, help_text="The project's slug.")
    amount_minor = WholeNumberField(
        min_value=1,
        max_value=AMOUNT_MAX_MINOR,
        error_messages={
            "min_value": "The amount must be above 0.",
            "max_value": f"That amount is too large: at most {AMOUNT_MAX_MINOR} minor units.",
        },
        help_text="Minor units of the currency (cents for USD, yen for JPY), above 0.",
    )
    currency = serializers.CharField(
        max_length=12, help_text="An active ISO 4217 code with minor units, e.g. USD, JPY."
    )
    version = WholeNumberField(
        min_value=1,
        max_value=VERSION_MAX,
        required=False,
        allow_null=True,
        help_text="The number of the project's locked version it pays; the latest by default.",
    )
    reference = serializers.CharField(
        max_length=200,
        required=False,
        allow_null=True,
        allow_blank=True,
        help_text="An external id (invoice, provider id), unique: sending it again with the "
        "same fields returns the first revenue (200); with other fields, 409.",
    )
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True)
    received_on = serializers.DateField(required=False, help_text="Default: today.")


class DistributionRefSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    status = serializers.ChoiceField(choices=Status.choices)


class RevenueSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    project = serializers.CharField()
    version = serializers.IntegerField()
    amount_minor = serializers.IntegerField()
    currency = serializers.CharField()
    reference = serializers.CharField(allow_null=True)
    note = serializers.CharField()
    received_on = serializers.DateField()
    distribution = DistributionRefSerializer(allow_null=True)


class LineSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    user = UserRefSerializer()
    amount_minor = serializers.IntegerField()
    share = serializers.CharField()
    share_exact = serializers.CharField()
    explanation = ExplanationField()
    payment_status = serializers.ChoiceField(choices=Payment.choices)


class StaffRevenueSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    reference = serializers.CharField(allow_null=True)
    note = serializers.CharField()
    received_on = serializers.DateField()


class DistributionSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    project = serializers.CharField(help_text="The project's slug.")
    status = serializers.ChoiceField(choices=Status.choices)
    version = serializers.IntegerField()
    amount_minor = serializers.IntegerField(help_text="The revenue, in minor units.")
    pool_minor = serializers.IntegerField(allow_null=True)
    house_minor = serializers.IntegerField(allow_null=True)
    currency = serializers.CharField()
    claim_deadline = serializers.DateTimeField(allow_null=True)
    claims_open = serializers.BooleanField()
    lines = LineSerializer(many=True)
    revenue = StaffRevenueSerializer(required=False, help_text="Staff only.")
    failure_reason = serializers.CharField(required=False, help_text="Staff only.")


class ProposeSerializer(serializers.Serializer[Any]):
    claim_days = WholeNumberField(
        min_value=0,
        max_value=distributions.CLAIM_DAYS_MAX,
        required=False,
        help_text=f"The claim window in days (default {distributions.CLAIM_DAYS_DEFAULT}).",
    )


class RecomputeSerializer(serializers.Serializer[Any]):
    version = WholeNumberField(
        min_value=1,
        max_value=VERSION_MAX,
        required=False,
        allow_null=True,
        help_text="The number of a locked version of the same project; default: its own.",
    )


class ClaimWriteSerializer(serializers.Serializer[Any]):
    text = serializers.CharField(
        max_length=5000, help_text="What is wrong: which work is missing, or why."
    )


class ClaimSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    distribution = serializers.IntegerField()
    status = serializers.CharField()
    text = serializers.CharField()
    created_at = serializers.DateTimeField()


class CurrencySerializer(serializers.Serializer[Any]):
    currency = serializers.CharField(max_length=12, help_text="An ISO 4217 code, e.g. USD.")


class BatchLineSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    distribution = serializers.IntegerField()
    project = serializers.CharField(help_text="The project's slug.")
    user = UserRefSerializer()
    amount_minor = serializers.IntegerField()
    payment_status = serializers.ChoiceField(choices=Payment.choices)
    payout_email = serializers.CharField(help_text="Kept at approval; blank once redacted.")
    payee_name = serializers.CharField()
    payment_reference = serializers.CharField()
    failure_reason = serializers.CharField()


class BatchFilesSerializer(serializers.Serializer[Any]):
    csv = serializers.CharField(help_text="The CSV download (header row), in Django admin.")
    paypal = serializers.ListField(
        child=serializers.CharField(),
        help_text="PayPal Payouts bulk files in Django admin, one per 5,000 rows (no header).",
    )
    api_csv = serializers.CharField(help_text="The same CSV through the API (token or session).")
    api_paypal = serializers.ListField(
        child=serializers.CharField(), help_text="The same PayPal files through the API."
    )


class BatchSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    currency = serializers.CharField()
    created_at = serializers.DateTimeField()
    created_by = UserRefSerializer()
    total_minor = serializers.IntegerField()
    lines = BatchLineSerializer(many=True)
    files = BatchFilesSerializer()


class ReferenceSerializer(serializers.Serializer[Any]):
    reference = serializers.CharField(max_length=200, help_text="The provider's payment id.")


class ReasonSerializer(serializers.Serializer[Any]):
    reason = serializers.CharField(max_length=500, help_text="Why the payment failed.")


class SettledLineSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    distribution = DistributionRefSerializer()
    payment_status = serializers.ChoiceField(choices=Payment.choices)
    payment_reference = serializers.CharField()
    failure_reason = serializers.CharField()


class ProjectRefSerializer(serializers.Serializer[Any]):
    slug = serializers.CharField()
    title = serializers.CharField()


class EarningDistributionSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    status = serializers.ChoiceField(choices=Status.choices)
    claim_deadline = serializers.DateTimeField(allow_null=True)


class EarningSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    project = ProjectRefSerializer(source="distribution.revenue.project")
    distribution = EarningDistributionSerializer()
    amount_minor = serializers.IntegerField()
    currency = serializers.CharField(source="distribution.currency")
    share = serializers.CharField(source="credit.share")
    share_exact = serializers.CharField(source="credit.share_exact")
    payment_status = serializers.ChoiceField(choices=Payment.choices)
    paid_at = serializers.DateTimeField(allow_null=True)
    explanation = ExplanationField(source="credit.explanation")


class PayeeSerializer(serializers.Serializer[Any]):
    payout_email = serializers.CharField(help_text="Blank until set.")
    payee_name = serializers.CharField()
    email_verified = serializers.BooleanField(
        help_text="Nothing is exported to a payout email until its link is followed."
    )
    payable = serializers.BooleanField()
    changed_at = serializers.DateTimeField(allow_null=True)


class PayeeWriteSerializer(serializers.Serializer[Any]):
    payout_email = serializers.CharField(max_length=254, help_text="Where you are paid.")
    payee_name = serializers.CharField(max_length=200, help_text="The name you are paid under.")
    password = serializers.CharField(
        required=False,
        allow_blank=True,
        write_only=True,
        max_length=4096,
        trim_whitespace=False,
        style={"input_type": "password"},
        help_text="Required when changing an existing payout email.",
    )


class PayeeVerifySerializer(serializers.Serializer[Any]):
    token = serializers.CharField(max_length=500, help_text="The token from the emailed link.")


# --- revenue --------------------------------------------------------------------------------


def _live_distribution(revenue: Revenue) -> Distribution | None:
    rows = list(revenue.distributions.order_by("-pk"))
    live = [d for d in rows if d.status != Status.CANCELLED]
    return (live or rows)[0] if rows else None


def revenue_json(revenue: Revenue) -> dict[str, Any]:
    distribution = _live_distribution(revenue)
    return {
        "id": revenue.pk,
        "project": revenue.project.slug,
        "version": revenue.version.number,
        "amount_minor": revenue.amount_minor,
        "currency": revenue.currency,
        "reference": revenue.reference,
        "note": revenue.note,
        "received_on": revenue.received_on,
        "distribution": {"id": distribution.pk, "status": distribution.status}
        if distribution is not None
        else None,
    }


def _version_of(project: Project, number: int | None, field: str = "version") -> CutVersion | None:
    if number is None:
        return None
    version = CutVersion.objects.filter(project=project, number=number, sealed=True).first()
    if version is None:
        raise serializers.ValidationError(
            {field: [f"This project has no locked version {number}: name one of its own versions."]}
        )
    return version


class RevenueCreate(APIView):
    """Record revenue against a project's locked cut (staff). Its distribution is created
    ``pending`` and computed by a task once this commits."""

    parser_classes = [SafeJSONParser]
    permission_classes = [StaffOnly]

    @extend_schema(
        operation_id="revenue_create",
        request=RevenueWriteSerializer,
        responses={
            201: RevenueSerializer,
            200: OpenApiResponse(
                RevenueSerializer, description="The reference was seen with the same fields."
            ),
            **{code: ERRORS[code] for code in (400, 401, 403, 409)},
        },
        tags=["payouts"],
    )
    def post(self, request: Request) -> Response:
        body = RevenueWriteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        project = Project.objects.filter(slug=data["project"]).first()
        if project is None:
            raise serializers.ValidationError({"project": ["No project with that slug."]})
        revenue, created = distributions.revenue_record(
            project=project,
            amount_minor=data["amount_minor"],
            currency=data["currency"],
            by=cast(User, request.user),
            version=_version_of(project, data.get("version")),
            reference=data.get("reference"),
            note=data.get("note") or "",
            received_on=data.get("received_on"),
        )
        revenue = Revenue.objects.select_related("project", "version").get(pk=revenue.pk)
        return Response(
            revenue_json(revenue), status=status.HTTP_201_CREATED if created else status.HTTP_200_OK
        )


# --- distributions --------------------------------------------------------------------------


def _distribution_for(request: Request, raw_id: str) -> Distribution:
    """The distribution, for staff in any state, for others once proposed; 404 otherwise."""
    queryset = Distribution.objects.select_related("revenue__project", "version")
    if not _is_staff(request):
        queryset = queryset.filter(public_q())
    distribution = queryset.filter(pk=_id_or_404(raw_id)).first()
    if distribution is None:
        raise exceptions.NotFound("No distribution with that id.")
    return distribution


def distribution_json(distribution: Distribution, *, staff: bool) -> dict[str, Any]:
    """The distribution and its lines (two queries). Staff also get the revenue's reference,
    note and date and the failure reason."""
    lines = distribution.lines.select_related("person", "credit").order_by(
        "-amount_minor", "person_id"
    )
    data: dict[str, Any] = {
        "id": distribution.pk,
        "project": distribution.revenue.project.slug,
        "status": distribution.status,
        "version": distribution.version.number,
        "amount_minor": distribution.amount_minor,
        "pool_minor": distribution.pool_minor,
        "house_minor": distribution.house_minor,
        "currency": distribution.currency,
        "claim_deadline": distribution.claim_deadline,
        "claims_open": distribution.status == Status.PROPOSED
        and distribution.claim_deadline is not None
        and distribution.claim_deadline > timezone.now(),
        "lines": [
            {
                "id": line.pk,
                "user": _user_ref(line.person),
                "amount_minor": line.amount_minor,
                "share": line.credit.share,
                "share_exact": line.credit.share_exact,
                "explanation": line.credit.explanation,
                "payment_status": line.payment_status,
            }
            for line in lines
        ],
    }
    if staff:
        revenue = distribution.revenue
        data["revenue"] = {
            "id": revenue.pk,
            "reference": revenue.reference,
            "note": revenue.note,
            "received_on": revenue.received_on,
        }
        data["failure_reason"] = distribution.failure_reason
    return data


def _fresh(distribution_id: int) -> Distribution:
    return Distribution.objects.select_related("revenue__project", "version").get(
        pk=distribution_id
    )


class DistributionDetail(APIView):
    """One distribution with its lines and their explanations: staff in any state; everyone
    from proposal on (before that, 404)."""

    permission_classes = [permissions.AllowAny]

    @extend_schema(
        operation_id="distribution_retrieve",
        responses={200: DistributionSerializer, 404: ERRORS[404]},
        tags=["payouts"],
    )
    def get(self, request: Request, pk: str) -> Response:
        distribution = _distribution_for(request, pk)
        return Response(distribution_json(distribution, staff=_is_staff(request)))


class _StaffDistributionAction(APIView):
    parser_classes = [SafeJSONParser]
    permission_classes = [StaffOnly]

    def _target(self, pk: str) -> Distribution:
        distribution = (
            Distribution.objects.select_related("revenue").filter(pk=_id_or_404(pk)).first()
        )
        if distribution is None:
            raise exceptions.NotFound("No distribution with that id.")
        return distribution


_STATE_RESPONSES = {
    200: DistributionSerializer,
    **{code: ERRORS[code] for code in (400, 401, 403, 404, 409)},
}


class DistributionPropose(_StaffDistributionAction):
    """Propose a computed distribution: it becomes public, its claim window opens and its
    people are notified."""

    @extend_schema(
        operation_id="distribution_propose",
        request=ProposeSerializer,
        responses=_STATE_RESPONSES,
        tags=["payouts"],
    )
    def post(self, request: Request, pk: str) -> Response:
        distribution = self._target(pk)
        body = ProposeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        distributions.distribution_propose(
            distribution=distribution,
            by=cast(User, request.user),
            claim_days=body.validated_data.get("claim_days", distributions.CLAIM_DAYS_DEFAULT),
        )
        return Response(distribution_json(_fresh(distribution.pk), staff=True))


class DistributionApprove(_StaffDistributionAction):
    """Approve a proposed distribution after its claim window, with no claim open. Each line
    keeps the payee details in force now; from here on it never changes."""

    @extend_schema(
        operation_id="distribution_approve",
        request=None,
        responses=_STATE_RESPONSES,
        tags=["payouts"],
    )
    def post(self, request: Request, pk: str) -> Response:
        distribution = self._target(pk)
        distributions.distribution_approve(distribution=distribution, by=cast(User, request.user))
        return Response(distribution_json(_fresh(distribution.pk), staff=True))


class DistributionRecompute(_StaffDistributionAction):
    """Compute a failed or cancelled distribution again (optionally on another locked version
    of the project): a failed one is computed again in place (200); a cancelled one stays for
    the record and a new distribution is made (201)."""

    @extend_schema(
        operation_id="distribution_recompute",
        request=RecomputeSerializer,
        responses={201: DistributionSerializer, **_STATE_RESPONSES},
        tags=["payouts"],
    )
    def post(self, request: Request, pk: str) -> Response:
        distribution = self._target(pk)
        body = RecomputeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        version = _version_of(distribution.revenue.project, body.validated_data.get("version"))
        fresh = distributions.distribution_recompute(
            distribution=distribution, by=cast(User, request.user), version=version
        )
        return Response(
            distribution_json(_fresh(fresh.pk), staff=True),
            status=status.HTTP_201_CREATED if fresh.pk != distribution.pk else status.HTTP_200_OK,
        )


class ClaimCreate(APIView):
    """File a claim ("my work is missing") on a proposed distribution: signed in with a
    verified email, until its deadline, one per person."""

    parser_classes = [SafeJSONParser]
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        operation_id="distribution_claim_create",
        request=ClaimWriteSerializer,
        responses={201: ClaimSerializer, **{c: ERRORS[c] for c in (400, 401, 403, 404, 409)}},
        tags=["payouts"],
    )
    def post(self, request: Request, pk: str) -> Response:
        distribution = _distribution_for(request, pk)
        body = ClaimWriteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        claim = distributions.claim_file(
            distribution=distribution, by=cast(User, request.user), text=body.validated_data["text"]
        )
        return Response(
            {
                "id": claim.pk,
                "distribution": claim.distribution_id,
                "status": claim.status,
                "text": claim.text,
                "created_at": claim.created_at,
            },
            status=status.HTTP_201_CREATED,
        )


# --- payment batches and lines --------------------------------------------------------------


def batch_json(batch: PaymentBatch, request: Request) -> dict[str, Any]:
    lines = money_selectors.batch_lines(batch)
    parts = exports.paypal_part_count(len(money_selectors.payout_rows(lines)))

    def url(name: str) -> str:
        return request.build_absolute_uri(reverse(name, args=[batch.pk]))

    admin_paypal, api_paypal = (
        url("admin:payouts_paymentbatch_paypal"),
        url("api-payment-batch-paypal"),
    )
    return {
        "id": batch.pk,
        "currency": batch.currency,
        "created_at": batch.created_at,
        "created_by": _user_ref(batch.created_by),
        "total_minor": sum(line.amount_minor for line in lines),
        "lines": [
            {
                "id": line.pk,
                "distribution": line.distribution_id,
                "project": line.distribution.revenue.project.slug,
                "user": _user_ref(line.person),
                "amount_minor": line.amount_minor,
                "payment_status": line.payment_status,
                "payout_email": money_selectors.payee_of(line)[0],
                "payee_name": money_selectors.payee_of(line)[1],
                "payment_reference": line.payment_reference,
                "failure_reason": line.failure_reason,
            }
            for line in lines
        ],
        "files": {
            "csv": url("admin:payouts_paymentbatch_csv"),
            "paypal": [f"{admin_paypal}?part={n}" for n in range(1, parts + 1)],
            "api_csv": url("api-payment-batch-csv"),
            "api_paypal": [f"{api_paypal}?part={n}" for n in range(1, parts + 1)],
        },
    }


def _batch_or_404(pk: str) -> PaymentBatch:
    batch = PaymentBatch.objects.select_related("created_by").filter(pk=_id_or_404(pk)).first()
    if batch is None:
        raise exceptions.NotFound("No payment batch with that id.")
    return batch


class PaymentBatchCreate(APIView):
    """Export the payable unpaid lines of one currency as a new batch (staff): they move to
    ``in_batch``, so no later export repeats them. 409 when nothing is payable."""

    parser_classes = [SafeJSONParser]
    permission_classes = [StaffOnly]

    @extend_schema(
        operation_id="payment_batch_create",
        request=CurrencySerializer,
        responses={201: BatchSerializer, **{c: ERRORS[c] for c in (400, 401, 403, 409)}},
        tags=["payouts"],
    )
    def post(self, request: Request) -> Response:
        body = CurrencySerializer(data=request.data)
        body.is_valid(raise_exception=True)
        batch = distributions.payment_batch_export(
            currency=body.validated_data["currency"], by=cast(User, request.user)
        )
        return Response(
            batch_json(_batch_or_404(str(batch.pk)), request), status=status.HTTP_201_CREATED
        )


class PaymentBatchDetail(APIView):
    """A batch, its lines with the payee details kept at approval, and its file URLs."""

    permission_classes = [StaffOnly]

    @extend_schema(
        operation_id="payment_batch_retrieve",
        responses={200: BatchSerializer, **{c: ERRORS[c] for c in (401, 403, 404)}},
        tags=["payouts"],
    )
    def get(self, request: Request, pk: str) -> Response:
        return Response(batch_json(_batch_or_404(pk), request))


def _download(text: str, name: str) -> HttpResponse:
    response = HttpResponse(text, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


class PaymentBatchCsv(APIView):
    """The batch as CSV with a header row (line id, payee, payout email, amount in the
    currency's units, currency, project, distribution)."""

    permission_classes = [StaffOnly]

    @extend_schema(
        operation_id="payment_batch_csv",
        responses={
            (200, "text/csv"): OpenApiTypes.STR,
            **{c: ERRORS[c] for c in (401, 403, 404)},
        },
        tags=["payouts"],
    )
    def get(self, request: Request, pk: str) -> HttpResponse:
        batch = _batch_or_404(pk)
        rows = money_selectors.payout_rows(money_selectors.batch_lines(batch))
        return _download(exports.batch_csv(rows), f"batch-{batch.pk}-{batch.currency}.csv")


class PaymentBatchPayPal(APIView):
    """One part of PayPal Payouts' bulk file for the batch (no header row; at most 5,000
    rows a part)."""

    permission_classes = [StaffOnly]

    @extend_schema(
        operation_id="payment_batch_paypal",
        parameters=[
            OpenApiParameter("part", int, description="1 to the number of parts; default 1.")
        ],
        responses={
            (200, "text/csv"): OpenApiTypes.STR,
            **{c: ERRORS[c] for c in (400, 401, 403, 404)},
        },
        tags=["payouts"],
    )
    def get(self, request: Request, pk: str) -> HttpResponse:
        batch = _batch_or_404(pk)
        rows = money_selectors.payout_rows(money_selectors.batch_lines(batch))
        raw = request.query_params.get("part", "1")
        part = parse_id(raw)
        count = exports.paypal_part_count(len(rows))
        if part is None or part > count:
            raise serializers.ValidationError(
                {"part": [f"Choose a part from 1 to {count}; this batch has {count}."]}
            )
        return _download(
            exports.paypal_file(rows, part=part),
            f"batch-{batch.pk}-{batch.currency}-paypal-{part}.csv",
        )


class _LineAction(APIView):
    parser_classes = [SafeJSONParser]
    permission_classes = [StaffOnly]

    def _line(self, pk: str) -> DistributionLine:
        line = DistributionLine.objects.filter(pk=_id_or_404(pk)).first()
        if line is None:
            raise exceptions.NotFound("No distribution line with that id.")
        return line

    @staticmethod
    def _json(line: DistributionLine) -> dict[str, Any]:
        line = DistributionLine.objects.select_related("distribution").get(pk=line.pk)
        return {
            "id": line.pk,
            "distribution": {"id": line.distribution_id, "status": line.distribution.status},
            "payment_status": line.payment_status,
            "payment_reference": line.payment_reference,
            "failure_reason": line.failure_reason,
        }


_LINE_RESPONSES = {
    200: SettledLineSerializer,
    **{code: ERRORS[code] for code in (400, 401, 403, 404, 409)},
}


class LinePaid(_LineAction):
    """A line of a batch was paid: ``paid`` with the provider's reference. Its distribution
    is ``paid`` once every line is paid or not payable."""

    @extend_schema(
        operation_id="distribution_line_paid",
        request=ReferenceSerializer,
        responses=_LINE_RESPONSES,
        tags=["payouts"],
    )
    def post(self, request: Request, pk: str) -> Response:
        line = self._line(pk)
        body = ReferenceSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        distributions.line_mark_paid(
            line=line, by=cast(User, request.user), reference=body.validated_data["reference"]
        )
        return Response(self._json(line))


class LineFailed(_LineAction):
    """A line of a batch could not be paid: ``failed`` with a reason; the next export of its
    currency takes it again."""

    @extend_schema(
        operation_id="distribution_line_failed",
        request=ReasonSerializer,
        responses=_LINE_RESPONSES,
        tags=["payouts"],
    )
    def post(self, request: Request, pk: str) -> Response:
        line = self._line(pk)
        body = ReasonSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        distributions.line_mark_failed(
            line=line, by=cast(User, request.user), reason=body.validated_data["reason"]
        )
        return Response(self._json(line))


# --- the caller's earnings and payee details ------------------------------------------------


TotalSerializer = inline_serializer(
    name="EarningsTotal",
    fields={
        "currency": serializers.CharField(),
        "amount_minor": serializers.IntegerField(
            help_text="Every line of a proposed, approved or paid distribution."
        ),
        "paid_minor": serializers.IntegerField(help_text="The part already paid."),
    },
)


def earnings_totals(*, person: User) -> list[dict[str, Any]]:
    """The person's totals per currency (``money_selectors.totals_minor_of``), as JSON."""
    return [
        {"currency": currency, "amount_minor": total, "paid_minor": paid}
        for currency, total, paid in money_selectors.totals_minor_of(person=person)
    ]


class EarningsPagination(Pagination):
    """``{count, next, previous, results}`` with ``totals`` beside them: the caller's totals
    per currency over every page (set by the view as ``totals``)."""

    totals: list[dict[str, Any]]

    def get_paginated_response(self, data: Any) -> Response:
        response = super().get_paginated_response(data)
        response.data["totals"] = getattr(self, "totals", [])
        return response

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        shape = super().get_paginated_response_schema(schema)
        shape["properties"]["totals"] = {
            "type": "array",
            "description": "Totals per currency over all the caller's lines (not one page): "
            "`amount_minor` of every line in a proposed, approved or paid distribution, "
            "`paid_minor` of the paid ones.",
            "items": {
                "type": "object",
                "required": ["currency", "amount_minor", "paid_minor"],
                "properties": {
                    "currency": {"type": "string"},
                    "amount_minor": {"type": "integer"},
                    "paid_minor": {"type": "integer"},
                },
            },
        }
        shape["required"] = [*shape.get("required", []), "totals"]
        return shape


class MyEarnings(generics.ListAPIView[DistributionLine]):
    """The caller's lines across projects, newest first, 24 a page: each with its project,
    distribution, amount, share, payment status and explanation; and totals per currency.
    Only distributions from proposal on (cancelled ones too, for the record)."""

    serializer_class = EarningSerializer
    permission_classes = [permissions.IsAuthenticated]
    pagination_class = EarningsPagination

    def get_queryset(self) -> QuerySet[DistributionLine]:
        person = cast(User, self.request.user)  # IsAuthenticated ran first
        return (
            DistributionLine.objects.filter(public_q("distribution__"), person=person)
            .select_related("distribution__revenue__project", "credit")
            .order_by("-distribution__proposed_at", "-distribution_id", "pk")
        )

    @extend_schema(operation_id="me_earnings", tags=["payouts"])
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        paginator = cast(EarningsPagination, self.paginator)
        paginator.totals = earnings_totals(person=cast(User, request.user))
        return super().get(request, *args, **kwargs)


def payee_json(person: User) -> dict[str, Any]:
    view = payee.payee_details_of(person=person)
    return {
        "payout_email": view.payout_email,
        "payee_name": view.payee_name,
        "email_verified": view.email_verified,
        "payable": view.payable,
        "changed_at": view.changed_at,
    }


class MyPayee(APIView):
    """Where the caller is paid. Changing an existing payout email needs the password; a
    new payout email is confirmed through the link sent to it before anything is paid
    there, and the old address is told. A line keeps the details in force at approval."""

    parser_classes = [SafeJSONParser]
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        operation_id="me_payee_retrieve",
        responses={200: PayeeSerializer, 401: ERRORS[401]},
        tags=["payouts"],
    )
    def get(self, request: Request) -> Response:
        return Response(payee_json(cast(User, request.user)))

    @extend_schema(
        operation_id="me_payee_update",
        request=PayeeWriteSerializer,
        responses={200: PayeeSerializer, **{c: ERRORS[c] for c in (400, 401, 403, 429)}},
        tags=["payouts"],
    )
    def put(self, request: Request) -> Response:
        body = PayeeWriteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        person = cast(User, request.user)
        payee.payee_details_set(
            person=person,
            payout_email=body.validated_data["payout_email"],
            payee_name=body.validated_data["payee_name"],
            password=body.validated_data.get("password") or None,
        )
        return Response(payee_json(person))


class MyPayeeVerify(APIView):
    """Confirm a payout email with the token from the emailed link (anyone holding it: it is
    signed and names the person and the address). Idempotent."""

    parser_classes = [SafeJSONParser]
    permission_classes = [permissions.AllowAny]

    @extend_schema(
        operation_id="me_payee_verify",
        request=PayeeVerifySerializer,
        responses={
            200: inline_serializer(
                name="PayeeVerified", fields={"email_verified": serializers.BooleanField()}
            ),
            400: ERRORS[400],
        },
        tags=["payouts"],
    )
    def post(self, request: Request) -> Response:
        body = PayeeVerifySerializer(data=request.data)
        body.is_valid(raise_exception=True)
        payee.payee_email_verify(token=body.validated_data["token"])
        return Response({"email_verified": True})
