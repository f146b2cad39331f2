"""Argument checking at the public boundary.

Every public routine validates its inputs here, once, and then works on arrays it can
trust.  Messages name the argument, say what was given and what is allowed, so that a
user can fix the call without reading the source.

Conventions (shared by all modules of the package):

* integer and boolean input computes in ``float64``; ``float16`` in ``float32``;
  ``float32``, ``float64``, ``complex64`` and ``complex128`` are preserved;
* NaN or infinity raises ``ValueError`` unless ``check_finite=False`` (as in SciPy);
* the input is never modified;
* random state comes through an ``rng`` argument (SPEC 7): a
  :class:`numpy.random.Generator`, an integer seed, a
  :class:`numpy.random.SeedSequence` or ``None``.
"""

from __future__ import annotations

import numbers

import numpy as np

__all__ = [
    "check_rng",
    "result_dtype",
    "check_matrix",
    "check_finite",
    "check_choice",
    "check_nonneg_int",
    "check_count",
    "check_rank",
    "check_rank_rtol",
    "check_indices",
    "check_positive",
]


def check_rng(rng, name="rng"):
    """Return a :class:`numpy.random.Generator` from ``rng`` (SPEC 7).

    Accepts a Generator (returned as is, so the caller's stream advances), an integer
    seed, a :class:`numpy.random.SeedSequence`, or ``None`` (fresh OS entropy).
    """
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is None or isinstance(rng, (numbers.Integral, np.random.SeedSequence)):
        if isinstance(rng, numbers.Integral) and not isinstance(rng, bool) and rng < 0:
            raise ValueError(f"{name} must be a non-negative integer seed, got {rng}")
        if isinstance(rng, bool):
            raise TypeError(f"{name} must be a numpy.random.Generator, an int seed or None, got a bool")
        return np.random.default_rng(rng)
    raise TypeError(
        f"{name} must be a numpy.random.Generator, an int seed, a SeedSequence or None, "
        f"got {type(rng).__name__}"
    )


def result_dtype(dtype, name="X"):
    """The floating dtype a computation on an array of ``dtype`` runs in.

    bool and integers map to float64, float16 to float32; float32/64 and
    complex64/128 are kept. Anything else (object, strings, ...) raises TypeError.
    """
    dtype = np.dtype(dtype)
    if dtype.kind in "biu":
        return np.dtype(np.float64)
    if dtype == np.float16:
        return np.dtype(np.float32)
    if dtype.kind in "fc" and dtype.itemsize <= 16 and dtype != np.longdouble:
        return dtype
    if dtype.kind == "c" and dtype == np.clongdouble:
        raise TypeError(f"{name} has dtype {dtype}; extended precision is not supported")
    raise TypeError(
        f"{name} must have a numeric dtype (bool, integer, float or complex), got {dtype}"
    )


def check_finite(X, name="X", xp=None):
    """Raise ValueError if the array ``X`` holds NaN or infinity."""
    if xp is None:
        from ._backend import backend_for

        if not bool(backend_for(X).all_finite(X)):
            raise ValueError(f"{name} must not contain NaN or infinity (pass check_finite=False to skip this check)")
        return
    if not bool(xp.all(xp.isfinite(X))):
        raise ValueError(f"{name} must not contain NaN or infinity (pass check_finite=False to skip this check)")


def check_matrix(X, name="X", *, ndim=2, allow_empty=False):
    """Check that ``X`` is an array with ``ndim`` dimensions and a numeric dtype.

    Array-likes that are not arrays of a known namespace (lists, tuples) are turned
    into NumPy arrays. Returns ``(X, dtype)`` where ``dtype`` is the floating dtype the
    computation will use (:func:`result_dtype`); ``X`` itself is *not* converted, so a
    memory-mapped or device array is never copied here.
    """
    if not hasattr(X, "shape") or not hasattr(X, "dtype"):
        try:
            X = np.asarray(X)
        except Exception as exc:  # pragma: no cover - depends on the object
            raise TypeError(f"{name} must be an array, got {type(X).__name__}") from exc
    shape = tuple(X.shape)
    if len(shape) != ndim:
        raise ValueError(f"{name} must be {ndim}-D, got an array of shape {shape}")
    if not allow_empty and any(s == 0 for s in shape):
        raise ValueError(f"{name} must not be empty, got shape {shape}")
    if any(s is None or (isinstance(s, float) and np.isnan(s)) for s in shape):
        raise ValueError(
            f"{name} has unknown size along some axis (shape {shape}); for a dask array "
            "call X.compute_chunk_sizes() first"
        )
    dtype = result_dtype(X.dtype, name)
    return X, dtype


