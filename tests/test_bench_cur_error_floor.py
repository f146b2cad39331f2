"""The error-floor benchmark measures what its derivation predicts, on a tiny problem.

``benchmarks.bench_cur_error_floor.run`` on a 2000 x 1000 rank-50 noisy matrix (a
couple of seconds): the oracles' estimation errors match the formulas, skeleton_approx
is not below the floor, errors fall as k grows, and the 1.1x goal is out of reach.
"""

from __future__ import annotations

import numpy as np
import pytest

from benchmarks import bench_cur  # module import: a bare test_problem would be collected
from benchmarks.bench_cur_error_floor import GOAL, lowrank_norm, run, true_factors, wachter_edge

N, D, KS = 2000, 1000, (100, 200, 400)


@pytest.fixture(scope="module")
def res():
    import threadpoolctl

    with threadpoolctl.threadpool_limits(1):
        return run(N, D, KS, seeds=(0, 1), log=lambda *a: None)


def test_true_factors_reproduce_the_test_problem():
    X, x2 = bench_cur.test_problem(300, 200, True)
    A, sv, B = true_factors(300, 200)
    assert np.allclose(A.T @ A, np.eye(bench_cur.RANK)) and np.allclose(B.T @ B, np.eye(bench_cur.RANK))
    # the residual is the noise: spectral norm NOISE * ||X||_2 (to the svds tolerance)
    assert np.linalg.norm(X - (A * sv) @ B.T, 2) == pytest.approx(bench_cur.NOISE * x2, rel=1e-3)


def test_lowrank_norm_and_wachter_edge():
    rng = np.random.default_rng(0)
    L, Rt = rng.standard_normal((50, 3)), rng.standard_normal((3, 40))
    assert lowrank_norm(L, Rt) == pytest.approx(np.linalg.norm(L @ Rt, 2), rel=1e-12)
    assert wachter_edge(100, 100, 5) == pytest.approx(np.sqrt(95 / 100))
    B = np.linalg.qr(rng.standard_normal((4000, 20)))[0]
    smin = np.linalg.svd(B[rng.choice(4000, 400, replace=False)], compute_uv=False)[-1]
    assert smin == pytest.approx(wachter_edge(4000, 400, 20), rel=0.15)


def test_oracle_errors_match_the_formulas(res):
    for r in res["rows"]:
        pred, meas = r["predicted_sampled_smin"], r["vs_X0"]
        for name, key in (("oracle columns (knows B)", "col"), ("oracle rows (knows A)", "row")):
            assert 1 / 1.25 < meas[name] / pred[key] < 1.25, (r["k"], name)  # a few % measured


def test_skeleton_is_not_below_the_floor(res):
    for r in res["rows"]:
        floor = max(r["vs_X0"]["oracle columns (knows B)"], r["vs_X0"]["oracle rows (knows A)"])
        assert r["vs_X0"]["skeleton_approx"] >= 0.8 * floor
        # against X too, and above the rigorous minimax bound
        cur = r["vs_X"]["skeleton_approx"][0]
        assert cur >= 0.8 * max(v[0] for v in r["vs_X"].values())
        assert cur >= r["predicted_sampled_smin"]["lower"]
        # the typical-value prediction is close to what CUR measures once k >> r
        if r["k"] >= 4 * bench_cur.RANK:
            assert cur / r["predicted"]["vs_X"] == pytest.approx(1, abs=0.25)


def test_errors_fall_as_k_grows(res):
    for name in res["rows"][0]["vs_X"]:
        spec = [r["vs_X"][name][0] for r in res["rows"]]
        est = [r["vs_X0"][name] for r in res["rows"]]
        assert np.all(np.diff(spec) < 0) and np.all(np.diff(est) < 0), name


def test_goal_is_out_of_reach_and_rsvd_is_near_the_noise(res):
    ref = res["rsvd"]["randomized_svd n_iter=2"][0]
    assert 0.8 * bench_cur.NOISE < ref < 1.2 * bench_cur.NOISE
    for r in res["rows"]:
        assert r["vs_X"]["skeleton_approx"][0] > GOAL * ref
