"""The curation page's form: the draft's revision, an example revenue, a search box, and
the items being edited (read from the POST as rows; the services' parsers check them, so
the page and the API refuse the same weights with the same words)."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.http import QueryDict

from hitrecord.params import parse_id
from payouts import services
from payouts.candidates import SEARCH_MAX_LENGTH

AMOUNT_DEFAULT = Decimal("1000.00")
AMOUNT_MAX = Decimal("9999999999999.99")  # under the API's 10**15 minor units


class CutForm(forms.Form):
    revision = forms.IntegerField(min_value=0, max_value=2**31 - 1, widget=forms.HiddenInput)
    amount = forms.DecimalField(
        label="Example revenue",
        required=False,
        min_value=Decimal(0),
        max_value=AMOUNT_MAX,
        max_digits=15,
        decimal_places=2,
        help_text="In your currency's units, with up to 2 decimals (e.g. 1000.00). "
        "Nothing is recorded: this only shows how it would be split.",
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )
    q = forms.CharField(
        label="Search all contributions",
        required=False,
        max_length=SEARCH_MAX_LENGTH,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": "Words in the title"}),
    )

    def amount_minor(self) -> int:
        """The example revenue in minor units (hundredths); the default when empty or bad."""
        amount = self.cleaned_data.get("amount") if hasattr(self, "cleaned_data") else None
        if amount is None:
            amount = AMOUNT_DEFAULT
        return int(amount * 100)


@dataclass
class Row:
    """One item as the director typed it, with the error to show next to its fields."""

    contribution_id: int
    weight: str
    upstream_share: str
    weight_error: str = ""
    share_error: str = ""


@dataclass
class ItemsState:
    """The items of the form, in order; ``errors`` are about the list as a whole."""

    rows: list[Row] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def ids(self) -> list[int]:
        return [row.contribution_id for row in self.rows]

    def has_row_errors(self) -> bool:
        return any(row.weight_error or row.share_error for row in self.rows)

    def find(self, contribution_id: int) -> int | None:
        return next(
            (i for i, row in enumerate(self.rows) if row.contribution_id == contribution_id),
            None,
        )

    def add(self, contribution_id: int) -> None:
        if self.find(contribution_id) is None:
            self.rows.append(Row(contribution_id, "1", ""))

    def remove(self, contribution_id: int) -> None:
        index = self.find(contribution_id)
        if index is not None:
            del self.rows[index]

    def move(self, contribution_id: int, step: int) -> None:
        index = self.find(contribution_id)
        if index is None:
            return
        target = index + step
        if 0 <= target < len(self.rows):
            self.rows[index], self.rows[target] = self.rows[target], self.rows[index]

    def check(self) -> list[services.ItemSpec] | None:
        """Parse every row with the services' parsers, putting each error next to its
        field; the specs when every row is right, else None."""
        for index, row in enumerate(self.rows):
            row.weight_error = row.share_error = ""
            try:
                services.parse_weight(row.weight, index=index)
            except ValidationError as error:
                row.weight_error = _message(error)
            try:
                services.parse_share(row.upstream_share, index=index)
            except ValidationError as error:
                row.share_error = _message(error)
        if self.has_row_errors():
            return None
        try:
            return services.parse_items(
                [
                    {
                        "contribution": row.contribution_id,
                        "weight": row.weight,
                        "upstream_share": row.upstream_share,
                    }
                    for row in self.rows
                ]
            )
        except ValidationError as error:
            self.errors.append(_message(error))
            return None


def _message(error: ValidationError) -> str:
    return " ".join(error.messages)


def read_items(data: QueryDict) -> ItemsState:
    """The rows posted by the page: ``item`` ids in order, each with ``weight-<id>`` and
    ``share-<id>``. Values that are not ids are reported, repeats kept once."""
    state = ItemsState()
    seen: set[int] = set()
    for raw in data.getlist("item"):
        contribution_id = parse_id(raw)
        if contribution_id is None:
            state.errors.append(f"{raw[:20]!r} is not a contribution id; it was left out.")
            continue
        if contribution_id in seen:
            continue
        seen.add(contribution_id)
        state.rows.append(
            Row(
                contribution_id=contribution_id,
                weight=data.get(f"weight-{contribution_id}", "")[:40].strip(),
                upstream_share=data.get(f"share-{contribution_id}", "")[:40].strip(),
            )
        )
    return state
