"""The public credits of a project's latest locked cut: a page, an end-roll text file and a
CSV, all from ``payouts.selectors.credits_of`` (a fixed number of queries at any lineage
size). Credits carry no shares and no amounts: they are not a leaderboard. The only
number they show besides versions is an item's upstream-share override, which DESIGN.md
makes public.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_safe

from accounts.selectors import PEOPLE_SCOPE
from accounts.services import absolute_url
from hitrecord import fragments, prefetch
from payouts import selectors
from payouts.selectors import CreditEntry, Credits
from projects.models import Membership, Project
from projects.selectors import (
    membership_of,
    project_get,
    project_id_for,
    project_page_scopes,
    project_scope,
)

FORMATS = ("html", "txt", "csv")
FORMAT_HELP = "format must be txt or csv (or leave it out for the page)."
CSV_COLUMNS = (
    "medium",
    "name",
    "profile_url",
    "contribution_id",
    "title",
    "depth",
    "in_cut",
    "upstream_share_override",
    "withdrawn",
    "removed",
)
# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection);
# tab and carriage return are on OWASP's list too.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@require_safe
@prefetch.scopes(project_page_scopes)
def credits_page(request: HttpRequest, slug: str) -> HttpResponse:
    """The credits page; ``?format=txt`` or ``?format=csv`` gives the downloads."""
    fmt = request.GET.get("format") or "html"
    if fmt not in FORMATS:
        return HttpResponse(FORMAT_HELP, status=400, content_type="text/plain; charset=utf-8")
    if fmt != "html":
        return _download(slug, fmt)
    project_id = project_id_for(slug=slug)
    token = fragments.versions(project_scope(project_id), PEOPLE_SCOPE)
    key = f"credits-page:{project_id}:{token}"

    # A locked version's credits are the same for everyone: cached. Without one, the page
    # points a director at the cut page, so it is rendered per person (and is cheap).
    def build() -> dict[str, Any]:
        project = project_get(slug=slug)
        credits = selectors.credits_of(project=project)
        html = "" if credits.version is None else _body(project, credits, can_direct=False)
        return {"project": project, "html": html}

    cached = fragments.cached_value(key, build, local=True)
    project, html = cached["project"], cached["html"]
    if not html:
        membership = membership_of(project=project, user=request.user)
        can_direct = bool(getattr(request.user, "is_staff", False)) or (
            membership is not None and membership.role == Membership.Role.DIRECTOR
        )
        html = _body(project, selectors.credits_of(project=project), can_direct=can_direct)
    body = fragments.serve(request, html)
    return render(request, "payouts/credits.html", {"project": project, "body": body})


CREDITS_BODY = "payouts/_credits_body.html"


def _body(project: Project, credits: Credits, *, can_direct: bool) -> str:
    context = {
        "project": project,
        "credits": credits,
        "version": credits.version,
        "groups": _groups(credits),
        "can_direct": can_direct,
    }
    return fragments.render(CREDITS_BODY, context)


def _groups(credits: Credits) -> list[tuple[str, list[dict[str, Any]]]]:
    """``by_medium()`` shaped for the template: each work with its override as people
    read it, so the template needs no logic beyond loops and conditionals."""
    return [
        (
            medium,
            [
                {
                    "name": entry.name,
                    "username": entry.username,
                    "works": [
                        {
                            **c,
                            "override": None
                            if c["upstream_share"] is None
                            else override_phrase(str(c["upstream_share"])),
                        }
                        for c in entry.contributions
                    ],
                }
                for entry in entries
            ],
        )
        for medium, entries in credits.by_medium()
    ]


@require_safe
def credits_txt(request: HttpRequest, slug: str) -> HttpResponse:
    """The end roll as plain text: medium headings, then each name with its titles."""
    return _download(slug, "txt")


@require_safe
def credits_csv(request: HttpRequest, slug: str) -> HttpResponse:
    """One row per credited contribution, with a header row; formula-safe cells."""
    return _download(slug, "csv")


def _download(slug: str, fmt: str) -> HttpResponse:
    project = project_get(slug=slug)
    credits = selectors.credits_of(project=project)
    stem = f"{project.slug}-credits" + (f"-v{credits.version.number}" if credits.version else "")
    if fmt == "txt":
        body, content_type = end_roll_text(project, credits), "text/plain; charset=utf-8"
    else:
        body, content_type = credits_csv_text(credits), "text/csv; charset=utf-8"
    response = HttpResponse(body.encode("utf-8"), content_type=content_type)
    disposition = content_disposition_header(as_attachment=True, filename=f"{stem}.{fmt}")
    response.headers["Content-Disposition"] = disposition or "attachment"
    return response


# --- the text and CSV bodies ------------------------------------------------------------


def _one_line(value: str) -> str:
    """User text on one line, so a title cannot start a line of its own in the roll."""
    return " ".join(value.split())


def _marks(contribution: dict[str, Any]) -> list[str]:
    marks = []
    if contribution["withdrawn"]:
        marks.append("withdrawn")
    if contribution["removed"]:
        marks.append("removed")
    if contribution["upstream_share"] is not None:
        marks.append(override_phrase(str(contribution["upstream_share"])))
    return marks


def override_phrase(share: str) -> str:
    """An item's upstream-share override in words: ``0.2500`` -> "passes 0.25 of its
    credit to its sources", ``0`` -> "passes no credit to its sources"."""
    text = (share.rstrip("0").rstrip(".") if "." in share else share) or "0"
    if text == "0":
        return "passes no credit to its sources"
    return f"passes {text} of its credit to its sources"


def end_roll_text(project: Project, credits: Credits) -> str:
    """The credits as a film's end roll, in plain text (UTF-8, LF line ends)."""
    title = _one_line(project.title)
    lines = [title, "=" * len(title), ""]
    if credits.version is None:
        lines += ["No locked cut yet: the credits appear when the directors lock one.", ""]
        return "\n".join(lines)
    locked = credits.version.locked_at.strftime("%Y-%m-%d")
    lines += [f"Credits of version {credits.version.number}, locked {locked}", ""]
    for medium, entries in credits.by_medium():
        lines += [medium.upper(), ""]
        for entry in entries:
            lines.append(_one_line(entry.name))
            for contribution in entry.contributions:
                marks = _marks(contribution)
                suffix = f" ({', '.join(marks)})" if marks else ""
                lines.append(f"    {_one_line(str(contribution['title']))}{suffix}")
            lines.append("")
    return "\n".join(lines)


def safe_cell(value: object) -> str:
    """A CSV cell a spreadsheet shows as text: one that would start a formula gets a
    leading apostrophe."""
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(_FORMULA_STARTS) else text


def _profile_url(entry: CreditEntry) -> str:
    if not entry.username:  # a former member has no profile
        return ""
    return absolute_url(reverse("accounts:profile", kwargs={"username": entry.username}))


def _flag(value: object) -> str:
    return "true" if value else "false"


def credits_csv_text(credits: Credits) -> str:
    """A header row, then one row per credited contribution in the credits' order."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for medium, entries in credits.by_medium():
        for entry in entries:
            profile = _profile_url(entry)
            for c in entry.contributions:
                writer.writerow(
                    safe_cell(cell)
                    for cell in (
                        medium,
                        entry.name,
                        profile,
                        c["id"],
                        c["title"],
                        c["depth"],
                        _flag(c["in_cut"]),
                        c["upstream_share"] or "",
                        _flag(c["withdrawn"]),
                        _flag(c["removed"]),
                    )
                )
    return out.getvalue()
