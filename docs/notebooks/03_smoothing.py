# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Tutorial 3: the smoothing operator in code
#
# S3Attention (Wang et al., arXiv 2408.08567, eqs. (2)-(4)) smooths the token
# matrix $X\in\mathbb{R}^{n\times d}$ along the sequence before sampling it.
#
# **Convolution in the frequency domain.** With $\mathcal F$ the DFT along the
# sequence axis, circular convolution of column $j$ with a kernel $\ell_j$ is a
# product of spectra:
#
# $$
# (x * \ell)_t = \sum_{u=0}^{n-1} \ell_{(t-u) \bmod n}\, x_u
# \quad\Longleftrightarrow\quad
# \mathcal F(x * \ell) = \mathcal F(x)\odot\mathcal F(\ell).
# $$
#
# The full form $X_{\text{smooth}} = \mathcal F^{-1}[\mathcal F(X)\odot\mathcal
# F(L_0)]$ costs $3d$ FFTs of length $n$ ($d$ for $X$, $d$ for $L_0$, $d$ inverse).
#
# **Segment averaging and the $r + d$ trick.** With $d = s\,r$, the matrix
# $S = I_r\otimes \tfrac1s \mathbf 1_s\mathbf 1_s^\top$ replaces each group of $s$
# consecutive columns by their mean, so $XS$ has only $r$ distinct columns. The
# paper learns the spectrum $L\in\mathbb C^{(\lfloor n/2\rfloor+1)\times d}$
# directly, and computes
#
# $$
# X_{\text{smooth}} = \mathcal F^{-1}\big[\mathcal F(XS)\odot L\big]:
# $$
#
# $r$ forward real FFTs (one per distinct column of $XS$) and $d$ inverse ones
# (column $j$ of the product is $\mathcal F(a_{g(j)})\odot L_{:,j}$, different for
# every $j$): $r + d$ FFTs instead of $3d$.

# %%
import matplotlib.pyplot as plt
import numpy as np
import scipy.fft

from skeleton import incoherence
from skeleton.smoothing import (kaiming_kernel, legt_kernel,
                                moving_average_kernel, segment_average, smooth,
                                smooth_full, to_frequency)

plt.rcParams.update({"figure.figsize": (7, 3.5), "figure.dpi": 100,
                     "font.size": 11, "figure.constrained_layout.use": True})
rng = np.random.default_rng(0)
n, d, r = 512, 64, 8

# %% [markdown]
# ## The fast form equals the explicit one
#
# We build $XS$ explicitly, transform it with `scipy.fft`, multiply by a random
# Kaiming-initialised $L$ (the paper's appendix initialisation) and transform back,
# and compare with `smooth`.

# %%
X = rng.standard_normal((n, d))
L = kaiming_kernel(n, d, rng=1)           # (n//2 + 1) x d, complex
XS = segment_average(X, r, repeat=True)   # n x d, r distinct columns
reference = scipy.fft.irfft(scipy.fft.rfft(XS, axis=0) * L, n, axis=0)
fast = smooth(X, L, r)
print("max |fast - reference| =", np.abs(fast - reference).max())
print("distinct columns of XS:", np.unique(XS.round(12), axis=1).shape[1])

# %% [markdown]
# Counting the transforms: we wrap `scipy.fft.rfft`/`irfft` with counters
# (`smooth` calls them through `scipy.fft`; a 2-D call along axis 0 transforms
# each column, so we count columns).

# %%
def count_transforms(fn):
    """Run fn() with scipy.fft.rfft / irfft counting the columns transformed."""
    counts = {"forward": 0, "inverse": 0}
    originals = {"rfft": scipy.fft.rfft, "irfft": scipy.fft.irfft}

    def wrap(orig, kind):
        def inner(a, *args, **kw):
            a = np.asarray(a)
            axis = kw.get("axis", -1)
            counts[kind] += a.size // a.shape[axis]
            return orig(a, *args, **kw)
        return inner

    try:
        scipy.fft.rfft = wrap(originals["rfft"], "forward")
        scipy.fft.irfft = wrap(originals["irfft"], "inverse")
        fn()
    finally:
        scipy.fft.rfft, scipy.fft.irfft = originals["rfft"], originals["irfft"]
    return counts


L0 = scipy.fft.irfft(L, n, axis=0)    # the time-domain kernel of the full form
print("full form F^-1[F(X) F(L0)]:",
      count_transforms(lambda: smooth_full(X, L0)))
