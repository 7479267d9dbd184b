"""Ids from the outside world: the largest one the database can hold."""

from __future__ import annotations

ID_MAX = 2**63 - 1  # a BigAutoField; larger ids in URLs or bodies are refused, never sent


def fits_id(value: int) -> bool:
    """Whether ``value`` can be a row id (so looking it up cannot overflow the database)."""
    return 0 < value <= ID_MAX
