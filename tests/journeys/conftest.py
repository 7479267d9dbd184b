"""Every journey runs at a desktop size and at a phone's: see ``support``."""

from tests.journeys.support import browser_context_args, size  # noqa: F401 - fixtures
