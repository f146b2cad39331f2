"""The one dispatch seam between the routines and the array libraries.

Routines never test ``isinstance(X, cupy.ndarray)``; they ask :func:`backend_for` for
the :class:`Backend` of their input and call its methods.  A backend bundles

* ``xp`` - the array namespace, found as SciPy does with
  :func:`array_api_compat.array_namespace`;
* the few operations the Array API standard lacks or that a library does better its
  own way: gathering sampled rows/columns, the finiteness scan, pivoted QR, FFTs,
  moving host data (random sketches, index sets) onto the device.

Backends are chosen by a registry of ``(predicate, factory)`` pairs tried in order;
a predicate looks at the type's module name so that CuPy and dask are imported only
when the input is one of theirs.  Adding a backend (a new array library, an entry
oracle) is one :func:`register_backend` call.
"""

from __future__ import annotations

import functools
import math
import os
import sys

# numba's parallel kernels run on GNU OpenMP, whose threads busy-wait ("spin") after
# each parallel region; on a machine with few cores the spinning threads starve
# OpenBLAS, making every small QR/SVD that follows a numba kernel many times slower.
# A passive wait policy removes that.  It must be set before libgomp is loaded (numba
# loads it at its first parallel launch), and a value the user set is kept.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np

# Matrices with min(n, d) up to this are pivoted (and SVD-ed for selection) exactly.
EXACT_MAX = 1500

__all__ = ["Backend", "NumpyBackend", "CupyBackend", "backend_for", "register_backend", "namespace_of"]


def namespace_of(*arrays):
    """The Array API namespace of ``arrays`` (``array_api_compat.array_namespace``).

    Raises TypeError naming the namespaces when arrays of different libraries are
    mixed (a NumPy kernel with a CuPy matrix, say).
    """
    import array_api_compat

    try:
        return array_api_compat.array_namespace(*arrays)
    except TypeError as exc:
        kinds = sorted({type(a).__module__.split(".")[0] + "." + type(a).__name__ for a in arrays})
        raise TypeError(f"arrays from different libraries were mixed: {', '.join(kinds)}") from exc


