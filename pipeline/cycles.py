"""Pausing Python's cycle collector around work that allocates many short-lived objects and makes no reference
cycles of its own (scoring a chunk, saving one): there the collector would only re-walk what lives long (the model,
the caches, the first posts of a run) every few hundred allocations."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused() -> Iterator[None]:
    """Run the block with the cycle collector off; it resumes after the block (also when it fails) if it was on."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()
