"""NumPy arrays: the fused numba kernels of :mod:`skeleton._compiled.scan` for the reads
of X, LAPACK through NumPy and SciPy for the small factors."""

from __future__ import annotations

import math

import numpy as np

from .base import Backend

__all__ = ["NumpyBackend"]


class NumpyBackend(Backend):
    """NumPy arrays (and subclasses such as :class:`numpy.memmap`)."""

    name = "numpy"
    compiled_kernels = True  # numba kernels read these arrays in place (fused paths)

    def __init__(self):
        import array_api_compat.numpy as xp

        super().__init__(xp)

    def dtype(self, dtype):
        return np.dtype(dtype)

    def asarray(self, a, dtype=None):
        return np.asarray(a, dtype=dtype)

    def astype(self, a, dtype):
        return a if a.dtype == dtype else a.astype(dtype)

    def all_finite(self, X):
        from .._compiled.scan import all_finite

        return all_finite(X)

    def sum_squares(self, X):
        from .._compiled.scan import sum_squares

        return sum_squares(X)

    def scan_sketch(self, X, Omega):
        from .._compiled.scan import scan_sketch

        fused = scan_sketch(X, Omega)
        if fused is None:
            with np.errstate(over="ignore", invalid="ignore"):  # as in scan_sketch
                return super().scan_sketch(X, Omega)
        fro2, Y = fused
        if math.isfinite(fro2):
            return True, fro2, Y
        finite = self.all_finite(X)  # NaN/inf entries, or only an overflowing sum
        return finite, fro2, Y if finite else None

    def pick(self, A, idx, axis):
        # indexing, not numpy.take: take first copies a Fortran-ordered A whole
        idx = np.asarray(idx, dtype=np.intp)
        return A[idx] if axis == 0 else A[:, idx]

    def take(self, X, rows=None, cols=None, dtype=None):
        from .._compiled.scan import gather

        return gather(X, rows, cols, dtype)

    def scan_take(self, X, rows, cols, dtype, check_finite=True):
        if not self.scan_reads_all:  # (an oracle or operator built on this backend)
            return Backend.scan_take(self, X, rows, cols, dtype, check_finite)
        from .._compiled.scan import scan_gather

        return scan_gather(X, rows, cols, dtype, check_finite)

    def scan_take_norms(self, X, rows, cols, dtype, check_finite=True):
        if type(self).scan_take is not NumpyBackend.scan_take or not self.scan_reads_all:
            # a subclass reads X its own way
            return Backend.scan_take_norms(self, X, rows, cols, dtype, check_finite)
        from .._compiled.scan import scan_gather

        return scan_gather(X, rows, cols, dtype, check_finite, sums=True)

    def svd(self, A):
        return np.linalg.svd(A, full_matrices=False)

    def qr(self, A):
        # SciPy's economic QR gives the factors of numpy.linalg.qr(mode="reduced") without
        # NumPy's transposed copies: the tall C of the stable core (1e5 x 250) in 1.2 s
        # instead of 1.95 s
        import scipy.linalg

        if A.ndim != 2 or 0 in A.shape:
            return np.linalg.qr(A, mode="reduced")
        return scipy.linalg.qr(A, mode="economic", check_finite=False)

    def fft_module(self):
        import scipy.fft

        return scipy.fft
