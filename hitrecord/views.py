"""Plumbing pages that belong to no domain."""

from __future__ import annotations

import os
import posixpath
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.utils.cache import patch_vary_headers
from django.utils.http import http_date
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_safe
from kombu import Connection

from hitrecord.media_access import MediaAccess, media_access
from hitrecord.ranges import FileRange, NotSatisfiable, if_range_matches, parse_range


def _check_database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return "ok"


def _check_cache() -> str:
    cache.set("healthz", "ok", 10)
    if cache.get("healthz") != "ok":
        raise RuntimeError("cache did not return what was stored")
    return "ok"


def _check_broker() -> str:
    if not settings.CELERY_BROKER_URL:
        return "in-process"
    with Connection(settings.CELERY_BROKER_URL, connect_timeout=2) as conn:
        conn.ensure_connection(max_retries=1, timeout=2)
    return "ok"


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """200 with each dependency's status, or 503 naming the one that is down."""
    status: dict[str, str] = {}
    healthy = True
    for name, check in (
        ("database", _check_database),
        ("cache", _check_cache),
        ("broker", _check_broker),
    ):
        try:
            status[name] = check()
        except Exception as exc:  # noqa: BLE001 - any failure means "down"; say which
            healthy = False
            status[name] = f"down: {type(exc).__name__}: {exc}"[:300]
    return JsonResponse(
        {"status": "ok" if healthy else "down", **status}, status=200 if healthy else 503
    )


# The only types media is ever served as; anything else is a download, never a page.
MEDIA_TYPES = {
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".webp": "image/webp",
    ".gif": "image/gif",
    ".mp3": "audio/mpeg",
    ".ogg": "audio/ogg",
    ".oga": "audio/ogg",
    ".opus": "audio/ogg",
    ".wav": "audio/wav",
    ".flac": "audio/flac",
    ".mp4": "video/mp4",
    ".m4v": "video/mp4",
    ".webm": "video/webm",
    ".mov": "video/quicktime",
    ".m4a": "audio/mp4",
    ".json": "application/json",  # waveform peaks
}


@require_safe
def media(request: HttpRequest, path: str) -> HttpResponseBase:
    """Local media (the embedded mode), served with its real type from the allowlist,
    ``nosniff``, and a sandboxing CSP, so an uploaded file can never run as a page.

    A GET with one byte range gets those bytes alone (206), as players need to seek and
    Safari needs to play video at all; a range past the end is a 416; any other Range
    header, or an If-Range naming an older version, gets the whole file (see
    hitrecord.ranges). Every answer keeps the headers and the access decision above."""
    normalized = posixpath.normpath(path).lstrip("/")
    if normalized.startswith("..") or "\\" in normalized:
        raise Http404("No such file.")
    root = Path(settings.MEDIA_ROOT).resolve()
    try:
        full = (root / normalized).resolve()
        found = root in full.parents and full.is_file()
    except (OSError, ValueError):  # a name too long for the file system, or holding NUL
        found = False
    if not found:
        raise Http404("No such file.")
    # The app that owns the file decides who may fetch it (see hitrecord.media_access):
    # work that is unfinished or taken down is a 404 to everyone else, like a missing file.
    names = dict.fromkeys((normalized, full.relative_to(root).as_posix()))
    decisions = {media_access(request.user, name) for name in names}
    if MediaAccess.DENIED in decisions:
        raise Http404("No such file.")
    content_type = MEDIA_TYPES.get(full.suffix.lower())
    try:
        file = full.open("rb")
    except FileNotFoundError:  # deleted since it was found
        raise Http404("No such file.") from None
    # Size and validators from the open file, so they describe the bytes that are sent.
    stat = os.fstat(file.fileno())
    etag = f'"{stat.st_mtime_ns:x}-{stat.st_size:x}"'
    last_modified = int(stat.st_mtime)
    wanted = None
    # Range is defined for GET only (RFC 9110 14.2): a HEAD describes the whole file.
    if request.method == "GET" and if_range_matches(
        request.headers.get("If-Range"), etag=etag, last_modified=last_modified
    ):
        wanted = parse_range(request.headers.get("Range"), stat.st_size)
    response: HttpResponseBase
    if isinstance(wanted, NotSatisfiable):
        file.close()
        response = HttpResponse(status=416, content_type="text/plain")
        response["Content-Range"] = wanted.content_range
    else:
        response = FileResponse(
            file if wanted is None else FileRange(file, wanted),
            content_type=content_type or "application/octet-stream",
            as_attachment=content_type is None,
            filename=full.name,
        )
        if wanted is not None:
            response.status_code = 206
            response["Content-Range"] = wanted.content_range
            response["Content-Length"] = str(wanted.length)
        response["ETag"] = etag
        response["Last-Modified"] = http_date(last_modified)
    response["Accept-Ranges"] = "bytes"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    if MediaAccess.PRIVATE in decisions:
        response["Cache-Control"] = "private, no-store"
        patch_vary_headers(response, ("Cookie",))
    elif response.status_code == 416:
        # Stored by a shared cache, a 416 would answer later plain GETs of the file.
        response["Cache-Control"] = "no-store"
    else:
        response["Cache-Control"] = "public, max-age=86400"
    return response
