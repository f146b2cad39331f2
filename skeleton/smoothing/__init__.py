"""The Fourier smoothing operator of S3Attention (equations (2)-(4)) and its kernels.

The paper smooths the token matrix ``X`` (n x d) along the sequence axis by a
convolution computed with FFTs, ``X_smooth = F^{-1}[F(X S) . L]``, with the
segment-average matrix S of (4) and a learnable frequency-domain kernel L of shape
(n//2+1, d).  The paper's equations, its appendix code and the authors' repository
differ in how S is laid out; all three versions can be written here:

===================== =================================================================
eq. (3)-(4)           ``smooth(X, L, r, layout="block")`` - column j uses group j // s
appendix ``Smoother`` ``smooth(X, L, r, layout="tile")`` - ``torch.repeat`` tiles the
                      transformed block, column j uses group j mod r
repository (LRA)      ``smooth(X, L, d)`` - no averaging (r = d, s = 1), 2d FFTs
===================== =================================================================

The package holds one idea per module:

* :mod:`~skeleton.smoothing.fourier` - the operator: :func:`smooth`,
  :func:`smooth_full` (the full form (2)), :func:`to_frequency`,
  :func:`linear_fft_length`;
* :mod:`~skeleton.smoothing.segments` - the segment average S: :func:`segment_average`;
* :mod:`~skeleton.smoothing.kaiming` - the learned kernel's initialisation:
  :func:`kaiming_kernel`, :func:`kaiming_variance`;
* :mod:`~skeleton.smoothing.filters` - deterministic filters: :func:`gaussian_kernel`,
  :func:`moving_average_kernel`;
* :mod:`~skeleton.smoothing.legt` - the HiPPO-LegT memory behind Proposition 3:
  :func:`legt_system`, :func:`legt_kernel`.

:func:`conv_stem`, the "CNN + BN + ReLU" stem that follows the smoother in the S3
block, lives in :mod:`skeleton.stem` and is importable from here as well.
"""

from ..stem import conv_stem
from .filters import gaussian_kernel, moving_average_kernel
from .fourier import linear_fft_length, smooth, smooth_full, to_frequency
from .kaiming import kaiming_kernel, kaiming_variance
from .legt import legt_kernel, legt_system
from .segments import segment_average

__all__ = [
    "segment_average",
    "smooth",
    "smooth_full",
    "linear_fft_length",
    "to_frequency",
    "kaiming_kernel",
    "kaiming_variance",
    "gaussian_kernel",
    "moving_average_kernel",
    "legt_system",
    "legt_kernel",
    "conv_stem",
]
