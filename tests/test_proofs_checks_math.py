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
def test_prop1_sample_count_and_nice_constant():
    assert prop1.sample_count(1, 2.0, 4, 100) == math.ceil(8 * math.log(100)) == 37
    assert prop1.sample_count(2, 2.0, 4, 100, 50) == 50          # 74 capped at d
    assert [prop1.nice_ceil(x) for x in (0.7, 8.8, 10.0, 10.5, 3.0, 0.044)] == [1.0, 10.0, 10.0, 20.0, 5.0, 0.05]


def test_flat_orthonormal_has_uniform_leverage():
    from proofs_checks._lowrank import flat_orthonormal
    for m, r in ((10, 4), (11, 3), (127, 4)):
        B = flat_orthonormal(np.random.default_rng(m), m, r)
        np.testing.assert_allclose(B.T @ B, np.eye(r), atol=1e-13)
        np.testing.assert_allclose((B ** 2).sum(axis=1), r / m, rtol=1e-12)
    with pytest.raises(ValueError, match="r < m"):
        flat_orthonormal(np.random.default_rng(0), 4, 4)


def test_coherent_factors_leverage_exact():
    from proofs_checks._lowrank import coherent_factors
    P, Q, mu = coherent_factors(np.random.default_rng(0), 256, 128, 4, leverage=0.9)
    assert mu == pytest.approx(0.9 * 256 / 4)
    assert np.sum(Q[0] ** 2) == pytest.approx(0.9)
    with pytest.raises(ValueError, match="leverage"):
        coherent_factors(np.random.default_rng(0), 256, 128, 4, leverage=1.0)


def test_walsh_hadamard_transform_and_entries():
    from proofs_checks._noise import fwht, hadamard_entries
    H = hadamard_entries(np.arange(16), np.arange(16))
    np.testing.assert_array_equal(H @ H.T, 16 * np.eye(16))
    np.testing.assert_array_equal(fwht(np.eye(16)), H)
    M = np.random.default_rng(0).standard_normal((16, 3))
    np.testing.assert_allclose(fwht(M), H @ M, atol=1e-12)
    with pytest.raises(ValueError, match="power-of-2"):
        fwht(np.zeros(12))


@pytest.mark.parametrize("kind", ["flat", "complement"])
def test_noise_has_the_stated_spectral_norm(kind):
    from proofs_checks._lowrank import flat_orthonormal
    from proofs_checks._noise import ComplementNoise, FlatNoise
    rng = np.random.default_rng(1)
    n, d, r = 64, 32, 3
    P, Q = flat_orthonormal(rng, n, r), flat_orthonormal(rng, d, r)
    E = FlatNoise(rng, n, d, 0.3) if kind == "flat" else ComplementNoise(rng, n, d, 0.3, P, Q)
    dense = E.block(slice(None), slice(None))
    assert np.linalg.norm(dense, 2) == pytest.approx(0.3, rel=1e-12)
    M = rng.standard_normal((d, 5))
    np.testing.assert_allclose(E.times(M), dense @ M, atol=1e-12)
    if kind == "flat":
        np.testing.assert_allclose(np.abs(dense), 0.3 / math.sqrt(n))       # flat entries
    else:
        assert np.abs(P.T @ dense).max() < 1e-12 and np.abs(dense @ Q).max() < 1e-12


@pytest.mark.parametrize("kind", ["flat", "complement"])
@pytest.mark.parametrize("kappa", [1.0, 1e3])
def test_factored_skeleton_errors_match_the_dense_computation(kind, kappa):
    from proofs_checks._common import cur_core
    from proofs_checks._lowrank import flat_orthonormal
    from proofs_checks._noise import ComplementNoise, FlatNoise, skeleton_errors
    rng = np.random.default_rng(int(kappa) + len(kind))
    n, d, r, k = 128, 64, 4, 21
    P = flat_orthonormal(rng, n, r) * np.geomspace(1, 1 / kappa, r)
    Q = flat_orthonormal(rng, d, r)
    E = FlatNoise(rng, n, d, 1e-2) if kind == "flat" else ComplementNoise(rng, n, d, 1e-2, P, Q)
    I, J = np.sort(rng.choice(n, k, replace=False)), np.sort(rng.choice(d, k, replace=False))
    Y = P @ Q.T + E.block(slice(None), slice(None))
    got = skeleton_errors(P, Q, E, I, J, r)
    for core in prop1.CORES:
        U = cur_core(Y, I, J, core, r)
        ref = np.linalg.norm(P @ Q.T - Y[:, J] @ U @ Y[I, :], 2)
        # the dense reference cancels at the scale ||X|| = 1: agreement to that precision
        assert got[core] == pytest.approx(ref, rel=1e-6, abs=1e-11), core


