"""The search box: what the page accepts (the API's serializer accepts the same)."""

from __future__ import annotations

from django import forms

from hitrecord.search.selectors import Q_MAX, TYPES


class SearchForm(forms.Form):
    q = forms.CharField(
        required=False,
        max_length=Q_MAX,
        label="Search projects, contributions and people",
        strip=False,
        error_messages={
            "max_length": f"Search for at most {Q_MAX} characters: a few words are enough."
        },
    )
    type = forms.ChoiceField(
        required=False,
        choices=[(t, t) for t in TYPES],
        error_messages={"invalid_choice": "Show all, projects, contributions or people."},
    )
