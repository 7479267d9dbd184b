"""Ids and page numbers from URLs, query strings and forms: ASCII digits in range, or nothing."""

from __future__ import annotations

import pytest

from hitrecord.ids import ID_MAX
from hitrecord.params import PAGE_MAX, parse_id, parse_ids, parse_page

NOT_IDS = [
    "",
    "0",
    "-1",
    "+1",
    " 12",
    "12 ",
    "1_000",
    "1e3",
    "1.0",
    "0x10",
    "²",  # str.isdigit() is True, int() raises
    "٣",  # int() gives 3
    "１２",  # full-width: int() gives 12
    "12\x00",
    str(ID_MAX + 1),
    "9" * 19,
    "9" * 40,
    None,
    True,
    1.0,
    [],
]


@pytest.mark.parametrize("raw", NOT_IDS)
def test_anything_but_an_ascii_id_in_range_is_not_an_id(raw):
    assert parse_id(raw) is None


@pytest.mark.parametrize(
    ("raw", "expected"), [("12", 12), ("007", 7), (str(ID_MAX), ID_MAX), (5, 5)]
)
def test_ids(raw, expected):
    assert parse_id(raw) == expected


def test_int_ids_out_of_range_are_refused_too():
    assert parse_id(0) is None
    assert parse_id(ID_MAX + 1) is None


def test_several_ids_keep_their_order_without_repeats():
    assert parse_ids(["3,1", "2", "3", " 4 ", ""]) == [3, 1, 2, 4]
    assert parse_ids([""]) == []
    assert parse_ids([]) == []


@pytest.mark.parametrize("raw", [["1,²"], ["1", "٣"], ["1e3"], ["-1"], [str(ID_MAX + 1)]])
def test_one_odd_id_refuses_the_list(raw):
    assert parse_ids(raw) is None


def test_too_many_ids_refuse_the_list():
    assert parse_ids([",".join(str(n) for n in range(1, 102))]) is None
    assert parse_ids([",".join(str(n) for n in range(1, 101))]) is not None
    assert parse_ids(["1,2,3"], limit=2) is None


@pytest.mark.parametrize(
    "raw",
    [
        None,
        "",
        "0",
        "-1",
        "²",
        "٣",
        "１２",
        "1e3",
        " 2",
        "2\x00",
        str(PAGE_MAX + 1),
        "9" * 40,
        0,
        True,
    ],
)
def test_odd_page_numbers_are_the_default(raw):
    assert parse_page(raw) == 1
    assert parse_page(raw, default=7) == 7


@pytest.mark.parametrize(
    ("raw", "expected"), [("1", 1), ("02", 2), (str(PAGE_MAX), PAGE_MAX), (3, 3)]
)
def test_page_numbers(raw, expected):
    assert parse_page(raw) == expected
