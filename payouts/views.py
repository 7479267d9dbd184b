"""The director's curation page for a project's final cut, and its lock confirmation.

Thin: ``payouts.forms`` reads what was posted, ``payouts.services`` checks and writes,
``payouts.selectors`` and ``payouts.candidates`` read. The page works without JavaScript:
every button (add, move, remove, preview, search) posts the whole form and the page comes
back with the edited, still unsaved items; only "Save draft" writes. ``static/js/cut.js``
does the same in the page, asking the API's preview (which writes nothing) for the split.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal
from functools import wraps
from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from accounts.models import User
from accounts.selectors import PEOPLE_SCOPE
from contributions.models import Contribution
from hitrecord import fragments, prefetch
from hitrecord.errors import ConflictError
from hitrecord.params import parse_id
from payouts import candidates, selectors, services
from payouts.forms import AMOUNT_DEFAULT, CutForm, ItemsState, Row, read_items
from payouts.models import CutVersion
from projects.models import Project
from projects.selectors import (
    DIRECTORS_ONLY,
    known_project_id,
    project_for_director,
    project_get,
    project_id_for,
    project_scope,
    viewer_role,
)

_HUNDREDTH = Decimal("0.01")


def _explained(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """``PermissionDenied`` as a 403 page with its message, not Django's bare one."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except PermissionDenied as denied:
            message = str(denied) or "You may not do that."
            return render(request, "projects/refused.html", {"message": message}, status=403)

    return wrapper


# --- formatting -----------------------------------------------------------------------


def money(minor: int) -> str:
    """Minor units as ``1,234.56`` (hundredths; no float)."""
    whole, cents = divmod(minor, 100)
    return f"{whole:,}.{cents:02d}"


def percent(share: str) -> str:
    """A 12-place share string as a percentage with 2 places, rounded half-even."""
    return str((Decimal(share) * 100).quantize(_HUNDREDTH, rounding=ROUND_HALF_EVEN))


def _person(user: User) -> dict[str, str]:
    if user.is_anonymised:
        return {"username": "former member", "url": ""}
    return {"username": user.username, "url": user.get_absolute_url()}


@dataclass(frozen=True)
class ItemView:
    """A row of the cut as the page shows it."""

    contribution: Contribution
    row: Row
    first: bool
    last: bool


def _split_context(preview: selectors.SplitPreview | None) -> dict[str, Any]:
    if preview is None:
        return {"split": None}
    return {
        "split": {
            "amount": money(preview.amount_minor),
            "pool": money(preview.pool_minor),
            "house": money(preview.house_minor),
            "lines": [
                {
                    **_person(line.user),
                    "percent": percent(line.share),
                    "share": line.share,
                    "share_exact": line.share_exact,
                    "amount": money(line.amount_minor),
                }
                for line in preview.lines
            ],
        }
    }


# --- the page -------------------------------------------------------------------------


def _draft_state(project: Project) -> tuple[int, ItemsState]:
    cut = selectors.draft_of(project=project)
    state = ItemsState(
        rows=[
            Row(
                contribution_id=item.contribution_id,
                weight=_plain(item.weight),
                upstream_share="" if item.upstream_share is None else _plain(item.upstream_share),
            )
            for item in selectors.draft_items(cut=cut)
        ]
    )
    return (cut.revision if cut else 0), state


def _plain(value: Decimal) -> str:
    """``2.500`` as ``2.5``, ``3.000`` as ``3``: what a person would type."""
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _render(
    request: HttpRequest,
    project: Project,
    *,
    form: CutForm,
    revision: int,
    state: ItemsState,
    query: str,
    status: int = 200,
    amount_minor: int | None = None,
) -> HttpResponse:
    context, status = _cut_context(
        project,
        form=form,
        revision=revision,
        state=state,
        query=query,
        status=status,
        amount_minor=amount_minor,
    )
    body = fragments.serve(request, fragments.render(CUT_BODY, context))
    return _cut_response(request, project, body, status=status)


CUT_BODY = "payouts/_cut_body.html"


def _cut_response(
    request: HttpRequest, project: Project, body: str, *, status: int = 200
) -> HttpResponse:
    return render(request, "payouts/cut.html", {"project": project, "body": body}, status=status)


