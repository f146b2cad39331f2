r"""Implicit kernel matrices, read through their entries.

A :class:`KernelMatrix` stands for the ``n x d`` matrix :math:`K_{ij} = k(x_i, y_j)`
without storing it: it has ``shape``, ``dtype`` and ``entries(rows, cols)``, the
*entry oracle* interface that :func:`skeleton.skeleton_approx` accepts.  A skeleton
approximation of it reads only the sampled rows and columns, ``O((n + d) k)`` kernel
evaluations, which is what makes the ``10^6 x 10^6`` case (8 TB dense) feasible.

The Gaussian kernel is evaluated by a compiled (numba) loop, parallel over the rows
of the requested block, with the differences taken directly,
:math:`\|x - y\|^2 = \sum_t (x_t - y_t)^2`, rather than through
:math:`\|x\|^2 + \|y\|^2 - 2x\cdot y` - the expansion loses all relative accuracy in
the small entries far from the diagonal (cancellation), the direct form keeps it.
The exponential itself is the cost (no vectorised ``exp`` is available to numba
without Intel's SVML), so float64 blocks use an inlined exponential that LLVM can
vectorise: Cody-Waite reduction :math:`t = m\ln 2 + r`, :math:`|r| \le \ln 2 / 2`,
a degree-12 Taylor polynomial for :math:`e^r` (truncation error
:math:`0.35^{13}/13! < 10^{-16}`), times :math:`2^m` built from its exponent bits.
It agrees with ``numpy.exp`` to a few ulp (tested) and, unlike the library call,
vectorises (``docs/benchmarks/kernel.md`` times the whole evaluation).  Arguments below -708 (entries under
:math:`3.4\cdot 10^{-308}`) give 0 (flushed, as for subnormal results), an absolute
error below the smallest normal double.
"""

from __future__ import annotations

import numbers

import numpy as np

from ._compiled import HAVE_NUMBA
from ._compiled.blas import HAVE_NUMBA_BLAS
from ._compiled.gauss import gauss64, gauss64_cholesky_rows, gauss_generic
from ._validation import check_choice, check_entry_indices, nonfinite_message, result_dtype

__all__ = ["KernelMatrix"]

KERNELS = ("gaussian",)

def _points(a, name):
    a = np.asarray(a)
    if a.ndim == 1:
        a = a[:, None]
    if a.ndim != 2 or a.shape[0] == 0 or a.shape[1] == 0:
        raise ValueError(f"{name} must be a non-empty (n,) or (n, p) array of points, got shape {np.shape(a)}")
    result_dtype(a.dtype, name)
    if a.dtype.kind == "c":
        raise TypeError(f"{name} must hold real coordinates, got dtype {a.dtype}")
    if not np.all(np.isfinite(a)):
        raise ValueError(nonfinite_message(name, skippable=False))
    return a


def _scale_factors(bandwidth):
    r"""``(c, s1, s2)``: coordinates are multiplied by ``c`` and the exponent is
    :math:`-(\|c\,x - c\,y\|^2 s_1) s_2`, equal to :math:`-\|x - y\|^2 / (2h^2)`.

    Where :math:`1/(2h^2)` is a normal double (:math:`10^{-154} \lesssim h \lesssim
    10^{154}`): ``c = 1``, ``s1`` that factor, ``s2 = 1`` (one rounding).  Beyond,
    :math:`h^2` would overflow or underflow:

    * tiny ``h``: ``s1 = 1/h``, ``s2 = 1/(2h)`` - distinct points give an exponent of
      :math:`-\infty` (entry 0, also when the squared distance overflows), equal
      ones exactly 0 (entry 1);
    * huge ``h``: ``c = 1/h``, ``s1 = 1/2`` - coordinates of any size stay finite,
      and the exponent underflows to 0 (entry 1) unless the points are ``h`` apart.

    These are the correctly rounded answers.  ``h`` below the smallest normal double,
    whose reciprocal overflows, is refused.
    """
    if isinstance(bandwidth, bool) or not isinstance(bandwidth, numbers.Real):
        raise TypeError(f"bandwidth must be a real number, got {bandwidth!r}")
    h = float(bandwidth)
    if not np.isfinite(h):
        raise ValueError(f"bandwidth must be finite, got {bandwidth!r}")
    if not h > 0:
        raise ValueError(f"bandwidth must be > 0, got {bandwidth!r}")
    tiny = np.finfo(np.float64).tiny
    if h < tiny:
        raise ValueError(
            f"bandwidth must be at least the smallest normal double {tiny:.3g} (1/bandwidth overflows), "
            f"got {bandwidth!r}"
        )
    with np.errstate(over="ignore", under="ignore"):
        inv = np.float64(1.0) / np.float64(h)
        scale = np.float64(0.5) * inv * inv
    if np.isfinite(scale) and scale >= tiny:
        return 1.0, float(scale), 1.0
    if h < 1:
        return 1.0, float(inv), float(0.5 * inv)
    return float(inv), 0.5, 1.0


def _is_full_range(idx, size):
    return idx.size == size and bool(np.all(idx == np.arange(size)))


