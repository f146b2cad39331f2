"""Argument checking at the public boundary.

Every public routine validates its inputs here, once, and then works on arrays it can
trust.  Messages name the argument, say what was given and what is allowed, so that a
user can fix the call without reading the source.

Conventions (shared by all modules of the package):

* integer and boolean input computes in ``float64``; ``float16`` in ``float32``;
  ``float32``, ``float64``, ``complex64`` and ``complex128`` are preserved;
* NaN or infinity raises ``ValueError`` unless ``check_finite=False`` (as in SciPy);
  finite values that a cast to the computation's narrower dtype overflows raise
  too (:func:`check_cast`);
* a :class:`numpy.matrix` is read as a plain ndarray (a view) and a masked array is
  refused, at the boundary (:func:`check_matrix`), so neither reaches elementwise code;
* the input is never modified;
* random state comes through an ``rng`` argument (SPEC 7): a
  :class:`numpy.random.Generator`, an integer seed, a
  :class:`numpy.random.SeedSequence` or ``None``.
"""

from __future__ import annotations

import numbers

import numpy as np

from ._backends import backend_for
from ._messages import nonfinite_message, numpy_dtype

__all__ = [
    "nonfinite_message",
    "check_rng",
    "result_dtype",
    "check_matrix",
    "check_finite",
    "check_choice",
    "check_bool",
    "check_int",
    "check_nonneg_int",
    "check_count",
    "check_rank",
    "check_rank_rtol",
    "check_indices",
    "check_entry_indices",
    "check_positive",
    "check_cutoff",
    "check_float_dtype",
    "check_vector",
    "check_cast",
    "check_real_matrix",
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
    ``dtype`` may be another Array-API library's dtype (matched by name).
    """
    dtype = numpy_dtype(dtype)
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
        finite = backend_for(X).all_finite(X)
    else:
        finite = xp.all(xp.isfinite(X))
    if not bool(finite):
        raise ValueError(nonfinite_message(name))


_raise_if_nonfinite = check_finite  # for the functions whose check_finite is a flag


def check_matrix(X, name="X", *, ndim=2, allow_empty=False):
    """Check that ``X`` is an array with ``ndim`` dimensions and a numeric dtype.

    Array-likes that are not arrays of a known namespace (lists, tuples) are turned
    into NumPy arrays. Returns ``(X, dtype)`` where ``dtype`` is the floating dtype the
    computation will use (:func:`result_dtype`); ``X`` itself is *not* converted, so a
    memory-mapped or device array is never copied here.

    Two NumPy subclasses are dealt with here, once for every routine: a
    :class:`numpy.matrix` becomes a plain ndarray view (its ``*`` is a matrix product
    and it keeps two dimensions under reductions, so no elementwise code may see it),
    and a masked array is refused (its mask would be silently dropped).
    """
    if isinstance(X, np.matrix):
        X = np.asarray(X)
    elif isinstance(X, np.ma.MaskedArray):
        raise TypeError(
            f"{name} is a masked array; its mask would be ignored. Pass {name}.filled(value) "
            f"or {name}.data explicitly"
        )
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


def check_int(value, name, *, low=None, high=None):
    """Check an integer (a Python or NumPy integer, not a bool) in [low, high].

    Either bound may be None (unbounded).  Returns a Python ``int``.
    """
    value = _as_int(value, name)
    if low is not None and value < low:
        raise ValueError(f"{name} must be at least {low}, got {value}")
    if high is not None and value > high:
        raise ValueError(f"{name} must be at most {high}, got {value}")
    return value


def check_nonneg_int(value, name):
    """Check an integer >= 0 (an iteration count, an oversampling)."""
    value = _as_int(value, name)
    if value < 0:
        raise ValueError(f"{name} must be >= 0, got {value}")
    return value


def check_bool(value, name):
    """Check a flag: ``True``/``False`` or a NumPy bool (a string or 0/1 is refused,
    so that ``causal="no"`` cannot silently mean True)."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {value!r}")
    return bool(value)


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


def check_cutoff(value, name="tol"):
    """Check a relative singular-value cut-off: a real number in ``[0, 1)``.

    TypeError for a bool or a non-real; ValueError for NaN, infinity or a value outside
    ``[0, 1)`` (a cut-off of 1 or more would drop every singular value, a negative one
    none, silently).  Returns a Python ``float``.
    """
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number in [0, 1), got {value!r}")
    value = float(value)
    if not 0.0 <= value < 1.0:  # also NaN
        raise ValueError(
            f"{name} must lie in [0, 1) (a singular-value cut-off relative to the largest), got {value!r}"
        )
    return value


def check_indices(idx, size, name, *, what="rows"):
    """Check an index set: 1-D integers in [0, size), no duplicates, not empty.

    Returns the indices as a NumPy ``intp`` array (order kept).
    """
    arr = host_array(idx)  # (a device array of indices is small: validated on the host)
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


def host_array(a):
    """``a`` as a NumPy array on the host: sequences and NumPy arrays as they are, an
    array of another library through its backend (a device-to-host copy for CuPy)."""
    if isinstance(a, (np.ndarray, list, tuple, numbers.Number)):
        return np.asarray(a)
    try:
        backend = backend_for(a)
    except TypeError:
        return np.asarray(a)  # (a sequence-like object: NumPy's rules and messages)
    return np.asarray(backend.to_numpy(a))


