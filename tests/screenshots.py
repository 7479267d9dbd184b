"""``make screenshots``: full-page screenshots of every page of the site, at both sizes.

Run as ``.venv/bin/python -m tests.screenshots [--out DIR]`` (default ``screenshots/``). On
a throw-away data dir (SQLite, tasks in-process, local media) it migrates, seeds the demo,
starts the dev server on a free port, and visits every page with Debian's Chromium through
Playwright: signed out, as an artist (``mira``), as a director (``director``) and as staff
(``admin``, who also sees the Django admin), each signed in through the real sign-in form.
Every page is shot at 1280x900 (desktop) and 375x812 (phone) as
``<role>-<page>-<size>.png``; ``index.html`` beside them is a contact sheet linking them
all. Console errors, Content-Security-Policy violations, failed sub-requests and pages
wider than the phone are noted per page, and a table of them is printed at the end. The
exit status is 1 when any page answered 500 or more (or could not be loaded).

"Every page" is read from the URL patterns: :func:`pages` names each GET page with its path
parameters taken from the demo data, and :func:`uncovered` lists any named route that is
neither shot nor deliberately skipped (POST-only endpoints, the API apart from its docs,
media files), so a new page cannot be forgotten (``tests/hitrecord/test_screenshots.py``).
"""

from __future__ import annotations

import argparse
import html
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext
    from playwright.sync_api import Page as BrowserPage

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SIZES: dict[str, tuple[int, int]] = {"desktop": (1280, 900), "phone": (375, 812)}
ROLES = ("anon", "artist", "director", "staff")
ROLE_USERS = {"artist": "mira", "director": "director", "staff": "admin"}

# Collects every CSP violation of the document (the init script runs before the page's own).
CSP_LISTENER = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(
    `${event.effectiveDirective} blocked ${event.blockedURI || "inline"}` +
      (event.sourceFile ? ` at ${event.sourceFile}:${event.lineNumber}` : "")
  );
});
"""

# Named routes that are not pages to look at, and why.
POST_ONLY = "POST only"
SKIPPED: dict[str, str] = {
    "logout": POST_ONLY,
    "accounts:notifications-read": POST_ONLY,
    "projects:join": POST_ONLY,
    "projects:leave": POST_ONLY,
    "projects:call_new": POST_ONLY,
    "projects:call_open": POST_ONLY,
    "projects:director_add": POST_ONLY,
    "contributions:withdraw": POST_ONLY,
    "contributions:delete": POST_ONLY,
    "contributions:comment": POST_ONLY,
    "payouts:payee_resend": POST_ONLY,
    "admin:logout": POST_ONLY,
    "admin:jsi18n": "the admin's JavaScript catalogue",
    "admin:autocomplete": "JSON for the admin's widgets",
    "admin:view_on_site": "a redirect to the site's own page",
    "media": "media files: shown inside the pages that use them",
    "healthz": "JSON for load balancers and monitors",
}
API_DOCS = "api-docs"


@dataclass(frozen=True)
class Page:
    """One page as one role sees it: ``<role>-<name>-<size>.png``."""

    role: str
    name: str
    path: str
    route: str  # the URL pattern's name, e.g. "projects:detail"
    expect: int = 200
    download: bool = False  # an attachment: its status is checked, nothing is drawn

    def filename(self, size: str) -> str:
        return f"{self.role}-{self.name}-{size}.png"


@dataclass(frozen=True)
class AdminModel:
    """A model registered in the Django admin and what staff may do with it."""

    app_label: str
    model_name: str
    first_pk: str | None
    can_add: bool
    can_delete: bool


@dataclass(frozen=True)
class World:
    """What the pages' path parameters are filled from: the demo data in the database."""

    password: str
    main_project: str
    open_project: str
    released_project: str | None
    archived_project: str | None
    call_id: int | None
    contributions: dict[str, int]  # "text", "image", "audio", "video", "remix" -> id
    artist: str
    artist_uid: str
    artist_reset_token: str
    artist_email_token: str
    artist_payee_token: str | None
    proposed_distribution: int | None
    paid_distribution: int | None
    batch_id: int | None
    staff_pk: int
    admin_models: tuple[AdminModel, ...]


@dataclass
class Shot:
    """What one page did at one size."""

    status: int = 0
    console: list[str] = field(default_factory=list)
    csp: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    overflow: int = 0  # px wider than the screen
    error: str = ""
    file: str = ""
    seconds: float = 0.0


