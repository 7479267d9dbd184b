"""Project pages: home, the list, a project, and what its directors manage. Thin: forms
check shape, services decide, selectors read; permission failures render a 403 page that
says why."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from functools import wraps
from typing import Any, cast
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.forms import BaseForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from accounts.models import User
from accounts.selectors import PEOPLE_SCOPE, person_scope
from contributions import selectors as contribution_selectors
from contributions.gallery import gallery_context, gallery_params
from hitrecord import fragments, prefetch
from hitrecord.errors import ConflictError
from hitrecord.params import parse_page
from payouts.selectors import latest_version, used_in_cuts
from projects import selectors, services
from projects.forms import CallForm, DirectorForm, ProjectFilterForm, ProjectForm
from projects.models import Project

PAGE_SIZE = 24
HOME_CALLS_PER_MEDIUM = 4
HOME_PROJECTS = 6
HOME_YOUR_CALLS = 12
HOME_RECENT_WORK = 8


def _explained(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Render ``PermissionDenied`` as a 403 page and ``ConflictError`` as a 409 page, each
    with its message, instead of Django's bare error pages."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except PermissionDenied as denied:
            message = str(denied) or "You may not do that."
            return render(request, "projects/refused.html", {"message": message}, status=403)
        except ConflictError as conflict:
            return render(
                request, "projects/refused.html", {"message": conflict.message}, status=409
            )

    return wrapper


def _apply_errors(form: BaseForm, error: ValidationError) -> None:
    """Put a service's field errors next to the form's fields (or on top)."""
    if hasattr(error, "error_dict"):
        for field, messages_ in error.message_dict.items():
            form.add_error(field if field in form.fields else None, messages_)
    else:
        form.add_error(None, error.messages)


# --- browsing -----------------------------------------------------------------------------


def home(request: HttpRequest) -> HttpResponse:
    """Signed out: what this place is, open calls by medium (good first calls marked),
    projects in progress. Signed in: the person's own things instead, each once: their
    projects, the open calls that need them, and recent work with its pictures."""
    user = request.user
    if user.is_authenticated:
        # A fragment of their own: keyed by their version (their profile, memberships and
        # contributions), every project list's and people's names. Others' new work in
        # their projects shows within FRAGMENT_SECONDS.
        token = fragments.versions(person_scope(user.pk), selectors.PROJECTS_SCOPE, PEOPLE_SCOPE)
        mine = fragments.fragment(
            request,
            f"home:{user.pk}:{token}",
            "projects/_home_signed_in.html",
            lambda: {"user": user, **_home_for(user)},
        )
        return render(request, "projects/home.html", {"mine": mine})
    key = f"projects:home:{selectors.projects_version()}"
    shared = cache.get(key)
    if shared is None:
        shared = render_to_string(
            "projects/_home_shared.html",
            {
                "call_groups": selectors.calls_by_medium(
                    selectors.open_call_list(), per_medium=HOME_CALLS_PER_MEDIUM
                ),
                "projects": selectors.projects_in_progress(),
            },
        )
        cache.set(key, shared, fragments.FRAGMENT_SECONDS)
    return render(request, "projects/home.html", {"shared": shared})


def _home_for(user: User) -> dict[str, Any]:
    """A signed-in person's home: a fixed number of queries whatever they belong to."""
    your_projects = selectors.projects_of(user=user, limit=HOME_PROJECTS)
    everything = contribution_selectors.contribution_list()
    recent: list[Any] = []  # cards: each gets ``used_in_cuts`` below
    if your_projects:
        ids = [p.pk for p in your_projects]
        recent = list(everything.filter(project_id__in=ids)[:HOME_RECENT_WORK])
    in_your_projects = bool(recent)
    if not recent:  # nothing of theirs yet: what others made, so the page still shows work
        recent = list(everything[:HOME_RECENT_WORK])
    counts = used_in_cuts(c.pk for c in recent)
    for card in recent:
        card.used_in_cuts = counts.get(card.pk, 0)
    return {
        "your_projects": your_projects,
        # Someone in no project yet gets projects to join in their place.
        "projects": [] if your_projects else selectors.projects_in_progress(limit=HOME_PROJECTS),
        "your_calls": selectors.open_calls_for(user=user, limit=HOME_YOUR_CALLS),
        "recent_work": recent,
        "recent_in_your_projects": in_your_projects,
    }


def _plain_visitor(request: HttpRequest) -> bool:
    """A visitor with no session and no pending messages: every such visitor sees the same
    page for the same URL, so the whole page can be cached."""
    return settings.SESSION_COOKIE_NAME not in request.COOKIES and "messages" not in request.COOKIES


