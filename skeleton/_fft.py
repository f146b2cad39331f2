"""The one place that picks an FFT implementation for an array.

NumPy input goes through :mod:`scipy.fft` (pocketfft with a ``workers`` argument for
multi-threaded batched transforms); CuPy input through :mod:`cupy.fft` (cuFFT), which
has no ``workers``.  Routines call :func:`_fft_module` once and then ``fft.rfft`` /
``fft.irfft`` on what it returns; nothing else in the package tests array types.

The functions are looked up on the underlying module *at call time*, so a test can
count transforms by monkeypatching ``scipy.fft.rfft`` / ``scipy.fft.irfft``.
"""

from __future__ import annotations

import os

__all__ = ["_fft_module", "FFTModule", "next_fast_len"]


def _default_workers():
    return os.cpu_count() or 1


class FFTModule:
    """Thin adapter: ``rfft``/``irfft`` along one axis, with ``workers`` where supported."""

    def __init__(self, name, workers=None):
        self.name = name
        self.workers = workers

    def _mod(self):
        if self.name == "scipy":
            import scipy.fft

            return scipy.fft
        import cupy.fft  # pragma: no cover - GPU only

        return cupy.fft  # pragma: no cover

    def _kw(self):
        if self.name == "scipy" and self.workers is not None:
            return {"workers": self.workers}
        return {}

    def rfft(self, a, n=None, axis=0):
        """Real-input FFT of every 1-D slice along ``axis`` (one transform per slice)."""
        return self._mod().rfft(a, n=n, axis=axis, **self._kw())

    def irfft(self, a, n=None, axis=0, overwrite_x=False):
        """Inverse of :meth:`rfft` (norm "backward": the 1/n is on the inverse).

        ``overwrite_x`` lets SciPy reuse the input buffer (ignored for CuPy).
        """
        kw = self._kw()
        if overwrite_x and self.name == "scipy":
            kw["overwrite_x"] = True
        return self._mod().irfft(a, n=n, axis=axis, **kw)


def _fft_module(X, workers=None):
    """The FFT adapter for the array ``X``: :mod:`scipy.fft` for NumPy, :mod:`cupy.fft` for CuPy.

    ``workers=None`` means all cores (``os.cpu_count()``) for SciPy; a negative value
    follows SciPy's convention (``-1`` = all cores).
    """
    from ._backend import backend_for

    backend = backend_for(X)
    if backend.name == "cupy":  # pragma: no cover - GPU only
        return FFTModule("cupy")
    if workers is None:
        workers = _default_workers()
    return FFTModule("scipy", workers=int(workers))


def next_fast_len(target):
    """Smallest fast real-FFT length >= ``target`` (:func:`scipy.fft.next_fast_len`)."""
    import scipy.fft

    return int(scipy.fft.next_fast_len(int(target), real=True))

