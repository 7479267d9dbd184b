"""The files a payment batch is downloaded as: a CSV for people, and PayPal Payouts' bulk
payment file.

Pure functions over plain rows (no queries): the admin loads a batch's lines once, turns
them into :class:`PayoutRow` and hands them here. Amounts are written in the currency's own
units (``12.50`` USD, ``1250`` JPY), never as floats.

Both files are opened in spreadsheets, so any cell that begins with ``=``, ``+``, ``-`` or
``@`` (or a tab or carriage return, which some spreadsheets skip before reading a formula) is
neutralised with a leading apostrophe: a project titled ``=HYPERLINK(...)`` stays text.

PayPal's bulk file has no header row and five columns: recipient email, amount, currency,
a customer id (the line id, so a payment can be traced back to its line) and a note. It
takes one currency and at most 5,000 rows, so a larger batch is split into parts.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from payouts.money import currency_exponent

PAYPAL_MAX_ROWS = 5000
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CSV_HEADER = (
    "line id",
    "payee",
    "payout email",
    "amount",
    "currency",
    "project",
    "distribution",
)


@dataclass(frozen=True)
class PayoutRow:
    """One line of a batch, as the files need it."""

    line_id: int
    payee: str
    payout_email: str
    amount_minor: int
    currency: str
    project: str
    distribution_id: int


def neutralise(value: object) -> str:
    """``value`` as a cell that a spreadsheet cannot read as a formula."""
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def amount_units(amount_minor: int, currency: str) -> str:
    """``1250, "USD"`` -> ``"12.50"``; ``1250, "JPY"`` -> ``"1250"``: no separators, no
    code, as payment files expect."""
    exponent = currency_exponent(currency)
    if exponent == 0:
        return str(amount_minor)
    sign = "-" if amount_minor < 0 else ""
    whole, part = divmod(abs(amount_minor), 10**exponent)
    return f"{sign}{whole}.{part:0{exponent}d}"


def _write(rows: Iterable[Sequence[object]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    for row in rows:
        writer.writerow([neutralise(cell) for cell in row])
    return out.getvalue()


def batch_csv(rows: Sequence[PayoutRow]) -> str:
    """The batch as CSV with a header row: line id, payee, payout email, amount (in the
    currency's units), currency, project, distribution."""
    return _write(
        [
            CSV_HEADER,
            *(
                (
                    r.line_id,
                    r.payee,
                    r.payout_email,
                    amount_units(r.amount_minor, r.currency),
                    r.currency,
                    r.project,
                    r.distribution_id,
                )
                for r in rows
            ),
        ]
    )


def paypal_part_count(row_count: int) -> int:
    """How many PayPal files ``row_count`` rows make (at least 1: an empty batch still has
    its, empty, file)."""
    return max(1, -(-row_count // PAYPAL_MAX_ROWS))


def paypal_note(project: str) -> str:
    # PayPal shows the note to the recipient; it allows up to 4,000 characters.
    return f"hitrecord: {project}"[:4000]


def paypal_file(rows: Sequence[PayoutRow], *, part: int = 1) -> str:
    """Part ``part`` (1-based) of PayPal Payouts' bulk payment file: no header row; recipient
    email, amount in the currency's units, currency, the line id as customer id, a note. At
    most :data:`PAYPAL_MAX_ROWS` rows. ``ValueError`` for rows of several currencies or a
    part that does not exist."""
    currencies = {r.currency for r in rows}
    if len(currencies) > 1:
        raise ValueError(f"A PayPal file takes one currency; these rows have {sorted(currencies)}.")
    parts = paypal_part_count(len(rows))
    if not 1 <= part <= parts:
        raise ValueError(f"There is no part {part}; these rows make {parts}.")
    chunk = rows[(part - 1) * PAYPAL_MAX_ROWS : part * PAYPAL_MAX_ROWS]
    return _write(
        (
            r.payout_email,
            amount_units(r.amount_minor, r.currency),
            r.currency,
            r.line_id,
            paypal_note(r.project),
        )
        for r in chunk
    )