def project_list(request: HttpRequest) -> HttpResponse:
    """Search, filter, sort and page through projects.

    Cached under the "projects changed" version: the filters and grid per query for
    everyone (no database query, no form rendering on a repeat visit), and the whole page
    per URL for visitors without a session. Only valid queries are ever cached."""
    version = selectors.projects_version()
    page_key = ""
    if _plain_visitor(request):
        url_digest = hashlib.sha256(request.get_full_path().encode()).hexdigest()[:32]
        page_key = f"projects:page:{version}:{url_digest}"
        html = cache.get(page_key)
        if html is not None:
            cached = HttpResponse(html)
            patch_vary_headers(cached, ("Cookie",))  # as the rendered page says
            return cached
    query = urlencode(sorted((k, v) for k, v in request.GET.items() if k != "page" and v))
    page_number = parse_page(request.GET.get("page"))
    digest = hashlib.sha256(f"{query}|{page_number}".encode()).hexdigest()[:32]
    key = f"projects:list:{version}:{digest}"

    def build() -> str:
        form = ProjectFilterForm(request.GET or None)  # only on a miss
        if request.GET and not form.is_valid():
            return ""  # served as a 400 below, never stored
        filters = form.filters() if request.GET else ProjectFilterForm.filters_default()
        paginator = Paginator(selectors.project_list(lean=True, **filters), PAGE_SIZE)
        page = paginator.get_page(page_number)
        return render_to_string(
            "projects/_list_results.html",
            {
                "form": form,
                "page": page,
                "projects": list(page.object_list),
                "query": query,
                "filters": filters,
            },
        )

    # a key of version tokens only: kept in the process too (hitrecord.fragments)
    results = fragments.cached_value(
        key, build, local=True, seconds=lambda html: fragments.FRAGMENT_SECONDS if html else None
    )
    if not results:
        form = ProjectFilterForm(request.GET)
        form.is_valid()  # its errors, for the page
        return render(request, "projects/list.html", {"form": form, "results": ""}, status=400)
    response = render(request, "projects/list.html", {"results": results})
    # A page that handed out a CSRF token must set its cookie: never serve it from cache.
    if page_key and not request.META.get("CSRF_COOKIE_NEEDS_UPDATE"):
        cache.set(page_key, response.content.decode(), fragments.FRAGMENT_SECONDS)
    return response


def _page_key(project_id: int, token: str, role_key: str, gallery: str) -> str:
    return f"project-page:{project_id}:{token}:{role_key}:{gallery}"


@prefetch.scopes(selectors.project_page_scopes)
def project_detail(request: HttpRequest, slug: str) -> HttpResponse:
    """A project: cached whole per project version and viewer role (visitor, signed in,
    member, director, sole director, staff), since what the page offers differs only by
    role. A repeat view asks the cache only: the project's id, its version, the viewer's
    role, then the page."""
    project_id = selectors.project_id_for(slug=slug)
    token = fragments.versions(selectors.project_scope(project_id), PEOPLE_SCOPE)
    gallery = gallery_params(request)
    # One round trip for a first view in this process: the signed-in viewer's role and the
    # page as a viewer who is not a member gets it (most viewers).
    likely = _page_key(project_id, token, selectors.likely_role(request.user).key, gallery)
    if request.user.is_authenticated:
        fragments.preload(selectors.viewer_role_key(project_id, request.user, token), likely)
    else:
        fragments.preload(likely)  # a visitor's role needs no lookup
    role = selectors.viewer_role(project_id=project_id, user=request.user, token=token)
    key = _page_key(project_id, token, role.key, gallery)

    def build() -> dict[str, str]:
        page = selectors.project_page(slug=slug)
        directors = page.directors
        context = {
            "project": page.project,
            "signed_in": role.signed_in,
            "membership": role.membership,
            "can_direct": role.can_direct,
            "directors": directors,
            # Everyone the member count counts, directors first: the list and the count agree.
            "people": [*directors, *page.members],
            # The last director cannot leave (the service refuses): offer the way out instead.
            "sole_director": role.sole_director,
            "open_calls": page.open_calls,
            "latest_cut": latest_version(project=page.project),  # links the credits
            **gallery_context(request, project_id=page.project.pk),
            "gallery_cta_url": f"/contributions/new/?project={page.project.slug}"
            if role.membership and not page.project.is_archived
            else "",
            "gallery_empty": "No contributions yet. Answer a call, or start something.",
        }
        return {
            "title": page.project.title,
            "brief_html": page.project.brief_html,
            "body": fragments.render("projects/_detail_body.html", context),
        }

    cached = fragments.cached_value(key, build, local=True)
    body = fragments.serve(request, cached["body"])
    return render(request, "projects/detail.html", {**cached, "body": body})


# --- creating and editing -----------------------------------------------------------------


@login_required
@_explained
def project_new(request: HttpRequest) -> HttpResponse:
    user = cast(User, request.user)
    form = ProjectForm(request.POST or None, request.FILES or None, user=user)
    if request.method == "POST" and form.is_valid():
        try:
            project = services.project_create(by=user, **form.changes())
        except ValidationError as error:
            _apply_errors(form, error)
        else:
            messages.success(request, "Your project is up. Open a call to invite artists.")
            return redirect(project)
    status = 400 if form.is_bound else 200
    return render(request, "projects/new.html", {"form": form}, status=status)


