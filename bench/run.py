"""Entry point of `make bench`: ``.venv/bin/python bench/run.py`` (see bench/README.md)."""

import sys
from pathlib import Path

# Run as a script, Python puts bench/ itself first on the path: put the project root there
# instead, so `bench.*` and the apps import and no bench module shadows a library.
sys.path[0] = str(Path(__file__).resolve().parent.parent)

from bench.runner import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
