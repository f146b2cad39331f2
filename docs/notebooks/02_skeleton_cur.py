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
# # Tutorial 2: a skeleton approximation, step by step
#
# Pick row indices $I$ and column indices $J$ of $X\in\mathbb{R}^{n\times d}$ and
# form $C = X_{:,J}$ ($n\times k_c$), $R = X_{I,:}$ ($k_r\times d$) and the
# intersection $X_{I,J}$. The **skeleton approximation** is
#
# $$
# \hat X = C\,U\,R, \qquad U = X_{I,J}^{+}.
# $$
#
# **Exact recovery.** If $\operatorname{rank} X_{I,J} = \operatorname{rank} X = r$
# then $C X_{I,J}^{+} R = X$ exactly. (Write $X = AB$ with $A$ of full column rank
# $r$, $B$ of full row rank $r$; then $X_{I,J} = A_I B_J$ with $A_I$, $B_J$ of rank
# $r$, so $X_{I,J}^+ = B_J^+ A_I^+$ and $C X_{I,J}^+ R = A B_J B_J^+ A_I^+ A_I B = AB$.)
# Chiu & Demanet (2013, Thm. 1.1) show that $O(\mu r\log n)$ uniformly sampled rows
# and columns give a full-rank intersection with high probability; that is step (i)
# of the proof of Proposition 1 in Wang et al. (arXiv 2408.08567).

# %%
import warnings

import matplotlib.pyplot as plt
import numpy as np

from skeleton import default_sample_count, incoherence, skeleton_approx
from skeleton.matrices import coherent, low_rank, noise

plt.rcParams.update({"figure.figsize": (7, 3.8), "figure.dpi": 100,
                     "font.size": 11, "figure.constrained_layout.use": True})
rng = np.random.default_rng(0)

# %%
n, d, r = 500, 300, 6
X = low_rank(n, d, r, mu=2.0, rng=rng)
mu = incoherence(X, r).mu
# ceil(mu r ln max(n, d)) rows and columns
k_rows, k_cols = default_sample_count(r, n, d, mu=mu)
cur = skeleton_approx(X, n_rows=k_rows, n_cols=k_cols, core="pinv", rng=1)
print(f"mu = {mu:.2f}; sampled {k_rows} rows and {k_cols} columns of {n} x {d}")
print(f"C {cur.C.shape}, U {cur.U.shape}, R {cur.R.shape}")
print(f"relative error ||X - CUR||_F / ||X||_F = {cur.error(X):.2e}")

# %% [markdown]
# The approximation is stored as its three factors; `cur @ v` applies $C(U(Rv))$
# without forming the $n\times d$ matrix, $O((n + d)k)$ work instead of $O(nd)$.

# %%
v = rng.standard_normal(d)
print(np.allclose(cur @ v, X @ v))

# %% [markdown]
# ## What noise does, and why the core matrix matters
#
# Now sample from $X + E$. The intersection $X_{I,J} + E_{I,J}$ has $r$ singular
# values of the size of $X$'s and $k - r$ more of the size of $\|E\|$. The plain
# pseudo-inverse inverts all of them, so the small noise singular values become
# large entries of $U$ and amplify the noise. Three cores are compared:
#
# * `pinv`: $U = (X+E)_{I,J}^{+}$, the proof's core (Hamm & Huang 2021, Cor. 4.3
#   bound it by $O(\sqrt{nd/(\ell_C\ell_R)})\,\|E\|$ under incoherence, a bound
#   that needs $\|E\|$ small against $\sigma_r$ of the intersection);
# * `truncated`: the pseudo-inverse of the intersection truncated to rank $r$;
# * `optimal`: $U = C^{+}(X+E)R^{+}$, the best $U$ for the sampled $C, R$ in the
#   Frobenius norm, which reads all of $X$.

# %%
# the same indices for every core
Ik = skeleton_approx(X, n_rows=k_rows, n_cols=k_cols, rng=1)
rows, cols = Ik.row_idx, Ik.col_idx
E = noise((n, d), 1e-4, ord=2, rng=2)
sv = np.linalg.svd((X + E)[np.ix_(rows, cols)], compute_uv=False)
plt.semilogy(sv, "o")
plt.axhline(1e-4, color="C1", ls="--", label=r"$\|E\|_2$")
plt.axvline(r - 0.5, color="k", lw=0.8)
plt.title("singular values of the noisy intersection")
plt.xlabel("index $i$")
plt.ylabel(r"$\sigma_i\,((X + E)_{I,J})$")
plt.legend()
plt.show()

# %%
levels = np.logspace(-10, -1, 7)
errors = {core: [] for core in ("pinv", "truncated", "optimal")}
for level in levels:
    E = noise((n, d), level, ord=2, rng=3)
    for core in errors:
        c = skeleton_approx(X + E, rows=rows, cols=cols, rank=r, core=core)
        errors[core].append(np.linalg.norm(X - c.to_array(), 2))
for core, e in errors.items():
    plt.loglog(levels, e, "o-", label=core)
plt.loglog(levels, levels, "k:", label=r"$\|E\|_2$")
plt.xlabel(r"noise $\|E\|_2$")
plt.ylabel(r"error $\|X - CUR\|_2$")
plt.legend()
plt.show()

# %% [markdown]
# The truncated and optimal cores keep the error proportional to $\|E\|$, as
# Proposition 1 states; the plain pseudo-inverse amplifies it by a large and
# irregular factor. Since the paper does not say which core its statement needs,
# `skeleton verify`'s `prop1` check tests each of them. The experiment
# `noise_error` sweeps the noise level and the size and draws the bound's shape.

# %% [markdown]
# ## When uniform sampling breaks
#
# A coherent matrix (large $\mu$) has rows that carry a whole direction of the row
# space. Uniform sampling misses them; rules that look at the singular vectors do
# not. `sampling="leverage"` samples rows with probability $\propto \ell_i$
# (Drineas, Mahoney & Muthukrishnan 2008); `"pivoted_qr"`, `"deim"` and `"maxvol"`
# are deterministic and pick rows that span the row space.

# %%
Xc = coherent(500, 300, 6, rng=4)
print(f"mu = {incoherence(Xc).mu:.0f}")
for rule in ("uniform", "leverage", "pivoted_qr", "deim", "maxvol"):
    with warnings.catch_warnings():
        # uniform: the sampled intersection is zero, and it says so
        warnings.simplefilter("ignore", RuntimeWarning)
        c = skeleton_approx(Xc, rank=6, n_rows=40, n_cols=40, sampling=rule,
                            rng=5)
    print(f"{rule:11s} relative error {c.error(Xc):.1e}")

# %% [markdown]
# **Takeaways.** A rank-$r$ matrix is recovered exactly from rows and columns
# whose intersection has rank $r$; how many uniform samples that needs grows with
# $\mu$; with noise, the core decides whether the error stays proportional to
# $\|E\|$ (truncate or use $C^+XR^+$) or is amplified (plain pseudo-inverse).