@dataclass
class Result:
    page: Page
    shots: dict[str, Shot] = field(default_factory=dict)

    @property
    def worst_status(self) -> int:
        statuses = [s.status for s in self.shots.values()]
        return 0 if 0 in statuses else max(statuses, default=0)

    @property
    def broken(self) -> bool:
        """Answered 500 or more, or never loaded."""
        return any(s.status >= 500 or s.status == 0 for s in self.shots.values())

    def problems(self) -> list[str]:
        found: list[str] = []
        for size, shot in self.shots.items():
            if shot.error:
                found.append(f"{size}: {shot.error}")
            elif shot.status != self.page.expect:
                found.append(f"{size}: answered {shot.status}, expected {self.page.expect}")
            if shot.overflow:
                found.append(f"{size}: {shot.overflow}px wider than the screen")
            found += [f"{size}: console: {m}" for m in shot.console]
            found += [f"{size}: CSP: {m}" for m in shot.csp]
            found += [f"{size}: failed: {m}" for m in shot.failed]
        return found


# --- which pages ------------------------------------------------------------------------


def demo_world() -> World:
    """Read the demo data (``seed_demo`` ran) that the pages' parameters come from."""
    from django.contrib import admin
    from django.contrib.auth.tokens import default_token_generator
    from django.db.models import Count
    from django.test import RequestFactory
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    from accounts.demo import DEMO_PASSWORD
    from accounts.models import User
    from accounts.services import email_verification_token
    from contributions.models import Contribution
    from payouts.demo import MAIN_PROJECT
    from payouts.models import Distribution, PayeeDetails, PaymentBatch
    from payouts.payee import payee_verification_token
    from projects.models import Call, Project

    def slug_with(status: str) -> str | None:
        project = Project.objects.filter(status=status).order_by("pk").first()
        return project.slug if project else None

    open_project = (
        Project.objects.filter(status=Project.Status.OPEN, calls__is_open=True)
        .order_by("pk")
        .first()
    )
    shown = Contribution.objects.filter(
        status=Contribution.Status.READY, withdrawn=False, removed=False
    ).order_by("pk")
    contributions = {
        kind: pk
        for kind in Contribution.Kind.values
        if (pk := shown.filter(kind=kind).values_list("pk", flat=True).first()) is not None
    }
    remix = shown.annotate(n=Count("source_links")).filter(n__gt=0).order_by("-n", "pk").first()
    if remix is not None:
        contributions["remix"] = remix.pk
    call = Call.objects.filter(project__slug=MAIN_PROJECT, is_open=True).order_by("pk").first()
    artist = User.objects.get(username=ROLE_USERS["artist"])
    staff = User.objects.get(username=ROLE_USERS["staff"])
    payee = PayeeDetails.objects.filter(person=artist).first()

    def distribution_with(status: str) -> int | None:
        return (
            Distribution.objects.filter(status=status, lines__person=artist)
            .order_by("pk")
            .values_list("pk", flat=True)
            .first()
        )

    request = RequestFactory().get("/admin/")
    request.user = staff
    admin_models = []
    for model, model_admin in admin.site._registry.items():
        first = model_admin.get_queryset(request).order_by("pk").first()
        admin_models.append(
            AdminModel(
                app_label=model._meta.app_label,
                model_name=model._meta.model_name or "",
                first_pk=str(first.pk) if first is not None else None,
                can_add=model_admin.has_add_permission(request),
                can_delete=first is not None and model_admin.has_delete_permission(request, first),
            )
        )
    batch = PaymentBatch.objects.order_by("pk").first()
    return World(
        password=DEMO_PASSWORD,
        main_project=MAIN_PROJECT,
        open_project=open_project.slug if open_project else MAIN_PROJECT,
        released_project=slug_with(Project.Status.RELEASED),
        archived_project=slug_with(Project.Status.ARCHIVED),
        call_id=call.pk if call else None,
        contributions=contributions,
        artist=artist.username,
        artist_uid=urlsafe_base64_encode(force_bytes(artist.pk)),
        artist_reset_token=default_token_generator.make_token(artist),
        artist_email_token=email_verification_token(user=artist),
        artist_payee_token=payee_verification_token(details=payee) if payee else None,
        proposed_distribution=distribution_with(Distribution.Status.PROPOSED),
        paid_distribution=distribution_with(Distribution.Status.PAID),
        batch_id=batch.pk if batch else None,
        staff_pk=staff.pk,
        admin_models=tuple(admin_models),
    )


