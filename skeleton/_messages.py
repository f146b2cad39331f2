"""Messages and dtype names shared by the validation code and the backends (which sit
below it)."""

from __future__ import annotations

__all__ = ["nonfinite_message", "numpy_dtype"]

import numpy as np


def nonfinite_message(name, where=None, *, skippable=True):
    """The one message for NaN/inf found in the argument ``name``.

    ``where`` says which entries were read when not all of them were (``"found in the
    entries read"``); ``skippable=False`` for arguments whose check cannot be turned
    off (point sets, say), so that the message does not offer ``check_finite=False``.
    """
    notes = [where] if where else []
    if skippable:
        notes.append("pass check_finite=False to skip this check")
    tail = f" ({'; '.join(notes)})" if notes else ""
    return f"{name} must not contain NaN or infinity{tail}"


def numpy_dtype(dtype):
    """The NumPy dtype of ``dtype``, which may be another Array-API library's dtype
    object (``array_api_strict.float64``, say): matched by its name."""
    try:
        return np.dtype(dtype)
    except TypeError:
        return np.dtype(str(dtype).rpartition(".")[2])
