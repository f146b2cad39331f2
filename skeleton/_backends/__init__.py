"""The one dispatch seam between the routines and the array libraries.

Routines never test the type of their input; they ask :func:`backend_for` for the
:class:`~skeleton._backends.base.Backend` of it and call its methods.  A backend
bundles

* ``xp`` - the array namespace, found as SciPy does with
  :func:`array_api_compat.array_namespace`;
* the reads of X the Array API standard lacks or that a library does better its own
  way: gathering sampled rows/columns, the finiteness scan, sketches, pivoted QR,
  FFTs, moving host data (random sketches, index sets) onto the device;
* its capabilities (``scan_reads_all``, ``multiplies``), checked at the boundary.

Backends are found through a registry of ``(predicate, factory)`` pairs tried in
order.  A factory is named by ``"module:attribute"`` and imported on first use, and
a predicate looks at the type's module name (or at ``sys.modules``), so CuPy, dask
and SciPy's sparse module are imported only when the input is one of theirs, and the
backend modules import nothing of the registry: the seam has no cycle.  Any other
array of the Array API standard gets the protocol's defaults
(:class:`~skeleton._backends.base.Backend` on its namespace).  Adding a backend (a new
array library, an entry oracle) is one :func:`register_backend` call.

Layers, bottom up: :mod:`skeleton._compiled` (numba kernels), :mod:`.base`, the
backend modules, this registry; validation and the routines sit above it.
"""

from __future__ import annotations

import functools
import importlib
import sys

import numpy as np

from .base import EXACT_MAX, Backend, namespace_of

__all__ = ["Backend", "EXACT_MAX", "backend_for", "register_backend", "namespace_of", "is_entry_oracle"]


def is_entry_oracle(X):
    """Whether ``X`` is an entry oracle: an object with ``shape``, ``dtype`` and a
    method ``entries(rows, cols)``, and not an array of a known library."""
    return (
        not isinstance(X, np.ndarray)
        and callable(getattr(type(X), "entries", None))
        and hasattr(X, "shape")
        and hasattr(X, "dtype")
    )


def _load(spec):
    """The backend made by ``spec``: a zero-argument callable or ``"module:attribute"``
    (a module of this package when it starts with a dot)."""
    if callable(spec):
        return spec()
    module, _, attr = spec.partition(":")
    return getattr(importlib.import_module(module, __name__), attr)()


_REGISTRY = []


def register_backend(predicate, factory, *, first=False):
    """Register a backend for the inputs where ``predicate(X)`` is true.

    ``factory`` is a zero-argument callable returning the backend, or the string
    ``"module:attribute"`` naming one (imported on first use).  The backend is made
    once and shared.  ``first=True`` puts it ahead of the built-in ones.
    """
    entry = (predicate, functools.lru_cache(maxsize=None)(functools.partial(_load, factory)))
    if first:
        _REGISTRY.insert(0, entry)
    else:
        _REGISTRY.append(entry)


def _module_is(prefix):
    return lambda X: type(X).__module__.split(".")[0] == prefix


def _is_sparse(X):
    # scipy.sparse is imported by whoever built X, so only look if it is loaded
    sp = sys.modules.get("scipy.sparse")
    return sp is not None and sp.issparse(X)


def _is_linear_operator(X):
    spla = sys.modules.get("scipy.sparse.linalg")
    return spla is not None and isinstance(X, spla.LinearOperator)


register_backend(lambda X: isinstance(X, np.ndarray), ".numpy:NumpyBackend")
register_backend(_module_is("cupy"), ".cupy:CupyBackend")
register_backend(_module_is("dask"), ".dask:DaskBackend")
register_backend(_is_sparse, ".sparse:SparseBackend")
register_backend(_is_linear_operator, ".sparse:OperatorBackend")
register_backend(is_entry_oracle, ".oracle:OracleBackend")


@functools.lru_cache(maxsize=None)
def _array_api_backend(xp):
    return Backend(xp)


def _standard_namespace(X):
    """The Array API namespace of ``X`` when it is a standard array, else None."""
    import array_api_compat

    if not array_api_compat.is_array_api_obj(X) or np.isscalar(X):
        return None
    try:
        return array_api_compat.array_namespace(X)
    except TypeError:
        return None


def backend_for(X, name="X"):
    """The backend that handles ``X``; TypeError naming ``name`` if none does."""
    for predicate, factory in _REGISTRY:
        if predicate(X):
            return factory()
    xp = _standard_namespace(X)
    if xp is not None:
        return _array_api_backend(xp)
    raise TypeError(
        f"{name} of type {type(X).__module__}.{type(X).__name__} is not supported: pass a "
        "NumPy, CuPy or dask array (or another array of the Array API standard), a "
        "scipy.sparse matrix or array, a scipy.sparse.linalg.LinearOperator, or an entry "
        "oracle (an object with shape, dtype and entries(rows, cols))"
    )
