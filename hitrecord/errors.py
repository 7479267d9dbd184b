"""Domain errors that services raise and both pages and the API turn into 4xx answers."""

from __future__ import annotations


class ConflictError(Exception):
    """The action clashes with the current state (HTTP 409); ``message`` says what to do."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class RateLimited(Exception):
    """Too many of one action in a short time (HTTP 429): ``message`` says what happened and
    when to come back, ``retry_after`` is that wait in whole seconds (the Retry-After header)."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.message = message
        self.retry_after = retry_after
