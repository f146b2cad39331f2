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

from ._blas import HAVE_NUMBA_BLAS, cholesky_update_chunk
from ._validation import check_choice, check_entry_indices, nonfinite_message, result_dtype

__all__ = ["KernelMatrix"]

KERNELS = ("gaussian",)

try:
    import numba

    _HAVE_NUMBA = True
except ImportError:  # pragma: no cover
    _HAVE_NUMBA = False

_LN2_HI = 6.93147180369123816490e-01
_LN2_LO = 1.90821492927058770002e-10
_INV_LN2 = 1.44269504088896338700e00
_T_MIN = -708.0

if _HAVE_NUMBA:
    from numba.core import types
    from numba.extending import intrinsic

    @intrinsic
    def _bits_as_float64(typingctx, i):  # pragma: no cover - compiled
        """Reinterpret the bits of an int64 as a float64 (an LLVM bitcast, vectorisable)."""
        if not (isinstance(i, types.Integer) and i.bitwidth == 64):
            return None

        def codegen(context, builder, signature, args):
            return builder.bitcast(args[0], context.get_value_type(types.float64))

        return types.float64(i), codegen

    @numba.njit(inline="always", fastmath={"contract", "nsz"})
    def _exp_neg(arg):  # pragma: no cover - compiled
        """exp(arg) for arg <= 0, 0 below -708 (see the module docstring)."""
        flush = arg < _T_MIN
        arg = max(arg, _T_MIN)
        m = np.floor(arg * _INV_LN2 + 0.5)
        r = arg - m * _LN2_HI - m * _LN2_LO
        q = 1.0 / 479001600.0
        q = q * r + 1.0 / 39916800.0
        q = q * r + 1.0 / 3628800.0
        q = q * r + 1.0 / 362880.0
        q = q * r + 1.0 / 40320.0
        q = q * r + 1.0 / 5040.0
        q = q * r + 1.0 / 720.0
        q = q * r + 1.0 / 120.0
        q = q * r + 1.0 / 24.0
        q = q * r + 1.0 / 6.0
        q = q * r + 0.5
        q = q * r + 1.0
        q = q * r + 1.0
        # 2**m as the double with biased exponent m + 1023 (m >= -1022 here)
        val = q * _bits_as_float64((np.int64(m) + 1023) << 52)
        return 0.0 if flush else val

    @numba.njit(parallel=True, nogil=True, cache=True, fastmath={"contract", "nsz"})
    def _gauss64(xs, ys, s1, s2, out):  # pragma: no cover - compiled
        """out[i, j] = exp(-(s1 * sum_t (xs[t, i] - ys[t, j])^2) * s2), float64.

        The loop over j is innermost so that LLVM vectorises it; points in the
        plane (p = 2, the common case) get their own branch, other p accumulate the
        squared distances in the output row first.
        """
        p, n = xs.shape
        k = ys.shape[1]
        for i in numba.prange(n):
            if p == 2:
                a = xs[0, i]
                b = xs[1, i]
                for j in range(k):
                    d0 = a - ys[0, j]
                    d1 = b - ys[1, j]
                    out[i, j] = _exp_neg(-((d0 * d0 + d1 * d1) * s1) * s2)
            else:
                for j in range(k):
                    out[i, j] = 0.0
                for t in range(p):
                    a = xs[t, i]
                    for j in range(k):
                        diff = a - ys[t, j]
                        out[i, j] += diff * diff
                for j in range(k):
                    out[i, j] = _exp_neg(-(out[i, j] * s1) * s2)

    @numba.njit(parallel=True, nogil=True, cache=True)
    def _gauss_generic(xs, ys, s1, s2, out):  # pragma: no cover - compiled
        """Same as _gauss64 with the library exp (float32 output)."""
        p, n = xs.shape
        k = ys.shape[1]
        for i in numba.prange(n):
            for j in range(k):
                acc = 0.0
                for t in range(p):
                    diff = np.float64(xs[t, i]) - np.float64(ys[t, j])
                    acc += diff * diff
                out[i, j] = np.exp(-(acc * s1) * s2)


