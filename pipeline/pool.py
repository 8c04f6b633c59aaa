"""Scoring in worker processes: each worker holds one scorer (the model and the known-claims index) for its life.

On Linux the workers are forked from the process that loaded the scorer, so they start at once and share its
arrays page by page instead of loading or unpickling them again; elsewhere (spawn) each worker unpickles the scorer
once when it starts. Tasks carry only texts and reach figures, and results only scores, flags, evidence and priority,
so the parent (which reads the input, keeps the output order and does every database write) stays light.
"""

from __future__ import annotations

import ctypes
import gc
import multiprocessing
import os
import signal
import sys
from collections.abc import Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from threadpoolctl import threadpool_limits

from pipeline.errors import PatroliError
from pipeline.scoring import Assessment, Reach, Scorer

_SCORER: Scorer | None = None
_PR_SET_PDEATHSIG = 1


def _start(scorer: Scorer, parent: int) -> None:
    global _SCORER
    _die_with_parent(parent)
    _SCORER = scorer
    # The inherited scorer lives as long as the worker: keep the cycle collector from walking (and so copying)
    # its pages, and keep BLAS to this worker's own core.
    gc.freeze()
    threadpool_limits(1)


def _die_with_parent(parent: int) -> None:
    """Ask Linux to end this worker when its parent dies, even by SIGKILL: an orphaned worker would hold the
    parent's inherited files (a patrol run's lock) and wait for tasks forever."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() != parent:  # the parent died before the request took effect
        os._exit(1)


def _assess(texts: Sequence[str], reach: Sequence[Reach]) -> list[Assessment]:
    assert _SCORER is not None, "worker started without a scorer"
    return _SCORER.assess(texts, reach)


def default_workers() -> int:
    """The cores this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def start_method() -> str:
    """'fork' where the platform has it (workers share the parent's loaded model), else 'spawn'."""
    return "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"


class ScoringPool:
    """`workers` processes scoring with `scorer`; `submit` returns a Future of one chunk's assessments."""

    def __init__(self, scorer: Scorer, workers: int) -> None:
        self.workers = workers
        context = multiprocessing.get_context(start_method())
        self._executor = ProcessPoolExecutor(workers, mp_context=context, initializer=_start,
                                             initargs=(scorer, os.getpid()))

    def submit(self, texts: list[str], reach: list[Reach]) -> Future[list[Assessment]]:
        return self._executor.submit(_assess, texts, reach)

    @staticmethod
    def result(future: Future[list[Assessment]]) -> list[Assessment]:
        """The chunk's assessments; PatroliError if a worker process died."""
        try:
            return future.result()
        except BrokenProcessPool as err:
            raise PatroliError("a scoring worker process died (out of memory or killed); nothing after the last "
                               "stored chunk was saved") from err

    def close(self) -> None:
        self._executor.shutdown(wait=True, cancel_futures=True)
