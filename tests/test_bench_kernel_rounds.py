"""The kernel benchmark's floor at the rounds' own shapes: the rounds it records are
those of the call (they tile its pivots, in order, and the wrapper is removed), and
the flops it times are the call's ``2 n sum i a`` and ``n sum a^2``."""

import sys

import numpy as np

from benchmarks.bench_kernel import BANDWIDTH, RTOL, points, recorded_rounds, round_parts
from skeleton import KernelMatrix, rpcholesky


def test_recorded_rounds_tile_the_pivots_of_the_call():
    K = KernelMatrix(points(3000), bandwidth=BANDWIDTH)
    mod = sys.modules["skeleton.rpcholesky"]
    inner = mod._append_columns
    rounds = recorded_rounds(K)
    assert mod._append_columns is inner
    res = rpcholesky(K, rtol=RTOL, rng=0)
    assert len(rounds) > 1
    starts = [i for i, _ in rounds]
    widths = [a for _, a in rounds]
    assert starts == list(np.cumsum([0] + widths[:-1]))
    assert sum(widths) == res.rank


def test_round_parts_counts_the_flops_of_each_round():
    rounds = [(0, 5), (5, 7), (12, 3)]
    n = 4096
    out = round_parts(rounds, n, threads=2, repeats=1, sample_chunks=2)
    assert out["gemm_flops"] == 2.0 * n * (5 * 7 + 12 * 3)
    assert out["trsm_flops"] == float(n) * (25 + 49 + 9)
    assert out["gemm_s"] > 0 and out["trsm_s"] > 0
    assert out["rounds"] == [list(r) for r in rounds]