class Backend:
    """Operations on one kind of array, written against its namespace ``xp``.

    The base class implements everything with Array-API calls, so a conforming
    library works without more code; subclasses override where the library has a
    faster or missing primitive.
    """

    name = "array-api"
    # Whether all_finite reads all of X (an entry oracle cannot, and checks in scan_take).
    scan_reads_all = True
    # Whether X can be multiplied by dense matrices (sketches, probes): not an entry oracle.
    multiplies = True

    def __init__(self, xp):
        self.xp = xp

    # -- moving data -----------------------------------------------------------
    def asarray(self, a, dtype=None):
        """Host (NumPy) data onto this backend."""
        return self.xp.asarray(a, dtype=dtype)

    def to_numpy(self, a):
        """This backend's array as a NumPy array (a device-to-host copy where needed)."""
        return np.asarray(a)

    def astype(self, a, dtype):
        """``a`` in ``dtype``, copying only when the dtype changes."""
        return a if a.dtype == dtype else self.xp.astype(a, dtype)

    # -- reading X -------------------------------------------------------------
    def all_finite(self, X):
        """Whether every entry of X is finite (one pass over X)."""
        return bool(self.xp.all(self.xp.isfinite(X)))

    def any_nonzero(self, X):
        """Whether X has a non-zero entry (one pass over X)."""
        return bool(self.xp.any(X != 0))

    def sum_squares(self, X):
        """``||X||_F^2`` as a Python float, accumulated in float64 (integers are
        squared after the cast, so they cannot wrap); NaN or inf when X holds either."""
        xp = self.xp
        parts = (xp.real(X), xp.imag(X)) if xp.isdtype(X.dtype, "complex floating") else (X,)
        return sum(float(xp.sum(p * p)) for p in (xp.astype(q, xp.float64) for q in parts))

    def finite_sum_squares(self, X):
        """``(finite, ||X||_F^2)``: whether X is all finite, and its squared
        Frobenius norm, from one pass over X (a second only when the sum is not
        finite, to tell NaN/inf entries from an overflowing sum)."""
        fro2 = self.sum_squares(X)
        if math.isfinite(fro2):
            return True, fro2
        return self.all_finite(X), fro2

    def scan_sketch(self, X, Omega):
        """``(finite, ||X||_F^2, Y)``: :meth:`finite_sum_squares` and the sketch
        ``Y = X @ Omega`` computed in ``Omega``'s dtype, which may be a lower precision
        than X's (for a sketch that only seeds a subspace).  Backends that can do both
        in one pass over X; here, one pass for each (none for the product when X is
        not finite: ``Y`` is then None).
        """
        finite, fro2 = self.finite_sum_squares(X)
        if not finite:
            return False, fro2, None
        return True, fro2, self.materialize(self.astype(X, Omega.dtype) @ Omega)

    def materialize(self, a):
        """``a`` computed (a lazy backend's product is evaluated once, here)."""
        return a

    def prepare(self, X):
        """``X`` in the form the other methods read (a format conversion at most, never
        a dense copy); called once at the boundary."""
        return X

    def matmat(self, X, M):
        """``X @ M`` for a small dense ``M`` (one pass over X), computed."""
        return self.materialize(X @ M)

    def rmatmat(self, X, M):
        """``X^H @ M`` for a small dense ``M`` (one pass over X), computed.

        Formed as :math:`(M^H X)^H`, so a complex X is never conjugated in full.
        """
        xp = self.xp
        if xp.isdtype(M.dtype, "complex floating") or xp.isdtype(X.dtype, "complex floating"):
            return xp.conj(self.materialize(xp.conj(M).T @ X)).T
        return self.materialize(M.T @ X).T

    def take(self, X, rows=None, cols=None, dtype=None):
        """``X[rows][:, cols]`` as a new array in ``dtype``; ``None`` means all.

        Only the selected entries are read.
        """
        xp = self.xp
        out = X
        if rows is not None:
            out = xp.take(out, self.asarray(rows), axis=0)
        if cols is not None:
            out = xp.take(out, self.asarray(cols), axis=1)
        if rows is None and cols is None:
            out = xp.asarray(out, copy=True)
        return out if dtype is None else self.astype(out, dtype)

    def scan_take(self, X, rows, cols, dtype, check_finite=True):
        """``(C, R, finite)``: ``C = X[:, cols]``, ``R = X[rows, :]`` in ``dtype`` and,
        when ``check_finite``, whether all of ``X`` is finite (``C``, ``R`` are
        ``None`` when it is not).  Backends that can, do it in one pass over ``X``.
        """
        if check_finite and not self.all_finite(X):
            return None, None, False
        return self.take(X, None, cols, dtype), self.take(X, rows, None, dtype), True

    def scan_take_norms(self, X, rows, cols, dtype, check_finite=True):
        """:meth:`scan_take` and ``(||C||_F^2, ||R||_F^2)`` where the gather gives them
        for free (None here: the caller computes them from C and R)."""
        return (*self.scan_take(X, rows, cols, dtype, check_finite), None)

    def row_block(self, X, i0, i1, dtype):
        """Rows ``i0:i1`` of X in ``dtype``, in memory (for blockwise reductions)."""
        return self.astype(X[i0:i1], dtype)

    def dense(self, X, dtype):
        """All of X in memory, in ``dtype`` (for what needs the whole matrix)."""
        return self.astype(X, dtype)

    def pivot_source(self, X, size, rng, dtype):
        """A host matrix whose column pivots choose columns of X: X itself when
        ``min(n, d) <= EXACT_MAX`` (exact Businger-Golub pivoting), else the Gaussian
        sketch ``G X`` with ``size`` rows, which keeps the column geometry of X up to
        a modest distortion (Voronin & Martinsson 2017), formed as ``(X^H G^H)^H``.
        Returns ``(A, column_labels)``: the pivots of ``A`` index ``column_labels``.
        """
        n, d = X.shape
        xp = self.xp
        Xf = self.astype(X, dtype)
        if min(n, d) <= EXACT_MAX or n <= size:
            return self.to_numpy(self.dense(Xf, dtype)), np.arange(d)
        G = self.standard_normal(rng, (size, n), dtype)
        return self.to_numpy(xp.conj(self.rmatmat(Xf, xp.conj(G).T)).T), np.arange(d)

    # -- dense linear algebra on small or tall-skinny factors ------------------
    def svd(self, A):
        """Thin SVD ``A = U diag(s) Vh`` (singular values in descending order)."""
        return self.xp.linalg.svd(A, full_matrices=False)

    def qr(self, A):
        """Thin QR."""
        return self.xp.linalg.qr(A, mode="reduced")

    def pivoted_qr_order(self, A):
        """Column pivot order of a pivoted (rank-revealing) QR of ``A``, host ints."""
        import scipy.linalg

        _, _, piv = scipy.linalg.qr(self.to_numpy(A), mode="economic", pivoting=True)
        return piv

    def fft_module(self):
        """The FFT module for this backend's arrays (``xp.fft``; SciPy's / cupyx's where
        faster): ``rfft``, ``irfft``, ``fft`` with NumPy's signatures."""
        return self.xp.fft

    def standard_normal(self, rng, shape, dtype):
        """A Gaussian test matrix drawn from the host generator ``rng``.

        Drawn on the host so that a seed gives the same sketch on every backend.
        Complex dtypes get a complex Gaussian.
        """
        dtype = np.dtype(dtype)
        real = np.float32 if dtype in (np.float32, np.complex64) else np.float64
        G = rng.standard_normal(shape, dtype=real)
        if dtype.kind == "c":
            G = (G + 1j * rng.standard_normal(shape, dtype=real)).astype(dtype)
        return self.asarray(G, dtype=dtype)