print("smooth, r + d form        :", count_transforms(lambda: smooth(X, L, r)))
print(f"3d = {3 * d}, r + d = {r + d}")

# %% [markdown]
# ## Circular vs linear convolution
#
# Length-$n$ FFTs compute a **circular** convolution: a kernel that looks back in
# time wraps around, so the first rows see the *end* of the sequence. A recurrence
# (a state-space memory such as HiPPO-LegT, the construction behind Proposition 3)
# is a **causal linear** convolution; computing it with FFTs needs zero-padding to
# length $\ge 2n-1$, which `mode="linear"` does.

# %%
x = np.zeros((n, 1))
x[-40:] = 1.0                                   # a step at the very end
K = moving_average_kernel(n, 1, 64)             # causal window of 64
circ = smooth(x, K, 1, domain="time", mode="circular")
lin = smooth(x, K, 1, domain="time", mode="linear")
plt.figure(figsize=(7, 3))
plt.plot(x, label="input")
plt.plot(circ, label="circular (wraps around)")
plt.plot(lin, "--", label="linear (causal)")
plt.xlabel("position $t$ in the sequence")
plt.ylabel("value")
plt.legend()
plt.show()
print("circular output at t = 0..3:", circ[:4, 0].round(3))
print("linear output at t = 0..3:  ", lin[:4, 0])

# %% [markdown]
# The LegT kernel of `legt_kernel` is exactly the impulse response of the
# recurrence $c(t) = A_d c(t-1) + B_d u(t)$, so with `mode="linear"` the smoothed
# row $t$ holds the Legendre coefficients of each segment's recent history. We
# check that against the step-by-step recurrence.

# %%
from skeleton.smoothing import legt_system

s, theta = 4, 32.0
u = rng.standard_normal((n, 1))
Ad, Bd = legt_system(s, theta)
c, states = np.zeros(s), []
for t in range(n):
    c = Ad @ c + Bd.ravel() * u[t, 0]
    states.append(c.copy())
states = np.array(states)
K = legt_kernel(n, s, theta)                              # n x s
lin = smooth(np.repeat(u, s, axis=1), K, 1, domain="time", mode="linear")
circ = smooth(np.repeat(u, s, axis=1), K, 1, domain="time", mode="circular")
print("linear   vs recurrence:", np.abs(lin - states).max())
print("circular vs recurrence:", np.abs(circ - states).max())

# %% [markdown]
# ## What smoothing does to $\mu$
#
# The paper's Table 14 reports that smoothing lowers the incoherence $\mu$ (at
# rank 16 and 32) of trained token matrices by about 30 %. A smoothing step is a
# linear map along the sequence: it mixes neighbouring rows, so a few tokens of
# outsized norm (coherent rows) get spread over their neighbourhood, while an
# already incoherent matrix has nothing to spread. We measure both with an
# *untrained* random kernel (the paper's initialisation), a control that learns
# nothing:

# %%
def mu_pair(X, L, rank):
    """mu at `rank` of X and of X smoothed with the spectrum L."""
    smoothed = np.ascontiguousarray(smooth(X, L, r))
    return incoherence(X, rank).mu, incoherence(smoothed, rank).mu


gaussian_tokens = rng.standard_normal((n, d))
outlier_tokens = rng.standard_normal((n, d))
outlier_tokens[rng.choice(n, 4, replace=False)] *= 10.0
L = kaiming_kernel(n, d, rng=2)
for name, T in [("gaussian tokens", gaussian_tokens),
                ("4 outlier tokens", outlier_tokens)]:
    for rank in (16, 32):
        before, after = mu_pair(T, L, rank)
        print(f"{name:17s} rank {rank}: mu {before:5.2f} -> {after:5.2f} "
              f"(change {100 * (after / before - 1):+.0f} %)")

# %% [markdown]
# Smoothing lowers $\mu$ a lot when the input is coherent and can raise it
# slightly when it is not; an untrained kernel already does this. The
# `table14_smoothing` experiment repeats this over several families and kernels
# and puts the paper's numbers beside it.
#
# **Takeaways.** The smoother is a per-column convolution along the sequence,
# computed with $r$ forward and $d$ inverse FFTs thanks to segment averaging;
# length-$n$ FFTs make it circular, zero-padding makes it the causal convolution
# a recurrence computes; its effect on $\mu$ depends on the input.