def pages(world: World) -> list[Page]:
    """Every GET page of the site, for each role that has something to see on it."""
    from django.urls import reverse

    found: list[Page] = []

    def add(
        roles: Iterable[str],
        name: str,
        route: str,
        *args: Any,
        query: str = "",
        expect: int = 200,
        download: bool = False,
        **kwargs: Any,
    ) -> None:
        path = reverse(route, args=args or None, kwargs=kwargs or None) + query
        for role in roles:
            found.append(Page(role, name, path, route, expect=expect, download=download))

    everyone = ROLES
    signed_in = ("artist", "director")
    browsing = ("anon", "artist")
    main = world.main_project

    # Browsing: the home page, projects, contributions, people (public pages).
    add(everyone, "home", "projects:home")
    add(browsing, "projects", "projects:list")
    add(browsing, "projects-filtered", "projects:list", query="?medium=audio&has_calls=on")
    add(browsing, "projects-search", "projects:list", query="?search=lighthouse")
    add(browsing, "search", "search", query="?q=light")
    add(browsing, "projects-search-empty", "projects:list", query="?search=zzzz-no-such")
    add(everyone, "project", "projects:detail", slug=main)
    add(browsing, "project-open", "projects:detail", slug=world.open_project)
    if world.released_project:
        add(browsing, "project-released", "projects:detail", slug=world.released_project)
    if world.archived_project:
        add(browsing, "project-archived", "projects:detail", slug=world.archived_project)
    for kind, pk in world.contributions.items():
        roles = everyone if kind == "remix" else browsing
        add(roles, f"contribution-{kind}", "contributions:detail", pk=pk)
    add(browsing, "profile", "accounts:profile", username=world.artist)
    add(("director",), "profile", "accounts:profile", username=ROLE_USERS["director"])
    add(browsing, "credits", "payouts:credits", slug=main)
    add(("anon",), "credits-txt", "payouts:credits_txt", slug=main, download=True)
    add(("anon",), "credits-csv", "payouts:credits_csv", slug=main, download=True)
    add(("anon", "artist", "staff"), "ledger", "payouts:ledger", slug=main)
    add(("anon",), "api-docs", API_DOCS)

    # Signing in and up, and the password links (signed out).
    add(("anon",), "login", "login")
    add(("anon",), "signup", "accounts:signup")
    add(("anon",), "password-reset", "password_reset")
    add(("anon",), "password-reset-done", "password_reset_done")
    add(
        ("anon",),
        "password-reset-confirm",
        "password_reset_confirm",
        uidb64=world.artist_uid,
        token=world.artist_reset_token,
    )
    add(
        ("anon",),
        "password-reset-bad-link",
        "password_reset_confirm",
        uidb64=world.artist_uid,
        token="no-such-token",
    )
    add(("anon",), "password-reset-complete", "password_reset_complete")
    add(("anon",), "email-verify-bad-link", "accounts:email-verify", token="x", expect=400)
    add(("anon",), "payee-verify-bad-link", "payouts:payee_verify", token="x", expect=400)
    add(("anon",), "admin-login", "admin:login")

    # A signed-in person's own pages.
    add(signed_in, "profile-edit", "accounts:profile-edit")
    add(signed_in, "account-delete", "accounts:account-delete")
    add(signed_in, "notifications", "accounts:notifications")
    add(signed_in, "email-verify-send", "accounts:email-verify-send")
    add(("artist",), "email-verify", "accounts:email-verify", token=world.artist_email_token)
    add(signed_in, "password-change", "password_change")
    add(signed_in, "password-change-done", "password_change_done")
    add(signed_in, "earnings", "payouts:earnings")
    add(signed_in, "payee", "payouts:payee")
    if world.artist_payee_token:
        add(("artist",), "payee-verify", "payouts:payee_verify", token=world.artist_payee_token)
    if world.proposed_distribution:
        add(
            ("artist",),
            "claim-open",
            "payouts:claim",
            distribution_id=str(world.proposed_distribution),
        )
    if world.paid_distribution:
        add(
            ("artist",),
            "claim-closed",
            "payouts:claim",
            distribution_id=str(world.paid_distribution),
        )
    add(signed_in, "project-new", "projects:new")
    add(("artist",), "contribution-new", "contributions:new")
    add(
        ("artist",),
        "contribution-new-for-call",
        "contributions:new",
        query=f"?project={main}" + (f"&call={world.call_id}" if world.call_id else ""),
    )
    if "remix" in world.contributions:
        add(
            ("artist",),
            "contribution-new-remix",
            "contributions:new",
            query=f"?remix={world.contributions['remix']}",
        )

    # The director's pages of their project.
    add(("director",), "project-edit", "projects:edit", slug=main)
    add(("director",), "cut", "payouts:cut", slug=main)
    add(("director",), "cut-lock", "payouts:cut_lock", slug=main)
    if world.call_id:
        add(("director",), "call-edit", "projects:call_edit", slug=main, call_id=world.call_id)

    # Staff: the Django admin, every registered model.
    staff = ("staff",)
    add(staff, "admin", "admin:index")
    add(staff, "admin-password-change", "admin:password_change")
    add(staff, "admin-password-change-done", "admin:password_change_done")
    for app_label in sorted({m.app_label for m in world.admin_models}):
        add(staff, f"admin-{app_label}", "admin:app_list", app_label=app_label)
    for m in world.admin_models:
        base = f"admin:{m.app_label}_{m.model_name}"
        stem = f"admin-{m.app_label}-{m.model_name}"
        add(staff, f"{stem}-list", f"{base}_changelist")
        if m.can_add:
            add(staff, f"{stem}-add", f"{base}_add")
        if m.first_pk is not None:
            add(staff, f"{stem}-change", f"{base}_change", m.first_pk)
            add(staff, f"{stem}-history", f"{base}_history", m.first_pk)
        if m.can_delete and m.first_pk is not None:
            add(staff, f"{stem}-delete", f"{base}_delete", m.first_pk)
    add(staff, "admin-user-password", "admin:auth_user_password_change", world.staff_pk)
    add(staff, "admin-payouts-paymentbatch-export", "admin:payouts_paymentbatch_export")
    if world.batch_id is not None:
        for kind in ("csv", "paypal"):
            add(
                staff,
                f"admin-payouts-paymentbatch-{kind}",
                f"admin:payouts_paymentbatch_{kind}",
                str(world.batch_id),
                query="?part=1" if kind == "paypal" else "",
                download=True,
            )
    return found


