"""API plumbing shared by every app: pagination and error shapes."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError
from rest_framework import exceptions, pagination, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from hitrecord.errors import ConflictError, RateLimited


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "That clashes with the current state."
    default_code = "conflict"


class TooManyRequests(exceptions.Throttled):
    """A 429 with the domain's own message and its Retry-After (DRF adds the header)."""

    def __init__(self, detail: str, wait: int) -> None:
        super().__init__(wait=None, detail=detail)
        self.wait = wait


class Pagination(pagination.PageNumberPagination):
    """``{count, next, previous, results}``, 24 a page; a page past the end is a 404 saying so."""

    page_size = 24
    max_page_size = 24


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's handler, plus Django's validation and out-of-range errors as 400s, never 500s,
    and ``RateLimited`` as a 429 with its message and Retry-After."""
    if isinstance(exc, ConflictError):
        exc = Conflict(detail=exc.message)
    elif isinstance(exc, RateLimited):
        exc = TooManyRequests(detail=exc.message, wait=exc.retry_after)
    elif isinstance(exc, DjangoPermissionDenied) and str(exc):
        exc = exceptions.PermissionDenied(detail=str(exc))
    elif isinstance(exc, DjangoValidationError):
        detail: Any = exc.message_dict if hasattr(exc, "error_dict") else exc.messages
        exc = exceptions.ValidationError(detail=detail)
    elif isinstance(exc, DataError | OverflowError):
        exc = exceptions.ValidationError(
            detail={"detail": "A value is too large or malformed for storage; send a smaller one."}
        )
    elif isinstance(exc, exceptions.NotAuthenticated):
        auth_header = getattr(exc, "auth_header", None)
        exc = exceptions.NotAuthenticated(
            detail="Sign in first: send 'Authorization: Token <token>' or use a session."
        )
        if auth_header:
            exc.auth_header = auth_header  # type: ignore[attr-defined]
    return drf_exception_handler(exc, context)