def test_flat_support_recovery_matches_cur_core_and_the_exact_rate():
    from proofs_checks._common import cur_core
    rng = np.random.default_rng(2)
    err, info = prop1.flat_support_recovery(rng, 32, 32, 1, 4, 1, 400)
    for j in range(400):
        X = np.outer(info["A"][j], info["B"][j])
        I, J = np.sort(info["I"][j]), np.sort(info["J"][j])
        U = cur_core(X, I, J, "truncated", 1)
        ref = np.linalg.norm(X - X[:, J] @ U @ X[I, :], 2) / np.linalg.norm(X, 2)
        assert err[j] == pytest.approx(ref, abs=1e-12)
        # failure exactly when the sampled rows or columns miss a support
        miss = not (set(I) & set(np.flatnonzero(info["A"][j]))) or not (set(J) & set(np.flatnonzero(info["B"][j])))
        assert (err[j] > prop1.NL_TOL) == miss
    assert info["k"] == math.ceil(4 * math.log(32)) == 14 and info["m"] == 8
    # the referee's figure: n = d = 32, m = 8, mu = 4, k = 14 -> 152 failures in 20000 draws
    assert prop1.exact_failure(32, 8, 14) * 20000 == pytest.approx(166, abs=1)
    e, _ = prop1.flat_support_recovery(np.random.default_rng(3), 32, 32, 1, 4, 1, 20000)
    k = int(np.sum(e > prop1.NL_TOL))
    lo, hi = __import__("proofs_checks._verdict", fromlist=["x"]).clopper_pearson(k, 20000, 0.999)
    assert lo < prop1.exact_failure(32, 8, 14) < hi


