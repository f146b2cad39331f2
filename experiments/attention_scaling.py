r"""Skeleton and Nystrom attention vs softmax attention: error and time as n grows.

Softmax attention costs :math:`O(n^2 d)`.  Skeleton attention (eq. (1) of Wang et al.,
arXiv 2408.08567) costs :math:`O(n (s_1 + s_2) d)`: a column path (softmax over
:math:`s_1` sampled tokens) plus a row path (over :math:`s_2` sampled features),
layer-normalised and averaged.  The Nyströmformer (Xiong et al., AAAI 2021) with
:math:`m` landmarks costs :math:`O(nmd + m^3)`.

Error.  The full eq. (1) output is a different operator from softmax attention (it
layer-normalises and adds a feature-mixing row path), so its distance to softmax
attention says nothing about approximation quality.  What approximates softmax
attention is the column path ``column_attention`` (token sampling); its relative
Frobenius error against the dense ``softmax_attention`` is measured for
:math:`s_1 = 16` and :math:`s_1 = 64` beside Nyström at the same cost
(:math:`m = s_1`).

Time.  Wall-clock median over repeats (a warm-up call excluded), single-threaded
BLAS/FFT (threadpoolctl), for softmax, the full skeleton attention
(:math:`s_1 = s_2 = 8`, the paper's LRA setting) and Nyström (:math:`m = 16`).
Timings are measurements of this machine, reported, never asserted.

Tokens: :math:`X \sim N(0, 1)` (:math:`n\times d`), :math:`Q = XW_Q` etc. with
:math:`W \sim N(0, 1/d)` (:math:`d = 64`).
"""

from __future__ import annotations

import time

import numpy as np
from threadpoolctl import threadpool_limits

from skeleton.attention import (column_attention, nystrom_attention, skeleton_attention,
                                softmax_attention)

from ._common import Timer, generators, parse_args, pyplot, save

NAME = "attention_scaling"
D = 64
S_ERR = (16, 64)


def _median_time(fn, repeats):
    fn()                                      # warm-up, excluded
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return float(np.median(times))


def _qkv(n, rng):
    X = rng.standard_normal((n, D))
    W = rng.standard_normal((3, D, D)) / np.sqrt(D)
    return X @ W[0], X @ W[1], X @ W[2]


def _rel(A, B):
    return float(np.linalg.norm(A - B) / np.linalg.norm(B))


def main(argv=None):
    args = parse_args(NAME, __doc__.splitlines()[0], argv)
    if args.quick:
        sizes, trials, repeats = [128, 256, 512], 2, 3
    else:
        sizes, trials, repeats = [256, 512, 1024, 2048, 4096, 8192], 5, 5

    rows = []
    with Timer() as timer, threadpool_limits(1):
        for ni, n in enumerate(sizes):
            errs = {f"column s1={s}": [] for s in S_ERR}
            errs.update({f"nystrom m={s}": [] for s in S_ERR})
            for rng in generators(args.seed, trials, ni):
                Q, K, V = _qkv(n, rng)
                exact = softmax_attention(Q, K, V)
                for s in S_ERR:
                    idx = np.sort(rng.choice(n, s, replace=False))
                    errs[f"column s1={s}"].append(_rel(column_attention(Q, K, V, idx), exact))
                    errs[f"nystrom m={s}"].append(_rel(nystrom_attention(Q, K, V, s), exact))
            rng = generators(args.seed, 1, 1000 + ni)[0]
            Q, K, V = _qkv(n, rng)
            P1 = np.sort(rng.choice(n, 8, replace=False))
            P2 = np.sort(rng.choice(D, 8, replace=False))
            times = {
                "softmax": _median_time(lambda: softmax_attention(Q, K, V), repeats),
                "skeleton s1=s2=8": _median_time(
                    lambda: skeleton_attention(Q, K, V, P1, P2), repeats),
                "nystrom m=16": _median_time(lambda: nystrom_attention(Q, K, V, 16),
                                             repeats),
            }
            rows.append({"n": n,
                         "error": {k: {"median": float(np.median(v)), "all": v}
                                   for k, v in errs.items()},
                         "seconds": times})

    plt = pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
    ns = np.array(sizes, dtype=float)
    for j, key in enumerate(rows[0]["error"]):
        axes[0].plot(ns, [row["error"][key]["median"] for row in rows],
                     "o-" if key.startswith("column") else "s--", label=key)
    axes[0].set_ylabel("relative Frobenius error vs softmax (median)")
    axes[0].set_title(f"(a) approximation error, d={D}, {trials} draws")
    for key in rows[0]["seconds"]:
        axes[1].plot(ns, [row["seconds"][key] for row in rows], "o-", label=key)
    ref = rows[-1]["seconds"]["softmax"] * (ns / ns[-1]) ** 2
    axes[1].plot(ns, ref, "k:", lw=1, label=r"$\propto n^2$")
    ref1 = rows[-1]["seconds"]["skeleton s1=s2=8"] * ns / ns[-1]
    axes[1].plot(ns, ref1, "k-.", lw=1, label=r"$\propto n$")
    axes[1].set_ylabel(f"seconds (median of {repeats}, 1 thread)")
    axes[1].set_title("(b) time")
    for ax in axes:
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("n (tokens)")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=7)
    fig.suptitle("Skeleton / Nystrom vs softmax attention")

    payload = {"quick": args.quick, "seed": args.seed, "d": D, "trials": trials,
               "repeats": repeats, "threads": 1, "sizes": sizes, "rows": rows,
               "seconds": timer.seconds}
    return save(NAME, args.out, payload, fig)


if __name__ == "__main__":
    main()