def skipped(world: World) -> dict[str, str]:
    """Named routes left out on purpose, with the reason."""
    reasons = dict(SKIPPED)
    for route, pattern in _named_routes():
        if pattern.startswith("api/") and route != API_DOCS:
            reasons[route] = "the API (its docs page is shot)"
    for m in world.admin_models:
        base = f"admin:{m.app_label}_{m.model_name}"
        if not m.can_add:
            reasons[f"{base}_add"] = "staff may not add these here"
        if m.first_pk is None:
            for view in ("change", "history", "delete"):
                reasons[f"{base}_{view}"] = "no rows in the demo"
        elif not m.can_delete:
            reasons[f"{base}_delete"] = "staff may not delete these"
    return reasons


def uncovered(world: World, found: list[Page]) -> list[str]:
    """Named routes that are neither shot nor skipped: pages this script forgot."""
    shot = {page.route for page in found}
    reasons = skipped(world)
    return sorted(
        {route for route, _ in _named_routes() if route not in shot and route not in reasons}
    )


def _named_routes() -> list[tuple[str, str]]:
    """(namespaced name, full pattern) of every named URL pattern."""
    from django.urls import URLPattern, URLResolver, get_resolver

    routes: list[tuple[str, str]] = []

    def walk(resolver: URLResolver, prefix: str, namespace: str) -> None:
        for entry in resolver.url_patterns:
            if isinstance(entry, URLResolver):
                inner = namespace
                if entry.namespace:
                    inner = f"{namespace}:{entry.namespace}" if namespace else entry.namespace
                walk(entry, prefix + str(entry.pattern), inner)
            elif isinstance(entry, URLPattern) and entry.name:
                name = f"{namespace}:{entry.name}" if namespace else entry.name
                routes.append((name, prefix + str(entry.pattern)))

    walk(get_resolver(), "", "")
    return routes


# --- shooting ---------------------------------------------------------------------------


