"""HTML forms: they check the shape of what people type; the services check the rules."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, cast

from django import forms

from accounts.models import Medium, User
from projects.models import Call, Project
from projects.services import BRIEF_MAX, CALL_DESCRIPTION_MAX, TITLE_MAX

ORDERING_CHOICES = [("newest", "Newest"), ("active", "Most active")]
YES = [("", "Any"), ("1", "Yes")]


class ProjectFilterForm(forms.Form):
    """The list page's search, filters and sort (all optional; GET)."""

    search = forms.CharField(required=False, max_length=200, label="Search")
    medium = forms.ChoiceField(
        required=False, choices=[("", "Any medium"), *Medium.choices], label="Medium"
    )
    status = forms.ChoiceField(
        required=False, choices=[("", "Any status"), *Project.Status.choices], label="Status"
    )
    has_calls = forms.BooleanField(required=False, label="Has open calls")
    good_first = forms.BooleanField(required=False, label="Good first call")
    ordering = forms.ChoiceField(required=False, choices=ORDERING_CHOICES, label="Sort")

    @staticmethod
    def filters_default() -> dict[str, Any]:
        return {
            "search": "",
            "medium": "",
            "status": "",
            "has_calls": None,
            "good_first": None,
            "ordering": "newest",
        }

    def filters(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "search": data.get("search") or "",
            "medium": data.get("medium") or "",
            "status": data.get("status") or "",
            "has_calls": True if data.get("has_calls") else None,
            "good_first": True if data.get("good_first") else None,
            "ordering": data.get("ordering") or "newest",
        }


def share_field(label: str, help_text: str) -> forms.DecimalField:
    return forms.DecimalField(
        label=label,
        min_value=Decimal(0),
        max_value=Decimal(1),
        max_digits=5,
        decimal_places=4,
        help_text=help_text,
        widget=forms.NumberInput(attrs={"step": "0.01", "min": "0", "max": "1"}),
    )


class ProjectForm(forms.Form):
    """Create or edit a project. ``contributor_share`` appears for staff only; an archived
    project's form offers only its status."""

    title = forms.CharField(max_length=TITLE_MAX, label="Title")
    brief = forms.CharField(
        required=False,
        max_length=BRIEF_MAX,
        widget=forms.Textarea(attrs={"rows": 10}),
        help_text="What are you making, and what do you need? Markdown works.",
    )
    mediums = forms.MultipleChoiceField(
        required=False,
        choices=Medium.choices,
        widget=forms.CheckboxSelectMultiple,
        label="Mediums wanted",
    )
    status = forms.ChoiceField(choices=Project.Status.choices, initial=Project.Status.OPEN)
    cover = forms.FileField(
        required=False,
        label="Cover image",
        help_text="A JPEG, PNG, WebP or GIF; shown on the project's card and page.",
        widget=forms.ClearableFileInput(attrs={"accept": "image/*"}),
    )
    remix_upstream_share = share_field(
        "Remix upstream share",
        "Part of a remix's credit passed on to the works it was built from (0 to 1).",
    )
    contributor_share = share_field(
        "Contributor share",
        "Part of revenue that goes to contributors (0 to 1). Staff only.",
    )

    def __init__(self, *args: Any, user: User, project: Project | None = None, **kwargs: Any):
        if project is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "title": project.title,
                "brief": project.brief,
                "mediums": project.mediums,
                "status": project.status,
                "remix_upstream_share": project.remix_upstream_share.normalize(),
                "contributor_share": project.contributor_share.normalize(),
            }
        super().__init__(*args, **kwargs)
        if project is None:
            self.fields["remix_upstream_share"].initial = Decimal("0.50")
            self.fields["contributor_share"].initial = Decimal("0.50")
        if not user.is_staff:
            del self.fields["contributor_share"]
        if project is not None and project.is_archived:
            for name in list(self.fields):
                if name != "status":
                    del self.fields[name]

    def changes(self) -> dict[str, Any]:
        """What to hand the service: the cleaned fields this form shows, the cover only
        when one was uploaded."""
        data = {name: self.cleaned_data[name] for name in self.fields if name in self.cleaned_data}
        if not data.get("cover"):
            data.pop("cover", None)
        return data


class CallForm(forms.Form):
    """Open or edit a call. The medium has no default: a call filed under the wrong medium
    reaches the wrong artists (home groups calls by medium and shows people the calls in
    theirs), so the director picks it, and forgetting it says so next to the field. Pass
    ``call`` to edit one; once contributions answered it, its medium is shown but fixed
    (``medium_locked``) because what was made for it would no longer fit."""

    title = forms.CharField(
        max_length=TITLE_MAX,
        label="Title",
        error_messages={"required": "Say what the call asks for, e.g. “A cello line”."},
    )
    description = forms.CharField(
        required=False,
        max_length=CALL_DESCRIPTION_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        label="Description",
    )
    medium = forms.ChoiceField(
        choices=[("", "Choose a medium"), *Medium.choices],
        label="Medium",
        error_messages={
            "required": "Choose the medium this call asks for: text, image, audio or video."
        },
    )
    good_first = forms.BooleanField(required=False, label="Good first call (friendly to newcomers)")

    def __init__(
        self, *args: Any, call: Call | None = None, medium_locked: bool = False, **kwargs: Any
    ):
        if call is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "title": call.title,
                "description": call.description,
                "medium": call.medium,
                "good_first": call.good_first,
            }
        super().__init__(*args, **kwargs)
        self.medium_locked = medium_locked
        if medium_locked:
            field = self.fields["medium"]
            field.disabled = True
            field.help_text = (
                "Contributions answered this call, so its medium stays as it is; open a new "
                "call to ask for another medium."
            )

    def changes(self) -> dict[str, Any]:
        """What to hand ``call_create`` / ``call_update``: a fixed medium is left out."""
        data = dict(self.cleaned_data)
        if self.medium_locked:
            data.pop("medium", None)
        return data


class DirectorForm(forms.Form):
    user = forms.TypedChoiceField(coerce=int, label="Member", choices=())

    def __init__(self, *args: Any, candidates: list[User], **kwargs: Any):
        super().__init__(*args, **kwargs)
        field = cast(forms.TypedChoiceField, self.fields["user"])
        field.choices = [(u.pk, f"{u.display_name} (@{u.username})") for u in candidates]
