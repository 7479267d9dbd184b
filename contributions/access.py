"""Who may see and act on a contribution: the one place that decides it, for pages, the
API, admin actions, tasks and the local media view alike.

The rule
--------
- **Ready** work is public: anyone sees its page, its lineage, its comments and its files.
- **Unfinished** work (``processing`` or ``rejected``) is seen only by its author and by
  staff. Anyone else gets a 404, never a 403, so its existence is not confirmed; lists and
  lineages leave it out. ``rejection_reason`` is shown only to the author and staff.
- **Withdrawn** work keeps its page for everyone (it is kept in the lineage, and the page
  says "withdrawn"), but leaves browsing lists (``selectors.contribution_list``).
- **Taken-down** (``removed``) work keeps its page and its lineage node marked "removed",
  but shows no media, text or description, and its files are served to staff only.

The helper style (other apps, payouts first, follow it)
-------------------------------------------------------
- ``<noun>_for_<role>(*, user, pk)`` fetches a row for a purpose and raises:
  ``Http404`` when the person may not learn that it exists (unknown id, id too large for
  the database, or hidden from them), ``PermissionDenied`` with a message (403) when they
  may see it but not do this. Callers make sure writers are signed in first (401 / login
  page); a helper never answers 401.
- ``can_<verb>(viewer, row) -> bool`` are the predicates behind them, for templates,
  serializers and the media policy; ``<noun>_visible_to(viewer) -> Q`` is the same rule as
  a query filter, for reads that load many rows.
- Views, API views, admin actions and tasks never call ``.objects.get()`` or
  ``get_object_or_404`` on a contribution; ``selectors`` shape the queries and do not
  decide who may see what.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404

from accounts.models import User
from contributions import selectors
from contributions.lineage import DEFAULT_LIMIT, Lineage, LineageNode
from contributions.lineage import lineage as lineage_query
from contributions.models import Comment, Contribution
from hitrecord.media_access import MediaAccess
from hitrecord.params import parse_id

Viewer = User | AnonymousUser | Any  # request.user, or a User passed by a task or admin

NOT_FOUND = "No such contribution."


def _signed_in(viewer: Viewer) -> bool:
    return bool(getattr(viewer, "is_authenticated", False))


def _is_staff(viewer: Viewer) -> bool:
    return _signed_in(viewer) and bool(getattr(viewer, "is_staff", False))


# --- predicates ---------------------------------------------------------------------------


def can_view_state(viewer: Viewer, *, status: str, author_id: int) -> bool:
    """The rule on bare values (what a lineage node or a media lookup holds)."""
    if status == Contribution.Status.READY:
        return True
    return _is_staff(viewer) or (_signed_in(viewer) and viewer.pk == author_id)


def can_view(viewer: Viewer, contribution: Contribution) -> bool:
    """Whether ``viewer`` may see the contribution's page (and its API detail)."""
    return can_view_state(viewer, status=contribution.status, author_id=contribution.author_id)


def can_see_private(viewer: Viewer, contribution: Contribution) -> bool:
    """Its author and staff see what only concerns them (``rejection_reason``)."""
    return _is_staff(viewer) or (_signed_in(viewer) and viewer.pk == contribution.author_id)


def can_act_as_author(viewer: Viewer, contribution: Contribution) -> bool:
    return _signed_in(viewer) and viewer.pk == contribution.author_id


def contributions_visible_to(viewer: Viewer, *, prefix: str = "") -> Q:
    """The visibility rule as a filter; ``prefix`` reaches a contribution through a
    relation (e.g. ``"contribution__"`` from a Source)."""
    if _is_staff(viewer):
        return Q()
    ready = Q(**{f"{prefix}status": Contribution.Status.READY})
    if _signed_in(viewer):
        return ready | Q(**{f"{prefix}author_id": viewer.pk})
    return ready


# --- fetching -----------------------------------------------------------------------------


def contribution_for_viewer(
    *, viewer: Viewer, pk: Any, detail: bool = False, unchecked: bool = False
) -> Contribution:
    """The contribution, when ``viewer`` may see it; otherwise ``Http404``.

    ``pk`` may come straight from a URL: an id that cannot exist is a 404 too. With
    ``detail`` it comes with what its page shows (sources, and the remixes ``viewer`` may
    see), in a fixed number of queries; without, with its author and project.
    ``unchecked`` skips the final check, for a page whose real viewer was checked before
    and whose shared fragment is rendered as a visitor would see it."""
    contribution_id = parse_id(pk)
    if contribution_id is None:
        raise Http404(NOT_FOUND)
    if detail:
        contribution = selectors.contribution_detail(
            contribution_id,
            remixes=contributions_visible_to(viewer, prefix="contribution__"),
        )
    else:
        contribution = selectors.contribution_get(contribution_id)
    if contribution is None or not (unchecked or can_view(viewer, contribution)):
        raise Http404(NOT_FOUND)
    return contribution


def contributions_for_viewer(*, viewer: Viewer, ids: list[int]) -> list[Contribution]:
    """The contributions among ``ids`` (already parsed, see ``hitrecord.params.parse_ids``)
    that ``viewer`` may see, in the order asked, with author and project; one query.
    What a "Remix this" form pre-fills its sources from."""
    found = (
        Contribution.objects.filter(contributions_visible_to(viewer))
        .select_related("author", "project")
        .in_bulk(ids)
    )
    return [found[i] for i in dict.fromkeys(ids) if i in found]


