"""BLAS callable from numba: the GEMM and TRSM of the fused Cholesky column update, and
the single-precision GEMM of the fused sketch.

The fused update (:mod:`skeleton._compiled.gauss` and :mod:`skeleton._compiled.cholesky`) runs a
numba ``prange`` over chunks of rows, each thread evaluating its chunk of kernel
columns and applying the residual update and the triangular solve to it while it is
in cache.  Those two steps are level-3 BLAS, so they call SciPy's BLAS
(``scipy.linalg.cython_blas``, Fortran calling convention) as external functions,
from inside the compiled loop.  The caller limits the BLAS library to one
thread for the duration (:func:`skeleton._blas.single_threaded_blas`): the parallelism is the
``prange``'s, one BLAS call per chunk and thread, with no thread pool of BLAS's own
spinning beside numba's.

The same holds for the sketch ``X @ Omega`` of :func:`skeleton._compiled.scan.scan_sketch`:
each thread converts a cache-sized block of rows of X to single precision and
multiplies it by ``Omega`` (``sgemm``) at once; conversion (memory-bound) and
product (compute-bound) then overlap across the threads, and no BLAS thread pool
alternates with numba's.

The volume extension's refresh (:func:`skeleton._compiled.maxvol.downdate_blocks`) runs
its GEMM the same way, a block of rows per thread.

``dgemm``, ``dtrsm`` and ``sgemm`` only; other dtypes take the NumPy/SciPy path.
"""

from __future__ import annotations

import numpy as np

from . import HAVE_NUMBA, numba

__all__ = ["HAVE_NUMBA_BLAS", "gemm_sub_nt", "trsm_right_lower_t", "cholesky_update_chunk", "gemm_rowmajor"]

HAVE_NUMBA_BLAS = False
if HAVE_NUMBA:
    import llvmlite.binding as _ll  # (llvmlite comes with numba)
    from numba import types as _types
    from numba.extending import get_cython_function_address

    try:
        # Registered under our own names and called by name (not by address), so that
        # the compiled functions that call them can be cached on disk like any other.
        _ll.add_symbol("skeleton_blas_dgemm", get_cython_function_address("scipy.linalg.cython_blas", "dgemm"))
        _ll.add_symbol("skeleton_blas_dtrsm", get_cython_function_address("scipy.linalg.cython_blas", "dtrsm"))
        _ll.add_symbol("skeleton_blas_sgemm", get_cython_function_address("scipy.linalg.cython_blas", "sgemm"))
        # Fortran BLAS takes every argument by address; addresses are passed as intp.
        _dgemm = _types.ExternalFunction("skeleton_blas_dgemm", _types.void(*([_types.intp] * 13)))
        _dtrsm = _types.ExternalFunction("skeleton_blas_dtrsm", _types.void(*([_types.intp] * 11)))
        _sgemm = _types.ExternalFunction("skeleton_blas_sgemm", _types.void(*([_types.intp] * 13)))
        HAVE_NUMBA_BLAS = True
    except Exception:  # pragma: no cover - a SciPy without its Cython BLAS
        HAVE_NUMBA_BLAS = False


