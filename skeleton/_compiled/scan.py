"""CPU kernels for reading a NumPy matrix: the finiteness scan and the sample gather.

Two facts about a C-ordered ``X`` (n x d) drive these kernels:

* NumPy's fancy indexing along axis 1 (``X[:, J]``) walks the index list once per row
  through a generic iterator; a numba loop over rows, parallel across cores, does the
  same gather faster (``docs/benchmarks/cur.md`` times both, from
  ``benchmarks/bench_cur.py``).  Row gathers copy contiguous rows and NumPy is
  already at memory speed there.
* The finiteness scan and the column gather *both* stream through every row of ``X``
  (a random set of ``k`` columns touches most cache lines of a row once ``k`` is a
  sizeable fraction of ``d / 8``).  :func:`scan_gather` does both in **one** pass: each
  row is checked while it is in cache, its sampled entries copied into ``C`` and, if
  the row is sampled, the whole row copied into ``R``.  That is the read that CUR with
  ``check_finite=True`` cannot avoid, so it runs at memory speed.

Everything falls back to NumPy when numba is unavailable or the array is not a plain
(C- or Fortran-) contiguous float/complex array.
"""

from __future__ import annotations

import numpy as np

from . import HAVE_NUMBA, numba
from .blas import HAVE_NUMBA_BLAS

__all__ = ["gather", "all_finite", "scan_gather", "sum_squares", "scan_sketch"]

# Below this many entries the numba call overhead is not worth paying.
_NUMBA_MIN_ENTRIES = 1 << 15

# scan_sketch converts X a block of rows at a time into a buffer of this size, small
# enough to stay in cache for the GEMM that reads it right after.
_SKETCH_BLOCK_BYTES = 1 << 22
# The fused single-precision sketch (float64 X): each thread's buffer, and the fewest
# rows (C order) or columns (Fortran order) of X per block, so that each one-thread
# GEMM is large enough to run near the processor's peak (measured on 20000 x 5000 and
# its transpose, in both orders, 2 cores: within 10 % of the best from 64 to 256).
_FUSED_BLOCK_BYTES = 1 << 20
_FUSED_MIN_ROWS = 128
_FUSED_MIN_COLS = 64

if HAVE_NUMBA:
    # "reassoc" lets LLVM vectorise the reduction below; NaN/inf semantics are kept
    # (no "nnan"/"ninf"), which the test relies on.
    _FM = {"reassoc", "contract"}

    @numba.njit(parallel=True, nogil=True, cache=True)
    def _gather_cols(X, cols, out):  # pragma: no cover - compiled
        n = X.shape[0]
        k = cols.shape[0]
        for i in numba.prange(n):
            for jj in range(k):
                out[i, jj] = X[i, cols[jj]]

    @numba.njit(nogil=True, cache=True, fastmath=_FM)
    def _row_nonfinite(row):  # pragma: no cover - compiled
        # v * 0 is 0 for finite v and NaN for NaN or +-inf; the sum is NaN iff one is.
        acc = row[0] * 0.0
        for j in range(row.shape[0]):
            acc += row[j] * 0.0
        return acc != acc

    @numba.njit(parallel=True, nogil=True, cache=True)
    def _count_nonfinite(X):  # pragma: no cover - compiled
        n = X.shape[0]
        bad = 0
        for i in numba.prange(n):
            if _row_nonfinite(X[i]):
                bad += 1
        return bad

    @numba.njit(parallel=True, nogil=True, cache=True, fastmath=_FM)
    def _sum_squares_into(X, out, write):  # pragma: no cover - compiled
        # Per-row partial sums in float64, then their sum: rounding error at most
        # about (d + n) eps relative, and NaN/inf propagate (no "nnan"/"ninf").
        # With `write`, each entry is also stored into `out` (of a lower precision,
        # for scan_sketch) while it is in a register; the branch is loop-invariant.
        n, d = X.shape
        rows = np.empty(n, dtype=np.float64)
        for i in numba.prange(n):
            acc = 0.0
            for j in range(d):
                v = X[i, j]
                if write:
                    out[i, j] = v
                # squares in float64: float32 squares would underflow below ~1e-19
                # (and overflow above ~2e19), understating the norm
                a = np.float64(v.real)
                b = np.float64(v.imag)
                acc += a * a + b * b
            rows[i] = acc
        return rows.sum()

    def _sum_squares(X):
        return _sum_squares_into(X, np.empty((1, 1), dtype=X.dtype), False)

    @numba.njit(parallel=True, nogil=True, cache=True)
    def _scan_gather(X, row_pos, cols, C, R, check, sq):  # pragma: no cover - compiled
        """One pass over the rows of C-ordered X: count rows holding NaN/inf (when
        ``check``), copy ``X[i, cols]`` into ``C[i]`` and, for sampled rows
        (``row_pos[i] >= 0``), ``X[i]`` into ``R[row_pos[i]]``; ``sq[i]`` gets the
        squared norms of what row ``i`` gave to C and to R (in float64, while the
        entries are in registers: the norms the core needs cost no pass)."""
        n, d = X.shape
        k = cols.shape[0]
        bad = 0
        for i in numba.prange(n):
            row = X[i]
            if check:
                if _row_nonfinite(row):
                    bad += 1
            acc = 0.0
            for jj in range(k):
                v = row[cols[jj]]
                C[i, jj] = v
                a = np.float64(v.real)
                b = np.float64(v.imag)
                acc += a * a + b * b
            sq[i, 0] = acc
            p = row_pos[i]
            acc = 0.0
            if p >= 0:
                for j in range(d):
                    v = row[j]
                    R[p, j] = v
                    a = np.float64(v.real)
                    b = np.float64(v.imag)
                    acc += a * a + b * b
            sq[i, 1] = acc
        return bad


