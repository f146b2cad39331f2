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
# # Tutorial 1: measuring incoherence
#
# Skeleton (CUR) approximation rebuilds a matrix from a few of its rows and columns.
# Whether a *random* handful of rows is enough depends on how the matrix's
# information is spread over its rows. The number that measures this is the
# **coherence** $\mu$ (Candès & Recht 2009; Definition 1 of Wang et al.,
# arXiv 2408.08567).
#
# Let $X\in\mathbb{R}^{n\times d}$ have rank $r$ and compact SVD
# $X = W\Sigma V^\top$ with $W\in\mathbb{R}^{n\times r}$, $V\in\mathbb{R}^{d\times r}$.
# The **leverage score** of row $i$ is $\ell_i = \|e_i^\top W\|_2^2$, the squared
# length of row $i$ of $W$; the leverage scores sum to $r$. $X$ is
# $\mu$-incoherent when
#
# $$
# \max_i \|e_i^\top W\|_2 \le \sqrt{\frac{\mu r}{n}}, \qquad
# \max_j \|e_j^\top V\|_2 \le \sqrt{\frac{\mu r}{d}},
# $$
#
# so the smallest such constant is
#
# $$
# \mu = \max\Big(\frac{n}{r}\max_i \ell_i^{\text{row}},\;
#                \frac{d}{r}\max_j \ell_j^{\text{col}}\Big),
# \qquad 1 \le \mu \le \frac{\max(n,d)}{r}.
# $$
#
# $\mu = 1$ means every row carries the same share $r/n$ of the row space;
# $\mu = n/r$ means some row carries a whole dimension of it on its own, and a
# sampler that misses that row cannot recover the matrix.

# %%
import warnings

import matplotlib.pyplot as plt
import numpy as np

from skeleton import incoherence
from skeleton.matrices import coherent, low_rank

plt.rcParams.update({"figure.figsize": (7, 3.5), "figure.dpi": 100,
                     "font.size": 11, "figure.constrained_layout.use": True})
rng = np.random.default_rng(0)

# %% [markdown]
# ## Computing $\mu$
#
# `skeleton.incoherence` returns a frozen dataclass with `mu`, `mu_rows`,
# `mu_cols`, the leverage scores and the singular values. We check it against the
# definition computed directly from `numpy.linalg.svd`.

# %%
X = low_rank(300, 200, 5, mu=4.0, rng=rng)       # a rank-5 matrix with mu = 4
inc = incoherence(X)
W, s, Vt = np.linalg.svd(X, full_matrices=False)
r = inc.rank
mu_by_hand = max(300 / r * (W[:, :r] ** 2).sum(1).max(),
                 200 / r * (Vt[:r].T ** 2).sum(1).max())
print(f"rank {inc.rank}, mu = {inc.mu:.4f}, by hand {mu_by_hand:.4f}")
print(f"sum of row leverage scores = {inc.row_leverage.sum():.6f} (= r)")

# %% [markdown]
# Three matrices of rank 5 and their row leverage scores: an incoherent one
# ($\mu\approx 1$), one with $\mu = 20$ requested, and the "spiky" matrix whose
# row space lives on 5 rows ($\mu = n/r$, the maximum).

# %%
mats = {
    "low_rank(mu=1.1)": low_rank(300, 200, 5, mu=1.1, rng=1),
    "low_rank(mu=20)": low_rank(300, 200, 5, mu=20.0, rng=2),
    "coherent": coherent(300, 200, 5, rng=3),
}
fig, axes = plt.subplots(3, 1, figsize=(7, 6.5), sharex=True)
for ax, (name, M) in zip(axes, mats.items()):
    inc = incoherence(M, 5)
    ax.plot(inc.row_leverage, ".", ms=4)
    ax.axhline(5 / 300, color="C1", ls="--", label="$r/n$ (perfectly spread)")
    ax.set_title(f"{name}: $\\mu$ = {inc.mu:.1f}", loc="left")
    ax.set_ylabel(r"leverage $\ell_i$")
axes[-1].set_xlabel("row $i$")
axes[-1].legend(loc="center right")
plt.show()

