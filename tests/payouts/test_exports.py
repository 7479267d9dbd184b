"""A payment batch's files: the CSV with its header, PayPal's bulk file (no header, five
columns, amounts in units, at most 5,000 rows a part), and no cell read as a formula."""

from __future__ import annotations

import csv
import io

import pytest

from payouts.exports import (
    CSV_HEADER,
    PAYPAL_MAX_ROWS,
    PayoutRow,
    amount_units,
    batch_csv,
    neutralise,
    paypal_file,
    paypal_part_count,
)


def _row(n: int = 1, **kwargs) -> PayoutRow:
    fields = {
        "line_id": n,
        "payee": f"Payee {n}",
        "payout_email": f"p{n}@example.com",
        "amount_minor": 1250,
        "currency": "USD",
        "project": "Harbour",
        "distribution_id": 7,
    }
    return PayoutRow(**{**fields, **kwargs})


def _read(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def test_the_csv_has_a_header_and_amounts_in_units():
    rows = _read(batch_csv([_row(1), _row(2, amount_minor=5, currency="USD")]))
    assert tuple(rows[0]) == CSV_HEADER
    assert rows[1] == ["1", "Payee 1", "p1@example.com", "12.50", "USD", "Harbour", "7"]
    assert rows[2][3] == "0.05"


def test_the_paypal_file_has_no_header_and_five_columns():
    rows = _read(paypal_file([_row(1), _row(2, amount_minor=1250, currency="USD")]))
    assert rows == [
        ["p1@example.com", "12.50", "USD", "1", "hitrecord: Harbour"],
        ["p2@example.com", "12.50", "USD", "2", "hitrecord: Harbour"],
    ]


@pytest.mark.parametrize(
    ("amount", "currency", "units"),
    [
        (1250, "USD", "12.50"),
        (1250, "JPY", "1250"),
        (1234, "KWD", "1.234"),
        (100000001, "USD", "1000000.01"),
    ],
)
def test_amounts_are_written_in_the_currency_units(amount, currency, units):
    assert amount_units(amount, currency) == units


def test_a_large_batch_is_split_into_parts_of_at_most_5000_rows():
    rows = [_row(n) for n in range(1, PAYPAL_MAX_ROWS * 2 + 2)]  # 10,001 rows
    assert paypal_part_count(len(rows)) == 3
    parts = [_read(paypal_file(rows, part=n)) for n in (1, 2, 3)]
    assert [len(p) for p in parts] == [5000, 5000, 1]
    ids = [int(r[3]) for part in parts for r in part]
    assert ids == list(range(1, 10_002))  # each line once, in order
    with pytest.raises(ValueError, match="no part 4"):
        paypal_file(rows, part=4)
    assert paypal_part_count(5000) == 1
    assert paypal_part_count(0) == 1


def test_a_paypal_file_takes_one_currency():
    with pytest.raises(ValueError, match="one currency"):
        paypal_file([_row(1), _row(2, currency="EUR")])


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_cells_that_could_be_formulas_are_neutralised_in_both_files(start):
    evil = f'{start}HYPERLINK("http://x")'
    row = _row(1, payee=evil, project=evil)
    csv_rows = _read(batch_csv([row]))
    assert csv_rows[1][1] == "'" + evil
    assert csv_rows[1][5] == "'" + evil
    paypal = _read(paypal_file([_row(1, payout_email=evil)]))
    assert paypal[0][0] == "'" + evil
    # The note starts with "hitrecord: ", so a title there is no formula.
    assert _read(paypal_file([row]))[0][4] == f"hitrecord: {evil}"


def test_ordinary_cells_are_left_alone():
    assert neutralise("Mira") == "Mira"
    assert neutralise(12) == "12"
    assert neutralise("a=b") == "a=b"
