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
smoothing          the Fourier smoothing operator X_smooth = irfft(rfft(X S) L) and kernels
attention          softmax and skeleton attention as matrix routines
s3                 the S3 block: smoother -> convolution stem -> multi-head skeleton attention
stem               the convolution stem of the S3 block
nystrom            Nystromformer attention (the baseline)
KernelMatrix       an implicit kernel matrix k(x_i, y_j), read through its entries
rpcholesky         randomly pivoted Cholesky: Nystrom approximation of a PSD matrix
aca                adaptive cross approximation of a general matrix from its entries
"""

from . import attention, matrices, nystrom, s3, sampling, smoothing, stem
from .aca import CrossApproximation, aca
from .cur import ErrorEstimate, SkeletonApprox, default_sample_count, skeleton_approx
from .incoherence import Incoherence, incoherence, leverage_scores
from .rpcholesky import PivotedCholesky, rpcholesky

__version__ = "0.1.0"

__all__ = [
    "CrossApproximation",
    "ErrorEstimate",
    "Incoherence",
    "KernelMatrix",
    "PivotedCholesky",
    "SkeletonApprox",
    "aca",
    "default_sample_count",
    "incoherence",
    "leverage_scores",
    "rpcholesky",
    "matrices",
    "attention",
    "nystrom",
    "s3",
    "sampling",
    "smoothing",
    "stem",
    "skeleton_approx",
]


def __getattr__(name):
    # KernelMatrix is loaded on first use (its module pulls in the oracle machinery).
    if name == "KernelMatrix":
        return matrices.KernelMatrix
    raise AttributeError(f"module 'skeleton' has no attribute {name!r}")
