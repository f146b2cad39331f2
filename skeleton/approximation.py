r"""The result of a skeleton approximation, evaluated in its stable factored form.

:class:`SkeletonApprox` holds the sampled columns ``C``, rows ``R`` and the core
``U`` of :math:`X \approx C U R`, and the factors ``A, B, M`` in which the same
approximation is applied (:mod:`skeleton.cores`): everything that reads the
approximation - :meth:`~SkeletonApprox.to_array`, ``@``,
:meth:`~SkeletonApprox.entries`, :meth:`~SkeletonApprox.error` - goes through them,
never through ``C @ U @ R`` when that product would cancel.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ._backends import backend_for
from ._validation import check_entry_indices, check_matrix

__all__ = ["SkeletonApprox", "ErrorEstimate"]


@dataclass(frozen=True)
class ErrorEstimate:
    r"""An a-posteriori estimate of the error :math:`\|X - \hat X\|_F`.

    Parameters
    ----------
    estimate : float
        The estimated relative error :math:`\|X - \hat X\|_F / \|X\|_F`.
    bound : float
        An upper bound on the relative error that holds with probability at least
        ``confidence`` (see ``method``).
    absolute, absolute_bound : float
        The same for the absolute error :math:`\|X - \hat X\|_F`.
    confidence : float
        The probability with which the bounds hold; NaN for ``"held-out entries"``,
        whose bound is a normal approximation that assumes a residual spread over many
        rows and columns (:mod:`skeleton.tolerance`).
    method : str
        How the estimate was obtained: ``"gaussian probes"`` (``samples`` Gaussian
        vectors, :math:`\|(X - \hat X) G\|_F^2 / p`) or ``"held-out entries"`` (a
        random block of ``samples`` entries); :mod:`skeleton.tolerance` has the math.
    samples : int
        Number of probes, or of entries read.
    norm : float
        :math:`\|X\|_F` (exact or estimated) that makes ``estimate`` relative.
    norm_exact : bool
        Whether ``norm`` is exact (read with the finiteness scan) or estimated.

    Examples
    --------
    >>> from skeleton.approximation import ErrorEstimate
    >>> e = ErrorEstimate(1e-9, 2e-9, 3e-9, 6e-9, 0.99, "gaussian probes", 16, 3.0, True)
    >>> e.bound <= 1e-8
    True
    """

    estimate: float
    bound: float
    absolute: float
    absolute_bound: float
    confidence: float
    method: str
    samples: int
    norm: float
    norm_exact: bool


class _ScaledSum:
    """A sum of squares kept as ``scale**2 * ssq`` (LAPACK's ``lassq``): no overflow or
    underflow whatever the size of the entries."""

    def __init__(self):
        self.scale, self.ssq = 0.0, 0.0

    def add(self, block, xp):
        if block.size == 0:
            return
        m = float(xp.max(xp.abs(block)))
        if not math.isfinite(m):
            self.scale, self.ssq = m, 1.0
            return
        if m == 0.0:
            return
        b = block / m
        part = float(xp.sum(xp.real(b * xp.conj(b))))
        if m > self.scale:
            self.ssq = self.ssq * (self.scale / m) ** 2 + part
            self.scale = m
        else:
            self.ssq += part * (m / self.scale) ** 2

    def norm(self):
        return self.scale * math.sqrt(self.ssq)


def _plain(B):
    """A :class:`numpy.matrix` operand as a plain ndarray (its ``@`` result would be a
    matrix, and a 1-D result would come back 2-D); anything else unchanged."""
    return np.asarray(B) if isinstance(B, np.matrix) else B


def _fitting(B, axis, size, mine, theirs):
    """The operand ``B`` as a plain array, checked to be 1-D or 2-D with ``size`` along
    ``axis`` (the approximation's ``size`` ``mine`` meet ``B``'s ``theirs``)."""
    B = _plain(B)
    if B.ndim not in (1, 2) or B.shape[axis] != size:
        raise ValueError(
            f"operand of shape {tuple(B.shape)} does not fit: the approximation has "
            f"{size} {mine} (a 1-D or 2-D operand with {size} {theirs} is needed)"
        )
    return B


def _is_operand(B):
    """An array-like operand of ``@`` (anything else makes ``@`` raise TypeError)."""
    return hasattr(B, "shape") and hasattr(B, "ndim") and hasattr(B, "dtype")


@dataclass(frozen=True)
class SkeletonApprox:
    r"""A skeleton (CUR) approximation :math:`\hat X = C U R`.

    A frozen record, normally built by :func:`skeleton.skeleton_approx`; the parameters
    are also its (read-only) attributes.

    Parameters
    ----------
    C : array, shape (n, k_c)
        The sampled columns ``X[:, col_idx]``.
    U : array, shape (k_c, k_r)
        The core matrix. Its entries can be as large as :math:`1/\sigma_{\min}` of
        the intersection, so do not multiply ``C @ U @ R`` out yourself: use
        :meth:`to_array`, ``@``, :meth:`entries` or :meth:`to_factors`, which apply
        the approximation in a backward-stable form.
    R : array, shape (k_r, d)
        The sampled rows ``X[row_idx, :]``.
    row_idx, col_idx : ndarray of intp
        The sampled row and column indices (sorted).
    core : str
        Which core ``U`` is (``"pinv"``, ``"truncated"`` or ``"optimal"``).
    shape : tuple
        ``(n, d)``.
    dtype : numpy.dtype
        The dtype of ``C``, ``U``, ``R``.
    core_rank : int, default 0
        Rank of the approximation (singular values the core kept).
    factors : tuple, optional
        ``(A, B, M)`` (``B`` may be None) with :math:`\hat X = A B M`, each factor
        well scaled (:mod:`skeleton.cores`). Default ``(C, U, R)``.
    evaluation : str, default "direct"
        Which factored form ``factors`` is: ``"direct"`` (``C, U, R``), ``"column-qr"``
        or ``"row-qr"`` (through the QR of C, or of R^H), ``"projection"``.
    error_estimate : ErrorEstimate or None
        The a-posteriori error estimate, when the approximation was built to a
        tolerance (``rtol``/``atol``).

    See Also
    --------
    skeleton.skeleton_approx : builds it from a matrix.

    Examples
    --------
    >>> import numpy as np
    >>> from skeleton import skeleton_approx
    >>> X = np.outer(np.arange(1.0, 7.0), np.arange(1.0, 5.0))     # rank 1, 6 x 4
    >>> approx = skeleton_approx(X, rows=[0, 2], cols=[1, 3], core="pinv")
    >>> approx.shape, approx.core, approx.row_idx.tolist(), approx.col_idx.tolist()
    ((6, 4), 'pinv', [0, 2], [1, 3])
    >>> bool(np.allclose(approx.to_array(), X))
    True
    """

    C: Any = field(repr=False)
    U: Any = field(repr=False)
    R: Any = field(repr=False)
    row_idx: Any
    col_idx: Any
    core: str
    shape: tuple
    dtype: Any
    core_rank: int = 0
    factors: tuple = field(default=None, repr=False)
    evaluation: str = "direct"
    error_estimate: Any = None

    # Make ``ndarray @ approx`` defer to __rmatmul__ instead of NumPy trying to
    # turn the approximation into an array.
    __array_ufunc__ = None

    def _abm(self):
        return self.factors if self.factors is not None else (self.C, self.U, self.R)

    def to_factors(self):
        r"""Two factors ``(L, Rt)`` with :math:`\hat X = L\,R_t`, formed stably.

        ``L`` is n x q and ``Rt`` is q x d with q the smaller inner dimension of the
        stored factored form; use them where a library wants a low-rank pair.

        Returns
        -------
        L : array, shape (n, q)
            The left factor (an orthonormal basis of the columns read, or the
            interpolation matrix, depending on ``evaluation``).
        Rt : array, shape (q, d)
            The right factor.

        Examples
        --------
        >>> import numpy as np
        >>> from skeleton import skeleton_approx
        >>> X = np.outer([1.0, 2.0, 3.0], [1.0, -1.0, 2.0])
        >>> L, Rt = skeleton_approx(X, rows=[0], cols=[2]).to_factors()
        >>> L.shape, Rt.shape, bool(np.allclose(L @ Rt, X))
        ((3, 1), (1, 3), True)
        """
        A, B, M = self._abm()
        if B is None:
            return A, M
        if A.shape[1] <= B.shape[1]:
            return A, B @ M
        return A @ B, M

    def to_array(self):
        r"""Form the dense approximation :math:`\hat X` (n x d) from its factors.

        The two products of ``A @ B @ M`` are taken in whichever order costs fewer
        flops; both are backward stable since each factor is well scaled.

        Returns
        -------
        array, shape (n, d)
            The approximation, of dtype ``self.dtype``, on the array library of ``C``
            (NumPy or CuPy).

        Examples
        --------
        >>> import numpy as np
        >>> from skeleton import skeleton_approx
        >>> X = np.outer([1.0, 2.0, 3.0], [1.0, -1.0, 2.0])             # rank 1
        >>> approx = skeleton_approx(X, rows=[0], cols=[2], core="pinv")
        >>> approx.to_array().round(6).tolist()
        [[1.0, -1.0, 2.0], [2.0, -2.0, 4.0], [3.0, -3.0, 6.0]]
        """
        A, B, M = self._abm()
        if B is None:
            return A @ M
        n, d = self.shape
        a, b = B.shape
        if n * a * b + n * b * d <= a * b * d + n * a * d:
            return (A @ B) @ M
        return A @ (B @ M)

    def entries(self, rows, cols):
        r"""The block :math:`\hat X_{rows, cols}`, without forming :math:`\hat X`.

        Costs :math:`O((|rows| + |cols|) q + |rows|\,|cols|\,q)`; this makes an
        approximation itself an *entry oracle* that :func:`skeleton.skeleton_approx`
        and :func:`skeleton.incoherence`'s oracle paths accept.

        Parameters
        ----------
        rows, cols : sequence of int
            Row and column indices (any order, repeats allowed), in range.

        Returns
        -------
        array, shape (len(rows), len(cols))
            The entries of the approximation, on the array library of its factors.

        Raises
        ------
        ValueError
            An index out of range, or indices that are not 1-D.
        TypeError
            Non-integer indices.

        Examples
        --------
        >>> import numpy as np
        >>> from skeleton import skeleton_approx
        >>> X = np.outer([1.0, 2.0, 3.0], [1.0, -1.0, 2.0])
        >>> skeleton_approx(X, rows=[0], cols=[2]).entries([2, 0], [1]).tolist()
        [[-3.0], [-1.0]]
        """
        rows = check_entry_indices(rows, self.shape[0], "rows")
        cols = check_entry_indices(cols, self.shape[1], "cols")
        A, B, M = self._abm()
        Ar = backend_for(A).pick(A, rows, 0)
        Mc = backend_for(M).pick(M, cols, 1)
        if B is None:
            return Ar @ Mc
        return (Ar @ B) @ Mc if Ar.shape[0] <= Mc.shape[1] else Ar @ (B @ Mc)

    def __matmul__(self, other):
        r"""Product :math:`\hat X B` without forming :math:`\hat X`.

        Evaluated right to left, ``A @ (B @ (M @ other))``, in
        :math:`O((q d + q^2 + n q) m)` for ``other`` of shape (d, m).

        Parameters
        ----------
        other : array, shape (d,) or (d, m)
            Right operand, an array of the same library as the factors. Anything else
            (a list, a scalar) is not an operand: Python then raises TypeError.

        Returns
        -------
        array, shape (n,) or (n, m)
            :math:`\hat X B`.

        Raises
        ------
        ValueError
            If ``other.shape[0]`` differs from the number of columns ``d``.

        Examples
        --------
        >>> import numpy as np
        >>> from skeleton import skeleton_approx
        >>> X = np.outer([1.0, 2.0, 3.0], [1.0, -1.0, 2.0])             # rank 1
        >>> approx = skeleton_approx(X, rows=[0], cols=[2], core="pinv")
        >>> (approx @ np.ones(3)).round(6).tolist()
        [2.0, 4.0, 6.0]
        """
        if not _is_operand(other):
            return NotImplemented
        other = _fitting(other, 0, self.shape[1], "columns", "rows")
        A, B, M = self._abm()
        out = M @ other
        if B is not None:
            out = B @ out
        return A @ out

    def __rmatmul__(self, other):
        r"""Product :math:`B \hat X` without forming :math:`\hat X`; used by ``B @ approx``.

        Parameters
        ----------
        other : array, shape (n,) or (m, n)
            Left operand, an array of the same library as the factors.

        Returns
        -------
        array, shape (d,) or (m, d)
            :math:`B \hat X`.

        Raises
        ------
        ValueError
            If ``other.shape[-1]`` differs from the number of rows ``n``.

        Examples
        --------
        >>> import numpy as np
        >>> from skeleton import skeleton_approx
        >>> X = np.outer([1.0, 2.0, 3.0], [1.0, -1.0, 2.0])             # rank 1
        >>> approx = skeleton_approx(X, rows=[0], cols=[2], core="pinv")
        >>> (np.ones(3) @ approx).round(6).tolist()
        [6.0, -6.0, 12.0]
        """
        if not _is_operand(other):
            return NotImplemented
        other = _fitting(other, -1, self.shape[0], "rows", "columns")
        A, B, M = self._abm()
        out = other @ A
        if B is not None:
            out = out @ B
        return out @ M

    def error(self, X, ord="fro"):
        r"""Relative error :math:`\|X - \hat X\| / \|X\|` in the Frobenius or spectral norm.

        The Frobenius error is accumulated over blocks of rows of ``X`` and of the
        factored approximation, each block scaled by its largest entry before it is
        squared (as LAPACK's ``nrm2``), so neither overflow nor underflow can occur and
        no second n x d array is formed. The spectral error forms the dense
        difference.

        Parameters
        ----------
        X : (n, d) array_like, sparse matrix, LinearOperator or entry oracle
            The matrix that was approximated (any input :func:`skeleton_approx`
            accepts); read in full.
        ord : {"fro", 2}, default "fro"
            The norm: Frobenius (``"fro"``) or spectral (``2``).

        Returns
        -------
        float
            :math:`\|X - \hat X\| / \|X\|`. A zero ``X`` gives 0.0 if the
            approximation is zero too, else ``inf``.

        Raises
        ------
        ValueError
            If ``ord`` is not ``"fro"`` or ``2``, if ``X`` is not a non-empty 2-D
            matrix, or if its shape differs from ``self.shape``.
        TypeError
            If ``X`` is not numeric.

        Examples
        --------
        >>> import numpy as np
        >>> from skeleton import skeleton_approx
        >>> X = np.diag([1.0, 1.0, 0.0])
        >>> approx = skeleton_approx(X, rows=[0], cols=[0], core="pinv")
        >>> round(approx.error(X), 6), round(approx.error(X, ord=2), 6)
        (0.707107, 1.0)
        """
        if ord not in ("fro", 2):
            raise ValueError(f"ord must be 'fro' or 2, got {ord!r}")
        X, _ = check_matrix(X, "X")
        if tuple(X.shape) != tuple(self.shape):
            raise ValueError(f"X has shape {tuple(X.shape)}, the approximation {self.shape}")
        backend = backend_for(X, "X")
        X = backend.prepare(X)
        xp = backend.xp
        if ord == 2:
            Xd = backend.dense(X, self.dtype)
            diff = Xd - self.to_array()
            return float(xp.linalg.matrix_norm(diff, ord=2) / xp.linalg.matrix_norm(Xd, ord=2))
        A, B, M = self._abm()
        AB = A if B is None else A @ B  # n x q: the row blocks of the approximation
        n = self.shape[0]
        block = max(1, (1 << 22) // max(1, self.shape[1]))
        num, den = _ScaledSum(), _ScaledSum()
        for i0 in range(0, n, block):
            Xi = backend.row_block(X, i0, min(n, i0 + block), self.dtype)
            num.add(Xi - AB[i0 : i0 + block] @ M, xp)
            den.add(Xi, xp)
        top, bottom = num.norm(), den.norm()
        if bottom == 0.0:
            return 0.0 if top == 0.0 else float("inf")
        return top / bottom