def check_entry_indices(idx, size, name):
    """Check the indices of an ``entries(rows, cols)`` request: 1-D integers in
    ``[0, size)``, in any order, repeats allowed, possibly empty.

    ValueError for another shape or an index out of range, TypeError for non-integers
    (a boolean mask included).  A CuPy array is read on the host.  Returns the
    indices as a NumPy ``intp`` array.
    """
    arr = host_array(idx)  # (a device array of indices is small: validated on the host)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be a 1-D sequence of indices, got shape {arr.shape}")
    if arr.size and arr.dtype.kind not in "iu":
        raise TypeError(f"{name} must hold integer indices, got dtype {arr.dtype}")
    arr = arr.astype(np.intp, copy=False)
    if arr.size and (arr.min() < 0 or arr.max() >= size):
        raise ValueError(f"{name} holds an index out of range for {size} (allowed 0..{size - 1})")
    return arr


def check_float_dtype(dtype, allowed, name="dtype"):
    """``np.dtype(dtype)`` if it is one of ``allowed`` (e.g. float32 and float64), else
    TypeError naming ``name`` (an integer dtype would silently round the values)."""
    try:
        dt = np.dtype(dtype)
    except TypeError as exc:
        raise TypeError(f"{name} must be a NumPy dtype, got {dtype!r}") from exc
    allowed = tuple(np.dtype(a) for a in allowed)
    if dt not in allowed:
        raise TypeError(f"{name} must be one of {', '.join(str(a) for a in allowed)}, got {dt}")
    return dt


def check_vector(v, name, *, size=None, backend=None, dtype=None, check_finite=True):
    """Validate a real 1-D array argument (a bias, an affine weight, a mask).

    Parameters
    ----------
    v : array_like
        The argument; lists, tuples and host arrays are accepted.
    name : str
        Its name, for the messages.
    size : int, optional
        Required length.
    backend : Backend, optional
        The array library of the computation; ``v`` is moved onto it (a device copy
        of host data; nothing is copied for an array already there).
    dtype : dtype, optional
        Working dtype of the result (default: :func:`result_dtype` of ``v``).
    check_finite : bool, default True
        Raise ValueError on NaN/inf, and on finite values that the cast to ``dtype``
        overflows (:func:`check_cast`).

    Returns
    -------
    array
        ``v`` on ``backend`` (if given) in ``dtype``.
    """
    if isinstance(v, np.matrix) or not hasattr(v, "shape") or not hasattr(v, "dtype"):
        try:
            v = np.asarray(v)
        except Exception as exc:  # pragma: no cover - depends on the object
            raise TypeError(f"{name} must be a 1-D array, got {type(v).__name__}") from exc
    elif isinstance(v, np.ma.MaskedArray):
        raise TypeError(f"{name} is a masked array; pass {name}.filled(value) explicitly")
    shape = tuple(v.shape)
    if len(shape) != 1 or (size is not None and shape[0] != size):
        want = f"({size},)" if size is not None else "(k,)"
        raise ValueError(f"{name} must have shape {want}, got {shape}")
    work = result_dtype(v.dtype, name)
    if work.kind == "c":
        raise TypeError(f"{name} must be real, got dtype {v.dtype}")
    if backend is not None:
        v = backend.asarray(v)
    target = np.dtype(work if dtype is None else dtype)
    if backend is None:
        backend = backend_for(v, name)
    return check_cast(v, target, name, backend, check_finite)


def check_cast(A, dtype, name, backend, check=True):
    """``A`` (an array of ``backend``) in ``dtype``, with the finiteness check.

    When ``check``: raise ValueError naming ``name`` if ``A`` holds NaN/inf, and also
    if the cast to a narrower floating dtype (float64 data for a float32 computation)
    turns finite entries into infinities.  Reads ``A`` once: where the cast narrows,
    the scan runs on the cast array, and ``A`` itself is read again only to word the
    error.
    """
    dtype = numpy_dtype(dtype)
    src = numpy_dtype(A.dtype)
    narrowing = src.kind in "fc" and dtype.kind in "fc" and dtype.itemsize < src.itemsize
    if not narrowing:
        if check:
            _raise_if_nonfinite(A, name)
        return backend.astype(A, dtype)
    with np.errstate(over="ignore"):  # an overflow is reported below, naming the argument
        B = backend.astype(A, dtype)
    if check and not bool(backend.all_finite(B)):
        _raise_if_nonfinite(A, name)
        raise ValueError(
            f"{name} holds values beyond the range of {dtype} (the dtype the computation "
            f"runs in, from the other inputs); rescale {name} or pass higher-precision inputs"
        )
    return B


def check_real_matrix(X, name, check, *, dtype=None, backend=None):
    """Validate a real 2-D array argument of the smoothing and attention routines.

    Returns ``(X, dtype, backend)``: ``X`` in its working float dtype (``check_matrix``'s
    rules) or in ``dtype`` when given, that dtype, and the backend (``X``'s own, or
    ``backend`` when given: ``X`` is moved onto it).  Raises TypeError for complex
    input and, when ``check`` is true, ValueError for NaN/inf and for values the cast
    to ``dtype`` overflows (reads all of ``X`` once).
    """
    X, work = check_matrix(X, name)
    if work.kind == "c":
        raise TypeError(f"{name} must be real, got dtype {X.dtype}")
    if backend is None:
        backend = backend_for(X, name)
    else:
        backend_for(X, name)  # a TypeError naming the argument for an unsupported type
        X = backend.asarray(X)
    target = work if dtype is None else np.dtype(dtype)
    return check_cast(X, target, name, backend, check), target, backend