# %% [markdown]
# ## Smooth is not the same as incoherent
#
# It is tempting to think a "smooth" matrix is easy to sample. It is not: $\mu$
# measures how *evenly* the row space is spread, not how slowly entries change.
#
# * A **smooth but coherent** matrix: every column is a narrow Gaussian bump in
#   time (smooth in $t$), centred at a few positions. All the energy sits on a few
#   dozen rows, so $\mu$ is large.
# * A **rough but incoherent** matrix: random $\pm 1$ entries (as rough as a
#   sequence can be). Every row carries about the same energy, so $\mu$ is near 1.

# %%
n, d = 400, 60
t = np.arange(n)[:, None]
centres = rng.choice(n, 3, replace=False)
bumps = np.exp(-((t - centres) ** 2) / (2 * 4.0**2))   # n x 3, smooth in t
smooth_coherent = bumps @ rng.standard_normal((3, d))
signs = [-1.0, 1.0]
rough_incoherent = rng.choice(signs, (n, 3)) @ rng.choice(signs, (3, d))

# roughness: mean |x_t - x_(t-1)| / mean |x|
for name, M in [("smooth, coherent", smooth_coherent),
                ("rough, incoherent", rough_incoherent)]:
    tv = np.abs(np.diff(M, axis=0)).mean() / np.abs(M).mean()
    print(f"{name:18s} roughness {tv:5.2f}   "
          f"mu = {incoherence(M, 3).mu:6.2f}  (max {n / 3:.0f})")

# %% [markdown]
# The smooth matrix changes little from one row to the next but has a large $\mu$;
# the rough one has $\mu$ close to 1. This is why the S3Attention paper needs an
# argument of its own (Appendix E, Table 14) that its smoothing step lowers $\mu$:
# smoothing does not do it by definition. The experiment `table14_smoothing` and
# the notebook on the smoothing operator measure it.

# %% [markdown]
# ## Estimating $\mu$ for a big matrix
#
# The exact route is a thin SVD, $O(nd\min(n,d))$ work and all of $X$ in memory.
# `method="randomized"` finds the top-$r$ subspaces with a randomized range finder
# (Halko, Martinsson & Tropp 2011): $Y = (XX^\top)^q X\Omega$ for a Gaussian
# $\Omega$ with $r + p$ columns, then an SVD of the small projected matrix. It only
# needs products with $X$ and $X^\top$, so it accepts sparse matrices and
# `scipy.sparse.linalg.LinearOperator`s. The power iterations $q$ make the error
# depend on $(\sigma_{r+1}/\sigma_r)^{2q+1}$: with a clear spectral gap the estimate
# is as good as exact; without one, the subspace (and so $\mu$) is not determined
# and the routine warns.

# %%
import time

from scipy.sparse.linalg import aslinearoperator

big = low_rank(2000, 500, 10, mu=3.0, rng=4)
big += 1e-6 * rng.standard_normal(big.shape)
t0 = time.perf_counter()
exact = incoherence(big, 10)
t_exact = time.perf_counter() - t0
t0 = time.perf_counter()
approx = incoherence(aslinearoperator(big), 10, method="randomized", rng=0)
t_rand = time.perf_counter() - t0
print(f"exact      mu = {exact.mu:.5f}  ({t_exact:.2f} s)")
print(f"randomized mu = {approx.mu:.5f}  ({t_rand:.2f} s)")
print(f"spectral gap sigma_r/sigma_r+1 = {exact.gap:.1e}")

# %% [markdown]
# Without a gap the randomized estimate is not trustworthy, and the routine says so:

# %%
import textwrap

flat = rng.standard_normal((1000, 200))       # no spectral gap at rank 10
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    incoherence(flat, 10, method="randomized", rng=0)
for w in caught:
    print(f"{w.category.__name__}:")
    print(textwrap.indent(textwrap.fill(str(w.message), 78), "  "))

# %% [markdown]
# **Takeaways.** $\mu$ is a property of the singular subspaces (the leverage
# scores), between 1 and $\max(n,d)/r$; smoothness does not imply a small $\mu$;
# for large matrices estimate $\mu$ with a randomized range finder, and only where
# the spectrum has a gap at the rank you ask for.
