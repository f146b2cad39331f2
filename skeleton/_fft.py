"""The one place that turns a backend's FFT module into the calls the smoother makes.

The module comes from the backend seam, :meth:`skeleton._backends.Backend.fft_module`
(``backend_for(X).fft_module()``), so no routine tests array types itself:

* NumPy arrays get :mod:`scipy.fft` (pocketfft, with a ``workers`` argument for
  multi-threaded batched transforms, and ``overwrite_x`` to reuse a buffer);
* CuPy arrays get the backend's GPU module (cuFFT: ``cupyx.scipy.fft``; no ``workers``);
* any other registered backend gets the ``fft`` extension of its Array-API namespace
  (``rfft(x, n=, axis=)`` / ``irfft(x, n=, axis=)``), so a new array library needs
  no change here.

Routines call :func:`_fft_module` once and then ``fft.rfft`` / ``fft.irfft`` on what it
returns.  The functions are looked up on the module *at call time*, so a test can
count transforms by monkeypatching ``scipy.fft.rfft`` (or the backend module's).
"""

from __future__ import annotations

import numbers
import os

import scipy.fft

from ._backends import backend_for

__all__ = ["_fft_module", "FFTModule", "next_fast_len", "check_workers"]


def _default_workers():
    return os.cpu_count() or 1


def check_workers(workers, name="workers"):
    """``workers`` as SciPy takes it: ``None`` -> all cores, else a non-zero int.

    Negative values follow SciPy (``-1`` = all cores, ``-2`` = all but one, ...).
    """
    if workers is None:
        return _default_workers()
    if isinstance(workers, bool) or not isinstance(workers, numbers.Integral):
        raise TypeError(f"{name} must be an integer or None, got {workers!r}")
    workers = int(workers)
    if workers == 0:
        raise ValueError(f"{name} must be non-zero (a thread count, or -1 for all cores), got 0")
    if workers < 0 and _default_workers() + 1 + workers < 1:
        raise ValueError(f"{name}={workers} leaves no thread on {_default_workers()} cores")
    return workers


class FFTModule:
    """Thin adapter: ``rfft``/``irfft`` along one axis of ``module``.

    ``workers`` and ``overwrite_x`` are passed only where the module is
    :mod:`scipy.fft` (``cpu=True``); other modules get the Array-API keywords only.
    """

    def __init__(self, module, workers=None, cpu=False):
        self.module = module
        self.workers = workers
        self.cpu = cpu

    @property
    def name(self):
        return getattr(self.module, "__name__", type(self.module).__name__)

    def _kw(self):
        if self.cpu and self.workers is not None:
            return {"workers": self.workers}
        return {}

    def rfft(self, a, n=None, axis=0):
        """Real-input FFT of every 1-D slice along ``axis`` (one transform per slice)."""
        return self.module.rfft(a, n=n, axis=axis, **self._kw())

    def irfft(self, a, n=None, axis=0, overwrite_x=False):
        """Inverse of :meth:`rfft` (norm "backward": the 1/n is on the inverse).

        ``overwrite_x`` lets SciPy reuse the input buffer (ignored elsewhere).
        """
        kw = self._kw()
        if overwrite_x and self.cpu:
            kw["overwrite_x"] = True
        return self.module.irfft(a, n=n, axis=axis, **kw)


def _fft_module(X, workers=None):
    """The FFT adapter for the array ``X`` (see the module docstring).

    ``workers=None`` means all cores (``os.cpu_count()``) for SciPy; a negative value
    follows SciPy's convention (``-1`` = all cores).  Ignored off the CPU.
    """
    backend = backend_for(X)
    workers = check_workers(workers)
    get = getattr(backend, "fft_module", None)
    module = get() if get is not None else getattr(backend.xp, "fft", None)
    if module is None:
        raise TypeError(
            f"the {backend.name!r} backend has no FFT module; smoothing needs rfft/irfft"
        )
    # workers/overwrite_x are scipy.fft's keywords: passed where the module is scipy.fft
    return FFTModule(module, workers=workers, cpu=module is scipy.fft)


def next_fast_len(target):
    """Smallest fast real-FFT length >= ``target`` (:func:`scipy.fft.next_fast_len`)."""
    return int(scipy.fft.next_fast_len(int(target), real=True))