class NumpyBackend(Backend):
    """NumPy arrays (and subclasses such as :class:`numpy.memmap`)."""

    name = "numpy"
    compiled_kernels = True  # numba kernels read these arrays in place (fused paths)

    def __init__(self):
        import array_api_compat.numpy as xp

        super().__init__(xp)

    def asarray(self, a, dtype=None):
        return np.asarray(a, dtype=dtype)

    def astype(self, a, dtype):
        return a if a.dtype == dtype else a.astype(dtype)

    def all_finite(self, X):
        from ._kernels import all_finite

        return all_finite(X)

    def sum_squares(self, X):
        from ._kernels import sum_squares

        return sum_squares(X)

    def scan_sketch(self, X, Omega):
        from ._kernels import scan_sketch

        fused = scan_sketch(X, Omega)
        if fused is None:
            with np.errstate(over="ignore", invalid="ignore"):  # as in scan_sketch
                return super().scan_sketch(X, Omega)
        fro2, Y = fused
        if math.isfinite(fro2):
            return True, fro2, Y
        finite = self.all_finite(X)  # NaN/inf entries, or only an overflowing sum
        return finite, fro2, Y if finite else None

    def take(self, X, rows=None, cols=None, dtype=None):
        from ._kernels import gather

        return gather(X, rows, cols, dtype)

    def scan_take(self, X, rows, cols, dtype, check_finite=True):
        from ._kernels import scan_gather

        return scan_gather(X, rows, cols, dtype, check_finite)

    def scan_take_norms(self, X, rows, cols, dtype, check_finite=True):
        if type(self).scan_take is not NumpyBackend.scan_take:  # a subclass reads X its own way
            return Backend.scan_take_norms(self, X, rows, cols, dtype, check_finite)
        from ._kernels import scan_gather

        return scan_gather(X, rows, cols, dtype, check_finite, sums=True)

    def svd(self, A):
        return np.linalg.svd(A, full_matrices=False)

    def qr(self, A):
        return np.linalg.qr(A, mode="reduced")

    def fft_module(self):
        import scipy.fft

        return scipy.fft


class CupyBackend(Backend):
    """CuPy arrays: cuBLAS/cuSOLVER through ``cupy.linalg``, no host round trips
    except for the small pivot searches (pivoted QR of a sketch)."""

    name = "cupy"

    def __init__(self):
        import array_api_compat.cupy as xp

        super().__init__(xp)

    def to_numpy(self, a):
        return a.get() if hasattr(a, "get") else np.asarray(a)

    def fft_module(self):
        import cupyx.scipy.fft

        return cupyx.scipy.fft


_REGISTRY = []


def register_backend(predicate, factory, *, first=False):
    """Register ``factory()`` as the backend for arrays where ``predicate(X)`` is true."""
    entry = (predicate, functools.lru_cache(maxsize=None)(factory))
    if first:
        _REGISTRY.insert(0, entry)
    else:
        _REGISTRY.append(entry)


def _module_is(prefix):
    return lambda X: type(X).__module__.split(".")[0] == prefix


def _oracle_backend():
    from ._oracle import OracleBackend

    return OracleBackend()


def _dask_backend():
    from ._dask_backend import DaskBackend

    return DaskBackend()


def _is_oracle(X):
    from ._oracle import is_entry_oracle

    return is_entry_oracle(X)


def _is_sparse(X):
    # scipy.sparse is imported by whoever built X, so only look if it is loaded
    sp = sys.modules.get("scipy.sparse")
    return sp is not None and sp.issparse(X)


def _is_linear_operator(X):
    spla = sys.modules.get("scipy.sparse.linalg")
    return spla is not None and isinstance(X, spla.LinearOperator)


def _sparse_backend():
    from ._sparse_backend import SparseBackend

    return SparseBackend()


def _operator_backend():
    from ._sparse_backend import OperatorBackend

    return OperatorBackend()


register_backend(lambda X: isinstance(X, np.ndarray), NumpyBackend)
register_backend(_module_is("cupy"), CupyBackend)
register_backend(_module_is("dask"), _dask_backend)
register_backend(_is_sparse, _sparse_backend)
register_backend(_is_linear_operator, _operator_backend)
register_backend(_is_oracle, _oracle_backend)


def backend_for(X, name="X"):
    """The :class:`Backend` that handles ``X``; TypeError naming ``name`` if none does."""
    for predicate, factory in _REGISTRY:
        if predicate(X):
            return factory()
    raise TypeError(
        f"{name} of type {type(X).__module__}.{type(X).__name__} is not supported: pass a "
        "NumPy, CuPy or dask array, a scipy.sparse matrix or array, a "
        "scipy.sparse.linalg.LinearOperator, or an entry oracle (an object with shape, "
        "dtype and entries(rows, cols))"
    )
