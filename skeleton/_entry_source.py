"""Read a matrix by its entries, counting them: the access layer of the pivoting engines.

:func:`skeleton.rpcholesky` and :func:`skeleton.aca` read only the entries they use - a
few rows, columns and small blocks - of a NumPy array or an *entry oracle* (an object
with ``shape``, ``dtype`` and ``entries(rows, cols)``; see :mod:`skeleton._backends.oracle`).
:class:`EntrySource` gives both one interface over either kind, validates what an
oracle returns, converts to the working dtype and counts every entry evaluated, so that
the cost reported on a result is what was actually read.
"""

from __future__ import annotations

import numpy as np

from ._backends import is_entry_oracle
from ._backends.oracle import OracleBackend
from ._validation import check_matrix, result_dtype

__all__ = ["EntrySource", "DIAGONAL_BLOCK"]

# An oracle without diagonal() gives its diagonal through entries() on diagonal blocks
# of this size: DIAGONAL_BLOCK * n evaluations for n wanted, in n / DIAGONAL_BLOCK
# calls (single entries would take n calls, each with the oracle's overhead).
DIAGONAL_BLOCK = 32


class EntrySource:
    """A NumPy array or entry oracle ``A``, read through counted blocks.

    ``dtype`` is the working dtype (:func:`skeleton._validation.result_dtype`); every
    block comes back as a NumPy array of it.  ``n_entries`` counts the entries read.
    """

    def __init__(self, A, name="A"):
        self.name = name
        if is_entry_oracle(A):
            shape = tuple(A.shape)
            if len(shape) != 2 or any(not isinstance(s, (int, np.integer)) or s < 1 for s in shape):
                raise ValueError(f"{name} must be a non-empty 2-D entry oracle, got shape {A.shape!r}")
            self.oracle = True
            self.dtype = result_dtype(A.dtype, name)
            self._backend = OracleBackend()
        else:
            A, self.dtype = check_matrix(A, name)
            if not isinstance(A, np.ndarray):
                A = np.asarray(A)
            self.oracle = False
        self.A = A
        self.shape = (int(A.shape[0]), int(A.shape[1]))
        self.n_entries = 0

    def block(self, rows, cols):
        """``A[rows][:, cols]`` as a new array of the working dtype."""
        rows = np.asarray(rows, dtype=np.intp)
        cols = np.asarray(cols, dtype=np.intp)
        self.n_entries += rows.size * cols.size
        if self.oracle:
            return self._backend.entries(self.A, rows, cols, self.dtype, self.name)
        return np.asarray(self.A[np.ix_(rows, cols)], dtype=self.dtype)

    def row(self, i):
        """Row ``A[i, :]`` (length d)."""
        if self.oracle:
            return self.block([i], np.arange(self.shape[1]))[0]
        self.n_entries += self.shape[1]
        return np.asarray(self.A[i, :], dtype=self.dtype)

    def col(self, j):
        """Column ``A[:, j]`` (length n)."""
        if self.oracle:
            return self.block(np.arange(self.shape[0]), [j])[:, 0]
        self.n_entries += self.shape[0]
        return np.asarray(self.A[:, j], dtype=self.dtype)

    def rows_conj_into(self, rows, c0, c1, out):
        """``out[...] = conj(A[rows, c0:c1])`` - for a Hermitian ``A`` the transpose of
        the column block ``A[c0:c1, rows]`` - into the C-contiguous ``out``."""
        self.n_entries += len(rows) * (c1 - c0)
        A = self.A
        if not self.oracle and np.isfortran(A):
            # the column block itself (contiguous memory); no conjugate needed
            np.copyto(out, A[c0:c1, rows].T, casting="unsafe")
            return out
        if not self.oracle:
            np.copyto(out, A[rows, c0:c1], casting="unsafe")
        elif _writes_into(A) and np.dtype(A.dtype) == self.dtype:
            A.entries(rows, np.arange(c0, c1), out=out)
        else:
            out[...] = self._backend.entries(A, rows, np.arange(c0, c1), self.dtype, self.name)
        if out.dtype.kind == "c":
            np.conjugate(out, out=out)
        return out

    def diagonal(self):
        """The diagonal of the square ``A`` (length n), of the working dtype.

        Arrays: ``numpy.diagonal``.  Oracles: their ``diagonal()`` if they have one
        (n entries counted), else ``entries`` on diagonal blocks of
        :data:`DIAGONAL_BLOCK` (about ``DIAGONAL_BLOCK * n`` entries counted).
        """
        n = self.shape[0]
        if not self.oracle:
            self.n_entries += n
            return np.array(np.diagonal(self.A), dtype=self.dtype)
        get = getattr(self.A, "diagonal", None)
        if callable(get):
            diag = get()
            if not isinstance(diag, np.ndarray) or diag.shape != (n,):
                raise ValueError(
                    f"{self.name}.diagonal() must return a numpy.ndarray of shape ({n},), got "
                    f"{getattr(diag, 'shape', type(diag).__name__)}"
                )
            self.n_entries += n
            return np.array(diag, dtype=self.dtype)
        diag = np.empty(n, dtype=self.dtype)
        for i0 in range(0, n, DIAGONAL_BLOCK):
            idx = np.arange(i0, min(n, i0 + DIAGONAL_BLOCK))
            diag[idx] = np.diagonal(self.block(idx, idx))
        return diag


def _writes_into(A):
    """Whether the oracle's ``entries`` takes an ``out`` buffer (KernelMatrix does)."""
    from .kernel_matrix import KernelMatrix

    return isinstance(A, KernelMatrix)
