"""Backend for entry oracles: matrices known only through ``entries(rows, cols)``.

An *entry oracle* is any object with ``shape`` (n, d), ``dtype`` and a method
``entries(rows, cols)`` returning the NumPy block ``X[rows][:, cols]`` - a kernel
matrix :math:`k(x_i, y_j)` (:class:`skeleton.KernelMatrix`), attention logits, a
matrix on a remote store.  Skeleton approximation needs only its sampled rows and
columns, so it runs on an oracle touching :math:`O((n + d)k)` entries.

What reads all of ``X`` is refused with a ValueError that names ``X`` (exact SVDs for
leverage/DEIM/maxvol selection, the ``"optimal"`` core, ``mu="estimate"``), since on
an oracle that is exactly the cost the caller is trying to avoid.  The finiteness
check reads only the entries that are used (``C`` and ``R``), not all of ``X``.

Deterministic selection (``sampling="pivoted_qr"``) works on a *sub-sample*: a block
``B = X[S_r, S_c]`` on ``m`` uniformly drawn rows and columns (``m`` a few times the
sample count), whose pivoted QR picks the columns among ``S_c``; the rows are then
chosen from the columns read (:func:`skeleton.selection.select`).  For a smooth kernel on well-spread points the pivots of
such a block are spread like the Fekete / farthest-point sets that make skeletons
accurate, at the cost of ``m^2`` entries (cf. the sub-sampled pivoting of
Chen, Epperly, Tropp & Webber 2023, "Randomly pivoted Cholesky", for the same idea
with random pivots).
"""

from __future__ import annotations

import numpy as np

from .._messages import nonfinite_message
from .numpy import NumpyBackend

__all__ = ["OracleBackend"]

# The sub-sample for pivoted selection: SUBSAMPLE_FACTOR times the sample count, and
# at least SUBSAMPLE_MIN points (capped at the dimension).
SUBSAMPLE_FACTOR = 4
SUBSAMPLE_MIN = 256


def _refuse(what):
    raise ValueError(
        f"X is an entry oracle (it is read through X.entries): {what} reads all of X. "
        "Use sampling='uniform' or 'pivoted_qr' (or explicit rows/cols) with core='truncated' "
        "or 'pinv', or pass X as a dense array"
    )


class OracleBackend(NumpyBackend):
    """Entry oracles; the small factors they produce are NumPy arrays."""

    name = "oracle"
    # all_finite cannot afford to read an oracle, so the check happens in scan_take.
    scan_reads_all = False
    # an oracle has entries, not products with X
    multiplies = False
    densifies = False
    description = "an entry oracle (it is read through X.entries)"

    def entries(self, X, rows, cols, dtype=None, name="X"):
        """``X.entries(rows, cols)`` checked for type, shape and dtype (messages call
        the oracle ``name``)."""
        out = X.entries(rows, cols)
        if not isinstance(out, np.ndarray):
            raise TypeError(
                f"{name}.entries(rows, cols) must return a numpy.ndarray, got "
                f"{type(out).__module__}.{type(out).__name__}"
            )
        want = (len(rows), len(cols))
        if out.shape != want:
            raise ValueError(
                f"{name}.entries(rows, cols) returned shape {out.shape} for {want[0]} rows and {want[1]} "
                f"columns; expected {want}"
            )
        if out.dtype != np.dtype(X.dtype):
            raise TypeError(
                f"{name}.entries(rows, cols) returned dtype {out.dtype}, but {name}.dtype is {np.dtype(X.dtype)}"
            )
        return out if dtype is None or out.dtype == dtype else out.astype(dtype)

    # Every method below is given the oracle X itself: the small factors it returns are
    # NumPy arrays, which their own backend (``backend_for(C)``) computes with.

    def take(self, X, rows=None, cols=None, dtype=None):
        n, d = X.shape
        rows = np.arange(n) if rows is None else np.asarray(rows, dtype=np.intp)
        cols = np.arange(d) if cols is None else np.asarray(cols, dtype=np.intp)
        return self.entries(X, rows, cols, dtype)

    def all_finite(self, X):
        # Checked on the entries actually read (scan_take); see the module docstring.
        return True

    def finite_sum_squares(self, X):
        # an oracle is not read in full: no norm; the routine refuses it later
        return True, None

    def sum_squares(self, X):
        return None

    def max_abs(self, X):
        return None

    def scan_sketch(self, X, Omega):
        _refuse("incoherence")

    def astype(self, a, dtype):
        _refuse("this option (sampling='leverage'/'deim'/'maxvol', core='optimal', mu='estimate', incoherence)")

    def dense(self, X, dtype):
        _refuse("this option (sampling='leverage'/'deim'/'maxvol', core='optimal', mu='estimate', incoherence)")

    def matmat(self, X, M):
        _refuse("a product with X (a sketch, Gaussian probes, core='optimal')")

    def rmatmat(self, X, M):
        _refuse("a product with X (a sketch, Gaussian probes, core='optimal')")

    def row_block(self, X, i0, i1, dtype):
        return self.take(X, np.arange(i0, i1), None, dtype)

    def pivot_source(self, X, size, rng, dtype):
        """The block ``X[S_r, S_c]`` of a uniform sub-sample (module docstring): its
        column pivots choose columns among ``S_c``."""
        n, d = X.shape
        m_r = min(n, max(SUBSAMPLE_FACTOR * size, SUBSAMPLE_MIN))
        m_c = min(d, max(SUBSAMPLE_FACTOR * size, SUBSAMPLE_MIN))
        # uniform without replacement, sorted (skeleton.sampling.uniform_indices)
        S_r = np.sort(rng.choice(n, m_r, replace=False))
        S_c = np.sort(rng.choice(d, m_c, replace=False))
        B = self.entries(X, S_r, S_c, dtype)
        if not np.isfinite(B).all():
            raise ValueError(nonfinite_message("X", "found in the sub-sample read to select rows/columns"))
        return B, S_c