def sign_in(context: BrowserContext, username: str, password: str) -> None:
    """Sign in through the site's own form, as a person would."""
    page = context.new_page()
    try:
        page.goto("/accounts/login/")
        form = page.locator("form:has(input[name=password])")
        form.locator("input[name=username]").fill(username)
        form.locator("input[name=password]").fill(password)
        with page.expect_navigation():
            form.locator("button[type=submit]").click()
        if "/accounts/login/" in page.url:
            raise RuntimeError(f"signing in as {username} failed: still on {page.url}")
    finally:
        page.close()


def shoot(
    browser: Browser,
    base_url: str,
    found: list[Page],
    out: Path,
    *,
    password: str,
    log: Callable[[str], None] = print,
) -> list[Result]:
    """Visit ``found`` in ``browser`` against the site at ``base_url``, writing full-page
    PNGs into ``out``; one signed-in session per role, shared by both sizes."""
    out.mkdir(parents=True, exist_ok=True)
    results = {page: Result(page) for page in found}
    for role in ROLES:
        mine = [page for page in found if page.role == role]
        if not mine:
            continue
        state = None
        if role != "anon":
            login = browser.new_context(base_url=base_url)
            sign_in(login, ROLE_USERS[role], password)
            state = login.storage_state()
            login.close()
        for size, (width, height) in SIZES.items():
            phone = size == "phone"
            context = browser.new_context(
                base_url=base_url,
                viewport={"width": width, "height": height},
                device_scale_factor=1,
                is_mobile=phone,
                has_touch=phone,
                storage_state=state,
            )
            context.add_init_script(CSP_LISTENER)
            try:
                with _watched(context.new_page()) as (tab, current):
                    for page in mine:
                        if page.download and phone:
                            continue
                        shot = current["shot"] = Shot()
                        current["inflight"].clear()
                        started = time.monotonic()
                        if page.download:
                            _fetch(context, page, shot)
                        else:
                            png = out / page.filename(size)
                            _visit(tab, page, shot, png, width, current["inflight"])
                        shot.seconds = time.monotonic() - started
                        results[page].shots[size] = shot
                        log(
                            f"  {shot.status or 'ERR':>3} {shot.seconds:4.1f}s {size:<7} "
                            f"{role:<8} {page.path}"
                        )
            finally:
                context.close()
    return list(results.values())


@contextmanager
def _watched(tab: BrowserPage) -> Iterator[tuple[BrowserPage, dict[str, Any]]]:
    """The tab, with its console errors and failed sub-requests noted on the current shot,
    and the requests still under way."""
    current: dict[str, Any] = {"shot": Shot(), "inflight": set()}

    def console(message: Any) -> None:
        text = message.text
        # CSP reports come from the page itself; failed loads from the response listener
        if message.type == "error" and not (
            "Content Security Policy" in text or text.startswith("Failed to load resource")
        ):
            current["shot"].console.append(text)

    def page_error(error: Any) -> None:
        current["shot"].console.append(f"uncaught: {error}")

    def response(answer: Any) -> None:
        # the page's own status is noted apart; this is what it loaded
        if answer.status >= 400 and answer.request.resource_type != "document":
            current["shot"].failed.append(f"{answer.status} {answer.url}")

    def started(request: Any) -> None:
        current["inflight"].add(request)

    def ended(request: Any) -> None:
        current["inflight"].discard(request)

    tab.on("request", started)
    tab.on("requestfinished", ended)
    tab.on("requestfailed", ended)
    tab.on("console", console)
    tab.on("pageerror", page_error)
    tab.on("response", response)
    tab.set_default_timeout(30_000)
    try:
        yield tab, current
    finally:
        tab.close()


def _visit(
    tab: BrowserPage, page: Page, shot: Shot, png: Path, width: int, inflight: set[Any]
) -> None:
    from playwright.sync_api import Error as PlaywrightError

    try:
        answer = tab.goto(page.path, wait_until="load")
        shot.status = answer.status if answer else 0
        _settle(tab, inflight)
        shot.csp = list(tab.evaluate("window.__cspViolations || []"))
        scroll_width = int(tab.evaluate("document.documentElement.scrollWidth"))
        shot.overflow = max(0, scroll_width - width)
        tab.screenshot(path=str(png), full_page=True, animations="disabled")
        shot.file = png.name
    except PlaywrightError as error:
        shot.error = str(error).splitlines()[0]


