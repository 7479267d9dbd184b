"""Requests that no page can answer sensibly, refused at the door with a 400."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest

NUL = "\x00"
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def _has_nul(values: Iterable[str]) -> bool:
    return any(NUL in value for value in values)


def nul_found_in(request: HttpRequest) -> str | None:
    """Which part of ``request`` holds a NUL character, or None.

    PostgreSQL refuses NUL in text and the file system refuses it in paths, so such a
    value can only ever end as a 500 further in. The address, the query string, cookies,
    headers and form fields are checked (names and values); uploaded files' contents may
    hold any bytes and are not, but their names are."""
    if NUL in request.path or NUL in request.path_info:
        return "the address"
    if _has_nul(request.GET.keys()) or _has_nul(v for vs in request.GET.lists() for v in vs[1]):
        return "the query string"
    if _has_nul(request.COOKIES.keys()) or _has_nul(request.COOKIES.values()):
        return "a cookie"
    if _has_nul(str(v) for k, v in request.META.items() if k.startswith("HTTP_")):
        return "a header"
    if request.method == "POST" and request.content_type in FORM_TYPES:
        post = request.POST  # Django answers 400 itself when the form cannot be read
        if _has_nul(post.keys()) or _has_nul(v for vs in post.lists() for v in vs[1]):
            return "a form field"
        if _has_nul(request.FILES.keys()) or _has_nul(
            str(upload.name or "") for uploads in request.FILES.lists() for upload in uploads[1]
        ):
            return "an uploaded file's name"
    return None


class RefuseNulMiddleware:
    """Answers 400, in plain text saying where, when a request holds a NUL character."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        where = nul_found_in(request)
        if where is not None:
            return HttpResponseBadRequest(
                f"Bad request: {where} contains a NUL character (%00). Remove it and try again.",
                content_type="text/plain; charset=utf-8",
            )
        return self.get_response(request)


class ValueTooLargeMiddleware:
    """A number too large for the database, wherever a page lets one through (Django
    admin's own forms take any integer for a related id, and SQLite raises
    ``OverflowError`` where PostgreSQL raises ``DataError``), is the sender's mistake: a 400
    saying so, never a 500. The API has the same rule in ``hitrecord.api``."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        from django.db import DataError

        if isinstance(exception, OverflowError | DataError):
            return HttpResponseBadRequest(
                "A value in the request is too large or malformed for storage: go back, "
                "send a smaller one.",
                content_type="text/plain; charset=utf-8",
            )
        return None
