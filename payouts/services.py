"""Every write about the final cut: saving the draft, locking a version, storing credits.

Each service is keyword-only and atomic, checks who may do it (``PermissionDenied``),
validates what it stores (``ValidationError`` keyed by field, before anything is written),
refuses what clashes with the current state (``ConflictError``, HTTP 409), and audits
what touches the cut. Locked versions and stored credits are written once and sealed; the
database refuses any later change (migration 0002).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import Notification, User
from accounts.services import audit_record, notify_many
from contributions.lineage import UpstreamGraph, upstream_graph
from contributions.models import Contribution
from hitrecord import fragments
from hitrecord.errors import ConflictError
from hitrecord.ids import fits_id
from payouts.models import (
    WEIGHT_MAX_DIGITS,
    WEIGHT_PLACES,
    CutVersion,
    CutVersionItem,
    FinalCut,
    FinalCutItem,
    PersonCredit,
    VersionCredits,
)
from payouts.selectors import credits_of_items, cut_scope, latest_version
from projects.models import Project
from projects.selectors import can_direct, project_scope

ITEMS_MAX = 500
WEIGHT_MAX = Decimal(10) ** (WEIGHT_MAX_DIGITS - WEIGHT_PLACES) - Decimal("0.001")
_THOUSANDTHS = Decimal("0.001")
_SHARE_PLACES = Decimal("0.0001")


@dataclass(frozen=True)
class ItemSpec:
    """One item as a director sends it: which contribution, its weight, an optional
    upstream-share override. Parsed and checked by ``parse_items``."""

    contribution_id: int
    weight: Decimal
    upstream_share: Decimal | None = None


# --- parsing what directors send ------------------------------------------------------------


def parse_weight(raw: Any, *, index: int) -> Decimal:
    """An item weight: a decimal above 0 with at most 3 places."""
    where = f"Item {index + 1}"
    if isinstance(raw, bool) or raw is None or isinstance(raw, float | list | dict):
        raise ValidationError(
            {"items": f'{where}: send the weight as a decimal string, e.g. "1.5".'}
        )
    try:
        weight = Decimal(str(raw).strip())
    except InvalidOperation:
        raise ValidationError({"items": f"{where}: the weight must be a number."}) from None
    if not weight.is_finite() or weight <= 0:
        raise ValidationError({"items": f"{where}: the weight must be above 0."})
    if weight > WEIGHT_MAX:
        raise ValidationError({"items": f"{where}: a weight may be at most {WEIGHT_MAX}."})
    if weight != weight.quantize(_THOUSANDTHS):
        raise ValidationError({"items": f"{where}: a weight may have at most 3 decimal places."})
    return weight.quantize(_THOUSANDTHS)


def parse_share(raw: Any, *, index: int) -> Decimal | None:
    """An upstream-share override: empty for none, else a decimal in [0, 1], 4 places."""
    if raw is None or raw == "":
        return None
    where = f"Item {index + 1}"
    if isinstance(raw, bool) or isinstance(raw, float | list | dict):
        raise ValidationError(
            {"items": f'{where}: send the upstream share as a decimal string, e.g. "0.25".'}
        )
    try:
        share = Decimal(str(raw).strip())
    except InvalidOperation:
        raise ValidationError({"items": f"{where}: the upstream share must be a number."}) from None
    if not share.is_finite() or share < 0 or share > 1:
        raise ValidationError({"items": f"{where}: the upstream share must be between 0 and 1."})
    if share != share.quantize(_SHARE_PLACES):
        raise ValidationError(
            {"items": f"{where}: an upstream share may have at most 4 decimal places."}
        )
    return share.quantize(_SHARE_PLACES)


def parse_items(raw_items: Any) -> list[ItemSpec]:
    """The items of a cut from JSON-like input, in order: each ``{contribution, weight,
    upstream_share?}``. Refuses duplicates, bad numbers and ids too large for the database
    with a message naming the item."""
    if not isinstance(raw_items, list):
        raise ValidationError({"items": "Send items as a list of {contribution, weight}."})
    if len(raw_items) > ITEMS_MAX:
        raise ValidationError({"items": f"A cut may hold at most {ITEMS_MAX} items."})
    specs: list[ItemSpec] = []
    seen: set[int] = set()
    for index, raw in enumerate(raw_items):
        if not isinstance(raw, dict):
            raise ValidationError({"items": f"Item {index + 1}: send {{contribution, weight}}."})
        contribution = raw.get("contribution")
        if isinstance(contribution, bool) or not isinstance(contribution, int | str):
            raise ValidationError({"items": f"Item {index + 1}: contribution must be an id."})
        try:
            contribution_id = int(str(contribution)) if str(contribution).isascii() else 0
        except ValueError:
            contribution_id = 0
        if not fits_id(contribution_id):
            raise ValidationError(
                {"items": f"Item {index + 1}: {contribution!r} is not a contribution id."}
            )
        if contribution_id in seen:
            raise ValidationError(
                {"items": f"Contribution {contribution_id} appears twice; list it once."}
            )
        seen.add(contribution_id)
        specs.append(
            ItemSpec(
                contribution_id=contribution_id,
                weight=parse_weight(raw.get("weight", "1"), index=index),
                upstream_share=parse_share(raw.get("upstream_share"), index=index),
            )
        )
    return specs


# --- checks ---------------------------------------------------------------------------------


def _require_director(project: Project, by: Any) -> None:
    if not getattr(by, "is_authenticated", False):
        raise PermissionDenied("Sign in first.")
    if not can_direct(project=project, user=by):
        raise PermissionDenied("Only this project's directors can change its final cut.")


def _require_not_archived(project: Project) -> None:
    if project.is_archived:
        raise ConflictError("This project is archived: its final cut is read-only.")


def _check_contributions(specs: Sequence[ItemSpec], *, kept: set[int]) -> None:
    """Every item names a contribution; items new since the latest version (not in
    ``kept``) must be ready, not withdrawn and not taken down."""
    found = Contribution.objects.in_bulk([s.contribution_id for s in specs])
    missing = [s.contribution_id for s in specs if s.contribution_id not in found]
    if missing:
        raise ValidationError(
            {"items": f"No contribution has the id {', '.join(map(str, missing))}."}
        )
    unusable = [
        found[s.contribution_id]
        for s in specs
        if s.contribution_id not in kept and not _usable(found[s.contribution_id])
    ]
    if unusable:
        raise ValidationError({"items": _unusable_message(unusable)})


def _usable(contribution: Contribution) -> bool:
    return (
        contribution.status == Contribution.Status.READY
        and not contribution.withdrawn
        and not contribution.removed
    )


def _unusable_message(contributions: Sequence[Contribution]) -> str:
    parts = []
    for c in contributions:
        state = (
            "withdrawn"
            if c.withdrawn
            else "taken down"
            if c.removed
            else "still processing"
            if c.status == Contribution.Status.PROCESSING
            else "rejected"
        )
        parts.append(f"“{c.title}” (#{c.pk}) is {state}")
    return "Only ready work can join the cut: " + "; ".join(parts) + "."


def final_cut_check_items(*, project: Project, items: Sequence[ItemSpec]) -> None:
    """Refuse (``ValidationError``) items that could not be saved in this project's draft:
    unknown contributions, or new ones that are not ready. Writes nothing; the preview of
    edited items uses it so that it never shows a split the draft could not hold."""
    _check_contributions(items, kept=_kept_ids(project))


def _kept_ids(project: Project) -> set[int]:
    version = latest_version(project=project)
    if version is None:
        return set()
    return set(version.items.values_list("contribution_id", flat=True))


# --- the draft ------------------------------------------------------------------------------


def final_cut_ensure(*, project: Project) -> FinalCut:
    """The project's draft cut, created empty the first time (idempotent)."""
    cut, _created = FinalCut.objects.get_or_create(project=project)
    return cut