def _cut_page_cached(request: HttpRequest, slug: str) -> HttpResponse:
    """The page as the draft stands (a GET), for its directors and staff: a cached
    fragment per project version, curation version (every save and lock bumps it, so a
    director sees their own save at once) and search. The role check reads the cached
    role, which every membership change renews."""
    project_id = project_id_for(slug=slug)
    token = fragments.versions(
        project_scope(project_id), selectors.cut_scope(project_id), PEOPLE_SCOPE
    )
    role = viewer_role(project_id=project_id, user=request.user, token=token)
    if not role.can_direct:
        raise PermissionDenied(DIRECTORS_ONLY)
    query = request.GET.get("q", "")[:100].strip()
    digest = hashlib.sha256(query.encode()).hexdigest()[:16]
    key = f"cut-page:{project_id}:{token}:{digest}"

    def build() -> dict[str, Any]:
        project = project_get(slug=slug)
        revision, state = _draft_state(project)
        form = CutForm(initial={"revision": revision, "amount": AMOUNT_DEFAULT, "q": query})
        context, status = _cut_context(
            project, form=form, revision=revision, state=state, query=query
        )
        return {"project": project, "html": fragments.render(CUT_BODY, context), "ok": status}

    cached = fragments.cached_value(
        key,
        build,
        local=True,
        seconds=lambda page: fragments.FRAGMENT_SECONDS if page["ok"] == 200 else None,
    )
    body = fragments.serve(request, cached["html"])
    return _cut_response(request, cached["project"], body, status=cached["ok"])


def _cut_context(
    project: Project,
    *,
    form: CutForm,
    revision: int,
    state: ItemsState,
    query: str,
    status: int = 200,
    amount_minor: int | None = None,
) -> tuple[dict[str, Any], int]:
    found = candidates.contributions_by_id(state.ids)
    missing = [cid for cid in state.ids if cid not in found]
    if missing:
        state.rows = [row for row in state.rows if row.contribution_id in found]
        state.errors.append(f"No contribution has the id {', '.join(map(str, missing))}.")
        status = 400
    preview = None
    specs = state.check() if state.rows else []
    if specs is not None and not state.errors:
        try:
            services.final_cut_check_items(project=project, items=specs)
        except ValidationError as error:
            state.errors.append(" ".join(error.messages))
        else:
            preview = selectors.split_preview(
                project=project,
                rows=[(s.contribution_id, s.weight, s.upstream_share) for s in specs],
                amount_minor=amount_minor
                if amount_minor is not None
                else int(AMOUNT_DEFAULT * 100),
            )
    if state.errors or state.has_row_errors():
        status = max(status, 400)
    items = [
        ItemView(found[row.contribution_id], row, index == 0, index == len(state.rows) - 1)
        for index, row in enumerate(state.rows)
    ]
    in_cut = set(state.ids)
    latest = selectors.latest_version(project=project)
    versions = selectors.version_list(project=project)
    history = [
        {
            "version": version,
            "diff": selectors.version_diff(
                versions[index + 1] if index + 1 < len(versions) else None, version
            ),
            "first": index + 1 == len(versions),
            "contributor_percent": _plain(version.contributor_share * 100),
            "upstream_percent": _plain(version.remix_upstream_share * 100),
        }
        for index, version in enumerate(versions)
    ]
    context = {
        "project": project,
        "form": form,
        "revision": revision,
        "items": items,
        "item_errors": state.errors,
        "in_cut": in_cut,
        "inboxes": candidates.call_inboxes(project=project),
        "own": candidates.project_contributions(project=project),
        "lineage": candidates.lineage_candidates(item_ids=state.ids),
        "query": query,
        "results": candidates.search(query=query),
        "latest": latest,
        "history": history,
        "archived": project.is_archived,
        "upstream_default": _plain(project.remix_upstream_share),
        "contributor_percent": _plain(project.contributor_share * 100),
        "upstream_percent": _plain(project.remix_upstream_share * 100),
        **_split_context(preview),
    }
    return context, status


def _cut_scopes(kwargs: dict[str, Any]) -> list[str]:
    """What the curation page reads (``hitrecord.prefetch.scopes``), when the project is known."""
    project_id = known_project_id(str(kwargs.get("slug", "")))
    if project_id is None:
        return []
    return [project_scope(project_id), selectors.cut_scope(project_id)]


