"""The compiled code of the library: every numba kernel, behind one optional import.

numba is a dependency, but the library stays importable and correct without it: the
kernel modules here define their kernels only when :data:`HAVE_NUMBA`, and every
caller has a NumPy/SciPy path that it takes otherwise (and for the arrays a kernel
does not take).  This is the only module that imports numba.

* :mod:`.scan` - the finiteness scan, gathers of sampled rows and columns, norms,
  the fused single-precision sketch (read by :class:`~skeleton._backends.numpy.NumpyBackend`);
* :mod:`.blas` - SciPy's BLAS called from compiled loops (the fused Cholesky update,
  the fused sketch, the volume extension's refresh);
* :mod:`.gauss` - Gaussian kernel entries, and the fused Cholesky rows of a kernel
  matrix (:class:`skeleton.KernelMatrix`);
* :mod:`.cholesky` - randomly pivoted Cholesky's rejection step and column passes;
* :mod:`.segments` - the fused CPU path of :func:`skeleton.smoothing.smooth`;
* :mod:`.maxvol` - maxvol's rank-one swap updates, the volume extension's refresh and
  greedy picks;
* :mod:`.rowid` - the steps of the left-looking pivoted QR of a tall sketch.
"""

from __future__ import annotations

try:
    import numba
except ImportError:  # pragma: no cover - numba is a dependency
    numba = None

HAVE_NUMBA = numba is not None

__all__ = ["HAVE_NUMBA", "numba"]
