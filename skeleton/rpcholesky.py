r"""Randomly pivoted Cholesky: a Nyström approximation read from a few columns.

For a Hermitian positive semi-definite :math:`A \in \mathbb{C}^{n\times n}` and pivots
:math:`S = (s_1, \dots, s_k)`, the column Nyström approximation is

.. math::

    \hat A = C W^{+} C^H = F F^H, \qquad C = A_{:,S},\quad W = A_{S,S} = L L^H,
    \quad F = C L^{-H},

and :math:`F` is what partial Cholesky elimination produces, one pivot (or one block
of pivots) at a time: with the residual :math:`A^{(i)} = A - F_{:,1:i} F_{:,1:i}^H`,

.. math::

    F_{:,i+1} = A^{(i)}_{:,s} / \sqrt{A^{(i)}_{ss}}, \qquad
    d \leftarrow d - |F_{:,i+1}|^2,

where :math:`d = \operatorname{diag} A^{(i)}` is kept for all ``n`` points.  Randomly
pivoted Cholesky (RPCholesky; Chen, Epperly, Tropp & Webber) draws the pivot
:math:`s` with probability :math:`d_s / \sum_j d_j` - the diagonal of the residual,
the expected error each candidate would remove - and reaches a trace error
:math:`\operatorname{tr}(A - \hat A)` within :math:`(1 + \varepsilon)` of the best
rank-``r`` one with :math:`k \ge r/\varepsilon + r \log(1/(\varepsilon\eta))`
pivots, where :math:`\eta` is the relative tail of the spectrum (Chen et al., Thm.
5.1).  It reads :math:`(k + 1) n` entries: the diagonal and the ``k`` columns.

Accelerated RPCholesky (Epperly, Tropp & Webber, "Embrace rejection") samples the
same distribution a block at a time: ``b`` candidates are drawn from :math:`d` at
once and a sequential Cholesky over them accepts candidate :math:`t` with probability
:math:`G^{(t)}_{tt} / G_{tt}` - its residual after the candidates accepted earlier in
this round over its residual at the start - which is rejection sampling of exactly
the sequential algorithm's next pivot.  The sequential pass here is left-looking: a
candidate's residual is formed only against the candidates accepted so far (most are
rejected), about :math:`b a (i + a)` flops for ``a`` acceptances instead of the
:math:`b^2 i` of the whole ``b x b`` residual block.  The accepted columns are then
formed together (one GEMM and one triangular solve instead of a matrix-vector
product per pivot): the pivot sequence has the sequential algorithm's distribution,
the arithmetic is level-3 BLAS, and ``F`` is read once per round instead of once per
pivot.

Stability. :math:`F` is never formed as :math:`C W^{-1/2}` or through :math:`W^{+}`:
each block of columns is :math:`(A_{:,T} - F F_{T,:}^H) L_T^{-H}` with :math:`L_T`
the Cholesky factor of the residual block on the accepted pivots (a triangular
solve, never an inverse), i.e. blocked left-looking Cholesky, which is backward
stable for positive semi-definite matrices with diagonal pivoting (Higham, "Accuracy and Stability of
Numerical Algorithms", §10.3).  :math:`F F^H` then reproduces :math:`C W^{+} C^H` to
rounding even where :math:`W` has condition number :math:`10^{15}` and an explicit
:math:`W^{+}` would lose most digits.

Rounding noise. The computed residual diagonal :math:`d_j = A_{jj} - \sum_l
|F_{jl}|^2` carries an absolute error of order :math:`\sqrt{i}\,\epsilon A_{jj}`
plus that of the entries of :math:`F`, of order
:math:`\epsilon\sqrt{A_{jj}\max_l A_{ll}}` (normwise backward error of blocked
Cholesky).  An entry below :math:`\tau_j = 16\sqrt{i+1}\,\epsilon\sqrt{A_{jj}
\max_l A_{ll}}` is noise - pivoting on it would scale
rounding errors by :math:`1/\sqrt{\tau_j}` into the factor (measured: the held-out
error of a Gaussian kernel matrix rises from ``1e-14`` to ``3e-12``) - so it is set
to zero and never sampled; a candidate whose fresh residual is below it is
rejected.  When every entry is resolved so, the factorisation stops: that is exact
recovery of a rank-deficient matrix, with no division by a zero pivot.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.linalg

from ._blas import single_threaded_blas
from ._compiled.blas import HAVE_NUMBA_BLAS
from ._compiled.cholesky import array_cholesky_rows, rejection, settle, subtract_sumsq
from ._entry_source import EntrySource
from ._lowrank import FactoredEntries
from ._linalg import grow_rows, reserve_rows, row_sq_norms
from ._validation import check_choice, check_rank_rtol, check_rng, nonfinite_message

__all__ = ["PivotedCholesky", "rpcholesky"]

METHODS = ("accelerated", "sequential", "greedy")

# tau_j = _NOISE * sqrt(i + 1) * eps * sqrt(A_jj max A_ll): the resolved threshold of the
# module docstring.
_NOISE = 16.0
# Hermitian check on each sampled block: |A_st - conj(A_ts)| <= _SYMMETRY * eps * max_j A_jj.
_SYMMETRY = 64.0
# Target bytes of one chunk of new factor rows, so it stays in L2 for the GEMM, the
# triangular solve and the diagonal update that follow its evaluation.
_CHUNK_BYTES = 1 << 20
# Accelerated RPCholesky: candidates per round, b = sqrt(n * a) / 4 with a the pivots
# the previous round accepted (_FIRST_ACCEPTS before the first), within [_MIN_BLOCK,
# _MAX_BLOCK].  Acceptances grow only slowly with b (measured on Gaussian kernels: about
# b^0.2), so b is made large; sqrt(n a)/4 keeps the b^2 entries of the candidate block
# at most 1/16 of the a n entries of the columns it yields.
_FIRST_ACCEPTS = 16
_MIN_BLOCK = 16
_MAX_BLOCK = 2048

@dataclass(frozen=True)
class PivotedCholesky(FactoredEntries):
    r"""A partial pivoted Cholesky factorisation :math:`A \approx F F^H` (Nyström).

    Returned by :func:`rpcholesky`; the parameters are its (read-only) attributes.

    Parameters
    ----------
    pivots : ndarray of intp, shape (k,)
        The pivots :math:`S`, in the order chosen.
    F : ndarray, shape (n, k)
        The stable factor: :math:`F F^H = C W^{+} C^H` with :math:`C = A_{:,S}`,
        :math:`W = A_{S,S}`, computed by elimination (never through :math:`W^{+}` or
        :math:`W^{-1}`).  ``F[pivots]`` is lower triangular with a positive diagonal:
        the Cholesky factor :math:`L` of :math:`W` (attribute ``L``), so that
        :math:`C = F L^H` and :math:`W = L L^H` up to rounding.  Fortran-ordered.
    residual_diagonal : ndarray, shape (n,)
        :math:`\operatorname{diag}(A - F F^H)` (real, non-negative; entries at the
        rounding-noise level and at the pivots are 0).  Bounds every residual entry:
        :math:`|(A - FF^H)_{ij}| \le \sqrt{d_i d_j}`.
    trace_error : float
        :math:`\operatorname{tr}(A - FF^H) / \operatorname{tr}(A)`, the sum of
        ``residual_diagonal`` over the trace of ``A``.
    n_entries : int
        Entries of ``A`` evaluated (diagonal, sampled blocks and columns).
    method : str
        ``"accelerated"``, ``"sequential"`` or ``"greedy"``.

    See Also
    --------
    rpcholesky : computes it.

    Examples
    --------
    >>> import numpy as np
    >>> from skeleton import rpcholesky
    >>> B = np.arange(1.0, 13.0).reshape(6, 2)
    >>> A = B @ B.T                                   # PSD, rank 2
    >>> res = rpcholesky(A, rtol=1e-12, rng=0)
    >>> res.rank, res.F.shape, res.L.shape
    (2, (6, 2), (2, 2))
    >>> bool(np.allclose(res.to_array(), A)), res.trace_error
    (True, 0.0)
    """

    pivots: Any
    F: Any = field(repr=False)
    residual_diagonal: Any = field(repr=False)
    trace_error: float
    n_entries: int
    method: str

    @property
    def L(self):
        r"""``F[pivots]``: the lower-triangular Cholesky factor of :math:`W = A_{S,S}`."""
        return self.F[self.pivots]

    def _factors(self):
        return self.F, self.F


def rpcholesky(A, rank=None, *, rtol=None, method="accelerated", block_size=None, rng=None, check_finite=True):
    r"""Randomly pivoted Cholesky: :math:`A \approx F F^H` from ``k`` pivot columns.

    Approximates a Hermitian positive semi-definite ``A`` by the Nyström
    approximation :math:`C W^{+} C^H = F F^H` on pivots :math:`S` sampled by the
    residual diagonal (module docstring), reading the diagonal and the ``k`` pivot
    columns - about :math:`(k + 1) n` entries, never all of ``A``.

    Parameters
    ----------
    A : (n, n) array_like or entry oracle
        Hermitian positive semi-definite: a NumPy array (only the entries used are
        read) or any object with ``shape``, ``dtype`` and ``entries(rows, cols)``,
        such as :class:`skeleton.KernelMatrix` with ``y`` omitted.  An oracle may
        have ``diagonal()``; without it the diagonal is read through ``entries`` on
        ``32 x 32`` diagonal blocks (:math:`32n` entries).  Never modified.
    rank : int, optional
        Number of pivots ``k`` (an upper bound when ``rtol`` is given too), in
        ``[1, n]``.
    rtol : float, optional
        Stop once :math:`\operatorname{tr}(A - FF^H) \le \mathrm{rtol}\cdot
        \operatorname{tr}(A)`, ``0 < rtol < 1``.  The accelerated method checks
        after each round, capping each round at the pivots the trace error's decay
        so far predicts are still needed (plus 10 %), so it may take a few pivots
        more than the fewest that meet ``rtol``.  Below the rounding level (about
        :math:`16\sqrt{k}\,\epsilon`) the factorisation stops when every residual
        entry is resolved, with ``trace_error`` above ``rtol``.
        At least one of ``rank`` and ``rtol`` is required.
    method : {"accelerated", "sequential", "greedy"}
        ``"accelerated"``: blocks of candidates with rejection sampling (the same
        pivot distribution as ``"sequential"``, level-3 BLAS).  ``"sequential"``:
        one sampled pivot per step (Chen et al., Alg. 1).  ``"greedy"``: the largest
        residual diagonal entry (deterministic; the pivots of LAPACK's ``?pstrf``).
    block_size : int, optional
        Candidates per round of ``"accelerated"`` (default: adaptive,
        :math:`\sqrt{n a}/4` for ``a`` acceptances in the previous round, 16 before
        the first, within 16 to 2048; acceptances grow only slowly with the
        candidates).  Cost only, not the distribution, depends on it.
    rng : {None, int, numpy.random.Generator, numpy.random.SeedSequence}, optional
        Random state (SPEC 7); unused by ``"greedy"``.
    check_finite : bool, default True
        Raise on NaN or infinity in the entries read: the diagonal and each
        candidate block directly, the columns through the residual diagonal, which
        any such entry reaches (O(n) per round).

    Returns
    -------
    PivotedCholesky
        ``pivots``, ``F`` (:math:`A \approx FF^H`, ``F[pivots]`` the Cholesky factor
        of :math:`A_{S,S}`), ``residual_diagonal``, ``trace_error``, ``n_entries``,
        ``method``; ``rank``, ``L``, ``entries(rows, cols)``, ``to_array()``.

    Raises
    ------
    ValueError
        ``A`` not square, empty, with NaN/inf, a negative (or, for complex ``A``,
        non-real) diagonal entry, not Hermitian on a sampled block, or found
        indefinite (a residual diagonal entry clearly negative); a
        :class:`~skeleton.KernelMatrix` of two point sets; ``rank`` outside
        ``[1, n]``; ``rtol`` outside ``(0, 1)``; neither given; an unknown
        ``method``; ``block_size`` below 1 or given to another method.
    TypeError
        Non-numeric ``A``; non-integer ``rank`` or ``block_size``; non-real
        ``rtol``; a bad ``rng``.

    Notes
    -----
    Hermitian symmetry is checked on every sampled ``b x b`` block
    :math:`A_{T,T}` (entries already read) - except for a symmetric
    :class:`~skeleton.KernelMatrix`, whose blocks are exactly symmetric by
    construction - and positive semi-definiteness through the residual diagonal; a
    matrix violating either only elsewhere is not detected.
    Cost: :math:`(k + 1) n` entries plus :math:`\sum_r b_r^2` for the candidate
    blocks; about :math:`n k^2` flops for real ``A`` - GEMM updates
    :math:`2n\sum_r i_r a_r` and triangular solves :math:`n \sum_r a_r^2` over the
    rounds ``r`` (``a_r`` pivots added to ``i_r``); memory: ``F`` and :math:`O(n)`
    besides (the columns are evaluated in chunks directly into ``F`` and
    transformed there).  Parallelism: for a float64
    :class:`~skeleton.KernelMatrix` or a contiguous float64 array the column pass
    is compiled (numba threads over chunks, ``numba.set_num_threads``); BLAS is
    limited to one thread for the duration of the call (threadpoolctl, process-wide).

    References
    ----------
    Y. Chen, E. N. Epperly, J. A. Tropp, R. J. Webber, "Randomly pivoted Cholesky:
    Practical approximation of a kernel matrix with few entry evaluations",
    Comm. Pure Appl. Math. 78(5), 2025 (arXiv:2207.06503).
    E. N. Epperly, J. A. Tropp, R. J. Webber, "Embrace rejection: Kernel matrix
    approximation by accelerated randomly pivoted Cholesky", arXiv:2410.03969, 2024.
    N. J. Higham, "Analysis of the Cholesky decomposition of a semi-definite
    matrix", in Reliable Numerical Computation, Oxford, 1990.

    Examples
    --------
    >>> import numpy as np
    >>> from skeleton import KernelMatrix, rpcholesky
    >>> x = np.random.default_rng(0).random((2000, 2))
    >>> K = KernelMatrix(x, bandwidth=0.5)
    >>> res = rpcholesky(K, rtol=1e-10, rng=1)
    >>> res.trace_error <= 1e-10, res.rank < 100, res.n_entries < 101 * 2000
    (True, True, True)
    >>> i, j = np.array([3, 500]), np.array([7, 1999])
    >>> bool(np.allclose(res.entries(i, j), K.entries(i, j), rtol=0, atol=1e-9))
    True
    """
    return factor_psd(A, "A", rank, rtol, method, block_size, rng, check_finite)


def factor_psd(A, name, rank, rtol, method, block_size, rng, check_finite):
    """:func:`rpcholesky` with the messages naming the matrix ``name`` (``"X"`` when
    :func:`skeleton.skeleton_approx` calls it)."""
    src = EntrySource(A, name)
    n = src.shape[0]
    if src.shape[0] != src.shape[1]:
        raise ValueError(f"{name} must be square (Hermitian positive semi-definite), got shape {src.shape}")
    _check_kernel_symmetric(A, name)
    rank, rtol = check_rank_rtol(rank, rtol, n, n)
    check_choice(method, METHODS, "method")
    if block_size is not None:
        if method != "accelerated":
            raise ValueError(f"block_size applies to method='accelerated' only, got method={method!r}")
        if isinstance(block_size, bool) or not isinstance(block_size, numbers.Integral):
            raise TypeError(f"block_size must be an integer, got {block_size!r}")
        if block_size < 1:
            raise ValueError(f"block_size must be at least 1, got {block_size}")
        block_size = int(block_size)
    rng = check_rng(rng)
    # BLAS is kept to one thread throughout: the compiled column passes run it inside
    # their own threads, and elsewhere the alternating GEMMs (NumPy's OpenBLAS) and
    # triangular solves (SciPy's) would leave each library's idle workers spinning
    # against the other's.
    with single_threaded_blas():
        return _rpcholesky(src, n if rank is None else rank, rtol, method, block_size, rng, bool(check_finite))


def _hermitian_by_construction(A):
    """Whether every block of ``A`` is exactly Hermitian without being checked: a
    :class:`~skeleton.KernelMatrix` that :func:`_check_kernel_symmetric` let through
    has one point set, and its entry for ``(x_s, x_t)`` is computed from the squared
    differences ``(x_s - x_t)^2 = (x_t - x_s)^2``, summed in the same order, so
    ``K[s, t]`` and ``K[t, s]`` are the same double."""
    from .kernel_matrix import KernelMatrix

    return isinstance(A, KernelMatrix)


def _check_kernel_symmetric(A, name):
    from .kernel_matrix import KernelMatrix

    if isinstance(A, KernelMatrix) and A._ys is not A._xs and not np.array_equal(A._xs, A._ys):
        raise ValueError(
            f"{name} must be Hermitian: a KernelMatrix of two different point sets (x and y) is not; "
            "omit y for the symmetric kernel matrix k(x_i, x_j)"
        )


def _initial_diagonal(src, check_finite):
    name = src.name
    dtype = src.dtype
    real = np.finfo(dtype).dtype
    eps = np.finfo(dtype).eps
    diag = src.diagonal()
    if check_finite and not np.all(np.isfinite(diag)):
        raise ValueError(nonfinite_message(name, "found on its diagonal"))
    if dtype.kind == "c":
        scale = np.abs(diag).max(initial=0.0)
        bad = np.abs(diag.imag) > _SYMMETRY * eps * scale
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise ValueError(f"{name} must be Hermitian, but its diagonal entry {name}[{i}, {i}] = {diag[i]} is not real")
        diag = diag.real
    diag = np.ascontiguousarray(diag, dtype=real)
    neg = diag < -_SYMMETRY * eps * diag.max(initial=0.0)
    if neg.any():
        i = int(np.flatnonzero(neg)[0])
        raise ValueError(
            f"{name} must be positive semi-definite, but its diagonal entry {name}[{i}, {i}] = {diag[i]} < 0")
    np.maximum(diag, 0, out=diag)
    return diag


def _not_finite(name):
    return ValueError(nonfinite_message(name, "found in the entries read"))


def _not_psd(name, j, value):
    return ValueError(
        f"{name} must be positive semi-definite, but the residual diagonal at index {j} became {value:.3g} < 0 "
        f"(a Schur complement of {name} is indefinite)"
    )


def _array_fused(A, Ft):
    """Whether the compiled column pass takes this array: real float64 work on a
    contiguous NumPy array (float64 or integer entries)."""
    return (
        HAVE_NUMBA_BLAS
        and Ft.dtype == np.float64
        and type(A) is np.ndarray
        and A.dtype.kind in "fiub"
        and A.dtype.itemsize <= 8
        and (A.flags.c_contiguous or A.flags.f_contiguous)
    )


def _rpcholesky(src, cap, rtol, method, block_size, rng, check_finite):
    n = src.shape[0]
    dtype = src.dtype
    eps = float(np.finfo(dtype).eps)
    diag0 = _initial_diagonal(src, check_finite)
    check_hermitian = not _hermitian_by_construction(src.A)
    trace0 = float(np.sum(diag0, dtype=np.float64))
    # Rounding in column j of the residual is of order eps * sqrt(A_jj * max A_ll)
    # (|F_lj| <= sqrt(A_ll)): the scale of every threshold on entry j.
    # (square roots taken first: the product would under- or overflow beyond 1e+-154)
    scale = np.sqrt(diag0) * math.sqrt(diag0.max(initial=0.0))
    d = diag0.copy()
    # Factor rows Ft = F^T (k x n, C-ordered): a round appends contiguous rows, and a
    # chunk of them is one cache-resident block for the GEMM and triangular solve.
    Ft = reserve_rows(cap, n, dtype)
    pivots = np.empty(cap, dtype=np.intp)
    i = 0
    b = _block_size(n, _FIRST_ACCEPTS) if block_size is None else block_size
    history = [(0, 1.0)]  # (pivots, relative trace error) after each round
    cum = np.empty(n, dtype=np.float64)  # running sums of d, for the sampling
    settled = False  # whether cum holds those of the current d
    while trace0 > 0 and i < cap:
        dsum = float(np.sum(d, dtype=np.float64))
        if dsum <= 0 or (rtol is not None and dsum <= rtol * trace0):
            break
        if i:
            history.append((i, dsum / trace0))
        lmax = cap - i if rtol is None else min(cap - i, _predicted_need(history, rtol))
        if method == "greedy":
            cand = np.array([int(np.argmax(d))], dtype=np.intp)
        else:
            m = 1 if method == "sequential" else b
            cand = _sample(d, m, rng, cum if settled else None)
        settled = False
        G = src.block(cand, cand)
        if check_finite and not np.all(np.isfinite(G)):
            raise _not_finite(src.name)
        if G.shape[0] > 1 and check_hermitian:
            if np.abs(G - G.conj().T).max() > _SYMMETRY * eps * float(diag0[cand].max()):
                raise ValueError(f"{src.name} must be Hermitian, but {src.name}[s, t] != conj({src.name}[t, s]) "
                                 "on a block of sampled pivots")
        FsT = np.ascontiguousarray(Ft[:i, cand].T)  # F[cand, :i]
        g0 = G.diagonal().real - row_sq_norms(FsT)  # fresh residual diagonal
        tau = _noise_level(i, eps) * scale[cand]
        low = g0 < -_indefinite_level(i, eps) * scale[cand]
        if low.any():
            j = int(np.flatnonzero(low)[0])
            raise _not_psd(src.name, int(cand[j]), float(g0[j]))
        # a candidate already resolved (fresh residual at the noise level) is retired
        d[cand[g0 <= tau]] = 0.0
        u = np.zeros(cand.size) if method != "accelerated" else rng.random(cand.size)
        acc, L = rejection(np.ascontiguousarray(G), FsT, g0, u, np.ascontiguousarray(tau, dtype=np.float64), lmax)
        a = acc.size
        if method == "accelerated" and block_size is None:
            b = _block_size(n, max(a, 1))
        if a == 0:
            continue
        T = cand[acc]
        if i + a > Ft.shape[0]:
            Ft = grow_rows(Ft, i + a)
        _append_columns(src, Ft, i, T, L, d)
        # Cholesky structure exactly: the new columns vanish on the earlier pivots and
        # equal L on their own; the residual diagonal vanishes on all pivots.
        Ft[i : i + a, pivots[:i]] = 0
        Ft[i : i + a, T] = L.T
        pivots[i : i + a] = T
        i += a
        d[T] = 0.0
        _settle_diagonal(d, scale, i, eps, check_finite, src.name, cum)
        settled = True
    return PivotedCholesky(
        pivots=pivots[:i].copy(),
        F=Ft[:i].T,
        residual_diagonal=d,
        trace_error=float(np.sum(d, dtype=np.float64) / trace0) if trace0 > 0 else 0.0,
        n_entries=int(src.n_entries),
        method=method,
    )


def _predicted_need(history, rtol):
    """Pivots still needed for ``rtol``, extrapolating the trace error's decay over the
    last round (log-linear in the rank: the geometric decay of a smooth kernel's
    spectrum), with a margin.  It caps what one round of the accelerated method
    accepts, so that the last round does not overshoot by a whole block; falling
    short only costs another round, and the distribution is unchanged."""
    if len(history) < 2:
        return 1 << 62
    (i0, e0), (i1, e1) = history[-2], history[-1]
    if not (0 < e1 < e0) or i1 <= i0:
        return 1 << 62
    slope = (math.log(e1) - math.log(e0)) / (i1 - i0)
    need = (math.log(rtol) - math.log(e1)) / slope
    return max(1, int(math.ceil(1.1 * need)) + 2)


def _block_size(n, accepted):
    return int(min(_MAX_BLOCK, max(_MIN_BLOCK, math.sqrt(n * accepted) / 4)))


def _sample(d, m, rng, c=None):
    """``m`` indices drawn with replacement with probability ``d / sum(d)``; ``c``,
    when given, is ``numpy.cumsum(d, dtype=float64)`` already computed."""
    if c is None:
        c = np.cumsum(d, dtype=np.float64)
    idx = np.searchsorted(c, rng.random(m) * c[-1], side="right")
    np.minimum(idx, d.size - 1, out=idx)
    return idx.astype(np.intp, copy=False)


def _settle_diagonal(d, scale, i, eps, check_finite, name, cum):
    """Check the updated residual diagonal, clip rounding noise to 0, and leave its
    running sums in ``cum`` (one compiled pass, :func:`skeleton._compiled.cholesky.settle`).
    Non-finite entries raise with ``check_finite``; without it, NaN and inf are the
    caller's business and only finite entries are checked for semi-definiteness."""
    status, j, value = settle(d, scale, _noise_level(i, eps), _indefinite_level(i, eps), bool(check_finite), cum)
    if status == 1:
        raise _not_finite(name)
    if status == 2:
        raise _not_psd(name, int(j), float(value))


def _noise_level(i, eps):
    """tau / scale: the resolved threshold after ``i`` pivots (module docstring)."""
    return _NOISE * math.sqrt(i + 1) * eps


def _indefinite_level(i, eps):
    """How far below 0 rounding can take a residual diagonal entry (over its scale)."""
    return 2 * _noise_level(i, eps) + 4 * (i + 1) * eps


def _append_columns(src, Ft, i, T, L, d):
    r"""Rows ``i : i + a`` of ``Ft``: :math:`(A_{:,T} - F F_{T,:}^H) L^{-H}`, transposed.

    In chunks of columns of ``Ft`` (rows of ``A``): evaluate :math:`\bar A_{T,c}` into a
    buffer, subtract :math:`\bar F_{T,:} F_{c,:}^T` (GEMM), solve with :math:`\bar L`
    (TRSM), subtract the squared magnitudes from ``d[c]`` and store - one pass over
    each chunk while it is in cache, and no ``n x a`` temporary.
    """
    n = Ft.shape[1]
    a = T.size
    dtype = Ft.dtype
    m = max(256, min(n, _CHUNK_BYTES // (a * dtype.itemsize)))
    P = np.ascontiguousarray(Ft[:i, T].T.conj())
    if src.oracle:
        fused = getattr(src.A, "_cholesky_rows", None)
        if fused is not None and fused(T, Ft, i, P, L, d, m):
            src.n_entries += a * n
            return
    elif _array_fused(src.A, Ft):
        array_cholesky_rows(src.A, T, Ft, i, P, np.asfortranarray(L), d, m, np.isfortran(src.A))
        src.n_entries += a * n
        return
    buf = np.empty(a * m, dtype=dtype)
    tmp = np.empty(a * m, dtype=dtype) if i else None
    trsm = scipy.linalg.get_blas_funcs("trsm", dtype=dtype)
    trans = 2 if dtype.kind == "c" else 1
    for c0 in range(0, n, m):
        c1 = min(n, c0 + m)
        B = buf[: a * (c1 - c0)].reshape(a, c1 - c0)
        src.rows_conj_into(T, c0, c1, B)
        if i:
            W = tmp[: a * (c1 - c0)].reshape(a, c1 - c0)
            np.matmul(P, Ft[:i, c0:c1], out=W)
            B -= W
        # conj(L) X = B  <=>  X^T L^H = B^T, with B^T Fortran-ordered: solved in place
        X = trsm(1.0, L, B.T, side=1, lower=1, trans_a=trans, overwrite_b=1)
        if not np.shares_memory(X, B):  # pragma: no cover - depends on the wrapper
            B[...] = X.T
        subtract_sumsq(B, d[c0:c1])
        Ft[i : i + a, c0:c1] = B