def _settle(
    tab: BrowserPage, inflight: set[Any], *, quiet: float = 0.15, limit: float = 3.0
) -> None:
    """Wait until no request has been under way for ``quiet`` seconds (players and lineage
    pictures fetch a little more after load), at most ``limit`` seconds: a video may keep
    streaming. Quicker than Playwright's "networkidle", which always waits 500 ms."""
    deadline = time.monotonic() + limit
    calm_since: float | None = None
    while time.monotonic() < deadline:
        if inflight:
            calm_since = None
        elif calm_since is None:
            calm_since = time.monotonic()
        elif time.monotonic() - calm_since >= quiet:
            return
        tab.wait_for_timeout(30)


def _fetch(context: BrowserContext, page: Page, shot: Shot) -> None:
    from playwright.sync_api import Error as PlaywrightError

    try:
        answer = context.request.get(page.path)
        shot.status = answer.status
        if "attachment" not in answer.headers.get("content-disposition", ""):
            shot.failed.append("not offered as a download (no Content-Disposition: attachment)")
    except PlaywrightError as error:
        shot.error = str(error).splitlines()[0]


# --- reporting --------------------------------------------------------------------------


def summary(results: list[Result]) -> str:
    """A plain-text table: one row per page and role, then every problem in words."""
    rows = [("role", "page", "status", "console", "csp", "failed", "wide", "path")]
    for result in results:
        shots = result.shots.values()
        rows.append(
            (
                result.page.role,
                result.page.name,
                "/".join(str(s.status or "ERR") for s in shots),
                str(sum(len(s.console) for s in shots)),
                str(sum(len(s.csp) for s in shots)),
                str(sum(len(s.failed) for s in shots)),
                "yes" if any(s.overflow for s in shots) else "",
                result.page.path,
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    lines = [
        "  ".join(cell.ljust(w) for cell, w in zip(row[:-1], widths, strict=True)) + "  " + row[-1]
        for row in rows
    ]
    problems = [(r, r.problems()) for r in results]
    problems = [(r, p) for r, p in problems if p]
    if problems:
        lines += ["", f"Problems on {len(problems)} page(s):"]
        for result, found in problems:
            lines.append(f"- {result.page.role} {result.page.name} ({result.page.path})")
            lines += [f"    {line}" for line in dict.fromkeys(found)]
    return "\n".join(lines)


def contact_sheet(results: list[Result], out: Path) -> Path:
    """``index.html`` in ``out``: every page per role, both sizes, each linking its PNG."""
    esc = html.escape
    parts = [
        "<!doctype html><meta charset=utf-8><title>hitrecord screenshots</title>",
        "<style>body{font:14px system-ui,sans-serif;margin:24px;color:#1f2328}"
        "table{border-collapse:collapse}td,th{border-bottom:1px solid #ddd;padding:8px;"
        "vertical-align:top;text-align:left}img{border:1px solid #ccc;display:block}"
        ".bad{color:#b42318}.note{color:#57606a;font-size:12px;max-width:28em}</style>",
        f"<h1>hitrecord: {len(results)} pages</h1>",
        "<p>" + " · ".join(f'<a href="#{r}">{r}</a>' for r in ROLES) + "</p>",
    ]
    for role in ROLES:
        mine = [r for r in results if r.page.role == role]
        if not mine:
            continue
        parts.append(f'<h2 id="{role}">{role} ({len(mine)})</h2><table>')
        parts.append("<tr><th>page</th><th>desktop 1280x900</th><th>phone 375x812</th></tr>")
        for result in mine:
            problems = result.problems()
            status = "/".join(str(s.status or "ERR") for s in result.shots.values())
            cls = "bad" if result.broken or problems else ""
            cells = [
                f"<td><b>{esc(result.page.name)}</b><br><code>{esc(result.page.path)}</code>"
                f'<br><span class="{cls}">{esc(status)}</span>'
                + "".join(f'<div class="note">{esc(p)}</div>' for p in problems[:8])
                + "</td>"
            ]
            for size, thumb in (("desktop", 320), ("phone", 120)):
                shot = result.shots.get(size)
                if shot and shot.file:
                    cells.append(
                        f'<td><a href="{esc(shot.file)}"><img src="{esc(shot.file)}" '
                        f'width="{thumb}" loading="lazy" alt=""></a></td>'
                    )
                else:
                    cells.append("<td>(download)</td>" if result.page.download else "<td>-</td>")
            parts.append("<tr>" + "".join(cells) + "</tr>")
        parts.append("</table>")
    index = out / "index.html"
    index.write_text("\n".join(parts), encoding="utf-8")
    return index


def _clear(out: Path) -> None:
    """Remove earlier screenshots (only files this script names), so none is stale."""
    for png in out.glob("*.png"):
        if png.name.split("-", 1)[0] in ROLES and png.stem.rsplit("-", 1)[-1] in SIZES:
            png.unlink()


# --- the throw-away site ----------------------------------------------------------------


def site_environment(data_dir: Path) -> dict[str, str]:
    """The embedded default on ``data_dir``: SQLite, eager tasks, local media, debug on."""
    dropped = (
        "DATABASE_URL",
        "CELERY_BROKER_URL",
        "CACHE_URL",
        "EMAIL_URL",
        "AWS_STORAGE_BUCKET_NAME",
        "DJANGO_SETTINGS_MODULE",
    )
    env = {k: v for k, v in os.environ.items() if k not in dropped}
    env.update(
        {
            "HITRECORD_DATA_DIR": str(data_dir),
            "DJANGO_SETTINGS_MODULE": "hitrecord.settings",
            "DJANGO_DEBUG": "1",
            "DJANGO_SECURE_SSL_REDIRECT": "0",
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _manage(env: dict[str, str], log: Path, *args: str) -> None:
    with log.open("a") as out:
        done = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            check=False,
        )
    if done.returncode:
        raise SystemExit(f"manage.py {' '.join(args)} failed:\n{_tail(log)}")


def _tail(log: Path, lines: int = 40) -> str:
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])


@contextmanager
def _server(env: dict[str, str], log: Path) -> Iterator[str]:
    """Django's dev server on a free port, until the block ends."""
    port = _free_port()
    with log.open("a") as out:
        server = subprocess.Popen(
            [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"{base_url}/healthz", timeout=5).close()  # noqa: S310
                break
            except urllib.error.HTTPError:
                break  # it answers
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit(f"The dev server did not start:\n{_tail(log)}") from None
                time.sleep(0.25)
        yield base_url
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--out", type=Path, default=ROOT / "screenshots", help="where the PNGs go (screenshots/)"
    )
    parser.add_argument(
        "--only",
        action="append",
        default=[],
        metavar="TEXT",
        help="shoot only pages whose <role>-<page> contains TEXT (repeatable), e.g. director-cut",
    )
    options = parser.parse_args(argv)
    if not Path(CHROMIUM).exists():
        print(
            f"Chromium is missing at {CHROMIUM}; install it with: apt-get install -y chromium",
            file=sys.stderr,
        )
        return 2
    started = time.monotonic()
    out: Path = options.out.resolve()
    with tempfile.TemporaryDirectory(prefix="hitrecord-screenshots-") as scratch:
        data_dir = Path(scratch) / "data"
        log = Path(scratch) / "site.log"
        env = site_environment(data_dir)
        print(f"Seeding the demo in {data_dir} ...")
        _manage(env, log, "migrate", "--noinput")
        _manage(env, log, "seed_demo")

        os.environ.clear()
        os.environ.update(env)  # this process reads the same database as the server
        import django

        django.setup()
        world = demo_world()
        found = pages(world)
        missing = uncovered(world, found)
        if options.only:
            found = [p for p in found if any(t in f"{p.role}-{p.name}" for t in options.only)]

        out.mkdir(parents=True, exist_ok=True)
        if not options.only:
            _clear(out)
        from playwright.sync_api import sync_playwright

        with _server(env, log) as base_url, sync_playwright() as playwright:
            print(f"Shooting {len(found)} pages at {base_url} into {out} ...")
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                results = shoot(browser, base_url, found, out, password=world.password)
            finally:
                browser.close()
        server_log = log.read_text(errors="replace")
        if "Traceback" in server_log:
            shutil.copy(log, out / "site.log")
    index = contact_sheet(results, out)
    print()
    print(summary(results))
    if missing:
        print("\nRoutes neither shot nor skipped (add them to tests/screenshots.py):")
        print("\n".join(f"  {route}" for route in missing))
    broken = [r for r in results if r.broken]
    pngs = sum(1 for r in results for s in r.shots.values() if s.file)
    print(
        f"\n{len(results)} pages, {pngs} screenshots in {time.monotonic() - started:.0f} s;"
        f" contact sheet: {index}"
    )
    if broken:
        print(f"{len(broken)} page(s) answered 500 or more, or did not load.", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
