"""Forms of the payouts admin: they turn what staff type into the services' arguments and
nothing more. The rules (a locked cut, a version of the same project, a reference seen
before) stay in ``payouts.distributions``; the admin shows the services' messages on
these forms."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from payouts.distributions import CLAIM_DAYS_DEFAULT, CLAIM_DAYS_MAX
from payouts.models import CutVersion
from payouts.money import currency_choices, units_to_minor
from projects.models import Project


class VersionChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.project.title}: version {obj.number}"


class RevenueRecordForm(forms.Form):
    """Record revenue: the amount in the currency's own units (``12.50`` USD, ``1250``
    JPY); ``amount_minor`` is filled in by :meth:`clean`."""

    project = forms.ModelChoiceField(
        queryset=Project.objects.all(),
        help_text="Only projects with a locked cut are listed.",
    )
    version = VersionChoiceField(
        queryset=CutVersion.objects.none(),
        required=False,
        empty_label="The project's latest locked version",
        help_text="Leave empty for the latest; a chosen version must be that project's.",
    )
    amount = forms.CharField(
        max_length=40,
        help_text="In the currency's units: 12.50 for USD, 1250 for JPY.",
    )
    currency = forms.ChoiceField(choices=currency_choices, initial="USD")
    reference = forms.CharField(
        max_length=200,
        required=False,
        help_text="Invoice or payout-provider id. Recording it again changes nothing.",
    )
    note = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=2000
    )
    received_on = forms.DateField(initial=timezone.localdate, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        locked = (
            Project.objects.filter(cut_versions__sealed=True).distinct().order_by("title", "pk")
        )
        # The dropdown offers only projects with a locked cut; any other project posted
        # still validates here, so the service can say why it is refused.
        project_field = self.fields["project"]
        project_field.widget.choices = [("", "---------")] + [(p.pk, p.title) for p in locked]
        version_field = cast(forms.ModelChoiceField, self.fields["version"])  # type: ignore[type-arg]
        version_field.queryset = (
            CutVersion.objects.filter(sealed=True)
            .select_related("project")
            .order_by("project__title", "project_id", "-number")
        )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        amount, currency = cleaned.get("amount"), cleaned.get("currency")
        if amount and currency:
            try:
                cleaned["amount_minor"] = units_to_minor(amount, currency)
            except ValidationError as error:
                for field, messages in error.message_dict.items():
                    self.add_error(field if field in self.fields else None, messages)
        return cleaned


class ClaimDaysForm(forms.Form):
    claim_days = forms.IntegerField(
        min_value=0,
        max_value=CLAIM_DAYS_MAX,
        initial=CLAIM_DAYS_DEFAULT,
        label="Claim window (days)",
        help_text="0 skips the claim window: nobody can file a claim and it can be approved "
        "at once. Choose it only when everyone with a line has agreed.",
    )


class RecomputeForm(forms.Form):
    version = VersionChoiceField(
        queryset=CutVersion.objects.none(),
        required=False,
        empty_label="Keep each distribution's own version",
    )

    def __init__(self, *args: Any, project_ids: list[int], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = cast(forms.ModelChoiceField, self.fields["version"])  # type: ignore[type-arg]
        field.queryset = (
            CutVersion.objects.filter(project_id__in=project_ids, sealed=True)
            .select_related("project")
            .order_by("project__title", "project_id", "-number")
        )


class AnswerForm(forms.Form):
    answer = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4, "cols": 80}),
        max_length=5000,
        help_text="The claimant reads this answer.",
    )


class ReferenceForm(forms.Form):
    reference = forms.CharField(
        max_length=200, help_text="The payment provider's reference (e.g. PayPal's batch id)."
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(max_length=500, help_text="Why the payment failed.")


class CurrencyForm(forms.Form):
    currency = forms.ChoiceField(choices=currency_choices, initial="USD")


class MissingSourceForm(forms.Form):
    """Settle an accepted claim: ``remix`` was built from ``source`` too."""

    remix = forms.CharField(label="Remix contribution id", max_length=20)
    source = forms.CharField(label="Missing source contribution id", max_length=20)
    weight = forms.CharField(
        max_length=20, initial="1", help_text="More than 0 and at most 10, up to 3 decimals."
    )