if HAVE_NUMBA_BLAS:

    @numba.njit(nogil=True, cache=True)
    def gemm_sub_nt(f_ptr, ldf, p_ptr, i, w_ptr, ldw, m, a):  # pragma: no cover - compiled
        """``W -= P @ F`` for row-major ``W`` (a x m, row stride ``ldw``), ``P`` (a x i,
        contiguous) and ``F`` (i x m, row stride ``ldf``), by :func:`gemm_rowmajor`."""
        gemm_rowmajor(True, p_ptr, i, False, f_ptr, ldf, False, w_ptr, ldw, a, m, i, -1.0, 1.0)

    @numba.njit(nogil=True, cache=True)
    def trsm_right_lower_t(l_ptr, a, b_ptr, ldb, m):  # pragma: no cover - compiled
        """``L X = B`` in place for row-major ``B`` (a x m, row stride ``ldb``) and the
        lower-triangular column-major ``L`` (a x a): in column-major terms
        ``B^T := B^T L^{-T}``."""
        ch = np.empty(4, np.uint8)
        ch[0] = 82  # 'R': side
        ch[1] = 76  # 'L': lower
        ch[2] = 84  # 'T': transposed
        ch[3] = 78  # 'N': non-unit diagonal
        ints = np.empty(3, np.int32)
        ints[0] = m
        ints[1] = a
        ints[2] = ldb
        al = np.empty(1)
        al[0] = 1.0
        c = ch.ctypes.data
        q = ints.ctypes.data
        _dtrsm(c, c + 1, c + 2, c + 3, q, q + 4, al.ctypes.data, l_ptr, q + 4, b_ptr, q + 8)


    @numba.njit(nogil=True, cache=True)
    def cholesky_update_chunk(Ft, i, a, P, Lf, d, c0, mm):  # pragma: no cover - compiled
        """Finish rows ``i : i + a`` of ``Ft`` on columns ``c0 : c0 + mm``, in place.

        On entry those entries hold ``A[T, chunk]`` (real); on exit
        ``L^{-1} (A[T, chunk] - P @ Ft[:i, chunk])`` with ``P = F[T, :i]`` (a x i,
        C-ordered) and ``Lf`` the Fortran-ordered lower factor of the pivot block,
        and ``d[chunk]`` has lost their squares: one GEMM, one TRSM and one sweep over
        a chunk that is in cache.
        """
        n = Ft.shape[1]
        base = Ft.ctypes.data + (i * n + c0) * 8
        if i > 0:
            gemm_sub_nt(Ft.ctypes.data + c0 * 8, n, P.ctypes.data, i, base, n, mm, a)
        trsm_right_lower_t(Lf.ctypes.data, a, base, n, mm)
        # 1-D views indexed from 0: an index the compiler cannot prove non-negative
        # (c0 + r) keeps the wraparound check and turns the vector loop into
        # gathers and scatters
        dc = d[c0 : c0 + mm]
        for t in range(a):
            fr = Ft[i + t, c0 : c0 + mm]
            for r in range(mm):
                v = fr[r]
                dc[r] -= v * v

    @numba.njit(nogil=True, cache=True)
    def gemm_rowmajor(double, a_ptr, lda, trans_a, b_ptr, ldb, trans_b, c_ptr, ldc, m, n, k, alpha,
                      beta):  # pragma: no cover - compiled
        """``C = alpha A B + beta C`` for row-major ``C`` (m x n, row stride ``ldc``), ``A``
        (m x k, or its transpose stored k x m with ``trans_a``) and ``B`` (k x n, or
        n x k with ``trans_b``), in double precision (``dgemm``) or single
        (``sgemm``): in column-major terms ``C^T = B^T A^T``."""
        # every argument array is made before any address is taken, and read after
        # the call: numba may free an array after its last use, and an array made
        # after that could take its memory
        ch = np.empty(2, np.uint8)
        ints = np.empty(6, np.int32)
        al = np.empty(2, np.float64)
        al32 = np.empty(2, np.float32)
        ch[0] = 84 if trans_b else 78  # 'T' or 'N', for the first operand, B^T
        ch[1] = 84 if trans_a else 78
        ints[0] = n
        ints[1] = m
        ints[2] = k
        ints[3] = ldb
        ints[4] = lda
        ints[5] = ldc
        al[0] = alpha  # alpha and beta in the routine's own precision, by address
        al[1] = beta
        al32[0] = alpha
        al32[1] = beta
        c = ch.ctypes.data
        q = ints.ctypes.data
        if double:
            s = al.ctypes.data
            _dgemm(c, c + 1, q, q + 4, q + 8, s, b_ptr, q + 12, a_ptr, q + 16, s + 8, c_ptr, q + 20)
        else:
            s = al32.ctypes.data
            _sgemm(c, c + 1, q, q + 4, q + 8, s, b_ptr, q + 12, a_ptr, q + 16, s + 4, c_ptr, q + 20)
        return ch[0] + ints[0] + al[0] + al32[0]
