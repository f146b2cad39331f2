"""BLAS threads: small factorisations on one thread (:func:`single_threaded_blas`)."""

from __future__ import annotations

import contextlib
import functools

__all__ = ["single_threaded_blas"]


# Below about this many flops a factorisation is faster on one BLAS thread: NumPy and
# SciPy each load their own OpenBLAS, and on few cores the idle workers of one spin
# against the other when small calls alternate between them, which costs far more
# than the second thread gains on work this small.
SMALL_WORK = 2e9


@functools.lru_cache(maxsize=None)
def _controller():
    # made on first use, when NumPy's and SciPy's BLAS are loaded
    import threadpoolctl

    return threadpoolctl.ThreadpoolController()


@contextlib.contextmanager
def single_threaded_blas(flops=None):
    """Limit the BLAS libraries to one thread inside the block (threadpoolctl).

    With ``flops`` given, only when that much work is small (below ``SMALL_WORK``):
    larger work keeps every BLAS thread.
    """
    if flops is not None and flops > SMALL_WORK:
        yield
        return
    try:
        controller = _controller()
    except ImportError:  # pragma: no cover
        yield
        return
    with controller.limit(limits=1, user_api="blas"):
        yield