@login_required
@_explained
@prefetch.scopes(_cut_scopes)
def cut_page(request: HttpRequest, slug: str) -> HttpResponse:
    """The draft being curated: items, the projected split, candidates and history."""
    if request.method != "POST":
        return _cut_page_cached(request, slug)
    project = project_for_director(user=request.user, slug=slug)

    form = CutForm(request.POST)
    form.is_valid()  # a bad amount or search only affects the preview; reported below
    state = read_items(request.POST)
    posted: int | None = form.cleaned_data.get("revision")
    query = form.cleaned_data.get("q") or ""
    status = 200
    revision = _draft_state(project)[0] if posted is None else posted
    if posted is None:
        status = 400
    action, target = _action(request)
    if action == "add" and target is not None:
        state.add(target)
    elif action == "remove" and target is not None:
        state.remove(target)
    elif action == "up" and target is not None:
        state.move(target, -1)
    elif action == "down" and target is not None:
        state.move(target, +1)
    elif action == "save" and status == 200:
        response = _save(request, project, form=form, revision=revision, state=state, query=query)
        if response is not None:
            return response
        status = 400
    if "amount" in form.errors:
        status = 400
    return _render(
        request,
        project,
        form=form,
        revision=revision,
        state=state,
        query=query,
        status=status,
        amount_minor=None if "amount" in form.errors else form.amount_minor(),
    )


def _action(request: HttpRequest) -> tuple[str, int | None]:
    for name in ("add", "remove", "up", "down"):
        if name in request.POST:
            return name, parse_id(request.POST[name])
    if "save" in request.POST:
        return "save", None
    return "preview", None


def _save(
    request: HttpRequest,
    project: Project,
    *,
    form: CutForm,
    revision: int,
    state: ItemsState,
    query: str,
) -> HttpResponse | None:
    """Save the rows as the draft; a redirect when saved, a page when refused, None to
    show the rows' own errors."""
    specs = state.check()
    if specs is None:
        return None
    try:
        cut = services.final_cut_save(
            project=project, by=cast(User, request.user), revision=revision, items=specs
        )
    except ConflictError as conflict:
        current, fresh = _draft_state(project)
        fresh.errors.append(conflict.message)
        return _render(
            request,
            project,
            form=CutForm(initial={"revision": current, "amount": form.data.get("amount")}),
            revision=current,
            state=fresh,
            query=query,
            status=409,
        )
    except ValidationError as error:
        state.errors.append(" ".join(error.messages))
        return None
    messages.success(request, f"Draft saved (revision {cut.revision}).")
    return redirect(reverse("payouts:cut", kwargs={"slug": project.slug}))


# --- locking --------------------------------------------------------------------------


@login_required
@_explained
def cut_lock(request: HttpRequest, slug: str) -> HttpResponse:
    """GET: what locking the saved draft will do, and a button to do it. POST: lock."""
    project = project_for_director(user=request.user, slug=slug)
    error = ""
    if request.method == "POST":
        try:
            version, created = services.final_cut_lock(project=project, by=cast(User, request.user))
        except ConflictError as conflict:
            error = conflict.message
        else:
            _lock_message(request, version, created)
            return redirect(reverse("payouts:cut", kwargs={"slug": project.slug}) + "#history")
    rows = selectors.draft_rows(project=project)
    latest = selectors.latest_version(project=project)
    plan = candidates.lock_plan(project=project, rows=rows, latest=latest)
    return render(
        request,
        "payouts/cut_lock.html",
        {
            "project": project,
            "plan": plan,
            "latest": latest,
            "error": error,
            "contributor_percent": percent(str(plan.contributor_share)),
            "upstream_percent": percent(str(plan.remix_upstream_share)),
        },
        status=409 if error else 200,
    )


def _lock_message(request: HttpRequest, version: CutVersion, created: bool) -> None:
    if created:
        messages.success(
            request,
            f"Version {version.number} locked. Everyone whose work reaches it is being told.",
        )
    else:
        messages.info(
            request,
            f"The draft is identical to version {version.number}: nothing new was locked.",
        )
