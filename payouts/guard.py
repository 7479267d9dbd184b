"""The SQLite half of the database guard on locked versions (migration 0002).

SQLite triggers cannot read a session variable, so the DELETE triggers ask the SQL function
``hitrecord_purge_allowed()``, registered here on every SQLite connection. It answers 0,
always, except inside ``purge_allowed()``, which only the test suite's teardown uses to
empty the database between tests (PostgreSQL's teardown uses TRUNCATE, which row triggers
never see).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

_global = {"allowed": False}


def _allowed() -> int:
    return 1 if _global["allowed"] else 0


def register_sqlite_functions(sender: Any, connection: Any, **kwargs: Any) -> None:
    """``connection_created`` receiver: add ``hitrecord_purge_allowed()`` to SQLite."""
    if connection.vendor == "sqlite":
        connection.connection.create_function("hitrecord_purge_allowed", 0, _allowed)


@contextmanager
def purge_allowed() -> Iterator[None]:
    """Let the SQLite DELETE triggers stand down while the test database is emptied."""
    _global["allowed"] = True
    try:
        yield
    finally:
        _global["allowed"] = False