def final_cut_save(
    *, project: Project, by: User, revision: int, items: Sequence[ItemSpec]
) -> FinalCut:
    """Replace the draft's items with ``items`` (in that order), based on ``revision``.

    Directors only. A ``revision`` other than the draft's current one means a co-director
    saved in between: ``ConflictError`` (409), nothing written. Items must name existing
    contributions; one new since the latest locked version must be ready and not withdrawn
    (an item already locked stays even if its author has since withdrawn it). Atomic: the
    draft row is locked, its revision grows by one, and the save is audited."""
    _require_director(project, by)
    _require_not_archived(project)
    final_cut_ensure(project=project)  # the draft exists before it is locked for update
    kept = _kept_ids(project)
    _check_contributions(items, kept=kept)
    with transaction.atomic():
        cut = FinalCut.objects.select_for_update().get(project=project)
        if revision != cut.revision:
            raise ConflictError(
                f"The draft changed since you loaded it (now revision {cut.revision}, you sent "
                f"{revision}): reload it, then make your change again."
            )
        FinalCutItem.objects.filter(cut=cut).delete()
        FinalCutItem.objects.bulk_create(
            FinalCutItem(
                cut=cut,
                contribution_id=spec.contribution_id,
                weight=spec.weight,
                upstream_share=spec.upstream_share,
                position=position,
            )
            for position, spec in enumerate(items)
        )
        cut.revision += 1
        cut.updated_by = by
        cut.save(update_fields=["revision", "updated_by", "updated_at"])
        fragments.bump(cut_scope(project.pk))  # the curation page shows the new revision
        audit_record(
            actor=by,
            action="final_cut.save",
            target=project,
            details={"revision": cut.revision, "items": len(items)},
        )
    return cut


