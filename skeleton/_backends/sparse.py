"""Backends for scipy.sparse matrices and scipy.sparse.linalg.LinearOperator.

Both stand for matrices that must never become dense: a 10^5 x 10^5 sparse matrix is
80 GB as an array.  What the routines need of X - sampled rows and columns, products
with thin dense matrices (sketches, probes), a finiteness check - each backend does
its own way, and everything it returns is a dense NumPy array of the small size the
routine asked for (``n x k`` columns, ``k x d`` rows, ``n x l`` products).

* **Sparse** (CSR, CSC, COO and the other formats, matrices and arrays): sampled
  rows and columns are sliced from X as stored (in CSR, rows copy just their entries
  and columns walk the index array once, O(nnz), without copying the rest; in CSC the
  other way round); a format without slicing (COO, DIA, DOK, LIL, BSR) is converted to
  CSR once at the boundary, a re-indexing of the stored entries. The
  finiteness check and ``||X||_F`` read the stored entries (duplicates of COO input
  are summed first, so that they are squared as the matrix they make).
* **LinearOperator**: known only through ``matmat`` / ``rmatmat``.  Columns ``J`` are
  ``X @ E_J`` and rows ``I`` are ``(X^H E_I)^H`` with ``E`` columns of the identity, so
  ``k`` sampled rows and columns cost ``k`` products each; its entries are never all
  read, so finiteness is checked on the sampled rows and columns (as for an entry
  oracle) and ``||X||_F`` is unknown.
"""

from __future__ import annotations

import numpy as np

from .numpy import NumpyBackend

__all__ = ["SparseBackend", "OperatorBackend"]

# Formats that slice rows and columns directly; the rest are converted to CSR.
_SLICEABLE = ("csr", "csc")


def _dense(a):
    """A sparse product or slice as a C-ordered ndarray (``np.matrix`` results too)."""
    if hasattr(a, "toarray"):
        a = a.toarray()
    return np.ascontiguousarray(np.asarray(a))


class SparseBackend(NumpyBackend):
    """scipy.sparse matrices and arrays; results are dense NumPy arrays."""

    name = "sparse"
    densifies = False
    description = "a sparse matrix"

    def prepare(self, X):
        return X if X.format in _SLICEABLE else X.tocsr()

    def astype(self, a, dtype):
        return a if a.dtype == dtype else a.astype(dtype)

    @staticmethod
    def _stored(X):
        """The stored values with duplicates summed (a copy only when there are any)."""
        if X.format in _SLICEABLE and getattr(X, "has_canonical_format", False):
            return X.data
        B = X.tocsr(copy=True)
        B.sum_duplicates()
        return B.data

    def all_finite(self, X):
        return bool(np.isfinite(self._stored(X)).all())

    def any_nonzero(self, X):
        return bool(np.any(self._stored(X)))

    def max_abs(self, X):
        data = self._stored(X)
        return float(np.abs(data).max()) if data.size else 0.0

    def sum_squares(self, X):
        data = self._stored(X)
        parts = (data.real, data.imag) if np.iscomplexobj(data) else (data,)
        with np.errstate(over="ignore"):  # an overflowing sum is inf; the caller rescales
            return sum(float(np.dot(p, p)) for p in (np.asarray(q, dtype=np.float64) for q in parts))

    def finite_sum_squares(self, X):
        data = self._stored(X)
        if not np.isfinite(data).all():
            return False, float("nan")
        return True, self.sum_squares(X)

    def take(self, X, rows=None, cols=None, dtype=None):
        out = X
        if rows is not None:
            out = out[np.asarray(rows, dtype=np.intp), :]
        if cols is not None:
            out = out[:, np.asarray(cols, dtype=np.intp)]
        out = _dense(out)
        return out if dtype is None or out.dtype == dtype else out.astype(dtype)

    def scan_take(self, X, rows, cols, dtype, check_finite=True):
        if check_finite and not self.all_finite(X):
            return None, None, False
        return self.take(X, None, cols, dtype), self.take(X, rows, None, dtype), True

    def row_block(self, X, i0, i1, dtype):
        return self.take(X, np.arange(i0, i1), None, dtype)

    def dense(self, X, dtype):
        return self.astype(_dense(X), dtype)

    def matmat(self, X, M):
        return _dense(X @ M)

    def rmatmat(self, X, M):
        return _dense(X.conj().T @ M)

    def scan_sketch(self, X, Omega):
        finite, fro2 = self.finite_sum_squares(X)
        if not finite:
            return False, fro2, None
        with np.errstate(over="ignore"):  # a single-precision sketch that overflows is not used
            return True, fro2, self.matmat(self.astype(X, Omega.dtype), Omega)


class OperatorBackend(NumpyBackend):
    """scipy.sparse.linalg.LinearOperator, read through matmat / rmatmat only."""

    name = "operator"
    # its entries are never all read: finiteness is checked on what is read
    scan_reads_all = False
    densifies = False
    description = "a LinearOperator"

    def astype(self, a, dtype):
        return a  # an operator computes in its own dtype; its products are cast

    @staticmethod
    def _unit(size, idx, dtype):
        E = np.zeros((size, len(idx)), dtype=dtype)
        E[np.asarray(idx, dtype=np.intp), np.arange(len(idx))] = 1
        return E

    def _op_dtype(self, X, dtype):
        return np.result_type(np.dtype(X.dtype) if X.dtype is not None else np.float64, dtype or np.float64)

    def matmat(self, X, M):
        return np.ascontiguousarray(np.asarray(X.matmat(M)))

    def rmatmat(self, X, M):
        return np.ascontiguousarray(np.asarray(X.rmatmat(M)))

    def take(self, X, rows=None, cols=None, dtype=None):
        n, d = X.shape
        work = self._op_dtype(X, dtype)
        if cols is not None:
            out = self.matmat(X, self._unit(d, cols, work))
            if rows is not None:
                out = out[np.asarray(rows, dtype=np.intp)]
        elif rows is not None:
            out = np.conj(self.rmatmat(X, self._unit(n, rows, work))).T
        else:
            out = self.matmat(X, np.eye(d, dtype=work))
        out = np.ascontiguousarray(out)
        return out if dtype is None or out.dtype == dtype else out.astype(dtype)

    def all_finite(self, X):
        return True  # checked on the sampled rows and columns (scan_take)

    def any_nonzero(self, X):
        return True  # unknown without reading it all: the caller then only warns

    def finite_sum_squares(self, X):
        return True, None

    def sum_squares(self, X):
        return None

    def scan_sketch(self, X, Omega):
        return True, None, self.matmat(X, Omega)

    def row_block(self, X, i0, i1, dtype):
        return self.take(X, np.arange(i0, i1), None, dtype)

    def dense(self, X, dtype):
        return self.take(X, None, None, dtype)