def test_prop1_trivial_competitor_ratio_is_below_one_over_c():
    """X_hat = X + E has ratio mu r log n / sqrt(nd) <= sqrt(d/n)/c whenever k <= d: the bound is vacuous."""
    p = dict(prop1.CHECK.params(True), ns=[128, 256])
    out = prop1.trial(np.random.SeedSequence(5), 0, p)
    for row in out["rows"]:
        assert row["trivial"] == pytest.approx(row["eta"] / (row["eta"] * math.sqrt(row["n"] * row["n"] // 2)
                                                              / (4 * math.log(row["n"]))))
        assert row["k"] <= row["n"] // 2 and row["trivial"] <= math.sqrt(0.5) / row["c"]


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
    # the Hoeffding-range reading has proxy sigma/(2n): half the bound
    assert prop2.corrected_bound_max(a, b, n, proxy=0.5) == pytest.approx(prop2.corrected_bound_max(a, b, n) / 2)


def test_prop2_laws_match_their_reading():
    """Each law has the variance of its reading: sigma^2/n^2 (proxy), within width sigma/n (range)."""
    n, M = 64, 40000
    ss = np.random.SeedSequence(0)
    for (conv, law), (dist, w) in prop2.LAWS.items():
        L = prop2.draw_l(ss, conv, law, n, M)
        var = L.var()
        if conv == "proxy":
            assert var == pytest.approx(1 / n ** 2, rel=0.03), law
        elif conv == "range":
            assert np.abs(L).max() <= 0.5 / n + 1e-15 and L.max() - L.min() <= 1 / n + 1e-15, law
        else:
            assert var == pytest.approx(1 / (4 * n ** 2), rel=0.03), law
    assert set(prop2.PROXY) == set(prop2.CONVENTIONS) == {c for c, _ in prop2.LAWS}


def test_prop2_bounded_laws_never_fail_the_printed_tail_term():
    # range reading: |l_t x_1| <= a sigma/(2n) < a sigma sqrt(log(2/delta)/(2 n^2)) always
    th = prop2.step_thresholds(1.0, 0.0, 256, 0.5)
    assert 0.5 / 256 < th["tail"]


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
def test_table14_paper_numbers_are_those_of_claims():
    reds = [1 - 2.05 / 2.75, 1 - 1.99 / 3.83, 1 - 3.23 / 3.98, 1 - 3.48 / 4.88]
    assert [table14.paper_reduction(ds, k) for ds, k in (("text", 32), ("images", 32), ("text", 16),
                                                         ("images", 16))] == pytest.approx(reds)
    assert np.mean(reds) == pytest.approx(0.3026, abs=1e-4)


def test_table14_real_data_and_rank_deficiency():
    from proofs_checks import _real_data
    rng = np.random.default_rng(0)
    t = _real_data.text_tokens(rng, 1096)
    assert t.shape == (1096,) and t.min() >= 0 and t.max() < 256
    assert np.count_nonzero((t >= 97) & (t <= 122)) > 500                 # mostly lower-case English letters
    im = _real_data.image_tokens(rng)
    assert im.shape == (1024,) and 0 <= im.min() and im.max() <= 255 and np.unique(im).size > 20
    X = _real_data.token_matrix(rng, im, 64)
    assert X.shape == (1024, 64)
    np.testing.assert_allclose(_real_data.positions(3, 4)[1], [np.sin(1), np.sin(1e-2), np.cos(1), np.cos(1e-2)])
    Xr1 = np.outer(np.arange(1, 9.0), np.ones(4))                          # rank 1
    assert table14.mu_or_none(Xr1, 2) is None
    assert table14.mu_or_none(Xr1, 1) == pytest.approx(max(8 * 64 / np.sum(np.arange(1, 9.0) ** 2), 1.0))


def test_table14_cells_and_random_control_vacuity(tmp_path):
    rec = lambda x, s: {"X": {"16": x, "32": x}, **{k: {"16": s, "32": s} for k in table14.KERNELS}}
    rng = np.random.default_rng(0)
    results = [dict(text=rec(2.0, 2.0 * (0.6 + 0.05 * rng.random())), images=rec(2.0, 2.0 * (1.3 + 0.05 * rng.random())))
               for _ in range(8)]
    ents = {e.id: e for e in table14.summarise(results, dict(trials=6, held_out=2, n=8, d=4, r=2),
                                               Context(str(tmp_path), 0, True))}
    assert ents["table14.paper_arithmetic"].verdict == "holds"
    e = ents["table14.random_control.text.r32"]
    assert e.verdict == "holds" and e.vacuous and "reproduced" in e.trivial      # ~37% >= the paper's 25%
    up = ents["table14.random_control.images.r16"]
    assert up.verdict == "violated" and not up.vacuous
    fix = ents["table14.corrected.random_control.images.r16"]
    assert fix.corrected_of == up.id and fix.verdict == "holds" and fix.tested_on == "held-out trials 6-7"


# --------------------------------------------------------------------------- attention_cost
def test_attention_exponent_exact():
    ns = [1000, 2000, 4000, 8000]
    a, ci, pair = attention_cost.exponent(ns, [3e-6 * n for n in ns])
    assert a == pytest.approx(1.0) and pair == pytest.approx([1.0, 1.0, 1.0])
    a, _, _ = attention_cost.exponent(ns, [1e-9 * n * n for n in ns])
    assert a == pytest.approx(2.0)


def test_quick_mode_keeps_the_full_design():
    """Quick mode changes replicate counts only, never sizes or families: the evidence is the same, at
    lower precision, which is what lets the two modes agree."""
    for check in (prop1.CHECK, prop1.NOISELESS):
        q, f = check.params(True), check.params(False)
        assert q["ns"] == f["ns"] and q["trials"] < f["trials"]
        assert {k: v for k, v in q.items() if k not in ("trials", "held_out", "calibration")} == \
            {k: v for k, v in f.items() if k not in ("trials", "held_out", "calibration")}