def _fingerprint(
    items: Sequence[tuple[int, Decimal, Decimal | None]],
    contributor: Decimal,
    upstream: Decimal,
    graph: UpstreamGraph,
) -> str:
    """What makes two versions the same: items in order, weights, overrides, shares, and
    the lineage they reach. The lineage counts because staff may add a missing source to
    settle an accepted claim: the same draft then credits more people, so it must lock
    into a new version for a recomputed distribution to pay them."""
    links = sorted(
        (node_id, source_id, weight)
        for node_id, node in graph.nodes.items()
        for source_id, weight in node.sources
    )
    payload = {
        "lineage": hashlib.sha256(json.dumps(links).encode()).hexdigest(),
        "items": [
            [cid, str(weight.quantize(_THOUSANDTHS)), None if share is None else str(share)]
            for cid, weight, share in items
        ],
        "contributor_share": str(contributor.quantize(_SHARE_PLACES)),
        "remix_upstream_share": str(upstream.quantize(_SHARE_PLACES)),
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def final_cut_lock(*, project: Project, by: User) -> tuple[CutVersion, bool]:
    """Lock the draft into the next version; returns ``(version, created)``.

    Directors only. First, a draft identical to the latest version (same items, weights,
    overrides, shares in force and the lineage they reach) returns that version
    (``created`` False) and writes nothing. An empty draft cannot be locked. Items new
    since the latest version must be ready and not withdrawn (``ConflictError`` naming
    them); items already locked stay.
    Atomic: the draft row is locked, so two directors locking at once make one version.
    The version copies the project's ``contributor_share`` and ``remix_upstream_share``,
    is sealed in the same transaction (the database refuses any later change), and is
    audited. Once committed, everyone whose work reaches the cut is notified in one bulk
    write, and the version's credits are computed by a task."""
    _require_director(project, by)
    _require_not_archived(project)
    final_cut_ensure(project=project)
    with transaction.atomic():
        cut = FinalCut.objects.select_for_update().get(project=project)
        fresh = Project.objects.get(pk=project.pk)
        rows = list(
            FinalCutItem.objects.filter(cut=cut)
            .order_by("position", "pk")
            .values_list("contribution_id", "weight", "upstream_share")
        )
        graph = upstream_graph([cid for cid, _, _ in rows])
        fingerprint = _fingerprint(rows, fresh.contributor_share, fresh.remix_upstream_share, graph)
        latest = latest_version(project=project)
        if latest is not None and latest.fingerprint == fingerprint:
            return latest, False
        if not rows:
            raise ConflictError("The draft is empty: add at least one contribution, then lock.")
        kept = set(latest.items.values_list("contribution_id", flat=True)) if latest else set()
        found = Contribution.objects.in_bulk([cid for cid, _, _ in rows])
        unusable = [found[cid] for cid, _, _ in rows if cid not in kept and not _usable(found[cid])]
        if unusable:
            raise ConflictError(_unusable_message(unusable) + " Remove them, then lock.")
        version = CutVersion.objects.create(
            project=project,
            number=(latest.number + 1) if latest else 1,
            contributor_share=fresh.contributor_share,
            remix_upstream_share=fresh.remix_upstream_share,
            locked_by=by,
            locked_at=timezone.now(),
            fingerprint=fingerprint,
        )
        CutVersionItem.objects.bulk_create(
            CutVersionItem(
                version=version,
                contribution_id=cid,
                weight=weight,
                upstream_share=share,
                position=position,
            )
            for position, (cid, weight, share) in enumerate(rows)
        )
        CutVersion.objects.filter(pk=version.pk).update(sealed=True)
        version.sealed = True
        audit_record(
            actor=by,
            action="final_cut.lock",
            target=version,
            details={
                "project": project.pk,
                "version": version.number,
                "items": [[cid, str(w), None if s is None else str(s)] for cid, w, s in rows],
                "contributor_share": str(version.contributor_share),
                "remix_upstream_share": str(version.remix_upstream_share),
            },
        )
        _notify_locked(version, graph, by=by)
        # the project page names the latest version; the cut page lists the history
        fragments.bump(project_scope(project.pk), cut_scope(project.pk))
        from payouts.tasks import version_credits_compute

        transaction.on_commit(lambda: version_credits_compute.delay(version.pk))
    return version, True


def _notify_locked(version: CutVersion, graph: UpstreamGraph, *, by: User) -> None:
    author_ids = {node.author_id for node in graph.nodes.values()}
    people = User.objects.filter(pk__in=author_ids, is_active=True, is_anonymised=False)
    notify_many(
        recipients=people,
        kind=Notification.Kind.IN_CUT,
        message=(
            f"Your work reaches version {version.number} of the final cut of "
            f"“{version.project.title}”."
        ),
        url=f"{version.project.get_absolute_url()}credits/",
        actor=by,
    )


# --- credits ----------------------------------------------------------------------------


def version_credits_compute(*, version_id: int) -> VersionCredits:
    """Compute and store the credits of a locked version, once.

    Idempotent and safe to run concurrently: credits already stored are returned as they
    are, and of two computations racing, the database's one-to-one constraint keeps the
    first. The split runs outside any transaction; the rows are written and sealed in one
    short transaction."""
    existing = VersionCredits.objects.filter(version_id=version_id, sealed=True).first()
    if existing is not None:
        return existing
    version = CutVersion.objects.get(pk=version_id, sealed=True)
    rows = list(
        version.items.order_by("position", "pk").values_list(
            "contribution_id", "weight", "upstream_share"
        )
    )
    result = credits_of_items(rows, upstream_share=version.remix_upstream_share)
    try:
        with transaction.atomic():
            header = VersionCredits.objects.create(
                version=version, computed_at=timezone.now(), node_count=len(result.reached)
            )
            PersonCredit.objects.bulk_create(
                PersonCredit(
                    credits=header,
                    person_id=author_id,
                    share=person.share,
                    share_exact=person.share_exact,
                    explanation=result.explanation(author_id),
                )
                for author_id, person in result.people.items()
            )
            VersionCredits.objects.filter(pk=header.pk).update(sealed=True)
            header.sealed = True
            fragments.bump(project_scope(version.project_id))  # the credits are computed
    except IntegrityError:
        return VersionCredits.objects.get(version_id=version_id)
    return header
