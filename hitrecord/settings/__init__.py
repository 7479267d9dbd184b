"""Settings for every runtime mode: each value comes from the environment (see DESIGN.md)."""

from hitrecord.settings.base import *  # noqa: F403