def _edit_context(
    request: HttpRequest,
    project: Project,
    *,
    form: ProjectForm | None = None,
    call_form: CallForm | None = None,
    director_form: DirectorForm | None = None,
) -> dict[str, Any]:
    user = cast(User, request.user)
    candidates = list(selectors.member_candidates(project=project))
    return {
        "project": project,
        "form": form or ProjectForm(user=user, project=project),
        "call_form": call_form or CallForm(prefix="call"),
        "director_form": director_form or DirectorForm(candidates=candidates, prefix="director"),
        "calls": selectors.call_list(project=project),
        "candidates": candidates,
    }


@login_required
@_explained
def project_edit(request: HttpRequest, slug: str) -> HttpResponse:
    user = cast(User, request.user)
    project = selectors.project_for_director(user=user, slug=slug)
    form = ProjectForm(request.POST or None, request.FILES or None, user=user, project=project)
    if request.method == "POST":
        if form.is_valid():
            try:
                services.project_update(project=project, by=user, **form.changes())
            except ValidationError as error:
                _apply_errors(form, error)
            else:
                messages.success(request, "Saved.")
                return redirect(project)
        project.refresh_from_db()
        return render(
            request, "projects/edit.html", _edit_context(request, project, form=form), status=400
        )
    return render(request, "projects/edit.html", _edit_context(request, project))


@login_required
@require_POST
@_explained
def call_new(request: HttpRequest, slug: str) -> HttpResponse:
    user = cast(User, request.user)
    project = selectors.project_for_director(user=user, slug=slug)
    form = CallForm(request.POST, prefix="call")
    if form.is_valid():
        try:
            services.call_create(project=project, by=user, **form.changes())
        except ValidationError as error:
            _apply_errors(form, error)
        else:
            messages.success(request, "Your call is open.")
            return redirect("projects:edit", slug=project.slug)
    return render(
        request,
        "projects/edit.html",
        _edit_context(request, project, call_form=form),
        status=400,
    )


@login_required
@require_POST
@_explained
def call_open(request: HttpRequest, slug: str, call_id: int) -> HttpResponse:
    """Close (``open=0``) or reopen (``open=1``) a call."""
    user = cast(User, request.user)
    call = selectors.call_for_director(user=user, slug=slug, call_id=call_id)
    wanted = request.POST.get("open")
    if wanted not in ("0", "1"):
        messages.error(request, "Say whether the call should be open (1) or closed (0).")
        return redirect("projects:edit", slug=slug)
    services.call_update(call=call, by=user, is_open=wanted == "1")
    messages.success(request, f"“{call.title}” is {'open' if call.is_open else 'closed'}.")
    return redirect("projects:edit", slug=slug)


@login_required
@_explained
def call_edit(request: HttpRequest, slug: str, call_id: int) -> HttpResponse:
    """Change a call's title, description and good-first flag (and its medium until
    contributions answered it)."""
    user = cast(User, request.user)
    call = selectors.call_for_director(user=user, slug=slug, call_id=call_id)
    project = call.project
    locked = services.call_medium_locked(call=call)
    form = CallForm(request.POST or None, call=call, medium_locked=locked)
    if request.method == "POST":
        if form.is_valid():
            try:
                services.call_update(call=call, by=user, **form.changes())
            except ValidationError as error:
                _apply_errors(form, error)
            else:
                messages.success(request, f"Saved “{call.title}”.")
                return redirect(f"{reverse('projects:edit', args=[project.slug])}#call-{call.pk}")
    return render(
        request,
        "projects/call_edit.html",
        {"project": project, "call": call, "form": form},
        status=400 if form.is_bound else 200,
    )


@login_required
@require_POST
@_explained
def director_add(request: HttpRequest, slug: str) -> HttpResponse:
    user = cast(User, request.user)
    project = selectors.project_for_director(user=user, slug=slug)
    candidates = list(selectors.member_candidates(project=project))
    form = DirectorForm(request.POST, candidates=candidates, prefix="director")
    if form.is_valid():
        try:
            membership, _changed = services.project_add_director(
                project=project, by=user, user_id=form.cleaned_data["user"]
            )
        except ValidationError as error:
            _apply_errors(form, error)
        else:
            messages.success(request, f"{membership.user.display_name} now co-directs.")
            return redirect("projects:edit", slug=project.slug)
    return render(
        request,
        "projects/edit.html",
        _edit_context(request, project, director_form=form),
        status=400,
    )


# --- joining ------------------------------------------------------------------------------


@login_required
@require_POST
@_explained
def project_join(request: HttpRequest, slug: str) -> HttpResponse:
    project = selectors.project_get(slug=slug)
    _membership, created = services.project_join(project=project, user=cast(User, request.user))
    if created:
        messages.success(request, f"You joined {project.title}. Answer an open call.")
    # The contribution form offers joining in one click and comes back to itself.
    next_url = request.POST.get("next", "")
    if next_url and url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(next_url)
    return redirect(project)


@login_required
@require_POST
@_explained
def project_leave(request: HttpRequest, slug: str) -> HttpResponse:
    project = selectors.project_get(slug=slug)
    if services.project_leave(project=project, user=cast(User, request.user)):
        messages.success(request, f"You left {project.title}.")
    return redirect(project)
