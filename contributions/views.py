"""Contribution pages: the contribution itself, the submit form, and author actions."""

from __future__ import annotations

from typing import Any, cast

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from accounts.models import User
from contributions import access, selectors, services
from contributions.forms import CommentForm, ContributionForm
from contributions.lineage_svg import lineage_svg
from contributions.models import Contribution
from hitrecord.errors import ConflictError
from hitrecord.params import parse_ids, parse_page
from payouts.selectors import used_in_cuts
from projects.models import Call, Membership, Project

PROCESSING_REFRESH_SECONDS = 4


def detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The contribution (404 for unfinished work unless you are its author or staff), its
    lineage without what you may not see, and its comments, oldest first, paged by
    ``?comments=<page>``."""
    contribution = access.contribution_for_viewer(viewer=request.user, pk=pk, detail=True)
    picture = access.lineage_for_viewer(viewer=request.user, contribution=contribution)
    comments = Paginator(
        selectors.comment_list(contribution_id=contribution.pk), selectors.COMMENTS_PAGE_SIZE
    ).get_page(parse_page(request.GET.get("comments")))
    return render(
        request,
        "contributions/detail.html",
        {
            "contribution": contribution,
            "sources": list(contribution.source_links.all()),
            "remixes": list(contribution.remix_links.all()),
            "used_in_cuts": used_in_cuts([contribution.pk]).get(contribution.pk, 0),
            "comments_page": comments,
            "comment_form": CommentForm(),
            "lineage": picture,
            "lineage_svg": lineage_svg(picture, focus_id=contribution.pk),
            "refresh_seconds": PROCESSING_REFRESH_SECONDS
            if contribution.status == Contribution.Status.PROCESSING
            else None,
            "is_author": access.can_act_as_author(request.user, contribution),
        },
    )


def _member_projects(user: User) -> QuerySet[Project]:
    return (
        Project.objects.filter(memberships__user=user)
        .exclude(status=Project.Status.ARCHIVED)
        .order_by("title")
    )


SOURCES_HELP = "remix and sources must be contribution ids, e.g. ?remix=12 or ?remix=12,15."


def _requested_sources(request: HttpRequest) -> list[Contribution] | None:
    """The contributions named by ``sources`` (POST) or ``?remix=``; None when a value is
    not a contribution id (the page says so with a 400)."""
    raw = request.POST.getlist("sources") or [request.GET.get("remix", "")]
    ids = parse_ids(raw)
    if ids is None:
        return None
    if not ids:
        return []
    return access.contributions_for_viewer(viewer=request.user, ids=ids)


@login_required
def new(request: HttpRequest) -> HttpResponse:
    """Submit a contribution: a file with a progress bar, or text written in the page."""
    user = cast(User, request.user)
    requested = _requested_sources(request)
    sources = requested or []
    slug = request.POST.get("project") or request.GET.get("project") or ""
    if not slug and sources and _is_member(sources[0].project, user):
        slug = sources[0].project.slug  # remixing: where the first source lives, if joined
    target = Project.objects.filter(slug=slug).first() if slug else None
    is_member = target is not None and _is_member(target, user)
    calls = Call.objects.filter(project=target, is_open=True) if target else Call.objects.none()
    initial: dict[str, Any] = {"project": slug, "call": request.GET.get("call") or None}
    if sources:
        initial["title"] = f"Remix of {sources[0].title}"[:200]
    form = ContributionForm(
        request.POST or None,
        request.FILES or None,
        projects=_member_projects(user),
        calls=calls,
        initial=initial,
    )
    if requested is None and form.is_bound:
        form.add_error(None, SOURCES_HELP)
    elif requested is None:
        messages.error(request, SOURCES_HELP)
    weights = {s.pk: request.POST.get(f"weight_{s.pk}", "1") for s in sources}
    if request.method == "POST" and form.is_valid():
        values = form.cleaned_data
        try:
            specs = [
                services.SourceSpec(
                    contribution_id=s.pk, weight=services.parse_weight(weights[s.pk])
                )
                for s in sources
            ]
            contribution = services.contribution_submit(
                user=user,
                project=values["project"],
                title=values["title"],
                kind=values["kind"],
                description=values["description"],
                text=values["text"],
                file=values["file"],
                upload_key=values["upload_key"],
                call=values["call"],
                sources=specs,
                terms_accepted=values["terms"],
            )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
        else:
            if contribution.status == Contribution.Status.PROCESSING:
                messages.info(
                    request, "Uploaded. We are checking the file and making its thumbnail."
                )
            else:
                messages.success(request, "Your contribution is live.")
            return redirect(contribution)
    return render(
        request,
        "contributions/new.html",
        {
            "form": form,
            "project": target,
            "is_member": is_member,
            "sources": [(s, weights[s.pk]) for s in sources],
            "direct_upload": settings.MEDIA_IN_S3,
        },
        status=400 if request.method == "POST" or requested is None else 200,
    )


def _is_member(project: Project, user: User) -> bool:
    return Membership.objects.filter(project=project, user=user).exists()


@login_required
@require_POST
def withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    contribution = access.contribution_for_author(user=request.user, pk=pk)
    services.contribution_withdraw(contribution=contribution, by=cast(User, request.user))
    messages.success(request, "Withdrawn: hidden from browsing, still credited in its lineage.")
    return redirect(contribution)


@login_required
@require_POST
def delete(request: HttpRequest, pk: int) -> HttpResponse:
    contribution = access.contribution_for_author(user=request.user, pk=pk)
    project = contribution.project
    try:
        services.contribution_delete(contribution=contribution, by=cast(User, request.user))
    except ConflictError as exc:
        messages.error(request, exc.message)
        response = redirect(contribution)
        response.status_code = 303
        return response
    messages.success(request, "Deleted.")
    return redirect(project)


@login_required
@require_POST
def comment(request: HttpRequest, pk: int) -> HttpResponse:
    contribution = access.contribution_for_viewer(viewer=request.user, pk=pk)
    form = CommentForm(request.POST)
    if form.is_valid():
        try:
            services.comment_create(
                contribution=contribution,
                author=cast(User, request.user),
                body=form.cleaned_data["body"],
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, "Thanks for the feedback.")
    else:
        messages.error(request, "Write something before posting (at most 5,000 characters).")
    # Oldest first: the newest comment is on the last page.
    last = Paginator(
        selectors.comment_list(contribution_id=contribution.pk), selectors.COMMENTS_PAGE_SIZE
    ).num_pages
    suffix = f"?comments={last}" if last > 1 else ""
    return redirect(f"{contribution.get_absolute_url()}{suffix}#comments")
