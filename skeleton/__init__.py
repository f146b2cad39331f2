"""skeleton: incoherence, skeleton (CUR) approximation, Fourier smoothing and skeleton
attention as plain matrix routines, with numerical checks of the claims of
Wang et al., "S3Attention: Improving Long Sequence Attention with Smoothed Skeleton
Sketching" (arXiv 2408.08567).

Main entry points
-----------------
incoherence        mu-incoherence and leverage scores (exact or randomized)
skeleton_approx    skeleton / CUR approximation X ~ C U R
matrices           test matrices: low_rank (given mu), coherent, noise, KernelMatrix
sampling           row/column selection rules (uniform, leverage, pivoted QR, DEIM, maxvol)
"""

from . import matrices, sampling
from .cur import SkeletonApprox, default_sample_count, skeleton_approx
from .incoherence import Incoherence, incoherence, leverage_scores

__version__ = "0.1.0"

__all__ = [
    "Incoherence",
    "SkeletonApprox",
    "default_sample_count",
    "incoherence",
    "leverage_scores",
    "matrices",
    "sampling",
    "skeleton_approx",
]
