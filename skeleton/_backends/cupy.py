"""CuPy arrays: cuBLAS/cuSOLVER through ``cupy.linalg``, FFTs through ``cupyx``."""

from __future__ import annotations

import numpy as np

from .base import Backend

__all__ = ["CupyBackend"]


class CupyBackend(Backend):
    """CuPy arrays: cuBLAS/cuSOLVER through ``cupy.linalg``, no host round trips
    except for the small pivot searches (pivoted QR of a sketch)."""

    name = "cupy"

    def __init__(self):
        import array_api_compat.cupy as xp

        super().__init__(xp)

    def dtype(self, dtype):
        return np.dtype(dtype)  # CuPy's dtypes are NumPy's

    def to_numpy(self, a):
        return a.get() if hasattr(a, "get") else np.asarray(a)

    def fft_module(self):
        import cupyx.scipy.fft

        return cupyx.scipy.fft
