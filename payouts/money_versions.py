"""The versions that key cached money pages: exact, because they live in the database.

A write that changes a ledger or someone's earnings calls ``money_changed`` inside its
transaction; the page reads ``money_version`` with its first query. A reader either sees
the new number (and the new rows: the counter commits with them) or the old one; a page
rendered from new rows under an old number is merely fresh, never stale.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection
from django.db.models import F

from payouts.models import DistributionLine, MoneyVersion


def ledger_scope(project_id: int) -> str:
    return f"ledger:{project_id}"


def earnings_scope(person_id: int) -> str:
    return f"earnings:{person_id}"


def money_changed(
    *,
    distribution_ids: Iterable[int] = (),
    projects: Iterable[int] = (),
    people: Iterable[int] = (),
) -> None:
    """Raise the versions of the ledgers and earnings these touch: ``distribution_ids``
    stand for their project's ledger and the earnings of everyone with a line in them.
    Call it inside the write's transaction."""
    ids = list(dict.fromkeys(distribution_ids))
    scopes = [ledger_scope(pk) for pk in projects] + [earnings_scope(pk) for pk in people]
    if ids:
        from payouts.models import Distribution

        scopes += [
            ledger_scope(pk)
            for pk in Distribution.objects.filter(pk__in=ids)
            .values_list("revenue__project_id", flat=True)
            .distinct()
        ]
        scopes += [
            earnings_scope(pk)
            for pk in DistributionLine.objects.filter(distribution_id__in=ids)
            .values_list("person_id", flat=True)
            .distinct()
        ]
    scopes = list(dict.fromkeys(scopes))
    if not scopes:
        return
    MoneyVersion.objects.bulk_create(
        [MoneyVersion(scope=scope) for scope in scopes], ignore_conflicts=True
    )
    MoneyVersion.objects.filter(scope__in=scopes).update(number=F("number") + 1)


def money_version(*scopes: str) -> str:
    """The current numbers of ``scopes``, as one token: one query, written out, because
    compiling it through the ORM took longer than running it, on every money page view."""
    table = connection.ops.quote_name(MoneyVersion._meta.db_table)
    marks = ", ".join(["%s"] * len(scopes))
    sql = f"SELECT scope, number FROM {table} WHERE scope IN ({marks})"  # noqa: S608 - placeholders
    with connection.cursor() as cursor:
        cursor.execute(sql, scopes)
        found = dict(cursor.fetchall())
    return ".".join(str(found.get(scope, 0)) for scope in scopes)
