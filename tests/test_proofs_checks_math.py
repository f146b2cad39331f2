"""Each check's own mathematical pieces against hand-computed small cases."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.fft

from proofs_checks import attention_cost, def1, fft_variance, kaiming_variance, prop1, prop2, prop3
from proofs_checks import smoothing_cost, table14
from proofs_checks._framework import Context


# --------------------------------------------------------------------------- def1
def test_def1_mu_extremes_and_bisection():
    n, d, r = 10, 6, 2
    W = np.eye(n)[:, :r]                  # [I_r; 0]: leverage 1 on r rows
    V = np.eye(d)[:, :r]
    assert def1.mu_from_bases(W, V) == pytest.approx(n / r)
    assert def1.mu_bisect(W, V) == pytest.approx(n / r, rel=1e-9)
    w = np.ones((n, 1)) / math.sqrt(n)    # constant matrix: mu = 1
    v = np.ones((d, 1)) / math.sqrt(d)
    assert def1.mu_from_bases(w, v) == pytest.approx(1.0)
    assert def1.mu_bisect(w, v) == pytest.approx(1.0, rel=1e-9)


# --------------------------------------------------------------------------- prop1
def test_prop1_sample_count_hand():
    assert prop1.sample_count(1, 2.0, 4, 100, 50) == math.ceil(8 * math.log(100)) == 37
    assert prop1.sample_count(2, 2.0, 4, 100, 50) == 50          # 74 capped at d


def test_prop1_support_matrix_fits_prescription():
    rng = np.random.default_rng(0)
    X, mu, m = prop1.smallest_support_matrix(rng, 24, 24, 1)
    assert np.linalg.matrix_rank(X) == 1
    assert math.ceil(mu * math.log(24)) <= 24
    a = np.abs(X).sum(axis=1) > 0
    assert a.sum() == m


def test_flat_orthonormal_has_uniform_leverage():
    from proofs_checks._lowrank import flat_orthonormal
    for m, r in ((10, 4), (11, 3), (127, 4)):
        B = flat_orthonormal(np.random.default_rng(m), m, r)
        np.testing.assert_allclose(B.T @ B, np.eye(r), atol=1e-13)
        np.testing.assert_allclose((B ** 2).sum(axis=1), r / m, rtol=1e-12)
    with pytest.raises(ValueError, match="r < m"):
        flat_orthonormal(np.random.default_rng(0), 4, 4)


@pytest.mark.parametrize("n", [128, 1024])
@pytest.mark.parametrize("c", [1, 2])
def test_prop1_boundary_input_sits_on_the_count_boundary(n, c):
    from proofs_checks._lowrank import boundary_factors
    d, r = n // 2, 4
    P, Q, mu = boundary_factors(np.random.default_rng(n + c), n, d, r, mu=prop1.boundary_mu(c, r, n, d), kappa=1e3)
    np.testing.assert_allclose(Q.T @ Q, np.eye(r), atol=1e-12)
    Pn = P / np.linalg.norm(P, axis=0)
    np.testing.assert_allclose(Pn.T @ Pn, np.eye(r), atol=1e-12)
    np.testing.assert_allclose(np.linalg.svd(P, compute_uv=False), np.geomspace(1, 1e-3, r), rtol=1e-12)
    # mu measured from the factors equals the target, and the prescribed count is exactly d
    assert mu == pytest.approx((d - 0.5) / (c * r * math.log(n)), rel=1e-12)
    assert math.ceil(c * mu * r * math.log(n)) == d


def test_coherent_factors_leverage_exact():
    from proofs_checks._lowrank import coherent_factors
    P, Q, mu = coherent_factors(np.random.default_rng(0), 256, 128, 4, leverage=0.9)
    assert mu == pytest.approx(0.9 * 256 / 4)
    assert np.sum(Q[0] ** 2) == pytest.approx(0.9)
    with pytest.raises(ValueError, match="leverage"):
        coherent_factors(np.random.default_rng(0), 256, 128, 4, leverage=1.0)


def test_prop1_paired_noise_is_linear_in_eta():
    """The trial scales one noise direction: for the optimal core at k = d the error is ||E||."""
    p = dict(trials=1, r=4, ns=[128], etas=[1e-1, 1e-3])
    out = prop1.trial(np.random.SeedSequence(5), 1, p)      # i = 1: boundary family, k = d
    assert out["coherent"]
    opt = [row for row in out["rows"] if row.get("core") == "optimal"]
    assert {row["k"] for row in opt} == {out["d"]}
    for row in opt:   # C = Y (all columns), R square invertible: C C^+ Y R^+ R = Y, error = ||E|| = eta
        assert row["err"] == pytest.approx(row["eta"], rel=1e-6)


# --------------------------------------------------------------------------- prop2
def test_prop2_identities_hand_case():
    l = np.array([1.0, 2.0, 4.0])
    x = np.array([1.0, 0.0, 0.0])
    D = prop2.diffs_direct(l[None], x)[0]
    # f(1) = l1 x1 = 1, f(2) = l2 x1 = 2, f(3) = l3 x1 = 4
    assert D == pytest.approx([1.0, 1.0, 2.0])
    assert prop2.diff_correct(l, x, 3) == pytest.approx(2.0)
    assert prop2.diff_printed(l, x, 3) == pytest.approx(1.0)      # (l2 - l1) x1 = 1
    assert prop2.first_term(l, x, 3) + l[2] * x[0] == pytest.approx(2.0)


def test_prop2_bounds_hand_values():
    a, b, n = 1.0, 0.5, 4
    expect = b * math.sqrt(math.log(8 / 0.05) / 8) + a * math.sqrt(math.log(40) / 32)
    assert prop2.paper_bound(a, b, n) == pytest.approx(expect)
    assert prop2.corrected_bound_t(a, b, n, 3) == pytest.approx(math.sqrt(2 * (2 * 0.25 + 1) * math.log(40)) / 4)
    assert prop2.corrected_bound_max(a, b, n) == pytest.approx(math.sqrt(2 * (3 * 0.25 + 1) * math.log(160)) / 4)


def test_prop2_gaussian_fail_prob_constant_input():
    # b = 0: f(n) - f(n-1) = l_n x_1 ~ N(0, 1/n^2); threshold sqrt(log(2/delta)/2)/n
    n = 100
    from scipy import stats
    expect = 2 * stats.norm.sf(math.sqrt(math.log(40) / 2))
    assert prop2.gaussian_fail_prob(0.0, n) == pytest.approx(expect)


# --------------------------------------------------------------------------- kaiming / fft
def test_time_variance_closed_form_by_linearity():
    # Var(irfft(L)_t) = p * sum over the independent parts of (d k_t / d part)^2, exactly
    for n in (7, 8):
        nf = n // 2 + 1
        coef = np.zeros(n)
        for f in range(nf):
            for unit in (1.0, 1j):
                e = np.zeros(nf, complex)
                e[f] = unit
                coef += np.fft.irfft(e, n) ** 2
        assert coef == pytest.approx(np.full(n, kaiming_variance.kaiming_variance(n, 1)["time"]))
        assert fft_variance.inverse_var_exact(n, 0.5) == pytest.approx(0.5 * coef[0])


def test_kaiming_stats_hand():
    L = np.array([[1 + 1j], [-1 - 1j]])
    m, se = kaiming_variance.part_stats(L)
    assert m == 1.0 and se == 0.0
    # n = 2: irfft([L0, L1]) = ((Re L0 + Re L1)/2, (Re L0 - Re L1)/2) = (0, 1)
    L2 = np.array([[1 + 0j, 3 + 0j], [-1 + 0j, 1 + 0j]])
    m, _ = kaiming_variance.time_stats(L2, 2)
    assert m == pytest.approx(np.mean([0, 1, 4, 1]))


def test_fft_forward_stats_impulse():
    x = np.zeros((2, 8))
    x[:, 0] = 1.0                          # X_f = 1 for all f
    a2, a2_se, re2, re2_se, inner = fft_variance.forward_stats(x)
    assert a2 == pytest.approx(1.0) and re2 == pytest.approx(1.0) and inner.shape == (2, 3)


# --------------------------------------------------------------------------- smoothing_cost
def test_transform_counter():
    with smoothing_cost.count_transforms() as c:
        scipy.fft.rfft(np.zeros((8, 3)), axis=0)
        scipy.fft.irfft(np.zeros((5, 4), complex), 8, axis=0)
        scipy.fft.rfft(np.zeros((2, 6, 8)))
    assert c["rfft"] == 3 + 12 and c["irfft"] == 4
    with smoothing_cost.count_transforms() as c2:
        pass
    scipy.fft.rfft(np.zeros(8))                                   # after exit: not counted
    assert c2["rfft"] == 0 and scipy.fft.rfft.__name__ == "rfft"


def test_dense_circular_shift():
    X = np.array([[1.0], [2.0], [3.0]])
    K = np.array([[0.0], [1.0], [0.0]])                          # delay by one step, wrapping
    assert smoothing_cost.dense_circular(X, K, 1)[:, 0] == pytest.approx([3.0, 1.0, 2.0])
    # segment average: two columns averaged, block layout
    X2 = np.array([[1.0, 3.0], [2.0, 4.0]])
    K2 = np.array([[1.0, 0.0], [0.0, 1.0]])
    assert smoothing_cost.dense_circular(X2, K2, 1) == pytest.approx(np.array([[2.0, 3.0], [3.0, 2.0]]))


def test_smoothing_count_small_config():
    r = smoothing_cost.count_config((64, 16, 4, "block", "circular"), np.random.default_rng(0))
    assert r["eq3"] == 4 + 16 and r["eq2"] == 3 * 16 and r["ref_err"] < 1e-12


# --------------------------------------------------------------------------- prop3
def test_prop3_pieces():
    assert prop3.bound(4, 3, 100, 16) == pytest.approx(6 * math.log(100))
    # c = e_0 reconstructs a constant history
    assert prop3.legendre_reconstruction(np.array([2.0, 0.0, 0.0]), 5, 10.0) == pytest.approx(np.full(5, 2.0))
    # P_1(2(tau+1/2)/theta - 1): oldest first
    rec = prop3.legendre_reconstruction(np.array([0.0, 1.0]), 2, 2.0)
    assert rec == pytest.approx([0.5, -0.5])
    out = prop3.recurrence(np.array([1.0, 0.0, 0.0]), np.array([[0.5]]), np.array([1.0]))
    assert out[:, 0] == pytest.approx([1.0, 0.5, 0.25])


def test_prop3_legs_response_hand():
    # s = 1: A0 = -1, b0 = 1: c(i+1) = 1/(i log n), c(i+2) = c(i+1)(1 - 1/(i+1)) = 1/((i+1) log n)
    n = 100
    R = prop3.legs_euler_response(1, n, 3, [0, 1])
    assert R[:, 0] == pytest.approx([1 / (3 * math.log(n)), 1 / (4 * math.log(n))])
    R5 = prop3.legs_euler_response(1, n, 5, [0, 1])
    assert prop3.shift_discrepancy([R, R5]) > 0.3                # not shift-invariant
    A = np.array([[0.5]])
    B = np.array([1.0])
    assert prop3.shift_discrepancy([prop3.lti_response(A, B, i, [1, 2, 3]) for i in (2, 7)]) == 0.0


# --------------------------------------------------------------------------- table14
def test_table14_paper_arithmetic_and_rule(tmp_path):
    reds = [1 - 2.05 / 2.75, 1 - 1.99 / 3.83, 1 - 3.23 / 3.98, 1 - 3.48 / 4.88]
    ents = table14.summarise([dict(fam="gaussian", mu={"16": 2.0, "32": 2.0},
                                   **{k: {"16": 1.5, "32": 1.0} for k in table14.KERNELS})] * 3,
                             dict(n=8, d=4, r=2), Context(str(tmp_path), 0, True))
    e = {x.id: x for x in ents}
    assert "30.3%" in e["table14.paper_arithmetic"].evidence and np.mean(reds) == pytest.approx(0.3026, abs=1e-4)
    assert e["table14.paper_arithmetic"].verdict == "holds"
    assert e["table14.paper_spread"].verdict == "holds"
    # reductions 25% and 50% in every sample: interval above 0 -> holds
    assert e["table14.reduces.kaiming"].verdict == "holds"


def test_table14_interval_and_rank_deficiency():
    lo, hi = table14.t_interval([1.0, 2.0, 3.0])
    h = 4.302652729911275 * 1.0 / math.sqrt(3)
    assert (lo, hi) == pytest.approx((2 - h, 2 + h))
    X = np.outer(np.arange(1, 9.0), np.ones(4))                  # rank 1
    assert table14.mu_or_none(X, 2) is None
    assert table14.mu_or_none(X, 1) == pytest.approx(max(8 * 64 / np.sum(np.arange(1, 9.0) ** 2), 1.0))
    v, _ = table14.family_verdict({"a": [-0.5, -0.4, -0.6], "b": [0.5, 0.4, 0.6]})
    assert v == "violated"


# --------------------------------------------------------------------------- attention_cost
def test_attention_exponent_exact():
    ns = [1000, 2000, 4000, 8000]
    a, ci, pair = attention_cost.exponent(ns, [3e-6 * n for n in ns])
    assert a == pytest.approx(1.0) and pair == pytest.approx([1.0, 1.0, 1.0])
    a, _, _ = attention_cost.exponent(ns, [1e-9 * n * n for n in ns])
    assert a == pytest.approx(2.0)


def test_prop1_quick_trials_are_the_full_trials():
    """Quick mode's trials are the full run's first trials draw for draw (its noise levels a
    subset), which is what lets the two modes agree on this check's verdicts."""
    quick, full = prop1.CHECK.params(True), prop1.CHECK.params(False)
    assert quick["ns"] == full["ns"] and set(quick["etas"]) <= set(full["etas"])
    for i in (0, 1):                       # n = 128, incoherent and boundary family
        ss = np.random.SeedSequence(11, spawn_key=(i,))
        a = prop1.trial(ss, i, dict(quick, ns=[128]))
        b = prop1.trial(ss, i, dict(full, ns=[128]))
        rows_b = [row for row in b["rows"] if row.get("eta") in quick["etas"] or row["kind"] == "count"]
        assert a["rows"] == rows_b
