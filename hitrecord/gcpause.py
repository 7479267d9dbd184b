"""Pausing Python's cycle collector around bulk work that makes no reference cycles.

The credit walk and the lineage it reads allocate hundreds of thousands of small acyclic
objects (tuples, ints, dicts). With the collector on, every 700 allocations start a
generation-0 pass, and every hundred or so of those a full pass over everything the process
holds: in a Django worker that is hundreds of megabytes of objects, and it cost more than
half of a large cut's explanations (measured in ``bench/bench_30_split.py``'s world row).
Reference counting still frees every object while the collector is paused; the collector is
restored (only if it was on) when the block ends, exception or not.

Plain Python, no Django: ``payouts.split`` stays importable on its own.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")


@contextmanager
def paused() -> Iterator[None]:
    """Run the block with the cycle collector off; nested and repeated use is safe."""
    was_on = gc.isenabled()
    if was_on:
        gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


def pausing(function: Callable[P, R]) -> Callable[P, R]:
    """Decorate ``function`` so that it runs inside :func:`paused`."""

    @wraps(function)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with paused():
            return function(*args, **kwargs)

    return wrapper
