from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from contributions import services
from contributions.models import Contribution
from projects.models import Call, Project

WEIGHT_REQUIRED = "Give each source a weight: how much of it you used (1 if all the same)."
WEIGHT_HELP_ONE = "Optional: with one source its weight changes nothing, and empty counts as 1."
WEIGHT_HELP_MANY = (
    "How much of each source you used, relative to the others: more than 0, at most 10, "
    "up to 3 decimals (1 if you used them all the same)."
)


class WeightField(forms.CharField):
    """A source's link weight, checked by the service's own rule (``parse_weight``): the
    error shows beside this field, and an empty optional weight is the default."""

    def __init__(self, *, required: bool, **kwargs: Any) -> None:
        super().__init__(
            required=required,
            error_messages={"required": WEIGHT_REQUIRED},
            widget=forms.NumberInput(
                attrs={"min": "0.001", "max": "10", "step": "0.001", "inputmode": "decimal"}
            ),
            **kwargs,
        )

    def clean(self, value: Any) -> Decimal:
        raw = super().clean(value)
        try:
            return services.parse_weight(raw)
        except ValidationError as exc:
            raise ValidationError(exc.messages) from None


class ContributionForm(forms.Form):
    """The submit form. ``sources`` (the contributions remixed) add one ``weight_<id>``
    field each: optional when there is one source (its weight changes nothing), asked for
    when there are several. Required fields carry their message in
    ``data-required-message`` so ``static/js/upload.js`` says the same before uploading."""

    project = forms.ModelChoiceField(
        queryset=Project.objects.none(),
        to_field_name="slug",
        empty_label="Choose a project",
        error_messages={
            "required": "Choose the project this is for.",
            "invalid_choice": "Choose one of your projects: join a project to contribute to it.",
        },
    )
    call = forms.ModelChoiceField(
        queryset=Call.objects.none(),
        required=False,
        empty_label="No call (free contribution)",
        help_text="The open call this answers, if any.",
        error_messages={"invalid_choice": "That call is closed or belongs to another project."},
    )
    kind = forms.ChoiceField(
        choices=Contribution.Kind.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose what you are sharing: text, image, audio or video."},
    )
    title = forms.CharField(
        max_length=200,
        error_messages={
            "required": "Give the contribution a title.",
            "max_length": "Keep the title under 200 characters.",
        },
    )
    description = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=5000
    )
    text = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 10}),
        required=False,
        strip=False,
        help_text="Markdown works: *emphasis*, **strong**, lists and links.",
    )
    file = forms.FileField(
        required=False,
        allow_empty_file=True,
        help_text="Images: JPEG, PNG, WebP, GIF. Audio: MP3, OGG, WAV, FLAC. Video: MP4, WebM.",
    )
    upload_key = forms.CharField(required=False, widget=forms.HiddenInput)
    terms = forms.BooleanField(
        label="I accept the contributor terms",
        help_text="Others may remix this work on hitrecord, and a project may use it in its "
        "product; everyone whose work reaches the product is paid by the published payout rule.",
        error_messages={"required": "Accept the contributor terms to share your work."},
    )

    def __init__(
        self,
        *args: Any,
        projects: Any,
        calls: Any,
        sources: Sequence[Contribution] = (),
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["project"].queryset = projects  # type: ignore[attr-defined]
        self.fields["call"].queryset = calls  # type: ignore[attr-defined]
        self.fields["file"].widget.attrs["accept"] = (
            "image/jpeg,image/png,image/webp,image/gif,audio/mpeg,audio/ogg,audio/wav,"
            "audio/x-wav,audio/flac,video/mp4,video/webm"
        )
        self.sources = list(sources)
        several = len(self.sources) > 1
        self.weight_help = WEIGHT_HELP_MANY if several else WEIGHT_HELP_ONE
        for source in self.sources:
            weight = WeightField(required=several, label="Weight")
            weight.widget.attrs.update({"placeholder": "1", "aria-describedby": "weights_help"})
            self.fields[f"weight_{source.pk}"] = weight
            self.initial.setdefault(f"weight_{source.pk}", "1" if several else "")
        for field in self.fields.values():
            message = field.error_messages.get("required")
            if field.required and message:
                field.widget.attrs["data-required-message"] = message

    def source_rows(self) -> list[tuple[Contribution, forms.BoundField]]:
        """Each source with its weight field, in the order asked."""
        return [(source, self[f"weight_{source.pk}"]) for source in self.sources]

    def weights(self) -> dict[int, Decimal]:
        """The cleaned weight of each source, by its id (after ``is_valid()``)."""
        return {source.pk: self.cleaned_data[f"weight_{source.pk}"] for source in self.sources}


class CommentForm(forms.Form):
    body = forms.CharField(
        label="Your feedback", max_length=5000, widget=forms.Textarea(attrs={"rows": 3})
    )