class KernelMatrix:
    r"""The Gaussian kernel matrix :math:`K_{ij} = \exp(-\|x_i - y_j\|^2 / (2 h^2))`,
    held implicitly as an entry oracle.

    Parameters
    ----------
    x : (n, p) or (n,) array_like
        Row points.
    y : (d, p) or (d,) array_like, optional
        Column points (default: ``x``, a symmetric kernel matrix).
    kernel : {"gaussian"}
        The kernel.
    bandwidth : float
        :math:`h > 0`, any normal double: a tiny ``h`` (``1e-300``) gives the
        identity pattern (1 for equal points, 0 otherwise), a huge one (``1e300``)
        all ones, both correctly rounded (the exponent is formed without
        squaring ``h``; see ``_scale_factors``).

    Attributes
    ----------
    shape : tuple
        ``(n, d)``.
    dtype : numpy.dtype
        float64, or float32 when both point sets are float32.

    Raises
    ------
    ValueError
        Points not 1- or 2-D, empty, non-finite; ``x`` and ``y`` of different
        dimension ``p``; ``bandwidth`` not positive, not finite or below the
        smallest normal double; unknown ``kernel``.
    TypeError
        Complex or non-numeric points; ``bandwidth`` not a real number (or a bool).

    Notes
    -----
    ``entries(rows, cols)`` costs ``len(rows) * len(cols) * p`` flops and one
    exponential per entry, and allocates only its result (plus the gathered
    coordinates of the requested points).

    Examples
    --------
    >>> import numpy as np
    >>> from skeleton import KernelMatrix
    >>> x = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 2.0]])
    >>> K = KernelMatrix(x, bandwidth=1.0)
    >>> K.shape, K.dtype
    ((3, 3), dtype('float64'))
    >>> np.allclose(K.entries([1], [0, 2]), [[np.exp(-0.5), np.exp(-2.5)]])
    True
    """

    def __init__(self, x, y=None, kernel="gaussian", bandwidth=1.0):
        check_choice(kernel, KERNELS, "kernel")
        self.x = _points(x, "x")
        self.y = self.x if y is None else _points(y, "y")
        if self.x.shape[1] != self.y.shape[1]:
            raise ValueError(
                f"x and y must be points of the same dimension, got p={self.x.shape[1]} and p={self.y.shape[1]}"
            )
        c, self._s1, self._s2 = _scale_factors(bandwidth)
        self.kernel = kernel
        self.bandwidth = float(bandwidth)
        both32 = self.x.dtype == np.float32 and self.y.dtype == np.float32
        self.dtype = np.dtype(np.float32 if both32 else np.float64)
        self.shape = (self.x.shape[0], self.y.shape[0])
        # Coordinate-major copies: the inner loop then reads contiguous memory.
        self._xs = np.ascontiguousarray(self.x.T, dtype=np.float64)
        self._ys = self._xs if y is None else np.ascontiguousarray(self.y.T, dtype=np.float64)
        if c != 1.0:  # a huge bandwidth: coordinates in units of h (see _scale_factors)
            self._xs = self._xs * c
            self._ys = self._xs if y is None else self._ys * c

    def __repr__(self):
        return f"KernelMatrix(shape={self.shape}, kernel={self.kernel!r}, bandwidth={self.bandwidth})"

    def entries(self, rows, cols, out=None):
        r"""The block ``K[rows][:, cols]`` as a C-ordered array of ``self.dtype``.

        Entry :math:`(a, b)` is :math:`\exp(-\|x_{r_a} - y_{c_b}\|^2 / (2h^2))` with
        the squared distance summed from coordinate differences (see the module
        docstring for why); ``len(rows) * len(cols)`` kernel evaluations.

        Parameters
        ----------
        rows : 1-D array_like of int
            Row indices in ``[0, n)``, in any order, repeats allowed.
        cols : 1-D array_like of int
            Column indices in ``[0, d)``.
        out : ndarray, optional
            A C-contiguous array of shape ``(len(rows), len(cols))`` and dtype
            ``self.dtype`` to write the block into (a caller evaluating many
            blocks reuses one buffer instead of allocating each).

        Returns
        -------
        ndarray, shape (len(rows), len(cols))
            The kernel block, of dtype ``self.dtype`` (``out`` when given).

        Raises
        ------
        TypeError
            If ``rows`` or ``cols`` holds non-integers, or ``out`` is not an ndarray
            of ``self.dtype``.
        ValueError
            If ``rows`` or ``cols`` is not 1-D or holds an index out of range, or
            ``out`` has the wrong shape or is not a writeable C-contiguous array.

        Examples
        --------
        >>> import numpy as np
        >>> from skeleton import KernelMatrix
        >>> K = KernelMatrix(np.array([0.0, 1.0, 2.0]), bandwidth=1.0)
        >>> K.entries([0, 2], [1]).round(6).tolist()      # exp(-1/2) twice
        [[0.606531], [0.606531]]
        """
        rows = check_entry_indices(rows, self.shape[0], "rows")
        cols = check_entry_indices(cols, self.shape[1], "cols")
        # The full range in order needs no gather (C = K[:, J] asks for all rows).
        xs = self._xs if _is_full_range(rows, self.shape[0]) else np.take(self._xs, rows, axis=1)
        ys = self._ys if _is_full_range(cols, self.shape[1]) else np.take(self._ys, cols, axis=1)
        out = self._output(out, (rows.size, cols.size))
        if out.size == 0:
            return out
        self._evaluate(xs, ys, out)
        return out

    def _output(self, out, shape):
        if out is None:
            return np.empty(shape, dtype=self.dtype)
        if not isinstance(out, np.ndarray) or out.dtype != self.dtype:
            got = out.dtype if isinstance(out, np.ndarray) else type(out).__name__
            raise TypeError(f"out must be a numpy.ndarray of dtype {self.dtype}, got {got}")
        if out.shape != shape or not out.flags.c_contiguous or not out.flags.writeable:
            raise ValueError(f"out must be a writeable C-contiguous array of shape {shape}, got shape {out.shape}")
        return out

    def _evaluate(self, xs, ys, out):
        """``out[i, j] = k(xs[:, i], ys[:, j])`` for coordinate-major point sets."""
        s1, s2 = self._s1, self._s2
        if not HAVE_NUMBA:  # pragma: no cover
            d2 = sum((xs[t][:, None] - ys[t][None, :]) ** 2 for t in range(xs.shape[0]))
            with np.errstate(over="ignore", invalid="ignore"):
                out[...] = np.exp(-(d2 * s1) * s2)
        elif self.dtype == np.float64:
            gauss64(np.ascontiguousarray(xs), np.ascontiguousarray(ys), s1, s2, out)
        else:
            gauss_generic(np.ascontiguousarray(xs), np.ascontiguousarray(ys), s1, s2, out)

    def _cholesky_rows(self, T, Ft, i, P, L, d, chunk):
        """The fused column update of :func:`skeleton.rpcholesky` (see
        ``gauss64_cholesky_rows``), for the symmetric float64 matrix; returns False
        (nothing done) where there is no fused path.  BLAS must be limited to one
        thread by the caller."""
        if not self._fused_cholesky:
            return False
        if not (Ft.flags.c_contiguous and d.flags.c_contiguous and Ft.dtype == np.float64):
            return False
        # BLAS runs inside the threads of the prange, so the caller has limited it to
        # one thread of its own (rpcholesky does, for the whole factorisation)
        gauss64_cholesky_rows(
            self._xs, np.ascontiguousarray(T, dtype=np.intp), self._s1, self._s2, Ft, i,
            np.ascontiguousarray(P, dtype=np.float64), np.asfortranarray(L, dtype=np.float64), d, int(chunk),
        )
        return True

    @property
    def _fused_cholesky(self):
        """Whether :meth:`_cholesky_rows` has a fused path for this matrix."""
        return HAVE_NUMBA and HAVE_NUMBA_BLAS and self.dtype == np.float64 and self._ys is self._xs

    def diagonal(self):
        r"""The diagonal :math:`K_{ii} = k(x_i, y_i)`, ``i < min(n, d)``, without the rest.

        For the symmetric matrix (``y`` not given) every entry is
        :math:`k(x, x) = 1`; otherwise ``min(n, d)`` kernel evaluations.  Randomly
        pivoted Cholesky (:func:`skeleton.rpcholesky`) samples from it.

        Returns
        -------
        ndarray, shape (min(n, d),)
            Of dtype ``self.dtype``.

        Examples
        --------
        >>> import numpy as np
        >>> from skeleton import KernelMatrix
        >>> KernelMatrix(np.array([0.0, 1.0, 5.0]), bandwidth=1.0).diagonal().tolist()
        [1.0, 1.0, 1.0]
        >>> K = KernelMatrix(np.array([0.0, 1.0]), np.array([1.0, 1.0]), bandwidth=1.0)
        >>> K.diagonal().round(6).tolist()                # exp(-1/2), exp(0)
        [0.606531, 1.0]
        """
        m = min(self.shape)
        if self._ys is self._xs:
            return np.ones(m, dtype=self.dtype)
        d2 = ((self._xs[:, :m] - self._ys[:, :m]) ** 2).sum(axis=0)
        with np.errstate(over="ignore", under="ignore", invalid="ignore"):
            t = (d2 * self._s1) * self._s2
        return np.exp(-t).astype(self.dtype, copy=False)

    def to_array(self):
        """The dense matrix ``K`` (for small cases and tests).

        Equal to ``entries(range(n), range(d))``; allocates all ``n * d`` entries.

        Returns
        -------
        ndarray, shape (n, d)
            The kernel matrix, of dtype ``self.dtype``.

        Raises
        ------
        MemoryError
            If the ``n x d`` array does not fit in memory.

        Examples
        --------
        >>> import numpy as np
        >>> from skeleton import KernelMatrix
        >>> K = KernelMatrix(np.array([0.0, 1.0]), bandwidth=1.0)
        >>> K.to_array().round(6).tolist()
        [[1.0, 0.606531], [0.606531, 1.0]]
        """
        return self.entries(np.arange(self.shape[0]), np.arange(self.shape[1]))
