"""Demo final cut for ``seed_demo``: two locked versions of the main project's cut.

The director of "The Lighthouse Keeper's Daughter" locks a cut whose storyboard stands on
a remix chain that crosses projects (storyboard <- cello under the letter <- reading <-
letter, the last two in "Letters to a Future City"), then a second version that reweights
the same items. Everything goes through ``payouts.services``, so the versions are sealed,
audited and notified like any other, and their credits are stored.

Idempotent: versions already locked are left alone, so a second run changes nothing.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from payouts import services
from payouts.models import CutVersion
from payouts.selectors import draft_of
from projects.models import Project

MAIN_PROJECT = "the-lighthouse-keepers-daughter"

# Each version's items, in the cut's order: (contribution key of contributions/demo.py, weight).
VERSIONS: list[list[tuple[str, str]]] = [
    [("storyboard", "2"), ("cello", "1"), ("sketch", "1")],
    [("storyboard", "3"), ("cello", "1.5"), ("sketch", "0.5")],  # the same items, reweighted
]


def seed(world: dict[str, Any]) -> None:
    director = world["people"]["director"]
    made = world["contributions"]
    project = Project.objects.get(slug=MAIN_PROJECT)
    locked = CutVersion.objects.filter(project=project, sealed=True).count()
    for items in VERSIONS[locked:]:
        cut = draft_of(project=project)
        services.final_cut_save(
            project=project,
            by=director,
            revision=cut.revision if cut else 0,
            items=[
                services.ItemSpec(contribution_id=made[key].pk, weight=Decimal(weight))
                for key, weight in items
            ],
        )
        services.final_cut_lock(project=project, by=director)
    # The lock's task computes credits once the transaction commits (in-process in the
    # embedded mode); computing them here as well makes the demo complete with a broker
    # too, and the task then finds them stored (the service is idempotent).
    for version_id in CutVersion.objects.filter(project=project, sealed=True).values_list(
        "pk", flat=True
    ):
        services.version_credits_compute(version_id=version_id)
    world["final_cut"] = project
