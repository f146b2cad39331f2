"""CPU kernels for reading a NumPy matrix: the finiteness scan and the sample gather.

NumPy's fancy indexing along axis 1 of a C-ordered array (``X[:, J]``) walks the
whole index list once per row through a generic iterator; a numba loop over rows,
parallel across cores, does the same gather several times faster (measured in
``docs/benchmarks.md``; see ``benchmarks/bench_gather.py``).  Row gathers copy
contiguous rows and NumPy is already at memory speed there.  Everything falls back to
NumPy when numba is unavailable or the array is not a plain strided float array.
"""

from __future__ import annotations

import numpy as np

try:  # numba is a hard dependency, but keep the library importable without it
    import numba

    _HAVE_NUMBA = True
except ImportError:  # pragma: no cover
    _HAVE_NUMBA = False

__all__ = ["gather", "all_finite"]

# Below this many gathered entries the numba call overhead is not worth paying.
_NUMBA_MIN_ENTRIES = 1 << 15

if _HAVE_NUMBA:

    @numba.njit(parallel=True, nogil=True, cache=True)
    def _gather_cols(X, cols, out):  # pragma: no cover - compiled
        n = X.shape[0]
        k = cols.shape[0]
        for i in numba.prange(n):
            for jj in range(k):
                out[i, jj] = X[i, cols[jj]]

    @numba.njit(parallel=True, nogil=True, cache=True)
    def _count_nonfinite(X):  # pragma: no cover - compiled
        n = X.shape[0]
        bad = 0
        for i in numba.prange(n):
            row = X[i]
            for j in range(row.shape[0]):
                v = row[j]
                # v - v is NaN exactly when v is NaN or +-inf
                if (v - v) != 0.0 or v != v:
                    bad += 1
        return bad


def _numba_ok(X):
    return (
        _HAVE_NUMBA
        and isinstance(X, np.ndarray)
        and X.ndim == 2
        and X.dtype.kind in "fc"
        and X.dtype.itemsize in (4, 8, 16)
        and X.flags.c_contiguous
    )


def all_finite(X):
    """True when every entry of the NumPy array ``X`` is finite."""
    if X.dtype.kind in "biu":
        return True
    if _numba_ok(X) and X.size >= _NUMBA_MIN_ENTRIES:
        return _count_nonfinite(np.asarray(X)) == 0
    return bool(np.isfinite(X).all())


def gather(X, rows=None, cols=None, dtype=None):
    """``X[rows][:, cols]`` as a fresh C-ordered array of ``dtype`` (None: X's dtype).

    ``rows``/``cols`` are integer arrays or ``None`` (all). Only the selected entries
    of ``X`` are read, which matters for :class:`numpy.memmap` input.
    """
    base = np.asarray(X) if isinstance(X, np.ndarray) else X  # drop memmap subclass, no copy
    if rows is not None:
        rows = np.asarray(rows, dtype=np.intp)
    if cols is not None:
        cols = np.asarray(cols, dtype=np.intp)
    if rows is not None and cols is not None:
        # Small block: gather rows first only when that reads fewer entries.
        out = base[np.ix_(rows, cols)]
    elif cols is not None:
        if _numba_ok(base) and base.shape[0] * cols.size >= _NUMBA_MIN_ENTRIES:
            out = np.empty((base.shape[0], cols.size), dtype=base.dtype)
            _gather_cols(base, cols, out)
        else:
            out = base[:, cols]
    elif rows is not None:
        out = base[rows]
    else:
        out = np.array(base, copy=True)
    if dtype is not None and out.dtype != dtype:
        out = out.astype(dtype)
    return np.ascontiguousarray(out)
