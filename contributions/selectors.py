"""Reads about contributions that pages and the API share, shaped for batch loading."""

from __future__ import annotations

from django.db.models import Count, Prefetch, Q, QuerySet
from django.shortcuts import get_object_or_404

from contributions.models import Comment, Contribution, Source


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
        .annotate(remix_count=Count("remix_links", distinct=True))
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


def contribution_detail(pk: int) -> Contribution:
    """One contribution with everything its page shows: author, project, call, its sources
    and remixes (with their authors) and visible comments, in a fixed number of queries."""
    qs = Contribution.objects.select_related("author", "project", "call").prefetch_related(
        Prefetch(
            "source_links",
            queryset=Source.objects.select_related("source__author").order_by("pk"),
        ),
        Prefetch(
            "remix_links",
            queryset=Source.objects.select_related("contribution__author").order_by("-pk"),
        ),
        Prefetch(
            "comments",
            queryset=Comment.objects.filter(hidden=False).select_related("author"),
            to_attr="visible_comments",
        ),
    )
    return get_object_or_404(qs, pk=pk)


def comment_list(*, contribution_id: int) -> QuerySet[Comment]:
    return Comment.objects.filter(contribution_id=contribution_id, hidden=False).select_related(
        "author"
    )
