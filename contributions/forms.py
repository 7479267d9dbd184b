from __future__ import annotations

from typing import Any

from django import forms

from contributions.models import Contribution
from projects.models import Call, Project


class ContributionForm(forms.Form):
    project = forms.ModelChoiceField(
        queryset=Project.objects.none(), to_field_name="slug", empty_label="Choose a project"
    )
    call = forms.ModelChoiceField(
        queryset=Call.objects.none(),
        required=False,
        empty_label="No call (free contribution)",
        help_text="The open call this answers, if any.",
    )
    kind = forms.ChoiceField(choices=Contribution.Kind.choices, widget=forms.RadioSelect)
    title = forms.CharField(max_length=200)
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
    )

    def __init__(self, *args: Any, projects: Any, calls: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["project"].queryset = projects  # type: ignore[attr-defined]
        self.fields["call"].queryset = calls  # type: ignore[attr-defined]
        self.fields["file"].widget.attrs["accept"] = (
            "image/jpeg,image/png,image/webp,image/gif,audio/mpeg,audio/ogg,audio/wav,"
            "audio/x-wav,audio/flac,video/mp4,video/webm"
        )


class CommentForm(forms.Form):
    body = forms.CharField(
        label="Your feedback", max_length=5000, widget=forms.Textarea(attrs={"rows": 3})
    )