def check_choice(value, allowed, name):
    """Raise ValueError unless ``value`` is one of ``allowed``."""
    if not isinstance(value, str) or value not in allowed:
        opts = ", ".join(repr(a) for a in allowed)
        raise ValueError(f"{name} must be one of {opts}; got {value!r}")
    return value


def _as_int(value, name):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {value!r}")
    return int(value)


def check_nonneg_int(value, name):
    """Check an integer >= 0 (an iteration count, an oversampling)."""
    value = _as_int(value, name)
    if value < 0:
        raise ValueError(f"{name} must be >= 0, got {value}")
    return value


def check_count(k, size, name, *, what="rows"):
    """Check a sample count 1 <= k <= size."""
    k = _as_int(k, name)
    if k < 1:
        raise ValueError(f"{name} must be at least 1, got {k}")
    if k > size:
        raise ValueError(f"{name}={k} asks for more {what} than exist ({size})")
    return k


def check_rank(rank, n, d, name="rank"):
    """Check a target rank 1 <= rank <= min(n, d)."""
    rank = _as_int(rank, name)
    if not 1 <= rank <= min(n, d):
        raise ValueError(f"{name} must lie in [1, min(n, d)] = [1, {min(n, d)}], got {rank}")
    return rank


def check_rank_rtol(rank, rtol, n, d):
    """Check a rank cap and/or a relative tolerance, at least one given.

    ``rank`` in ``[1, min(n, d)]`` (or None), ``rtol`` a real in ``(0, 1)`` (or None).
    Returns ``(rank, rtol)`` as ``int``/``float`` (or None).
    """
    if rank is None and rtol is None:
        raise ValueError("give rank, rtol or both (rank=None and rtol=None)")
    if rank is not None:
        rank = check_rank(rank, n, d, "rank")
    if rtol is not None:
        if isinstance(rtol, bool) or not isinstance(rtol, numbers.Real):
            raise TypeError(f"rtol must be a real number, got {rtol!r}")
        if not 0 < rtol < 1:
            raise ValueError(f"rtol must lie in (0, 1), got {rtol!r}")
        rtol = float(rtol)
    return rank, rtol


def check_positive(value, name, *, allow_zero=False):
    """Check a real scalar > 0 (or >= 0)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not np.isfinite(value):
        raise TypeError(f"{name} must be a finite real number, got {value!r}")
    if value < 0 or (value == 0 and not allow_zero):
        bound = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"{name} must be {bound}, got {value}")
    return float(value)


def check_indices(idx, size, name, *, what="rows"):
    """Check an index set: 1-D integers in [0, size), no duplicates, not empty.

    Returns the indices as a NumPy ``intp`` array (order kept).
    """
    if hasattr(idx, "get") and not isinstance(idx, (np.ndarray, list, tuple)):
        idx = idx.get()  # CuPy array: indices are small, validate on the host
    arr = np.asarray(idx)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be a 1-D sequence of indices, got shape {arr.shape}")
    if arr.size == 0:
        raise ValueError(f"{name} must not be empty")
    if arr.dtype.kind == "b":
        raise TypeError(f"{name} must hold integer indices, not a boolean mask")
    if arr.dtype.kind not in "iu":
        if arr.dtype.kind == "f" and np.all(arr == np.round(arr)):
            raise TypeError(f"{name} must hold integers, got dtype {arr.dtype}")
        raise TypeError(f"{name} must hold integer indices, got dtype {arr.dtype}")
    bad = (arr < 0) | (arr >= size)
    if bad.any():
        raise ValueError(
            f"{name} holds index {arr[bad][0]} out of range for {size} {what} "
            f"(allowed 0..{size - 1})"
        )
    uniq, counts = np.unique(arr, return_counts=True)
    if uniq.size != arr.size:
        raise ValueError(f"{name} holds duplicate index {uniq[counts > 1][0]}")
    return arr.astype(np.intp, copy=False)


def check_real_matrix(X, name, check):
    """Validate a real 2-D array argument of the smoothing and attention routines.

    Returns ``(X, dtype, backend)``: ``X`` in its working float dtype (``check_matrix``'s
    rules), that dtype, and the array's backend.  Raises TypeError for complex input and,
    when ``check`` is true, ValueError for NaN/inf (reads all of ``X``).
    """
    from ._backend import backend_for  # the backend module sits above validation

    X, dtype = check_matrix(X, name)
    if dtype.kind == "c":
        raise TypeError(f"{name} must be real, got dtype {X.dtype}")
    backend = backend_for(X, name)
    if check:
        check_finite(X, name)
    return backend.astype(X, dtype), dtype, backend
