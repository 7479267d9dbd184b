"""Django admin change lists that treat an odd date filter as a bad lookup, not a crash.

Django's ``date_hierarchy`` turns ``?created_at__year=`` into a ``datetime`` with ``int()``:
``99999999999999999999999`` raises OverflowError and ``9999`` a ValueError past the ``try``
(the year after 9999), both 500s. Here they are ``IncorrectLookupParameters``, which the
admin answers as it does any bad filter: a redirect to ``?e=1``.
"""

from __future__ import annotations

from typing import Any

from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ChangeList
from django.http import HttpRequest


class OddDateSafeChangeList(ChangeList):
    def get_filters(self, request: HttpRequest) -> Any:
        try:
            return super().get_filters(request)
        except (OverflowError, ValueError) as exc:
            raise IncorrectLookupParameters(exc) from exc


def get_changelist(self: Any, request: HttpRequest, **kwargs: Any) -> type[ChangeList]:
    """``ModelAdmin.get_changelist`` for admins with a ``date_hierarchy``."""
    return OddDateSafeChangeList
