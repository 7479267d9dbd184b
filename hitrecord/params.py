"""Numbers from the outside world (URLs, query strings, form fields), parsed in one place.

``str.isdigit()`` accepts Unicode digits such as ``²`` or ``٣`` that ``int()`` refuses, and
``int()`` accepts ``" 12"``, ``"+12"``, ``"1_000"`` and Arabic-Indic digits; both also take
values too large for the database. Every id and page number a person can type goes through
these functions instead, so an odd value is a clear 4xx (or the default), never a 500.
"""

from __future__ import annotations

import re

from hitrecord.ids import ID_MAX

_ASCII_DIGITS = re.compile(r"[0-9]{1,19}")
PAGE_MAX = 1_000_000


def parse_id(raw: object) -> int | None:
    """``raw`` as a row id (ASCII digits only, 1 to ``ID_MAX``), or None when it is not one."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return raw if 0 < raw <= ID_MAX else None
    if not isinstance(raw, str) or not _ASCII_DIGITS.fullmatch(raw):
        return None
    value = int(raw)
    return value if 0 < value <= ID_MAX else None


def parse_ids(raw_values: list[str] | tuple[str, ...], *, limit: int = 100) -> list[int] | None:
    """Several ids (each may itself be a comma-separated list), in order without repeats;
    None when any of them is not an id or there are more than ``limit``."""
    ids: dict[int, None] = {}
    for raw in raw_values:
        for part in str(raw).split(","):
            part = part.strip()
            if not part:
                continue
            value = parse_id(part)
            if value is None:
                return None
            ids[value] = None
    if len(ids) > limit:
        return None
    return list(ids)


def parse_page(raw: object, *, default: int = 1) -> int:
    """A page number (ASCII digits, 1 to ``PAGE_MAX``); ``default`` for anything else."""
    if isinstance(raw, bool):
        return default
    if isinstance(raw, int):
        return raw if 1 <= raw <= PAGE_MAX else default
    if not isinstance(raw, str) or not _ASCII_DIGITS.fullmatch(raw):
        return default
    value = int(raw)
    return value if 1 <= value <= PAGE_MAX else default
