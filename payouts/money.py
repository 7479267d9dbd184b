"""Currencies and amounts: ISO 4217 codes and exponents, and amounts in a currency's units.

Codes and exponents come from the ``iso4217`` package (active codes only). A code whose
exponent ISO 4217 leaves undefined (gold ``XAU``, the testing code ``XTS``, "no currency"
``XXX``) is refused: money needs minor units. Babel's data is not used for exponents: it
gives *display* digits, which differ from ISO's for some currencies (IQD, HUF).
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from functools import cache

from django.core.exceptions import ValidationError
from iso4217 import Currency

AMOUNT_MAX_MINOR = 10**15  # far above any revenue, far below a bigint


@cache
def _exponents() -> dict[str, int]:
    return {c.code: c.exponent for c in Currency if c.exponent is not None}


def currency_exponent(code: str) -> int:
    """The ISO 4217 exponent of an active currency code (``USD`` -> 2, ``JPY`` -> 0); a
    ``ValidationError`` on ``currency`` for anything else."""
    exponent = _exponents().get(str(code or "").strip().upper())
    if exponent is None:
        raise ValidationError(
            {
                "currency": f"{code!r} is not an active ISO 4217 currency code with minor units, "
                "e.g. USD, EUR or JPY."
            }
        )
    return exponent


def currency_choices() -> list[tuple[str, str]]:
    return sorted(
        (c.code, f"{c.code} ({c.currency_name})") for c in Currency if c.exponent is not None
    )


def clean_currency(code: str) -> str:
    currency_exponent(code)
    return str(code).strip().upper()


def units_to_minor(raw: str | Decimal, currency: str) -> int:
    """``"12.50"`` USD -> 1250; ``"1250"`` JPY -> 1250. Refuses more decimals than the
    currency has, zero, negative and absurdly large amounts, with a message."""
    exponent = currency_exponent(currency)
    try:
        value = Decimal(str(raw).strip())
    except InvalidOperation:
        raise ValidationError({"amount": "The amount must be a number, e.g. 12.50."}) from None
    if not value.is_finite() or value <= 0:
        raise ValidationError({"amount": "The amount must be above 0."})
    if value >= Decimal(AMOUNT_MAX_MINOR) / (10**exponent):
        raise ValidationError({"amount": "That amount is too large."})
    minor = value * (10**exponent)
    if minor != minor.to_integral_value():
        places = "no decimals" if exponent == 0 else f"at most {exponent} decimal places"
        raise ValidationError({"amount": f"{currency} amounts have {places}."})
    return int(minor)


def format_minor(amount_minor: int, currency: str) -> str:
    """``1250, "USD"`` -> ``"12.50 USD"``; ``1250, "JPY"`` -> ``"1250 JPY"``."""
    exponent = currency_exponent(currency)
    if exponent == 0:
        return f"{amount_minor:,} {currency}"
    sign = "-" if amount_minor < 0 else ""
    whole, part = divmod(abs(amount_minor), 10**exponent)
    return f"{sign}{whole:,}.{part:0{exponent}d} {currency}"
