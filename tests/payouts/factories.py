"""Helpers to build final cuts through the services, as directors do."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from payouts import services
from payouts.models import CutVersion
from payouts.selectors import draft_of


def save_draft(project: Any, by: Any, items: list[tuple[Any, str] | tuple[Any, str, str]]):
    """Replace the draft's items: each ``(contribution, weight)`` or with an override."""
    cut = draft_of(project=project)
    specs = [
        services.ItemSpec(
            contribution_id=item[0].pk,
            weight=Decimal(item[1]),
            upstream_share=Decimal(item[2]) if len(item) > 2 else None,
        )
        for item in items
    ]
    return services.final_cut_save(
        project=project, by=by, revision=cut.revision if cut else 0, items=specs
    )


def lock(project: Any, by: Any, items: list[Any]) -> CutVersion:
    save_draft(project, by, items)
    version, _created = services.final_cut_lock(project=project, by=by)
    return version