if HAVE_NUMBA_BLAS:
    from .blas import gemm_rowmajor

    @numba.njit(nogil=True, cache=True, fastmath=_FM)
    def _convert_rows(X, i0, i1, buf, sq):  # pragma: no cover - compiled
        """``buf[i - i0] = X[i]`` (to single precision) and ``sq[i] = ||X[i]||^2``
        (float64) for the rows ``i0 <= i < i1``."""
        d = X.shape[1]
        for i in range(i0, i1):
            # row views: indexed with an offset row (buf[i - i0, j]) the loop compiles
            # to scatters, since the offset is not known to be non-negative
            xr = X[i]
            br = buf[i - i0]
            acc = 0.0
            for j in range(d):
                v = xr[j]
                br[j] = v
                acc += v * v
            sq[i] = acc

    @numba.njit(parallel=True, nogil=True, cache=True)
    def _sketch_fused_rows(X, Omega, Y, b, sq, workers):  # pragma: no cover - compiled
        """``Y = X @ Omega`` (single precision, Omega d x l) for the C-ordered float64
        ``X``: each of ``workers`` threads converts its blocks of ``b`` rows into its
        own buffer and multiplies them at once (one-thread ``sgemm``)."""
        n, d = X.shape
        l = Omega.shape[1]
        blocks = (n + b - 1) // b
        workers = min(workers, blocks)
        for t in numba.prange(workers):
            buf = np.empty((b, d), dtype=np.float32)
            for blk in range(t, blocks, workers):
                i0 = blk * b
                i1 = min(n, i0 + b)
                _convert_rows(X, i0, i1, buf, sq)
                gemm_rowmajor(False, buf.ctypes.data, d, False, Omega.ctypes.data, l, False,
                              Y.ctypes.data + i0 * l * 4, l, i1 - i0, l, d, 1.0, 0.0)

    @numba.njit(parallel=True, nogil=True, cache=True)
    def _sketch_fused_cols(Xt, Omega, parts, b, sq):  # pragma: no cover - compiled
        """The same for a Fortran-ordered X, given as the C-ordered ``Xt = X.T``
        (d x n): each thread accumulates ``X[:, J] @ Omega[J]`` over its blocks ``J``
        of ``b`` columns into its own ``parts[t]`` (n x l); their sum is the sketch."""
        d, n = Xt.shape
        l = Omega.shape[1]
        blocks = (d + b - 1) // b
        workers = min(parts.shape[0], blocks)
        for t in numba.prange(workers):
            buf = np.empty((b, n), dtype=np.float32)
            first = True
            for blk in range(t, blocks, workers):
                j0 = blk * b
                j1 = min(d, j0 + b)
                _convert_rows(Xt, j0, j1, buf, sq)
                gemm_rowmajor(False, buf.ctypes.data, n, True, Omega.ctypes.data + j0 * l * 4, l, False,
                              parts[t].ctypes.data, l, n, l, j1 - j0, 1.0, 0.0 if first else 1.0)
                first = False


def _plain(X):
    """An ndarray (or memmap) whose class leaves ufuncs and array functions to NumPy.

    A subclass overriding ``__array_ufunc__``/``__array_function__`` wants to see the
    operations done on it, so it is read through NumPy rather than a compiled kernel.
    """
    cls = type(X)
    return (
        isinstance(X, np.ndarray)
        and cls.__array_ufunc__ is np.ndarray.__array_ufunc__
        and cls.__array_function__ is np.ndarray.__array_function__
    )


