"""Contribution pages: the contribution itself, the submit form, and author actions."""

from __future__ import annotations

from typing import Any, cast

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_POST

from accounts.models import User
from accounts.selectors import PEOPLE_SCOPE
from contributions import access, selectors, services
from contributions.forms import CommentForm, ContributionForm
from contributions.lineage import Lineage
from contributions.lineage import lineage as lineage_query
from contributions.lineage_svg import lineage_picture
from contributions.models import Contribution
from contributions.uploads import UPLOAD_PREFIX
from hitrecord import fragments, prefetch
from hitrecord.errors import ConflictError
from hitrecord.params import parse_id, parse_ids, parse_page
from payouts.selectors import used_in_cuts
from projects.models import Call, Project

PROCESSING_REFRESH_SECONDS = 4
# The page's picture shows the nearest 12 ancestors and 12 descendants and says "and N
# more" (DESIGN.md): a hundred boxes were 370 KB of SVG and no more readable; the API's
# lineage has them all.
PICTURE_LIMIT = 12


@prefetch.scopes(lambda kwargs: [selectors.contribution_scope(kwargs["pk"])])
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The contribution (404 for unfinished work unless you are its author or staff), its
    lineage without what you may not see, and its comments, oldest first, paged by
    ``?comments=<page>``.

    The page below the header is a cached fragment per contribution version and viewer
    role (visitor, signed in, its author), rendered with what a visitor may see. Whoever
    would see more than that (staff; the author of unfinished work in this lineage) gets
    it rendered for them alone."""
    viewer = request.user
    contribution_id = parse_id(pk)
    if contribution_id is None:
        raise Http404(access.NOT_FOUND)
    token = fragments.versions(selectors.contribution_scope(contribution_id), PEOPLE_SCOPE)
    comments_number = parse_page(request.GET.get("comments"))
    # One round trip for what a first view in this process reads: the head, who authored
    # unfinished work in the lineage, and the page as most viewers get it.
    likely_role = "signed-in" if viewer.is_authenticated else "visitor"
    fragments.preload(
        f"contribution-head:{contribution_id}:{token}",
        f"lineage-unfinished:{contribution_id}:{token}",
        _page_key(contribution_id, token, likely_role, comments_number),
    )
    contribution = fragments.cached_value(
        f"contribution-head:{contribution_id}:{token}",
        lambda: access.contribution_for_viewer(viewer=viewer, pk=contribution_id, unchecked=True),
        local=True,
    )
    if not access.can_view(viewer, contribution):
        raise Http404(access.NOT_FOUND)
    whole = _WholeLineage(contribution.pk)
    unfinished_by = fragments.cached_value(
        f"lineage-unfinished:{contribution.pk}:{token}",
        lambda: access.unfinished_authors(whole.get()),
        local=True,
    )
    if not access.sees_public_lineage(viewer, unfinished_by):
        body = fragments.serve(
            request,
            fragments.render(
                "contributions/_detail_body.html",
                _detail_context(viewer, viewer, contribution.pk, comments_number, whole),
            ),
        )
    else:
        role = access.page_role(viewer, contribution)
        key = _page_key(contribution.pk, token, role, comments_number)
        body = fragments.fragment(
            request,
            key,
            "contributions/_detail_body.html",
            lambda: _detail_context(
                AnonymousUser(), viewer, contribution.pk, comments_number, whole
            ),
        )
    return render(
        request,
        "contributions/detail.html",
        {
            "contribution": contribution,
            "body": body,
            "refresh_seconds": PROCESSING_REFRESH_SECONDS
            if contribution.status == Contribution.Status.PROCESSING
            else None,
        },
    )


def _page_key(contribution_id: int, token: str, role: str, comments_number: int) -> str:
    return f"contribution-page:{contribution_id}:{token}:{role}:{comments_number}"


class _WholeLineage:
    """The whole lineage (every node, before any viewer's filter), queried at most once a
    request and only when something needs it: a repeat view needs only who authored its
    unfinished nodes (cached beside the page under the contribution's version, so the
    descendants of a chain may lag by ``FRAGMENT_SECONDS``, its own changes never do)."""

    def __init__(self, contribution_id: int) -> None:
        self.contribution_id = contribution_id
        self._whole: Lineage | None = None

    def get(self) -> Lineage:
        if self._whole is None:
            self._whole = lineage_query(self.contribution_id, limit=PICTURE_LIMIT)
        return self._whole


def _detail_context(
    sees: Any, viewer: Any, pk: int, comments_number: int, whole: _WholeLineage
) -> dict[str, Any]:
    """What ``_detail_body.html`` shows: visibility as ``sees`` may see it (a visitor for a
    shared fragment), actions as ``viewer`` may take them."""
    contribution = access.contribution_for_viewer(viewer=sees, pk=pk, detail=True, unchecked=True)
    picture = access.lineage_for_viewer(viewer=sees, contribution=contribution, whole=whole.get())
    comments = Paginator(
        selectors.comment_list(contribution_id=contribution.pk), selectors.COMMENTS_PAGE_SIZE
    ).get_page(comments_number)
    sources = list(contribution.source_links.all())
    remixes = list(contribution.remix_links.all())
    remix_url = (
        f"{reverse('contributions:new')}?{urlencode({'remix': contribution.pk})}"
        if contribution.is_visible
        else ""
    )
    return {
        "contribution": contribution,
        "signed_in": bool(getattr(viewer, "is_authenticated", False)),
        "sources": sources,
        "remixes": remixes,
        "used_in_cuts": used_in_cuts([contribution.pk]).get(contribution.pk, 0),
        "comments_page": comments,
        "comment_form": CommentForm(),
        "lineage": picture,
        # the caption counts what the page lists: direct sources, visible remixes
        "lineage_picture": lineage_picture(
            picture,
            focus_id=contribution.pk,
            direct_sources=len(sources),
            direct_remixes=len(remixes),
        ),
        # "Remix this" and the empty lineage's "Remix it!": browsable work only
        "remix_url": remix_url,
        "is_author": access.can_act_as_author(viewer, contribution),
    }


def _member_projects(user: User) -> QuerySet[Project]:
    return (
        Project.objects.filter(memberships__user=user)
        .exclude(status=Project.Status.ARCHIVED)
        .order_by("title")
    )


SOURCES_HELP = "remix and sources must be contribution ids, e.g. ?remix=12 or ?remix=12,15."
FILE_AGAIN = (
    "You chose {name}, but a browser forgets a chosen file when the page reloads: "
    "choose it again before you share."
)
FILE_GONE = "Choose the file again before you share: that upload was not kept."
FILE_KEPT = "Your file is uploaded and kept: share again to use it, or choose another."


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


def _requested_call(request: HttpRequest) -> Call | None:
    """The open call named by ``call`` (POST) or ``?call=``, with its project."""
    ids = parse_ids([request.POST.get("call") or request.GET.get("call") or ""])
    if not ids or len(ids) != 1:
        return None
    return Call.objects.select_related("project").filter(pk=ids[0], is_open=True).first()


def _wants_json(request: HttpRequest) -> bool:
    """static/js/upload.js posts with this header and navigates itself on success."""
    return request.headers.get("X-Requested-With") == "XMLHttpRequest"


@login_required
def new(request: HttpRequest) -> HttpResponse:
    """Submit a contribution: a file with a progress bar, or text written in the page.

    The project is the one asked for (``?project=``), else the call's (``?call=``, which
    also picks the call and its medium as the kind), else the first source's
    (``?remix=``), else the only project you belong to. Someone who is not a member of it
    is offered to join it, and the form only lists projects they belong to; with none,
    the page says how to join one instead of showing a form that cannot succeed."""
    user = cast(User, request.user)
    requested = _requested_sources(request)
    sources = requested or []
    member_projects = list(_member_projects(user))
    call = _requested_call(request)
    slug = request.POST.get("project") or request.GET.get("project") or ""
    target = Project.objects.filter(slug=slug).first() if slug else None
    if target is None and call is not None:
        target = call.project
    if target is None and sources:
        target = sources[0].project
    if target is None and len(member_projects) == 1:
        target = member_projects[0]
    is_member = target is not None and any(p.pk == target.pk for p in member_projects)
    if call is not None and (target is None or call.project_id != target.pk):
        call = None
    initial: dict[str, Any] = {}
    if is_member and target is not None:
        initial["project"] = target.slug
    if is_member and call is not None:
        initial["call"] = call.pk
        initial["kind"] = call.medium
    if sources:
        initial["title"] = f"Remix of {sources[0].title}"[:200]
    form = ContributionForm(
        request.POST or None,
        request.FILES or None,
        projects=_member_projects(user),
        calls=Call.objects.filter(project=target, is_open=True)
        if is_member
        else Call.objects.none(),
        sources=sources,
        initial=initial,
    )
    if requested is None and form.is_bound:
        form.add_error(None, SOURCES_HELP)
    elif requested is None:
        messages.error(request, SOURCES_HELP)
    if request.method == "POST" and form.is_valid():
        values = form.cleaned_data
        weights = form.weights()
        try:
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
                sources=[
                    services.SourceSpec(contribution_id=s.pk, weight=weights[s.pk]) for s in sources
                ],
                terms_accepted=values["terms"],
            )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                field = "file" if field == "upload_key" else field
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
            # The message is kept for the next page opened. The upload script must not
            # follow a redirect itself (that page would show the message and be thrown
            # away): it gets the address and navigates there.
            if _wants_json(request):
                return JsonResponse({"redirect": contribution.get_absolute_url()})
            return redirect(contribution)
    return render(
        request,
        "contributions/new.html",
        {
            "form": form,
            "project": target,
            "is_member": is_member,
            "member_projects": member_projects,
            "call": call,
            "sources": sources,
            **_file_state(request, form),
            "direct_upload": settings.MEDIA_IN_S3,
        },
        status=400 if request.method == "POST" or requested is None else 200,
    )


def _file_state(request: HttpRequest, form: ContributionForm) -> dict[str, str]:
    """What became of the file chosen before the form came back with an error
    (``file_note``, said beside the file field), and the direct upload to keep
    (``upload_key``): a browser cannot keep a chosen file in a reloaded page, while a
    direct upload stays in the store unless it was refused (then the file's error says
    why, and the next try uploads anew)."""
    if not form.is_bound:
        return {"file_note": "", "upload_key": ""}
    refused = "file" in form.errors
    key = str(form.data.get("upload_key", ""))
    if key and _direct_upload_kept(key):
        return {"file_note": "" if refused else FILE_KEPT, "upload_key": key}
    if key:
        return {"file_note": "" if refused else FILE_GONE, "upload_key": ""}
    chosen = request.FILES.get("file")
    note = FILE_AGAIN.format(name=chosen.name) if chosen and not refused else ""
    return {"file_note": note, "upload_key": ""}


def _direct_upload_kept(key: str) -> bool:
    return key.startswith(UPLOAD_PREFIX) and ".." not in key and default_storage.exists(key)


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
