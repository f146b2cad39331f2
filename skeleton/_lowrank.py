"""Entries of a factored approximation ``left @ right^H``, read without forming it.

The results of the pivoting routines (:class:`skeleton.PivotedCholesky`,
:class:`skeleton.CrossApproximation`) store their approximation as two factors;
:class:`FactoredEntries` gives both the same ``entries(rows, cols)`` and
``to_array()``, so that a result is itself an entry oracle.
"""

from __future__ import annotations

import numpy as np

from ._validation import check_entry_indices

__all__ = ["FactoredEntries"]


class FactoredEntries:
    """Mixin for a result approximating ``X`` by ``left @ right^H``; subclasses define
    ``_factors()`` returning ``(left, right)``."""

    __slots__ = ()

    @property
    def rank(self):
        """The number of pivots ``k`` (columns of the factors)."""
        return int(self._factors()[0].shape[1])

    @property
    def shape(self):
        """``(n, d)`` of the approximated matrix."""
        left, right = self._factors()
        return (left.shape[0], right.shape[0])

    def entries(self, rows, cols):
        r"""Entries ``(left @ right^H)[rows][:, cols]`` of the approximation, not formed.

        ``len(rows) * len(cols) * k`` multiply-adds: ``left[rows] @ right[cols]^H``
        (:math:`F F^H` for :class:`~skeleton.PivotedCholesky`, :math:`U V^H` for
        :class:`~skeleton.CrossApproximation`), the stable evaluation of the
        skeleton on those entries.

        Parameters
        ----------
        rows, cols : 1-D array_like of int
            Row indices in ``[0, n)`` and column indices in ``[0, d)``.

        Returns
        -------
        ndarray, shape (len(rows), len(cols))
            The approximation's entries, of the factors' dtype.

        Examples
        --------
        >>> import numpy as np
        >>> from skeleton import aca, rpcholesky
        >>> X = np.outer([1.0, 2.0, 3.0], [1.0, -1.0])      # rank 1
        >>> aca(X, 1, rng=0).entries([2], [0, 1]).tolist()
        [[3.0, -3.0]]
        >>> A = np.array([[2.0, 1.0, 0.0], [1.0, 2.0, 1.0], [0.0, 1.0, 2.0]])
        >>> rpcholesky(A, 3, rng=0).entries([0, 2], [1]).round(12).tolist()
        [[1.0], [1.0]]
        """
        left, right = self._factors()
        rows = check_entry_indices(rows, left.shape[0], "rows")
        cols = check_entry_indices(cols, right.shape[0], "cols")
        return left[rows] @ right[cols].conj().T

    def to_array(self):
        r"""The dense approximation ``left @ right^H`` (small cases and tests).

        Returns
        -------
        ndarray, shape (n, d)
            :math:`F F^H` or :math:`U V^H`.

        Examples
        --------
        >>> import numpy as np
        >>> from skeleton import aca, rpcholesky
        >>> aca(np.outer([1.0, 2.0], [3.0, 4.0, 5.0]), 1, rng=0).to_array().tolist()
        [[3.0, 4.0, 5.0], [6.0, 8.0, 10.0]]
        >>> A = np.outer([1.0, 2.0, 3.0], [1.0, 2.0, 3.0])   # PSD, rank 1
        >>> rpcholesky(A, 2, rng=0).to_array().round(12).tolist()
        [[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [3.0, 6.0, 9.0]]
        """
        left, right = self._factors()
        return left @ right.conj().T