def _numba_ok(X):
    return (
        HAVE_NUMBA
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
    if not _plain(X):
        return bool(np.isfinite(X).all())
    base = np.asarray(X)
    if _numba_ok(base) and base.size >= _NUMBA_MIN_ENTRIES:
        return _count_nonfinite(base) == 0
    if _numba_ok(base.T) and base.size >= _NUMBA_MIN_ENTRIES:
        return _count_nonfinite(base.T) == 0
    return bool(np.isfinite(X).all())


def sum_squares(X):
    """``sum |X_ij|^2`` in float64 (``||X||_F^2``); NaN or inf when X holds either
    (or when the sum overflows), so one pass also tells whether X is finite."""
    if X.dtype.kind in "biu":
        return float(np.sum(np.square(X, dtype=np.float64)))
    base = np.asarray(X) if _plain(X) else None
    if base is not None and base.size >= _NUMBA_MIN_ENTRIES:
        if _numba_ok(base):
            return float(_sum_squares(base))
        if _numba_ok(base.T):
            return float(_sum_squares(base.T))
    a = np.asarray(X)
    parts = (a.real, a.imag) if a.dtype.kind == "c" else (a,)
    total = 0.0
    for p in parts:  # squared in float64, so small float32 entries do not underflow
        p = p.astype(np.float64).ravel()
        total += float(np.dot(p, p))
    return total


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


def scan_gather(X, rows, cols, dtype, check_finite=True, sums=False):
    """``(C, R, finite)``: ``C = X[:, cols]``, ``R = X[rows, :]`` (in ``dtype``; in
    X's memory order where the fused kernel runs, else C-ordered) and whether ``X`` is
    all finite, from one pass over ``X``.

    With ``check_finite=False`` only the sampled entries are read (``finite`` is then
    ``True``). A C- or Fortran-contiguous float/complex ``X`` whose dtype is ``dtype``
    goes through the fused numba kernel; anything else through a finiteness scan and
    :func:`gather`.  ``rows`` and ``cols`` are validated, duplicate-free index arrays.
    When ``X`` is not finite, ``C`` and ``R`` are returned unfilled (``None``).
    With ``sums=True`` a fourth item: ``(||C||_F^2, ||R||_F^2)`` in float64 from the
    fused kernel, or None where it did not run.
    """
    base = np.asarray(X)
    rows = np.asarray(rows, dtype=np.intp)
    cols = np.asarray(cols, dtype=np.intp)
    n, d = base.shape
    dtype = np.dtype(dtype)
    big = base.size >= _NUMBA_MIN_ENTRIES and _plain(X)
    if big and base.dtype == dtype and (_numba_ok(base) or _numba_ok(base.T)):
        # C and R in X's own order, so that the kernel writes each row it reads
        # contiguously (into a C-ordered C, a Fortran X's columns would land with a
        # stride of k entries, one cache line per entry)
        order = "C" if _numba_ok(base) else "F"
        C = np.empty((n, cols.size), dtype=dtype, order=order)
        R = np.empty((rows.size, d), dtype=dtype, order=order)
        if _numba_ok(base):
            row_pos = np.full(n, -1, dtype=np.intp)
            row_pos[rows] = np.arange(rows.size)
            sq = np.empty((n, 2))
            bad = _scan_gather(base, row_pos, cols, C, R, bool(check_finite), sq)
            norms = (float(sq[:, 0].sum()), float(sq[:, 1].sum()))
        else:
            # Fortran order: X.T is C-ordered, with the roles of rows and columns
            # swapped; write straight through transposed views of C and R.
            col_pos = np.full(d, -1, dtype=np.intp)
            col_pos[cols] = np.arange(cols.size)
            sq = np.empty((d, 2))
            bad = _scan_gather(base.T, col_pos, rows, R.T, C.T, bool(check_finite), sq)
            norms = (float(sq[:, 1].sum()), float(sq[:, 0].sum()))
        if bad:
            return (None, None, False, None) if sums else (None, None, False)
        return (C, R, True, norms) if sums else (C, R, True)
    if check_finite and not all_finite(X):
        return (None, None, False, None) if sums else (None, None, False)
    out = gather(X, None, cols, dtype), gather(X, rows, None, dtype), True
    return (*out, None) if sums else out


def scan_sketch(X, Omega):
    """``(||X||_F^2, X @ Omega)`` from one pass over ``X``, the product in Omega's dtype.

    ``Omega`` (d x l) has a lower precision than ``X`` (float32 for float64 X, say).
    Each block of rows of ``X`` is converted to that precision by the kernel that
    accumulates its squares (in float64, as :func:`sum_squares`), and multiplied by
    ``Omega`` while the converted block is still in cache, so ``X`` is read once and
    no converted copy of all of it is made. The norm is NaN or inf when ``X`` holds
    either. Returns None when ``X`` is not a plain C- or Fortran-contiguous
    float/complex array large enough for the compiled kernel; the caller then does
    the two steps its own way.
    """
    base = np.asarray(X)
    if not (_plain(X) and base.size >= _NUMBA_MIN_ENTRIES):
        return None
    # NaN/inf in X, or entries beyond the lower precision's range, make the product
    # overflow or turn NaN; the caller sees that in the norm and discards the sketch,
    # so the floating-point warnings would only be noise
    with np.errstate(all="ignore"):
        return _scan_sketch_blocks(base, Omega)


def _sketch_block(length, low, l):
    """Rows (or columns) per block of scan_sketch: a cache-sized buffer, but at least
    8 l, so that what each block's GEMM moves besides X (Omega, or Y when accumulating)
    stays a small fraction of the block of X it reads."""
    return max(_SKETCH_BLOCK_BYTES // (length * low.itemsize), 8 * l, 1)


def _fused_block(length, least):
    """Rows (or columns) of length ``length`` per thread and block of the fused
    sketch: a buffer of about :data:`_FUSED_BLOCK_BYTES`, at least ``least``."""
    return max(_FUSED_BLOCK_BYTES // (4 * length), least)


def _scan_sketch_fused(base, Omega):
    """:func:`scan_sketch` for a float64 X and a float32 Omega by the fused kernels
    (:mod:`skeleton._compiled.blas`), or None where they do not apply."""
    if not (HAVE_NUMBA_BLAS and base.dtype == np.float64 and Omega.dtype == np.float32):
        return None
    from .._blas import single_threaded_blas

    Omega = np.ascontiguousarray(Omega)
    n, l = base.shape[0], Omega.shape[1]
    workers = numba.get_num_threads()
    with single_threaded_blas():  # (the parallelism is the kernels' own)
        if _numba_ok(base):
            Y = np.empty((n, l), dtype=np.float32)
            sq = np.empty(n)
            _sketch_fused_rows(base, Omega, Y, _fused_block(base.shape[1], _FUSED_MIN_ROWS), sq, workers)
            return float(sq.sum()), Y
        if _numba_ok(base.T):
            d = base.shape[1]
            b = _fused_block(n, _FUSED_MIN_COLS)
            parts = np.empty((min(workers, -(-d // b)), n, l), dtype=np.float32)
            sq = np.empty(d)
            _sketch_fused_cols(base.T, Omega, parts, b, sq)
            return float(sq.sum()), parts.sum(axis=0, dtype=np.float32)
    return None


def _scan_sketch_blocks(base, Omega):
    fused = _scan_sketch_fused(base, Omega)
    if fused is not None:
        return fused
    low = np.dtype(Omega.dtype)
    n, l = base.shape[0], Omega.shape[1]
    if _numba_ok(base):
        # Y[i0:i1] = X[i0:i1] @ Omega, block by block
        d = base.shape[1]
        b = _sketch_block(d, low, l)
        buf = np.empty((min(b, n), d), dtype=low)
        Y = np.empty((n, l), dtype=low)
        total = 0.0
        for i0 in range(0, n, b):
            blk = buf[: min(b, n - i0)]
            total += _sum_squares_into(base[i0 : i0 + b], blk, True)
            np.matmul(blk, Omega, out=Y[i0 : i0 + b])
        return float(total), Y
    if _numba_ok(base.T):
        # Fortran order: X.T is C-ordered, so go by blocks of columns J,
        # Y += X[:, J] @ Omega[J] (NumPy's BLAS; SciPy's gemm could accumulate in
        # place, but is the slower of the two for these thin products)
        Xt = base.T
        d = Xt.shape[0]
        b = _sketch_block(n, low, l)
        buf = np.empty((min(b, d), n), dtype=low)
        Y = np.zeros((n, l), dtype=low)
        part = np.empty((n, l), dtype=low)
        total = 0.0
        for j0 in range(0, d, b):
            blk = buf[: min(b, d - j0)]
            total += _sum_squares_into(Xt[j0 : j0 + b], blk, True)
            np.matmul(blk.T, Omega[j0 : j0 + b], out=part)
            Y += part
        return float(total), Y
    return None
