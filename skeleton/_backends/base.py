"""The backend protocol: what the routines may ask of an input matrix, with Array-API
defaults.

:class:`Backend` implements every operation with calls of the Array API standard on
its namespace ``xp``, so a conforming array library (``array_api_strict`` in the
tests) works without more code; the backends of :mod:`skeleton._backends` override
where their library has a faster or a missing primitive.  Backends only *read* the
input - scans, gathers, row blocks, products, sketches, FFTs; the math on the small
factors they return uses the factors' own namespace (:func:`namespace_of`).

What a backend can do is declared, not inferred from its name: ``scan_reads_all``
(whether :meth:`Backend.all_finite` reads all of X) and ``multiplies`` (whether X can
be multiplied by dense matrices) are checked once, at the boundary of a routine.
"""

from __future__ import annotations

import math

import numpy as np

from .._messages import numpy_dtype

# Matrices with min(n, d) up to this are pivoted (and SVD-ed for selection) exactly.
EXACT_MAX = 1500

__all__ = ["Backend", "namespace_of", "EXACT_MAX"]


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
    # Whether X may be formed densely when a routine needs all of it (an exact SVD):
    # not a sparse matrix, an operator or an oracle, which stand for matrices too big.
    densifies = True
    # What X is, for messages ("X is a sparse matrix: ...").
    description = "an array"

    def __init__(self, xp):
        self.xp = xp

    # -- moving data -----------------------------------------------------------
    def dtype(self, dtype):
        """This namespace's dtype for the NumPy dtype ``dtype`` (the routines compute
        with NumPy dtypes; a library with dtype objects of its own gets its own)."""
        return getattr(self.xp, numpy_dtype(dtype).name)

    def asarray(self, a, dtype=None):
        """Host (NumPy) data onto this backend."""
        return self.xp.asarray(a, dtype=None if dtype is None else self.dtype(dtype))

    def to_numpy(self, a):
        """This backend's array as a NumPy array (a device-to-host copy where needed)."""
        return np.asarray(a)

    def astype(self, a, dtype):
        """``a`` in ``dtype``, copying only when the dtype changes."""
        dtype = self.dtype(dtype)
        return a if a.dtype == dtype else self.xp.astype(a, dtype)

    # -- reading X -------------------------------------------------------------
    def all_finite(self, X):
        """Whether every entry of X is finite (one pass over X)."""
        return bool(self.xp.all(self.xp.isfinite(X)))

    def any_nonzero(self, X):
        """Whether X has a non-zero entry (one pass over X)."""
        return bool(self.xp.any(X != 0))

    def max_abs(self, X):
        """``max |X_ij|`` as a Python float (0 for an empty X; NaN when X holds NaN)."""
        xp = self.xp
        if not math.prod(X.shape):
            return 0.0
        with np.errstate(invalid="ignore"):
            return float(xp.max(xp.abs(X)))

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

    def pick(self, A, idx, axis):
        """``A``'s rows (``axis=0``) or columns (``axis=1``) at ``idx``, for a dense ``A``
        of this backend (a factor, not the input: nothing is validated or scanned)."""
        return self.xp.take(A, self.asarray(idx), axis=axis)

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
        if not self.scan_reads_all:  # X is not scanned: the entries read are checked
            C, R = self.take(X, None, cols, dtype), self.take(X, rows, None, dtype)
            xp = namespace_of(C)
            if check_finite and not (bool(xp.all(xp.isfinite(C))) and bool(xp.all(xp.isfinite(R)))):
                return None, None, False
            return C, R, True
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
