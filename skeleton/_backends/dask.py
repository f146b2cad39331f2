"""Backend for dask arrays: out-of-core (memmap, zarr) and distributed matrices.

The matrix stays a lazy dask array; what comes back into memory are the small
factors the routines need - the sampled columns and rows, sketches ``X @ G`` - as
NumPy arrays, so the dense linear algebra after the read is the NumPy backend's.

* Uniform sampling gathers only the sampled rows and columns (dask slices, computed
  together with the finiteness check in *one* ``dask.compute`` so every chunk of X is
  loaded once).
* Randomized incoherence makes at most ``2 n_iter + 3`` passes over X: one for the
  finiteness check and ``||X||_F`` together (with the first sketch ``X @ G`` when
  that is formed in single precision, :meth:`scan_sketch`), then products ``X @ G``
  and ``X^H @ Q``, each a dask reduction over the chunks, computed once
  (:meth:`materialize`).
* Whatever the active dask scheduler is - the threaded default, or a
  ``dask.distributed.Client`` - runs the computation.

Arrays with unknown chunk sizes (from boolean masks, say) are refused at the
boundary by :func:`skeleton._validation.check_matrix`, naming the argument.
"""

from __future__ import annotations

import functools

import numpy as np

from .numpy import NumpyBackend

__all__ = ["DaskBackend"]


def _is_dask(a):
    return type(a).__module__.split(".")[0] == "dask"


def _lower_precision(block, dtype):
    """A chunk of X in the sketch's lower precision. NaN/inf (and entries beyond the
    lower precision's range) become 0: the scan that runs alongside reports them and
    the caller then discards the sketch, so they need not raise floating-point
    warnings in the workers (where the caller's numpy.errstate does not reach)."""
    with np.errstate(over="ignore", invalid="ignore"):
        low = block.astype(dtype)
    return np.nan_to_num(low, copy=False, nan=0.0, posinf=0.0, neginf=0.0)


class DaskBackend(NumpyBackend):
    """dask.array input; small factors come back as NumPy arrays."""

    name = "dask"

    def to_numpy(self, a):
        return np.asarray(a.compute()) if _is_dask(a) else np.asarray(a)

    def asarray(self, a, dtype=None):
        return np.asarray(self.to_numpy(a), dtype=dtype)

    def astype(self, a, dtype):
        return a if a.dtype == dtype else a.astype(dtype)

    def all_finite(self, X):
        import dask.array as da

        return bool(da.isfinite(X).all().compute())

    @staticmethod
    def _sum_squares_lazy(X):
        # squared after the cast to float64: integers cannot wrap, float32 cannot underflow
        parts = (X.real, X.imag) if np.iscomplexobj(X) else (X,)
        return sum(((p.astype(np.float64)) ** 2).sum() for p in parts)

    def finite_sum_squares(self, X):
        import dask
        import dask.array as da

        # one dask.compute: every chunk of X is loaded once for both reductions
        finite, fro2 = dask.compute(da.isfinite(X).all(), self._sum_squares_lazy(X))
        return bool(finite), float(fro2)

    def scan_sketch(self, X, Omega):
        import dask
        import dask.array as da

        # the sketch joins the same dask.compute: still one load of every chunk
        Y = X.map_blocks(functools.partial(_lower_precision, dtype=Omega.dtype), dtype=Omega.dtype) @ Omega
        finite, fro2, Y = dask.compute(da.isfinite(X).all(), self._sum_squares_lazy(X), Y)
        return bool(finite), float(fro2), np.asarray(Y) if finite else None

    def materialize(self, a):
        return self.to_numpy(a)

    def _lazy_take(self, X, rows, cols, dtype):
        out = X
        if rows is not None:
            out = out[np.asarray(rows, dtype=np.intp)]
        if cols is not None:
            out = out[:, np.asarray(cols, dtype=np.intp)]
        return out if dtype is None else self.astype(out, dtype)

    def take(self, X, rows=None, cols=None, dtype=None):
        if not _is_dask(X):
            return super().take(X, rows, cols, dtype)
        return np.ascontiguousarray(self._lazy_take(X, rows, cols, dtype).compute())

    def scan_take(self, X, rows, cols, dtype, check_finite=True):
        import dask
        import dask.array as da

        C = self._lazy_take(X, None, cols, dtype)
        R = self._lazy_take(X, rows, None, dtype)
        if check_finite:
            C, R, finite = dask.compute(C, R, da.isfinite(X).all())
            if not finite:
                return None, None, False
        else:
            C, R = dask.compute(C, R)
        return np.ascontiguousarray(C), np.ascontiguousarray(R), True

    def row_block(self, X, i0, i1, dtype):
        return self.to_numpy(self.astype(X[i0:i1], dtype))

    def dense(self, X, dtype):
        return self.to_numpy(self.astype(X, dtype))

    # Products of X with a sketch are dask arrays; the factorisations run on them in
    # memory (they are tall-skinny: n x l with l ~ rank + oversampling).
    def svd(self, A):
        return np.linalg.svd(self.to_numpy(A), full_matrices=False)

    def qr(self, A):
        return np.linalg.qr(self.to_numpy(A), mode="reduced")
