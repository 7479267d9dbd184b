"""Domain errors that services raise and both pages and the API turn into 4xx answers."""

from __future__ import annotations


class ConflictError(Exception):
    """The action clashes with the current state (HTTP 409); ``message`` says what to do."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