def contribution_for_author(*, user: Viewer, pk: Any) -> Contribution:
    """The contribution, for its author to act on (withdraw, delete).

    ``Http404`` for people who may not see it; ``PermissionDenied`` (403, with a message)
    for people who may see it but are not its author (staff included: they take work
    down from admin instead)."""
    contribution = contribution_for_viewer(viewer=user, pk=pk)
    if not can_act_as_author(user, contribution):
        raise PermissionDenied("Only its author can do that to a contribution.")
    return contribution


def contributions_for_moderation(
    *, user: Viewer, queryset: QuerySet[Contribution]
) -> QuerySet[Contribution]:
    """What staff act on from admin (take-downs): every contribution, hidden or not.
    ``PermissionDenied`` for anyone else."""
    if not _is_staff(user):
        raise PermissionDenied("Only staff moderate contributions.")
    return queryset.select_related("author", "project")


def comments_for_moderation(*, user: Viewer, queryset: QuerySet[Comment]) -> QuerySet[Comment]:
    """What staff act on from admin (hiding comments). ``PermissionDenied`` for anyone else."""
    if not _is_staff(user):
        raise PermissionDenied("Only staff moderate comments.")
    return queryset.select_related("contribution")


# --- lineage ------------------------------------------------------------------------------


def lineage_for_viewer(
    *,
    viewer: Viewer,
    contribution: Contribution,
    limit: int | None = DEFAULT_LIMIT,
    whole: Lineage | None = None,
) -> Lineage:
    """The lineage of a contribution ``viewer`` may see, without the nodes they may not.

    Only ready work can be a source, so unfinished work is never an ancestor and never has
    descendants of its own: it only appears as a leaf among the descendants (a remix still
    processing, or rejected). Dropping those leaves, and the links to them, leaves every
    other path intact. "And N more" counts still include leaves beyond ``limit``."""
    if whole is None:  # the caller may hold it already (a page's cached copy)
        whole = lineage_query(contribution.pk, limit=limit)

    def keep(node: LineageNode) -> bool:
        return can_view_state(viewer, status=node.status, author_id=node.author_id)

    descendants = tuple(node for node in whole.descendants if keep(node))
    ancestors = tuple(node for node in whole.ancestors if keep(node))
    if len(descendants) == len(whole.descendants) and len(ancestors) == len(whole.ancestors):
        return whole
    kept = {node.id for node in (*ancestors, *descendants)}
    if whole.focus is not None:
        kept.add(whole.focus.id)
    edges = tuple(e for e in whole.edges if e.source_id in kept and e.remix_id in kept)
    return dataclasses.replace(whole, ancestors=ancestors, descendants=descendants, edges=edges)


def unfinished_authors(whole: Lineage) -> frozenset[int]:
    """Who authored the lineage's unfinished nodes: the only people who see more of it
    than a visitor does (with staff)."""
    return frozenset(
        node.author_id
        for node in (*whole.ancestors, *whole.descendants)
        if node.status != Contribution.Status.READY
    )


def sees_public_lineage(viewer: Viewer, unfinished_by: frozenset[int]) -> bool:
    """Whether ``viewer`` sees exactly what a visitor sees of a lineage (and of the
    focus's remixes), given ``unfinished_authors`` of it: not staff, and the author of
    none of its unfinished nodes. Such a viewer may be served a fragment rendered for
    visitors."""
    if _is_staff(viewer):
        return False
    if not _signed_in(viewer):
        return True
    return viewer.pk not in unfinished_by


def page_role(viewer: Viewer, contribution: Contribution) -> str:
    """The viewer's kind on a contribution's page, for a cached fragment's key: what the
    page offers differs only by this."""
    if can_act_as_author(viewer, contribution):
        return "author"
    return "signed-in" if _signed_in(viewer) else "visitor"


# --- files --------------------------------------------------------------------------------


def media_policy(viewer: Viewer, name: str) -> MediaAccess | None:
    """How the local media view serves ``name`` (a storage name under ``contributions/``).

    One query on indexed columns finds the contribution whose file, thumbnail, rendition
    or waveform it is. None when the
    file belongs to no contribution (no opinion: the media view's own checks apply).
    Taken-down work is served to staff only; unfinished work to its author and staff, and
    never from a shared cache; ready work to anyone."""
    row = (
        Contribution.objects.filter(
            Q(file=name) | Q(thumbnail=name) | Q(rendition=name) | Q(waveform=name)
        )
        .order_by()
        .values_list("status", "author_id", "removed")[:1]
    )
    found = list(row)
    if not found:
        return None
    status, author_id, removed = found[0]
    if removed:
        return MediaAccess.PRIVATE if _is_staff(viewer) else MediaAccess.DENIED
    if status == Contribution.Status.READY:
        return MediaAccess.PUBLIC
    if can_view_state(viewer, status=status, author_id=author_id):
        return MediaAccess.PRIVATE
    return MediaAccess.DENIED