if _HAVE_NUMBA and HAVE_NUMBA_BLAS:

    @numba.njit(parallel=True, nogil=True, cache=True, fastmath={"contract", "nsz"})
    def _gauss64_cholesky_rows(xs, T, s1, s2, Ft, i, P, Lf, d, m):  # pragma: no cover - compiled
        """Rows ``i : i + a`` of ``Ft`` := ``L^{-1} (K[T, :] - P @ Ft[:i, :])``, and
        ``d -= `` their squares, column chunk by column chunk (``m`` wide).

        Each thread takes whole chunks and works in place on ``Ft[i:i+a, chunk]``: it
        evaluates ``K[T, chunk]`` there and hands it to ``cholesky_update_chunk``
        (GEMM, triangular solve, ``d`` update; single-threaded BLAS), all while the
        chunk is in cache.  ``P`` is ``F[T, :i]`` (a x i, C-ordered), ``Lf`` the
        Fortran-ordered lower Cholesky factor of the pivot block.
        """
        p, n = xs.shape
        a = T.shape[0]
        nchunks = (n + m - 1) // m
        xt = np.empty((p, a))
        for q in range(p):
            for t in range(a):
                xt[q, t] = xs[q, T[t]]
        for c in numba.prange(nchunks):
            c0 = c * m
            mm = min(n, c0 + m) - c0
            # Ft is C-contiguous: indexing it directly (not a strided view) keeps the
            # inner loops unit-stride, so that they vectorise
            for t in range(a):
                row = i + t
                if p == 2:
                    u0 = xt[0, t]
                    u1 = xt[1, t]
                    for r in range(c0, c0 + mm):
                        e0 = u0 - xs[0, r]
                        e1 = u1 - xs[1, r]
                        Ft[row, r] = _exp_neg(-((e0 * e0 + e1 * e1) * s1) * s2)
                else:
                    for r in range(c0, c0 + mm):
                        Ft[row, r] = 0.0
                    for q in range(p):
                        u0 = xt[q, t]
                        for r in range(c0, c0 + mm):
                            e0 = u0 - xs[q, r]
                            Ft[row, r] += e0 * e0
                    for r in range(c0, c0 + mm):
                        Ft[row, r] = _exp_neg(-(Ft[row, r] * s1) * s2)
            cholesky_update_chunk(Ft, i, a, P, Lf, d, c0, mm)


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
        if not _HAVE_NUMBA:  # pragma: no cover
            d2 = sum((xs[t][:, None] - ys[t][None, :]) ** 2 for t in range(xs.shape[0]))
            with np.errstate(over="ignore", invalid="ignore"):
                out[...] = np.exp(-(d2 * s1) * s2)
        elif self.dtype == np.float64:
            _gauss64(np.ascontiguousarray(xs), np.ascontiguousarray(ys), s1, s2, out)
        else:
            _gauss_generic(np.ascontiguousarray(xs), np.ascontiguousarray(ys), s1, s2, out)

    def _cholesky_rows(self, T, Ft, i, P, L, d, chunk):
        """The fused column update of :func:`skeleton.rpcholesky` (see
        ``_gauss64_cholesky_rows``), for the symmetric float64 matrix; returns False
        (nothing done) where there is no fused path.  BLAS must be limited to one
        thread by the caller."""
        if not self._fused_cholesky:
            return False
        if not (Ft.flags.c_contiguous and d.flags.c_contiguous and Ft.dtype == np.float64):
            return False
        # BLAS runs inside the threads of the prange, so the caller has limited it to
        # one thread of its own (rpcholesky does, for the whole factorisation)
        _gauss64_cholesky_rows(
            self._xs, np.ascontiguousarray(T, dtype=np.intp), self._s1, self._s2, Ft, i,
            np.ascontiguousarray(P, dtype=np.float64), np.asfortranarray(L, dtype=np.float64), d, int(chunk),
        )
        return True

    @property
    def _fused_cholesky(self):
        """Whether :meth:`_cholesky_rows` has a fused path for this matrix."""
        return _HAVE_NUMBA and HAVE_NUMBA_BLAS and self.dtype == np.float64 and self._ys is self._xs

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
