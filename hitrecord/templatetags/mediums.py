"""The medium chip: one look and one label for a medium wherever it is shown (project
cards and pages, contribution cards, profiles)."""

from __future__ import annotations

from typing import Any

from django import template

from accounts.models import Medium

register = template.Library()


@register.inclusion_tag("includes/medium_chip.html")
def medium_chip(medium: Any) -> dict[str, str]:
    """``{% medium_chip "audio" %}``: the chip with the medium's class and the label people
    read, taken from ``Medium``'s choices ("Audio"). A value that is not a medium shows as
    itself, without a medium's colour."""
    value = str(medium)
    labels = dict(Medium.choices)
    if value not in labels:
        return {"medium": "", "label": value}
    return {"medium": value, "label": str(labels[value])}
