"""Reads about contributions that pages and the API share, shaped for batch loading.

These shape queries; they do not decide who may see what. Fetch one contribution for a
person through ``contributions.access`` (``contribution_for_viewer`` and friends), which
calls these and applies the visibility rule. Lists here already leave out what browsing
never shows (unfinished, withdrawn and taken-down work).
"""

from __future__ import annotations

from django.db.models import Count, Prefetch, Q, QuerySet

from contributions.models import Comment, Contribution, Source

COMMENTS_PAGE_SIZE = 20


def contribution_scope(contribution_id: int) -> str:
    """The version scope of one contribution's page (``hitrecord.fragments``): bumped by
    ``contributions.services.contributions_changed`` and by processing."""
    return f"contribution:{contribution_id}"


def _visible() -> Q:
    return Q(status=Contribution.Status.READY, withdrawn=False, removed=False)


def contribution_list(
    *,
    project_id: int | None = None,
    author_id: int | None = None,
    kind: str | None = None,
    needs_remix: bool = False,
) -> QuerySet[Contribution]:
    """Contributions shown in browsing (ready, not withdrawn, not taken down), newest first,
    with author, project and "remixed N times" loaded in the same query."""
    qs = (
        Contribution.objects.filter(_visible())
        .select_related("author", "project")
        .annotate(
            # Remixes still processing (or rejected) are not shown to others: not counted.
            remix_count=Count(
                "remix_links",
                filter=Q(remix_links__contribution__status=Contribution.Status.READY),
                distinct=True,
            )
        )
        .order_by("-created_at", "-pk")
    )
    if project_id is not None:
        qs = qs.filter(project_id=project_id)
    if author_id is not None:
        qs = qs.filter(author_id=author_id)
    if kind:
        qs = qs.filter(kind=kind)
    if needs_remix:
        qs = qs.filter(remix_count=0)
    return qs


def contribution_get(pk: int) -> Contribution | None:
    """One contribution with its author and project, or None. No access check: callers
    go through ``contributions.access``."""
    return Contribution.objects.select_related("author", "project").filter(pk=pk).first()


def contribution_detail(pk: int, *, remixes: Q | None = None) -> Contribution | None:
    """One contribution with everything its page shows but comments (paged apart, see
    ``comment_list``): author, project, call, its sources and the remixes matching
    ``remixes`` (with their authors), in a fixed number of queries; None when there is
    none. No access check: callers go through ``contributions.access``."""
    remix_links = Source.objects.select_related("contribution__author").order_by("-pk")
    if remixes is not None:
        remix_links = remix_links.filter(remixes)
    qs = Contribution.objects.select_related("author", "project", "call").prefetch_related(
        Prefetch(
            "source_links",
            queryset=Source.objects.select_related("source__author").order_by("pk"),
        ),
        Prefetch("remix_links", queryset=remix_links),
    )
    return qs.filter(pk=pk).first()


def comment_list(*, contribution_id: int) -> QuerySet[Comment]:
    """The visible comments of a contribution, oldest first, with their authors. Page it
    (``COMMENTS_PAGE_SIZE`` on the page; the API's pagination): one query a page."""
    return (
        Comment.objects.filter(contribution_id=contribution_id, hidden=False)
        .select_related("author")
        .order_by("created_at", "pk")
    )
