"""skeleton.selection and skeleton.randomized: the sketched selection against the exact one.

On a large X the rules choose from one sketch (skeleton.randomized.selection_sketch);
here the sketched path is forced on small matrices (``_exact_basis_ok`` patched to
False) so that it can be compared with the exact path - pivoted QR of X itself, the
exact singular vectors (numpy.linalg.svd) - which is the dense reference: the CUR
error of the sketched choice must be within a stated factor of the exact choice's.
"""

from __future__ import annotations

import numpy as np
import pytest

from skeleton import randomized, selection, skeleton_approx
from skeleton._backends.numpy import NumpyBackend
from skeleton.matrices import low_rank
from skeleton.selection import SAMPLINGS

RULES = ("pivoted_qr", "deim", "maxvol", "leverage")
# sketched / exact CUR error, at most (measured over three seeds at k = 2r and 6r:
# pivoted QR <= 1.06, DEIM and maxvol 1.00; leverage sampling is random on both
# sides, 0.91 .. 1.10)
FACTOR = {"pivoted_qr": 1.2, "deim": 1.2, "maxvol": 1.2, "leverage": 1.5}


@pytest.fixture
def sketched(monkeypatch):
    """Force the sketched selection whatever the size of X."""
    monkeypatch.setattr(selection, "_exact_basis_ok", lambda X: False)


def noisy(n=900, d=500, r=10, noise=1e-6, seed=0):
    rng = np.random.default_rng(seed)
    X = low_rank(n, d, r, singular_values=np.logspace(0, -2, r), rng=rng)
    return X + noise * rng.standard_normal((n, d)) / np.sqrt(max(n, d))


def graded(n=900, d=500, r=30, seed=1):
    """Exact rank r, singular values 1 .. 1e-14: only a double-precision sketch sees them."""
    return low_rank(n, d, r, singular_values=np.logspace(0, -14, r), rng=np.random.default_rng(seed))


@pytest.mark.parametrize("rule", RULES)
@pytest.mark.parametrize("k", [20, 60])
def test_sketched_rules_match_the_exact_ones(rule, k, monkeypatch):
    X = noisy()
    exact = skeleton_approx(X, 10, n_rows=k, n_cols=k, sampling=rule, rng=1).error(X)
    monkeypatch.setattr(selection, "_exact_basis_ok", lambda X: False)
    sk = skeleton_approx(X, 10, n_rows=k, n_cols=k, sampling=rule, rng=1).error(X)
    assert sk <= FACTOR[rule] * exact, (rule, k, sk, exact)


@pytest.mark.parametrize("rule", ["pivoted_qr", "deim", "maxvol"])
def test_sketched_rules_on_an_ill_conditioned_matrix(rule, monkeypatch):
    # singular values down to 1e-14: the single-precision sketch cannot see them, the
    # rounding check sends the product to double precision, and the error reaches
    # the exact path's (both near rounding)
    X = graded()
    exact = skeleton_approx(X, n_rows=40, n_cols=40, sampling=rule, rng=1).error(X)
    monkeypatch.setattr(selection, "_exact_basis_ok", lambda X: False)
    sk = skeleton_approx(X, n_rows=40, n_cols=40, sampling=rule, rng=1).error(X)
    assert sk <= 10 * exact, (rule, sk, exact)


def sketch_of(X, size, rank, check_finite=True, seed=0):
    return randomized.selection_sketch(X, size, rank, rng=np.random.default_rng(seed), backend=NumpyBackend(),
                                       dtype=X.dtype, check_finite=check_finite)


def test_single_precision_sketch_on_both_sides_of_the_rounding_check():
    # noisy: the tail (1e-6) stands well above single precision's rounding (~1e-7)
    sk = sketch_of(noisy(), 20, 10)
    assert sk.precision == np.float32 and sk.passes == 1 and sk.iterations == 0
    # every direction asked for (rank None: all 40) lies below rounding beyond the 7th
    sk = sketch_of(graded(), 40, None)
    assert sk.precision == np.float64 and sk.passes == 2
    # ... but with rank 5 the five directions asked for stand out of rounding
    assert sketch_of(graded(), 15, 5).precision == np.float32
    # float32 X: the product in its own precision, no second pass
    sk = sketch_of(noisy().astype(np.float32), 20, 10)
    assert sk.precision == np.float32 and sk.passes == 1


def test_the_sketch_spans_the_dominant_space():
    X = noisy()
    sk = sketch_of(X, 20, 10)
    U = np.linalg.svd(X, full_matrices=False)[0][:, :10]
    Q = np.linalg.qr(sk.Y)[0]
    # sin of the largest angle between the rank-10 space and the sketch
    assert np.linalg.norm(U - Q @ (Q.T @ U), 2) < 1e-2


def test_power_iterations_run_when_the_sketch_shows_no_gap():
    rng = np.random.default_rng(3)
    # sigma_10 = 0.1, ||E||_2 = 0.03: a gap of about 3, but a tail whose Frobenius norm
    # (what one sketch sees) is several times sigma_10
    X = low_rank(900, 500, 10, rng=rng) + 6e-4 * rng.standard_normal((900, 500))
    sk = sketch_of(X, 20, 10)
    assert sk.iterations >= 1 and sk.U is not None and sk.passes == 1 + 2 * sk.iterations + 1
    U = np.linalg.svd(X, full_matrices=False)[0][:, :10]
    assert np.linalg.norm(U - sk.U[:, :10] @ (sk.U[:, :10].T @ U), 2) < 0.1
    assert sketch_of(noisy(), 20, 10).iterations == 0


def test_non_finite_x_is_caught_by_the_fused_scan(sketched):
    X = noisy()
    X[3, 7] = np.nan
    for rule in RULES:
        with pytest.raises(ValueError, match="NaN or infinity"):
            skeleton_approx(X, 10, n_rows=20, n_cols=20, sampling=rule, rng=0)


@pytest.mark.parametrize("rule", RULES)
def test_fortran_order_chooses_as_well(rule, sketched):
    X = noisy()
    c = skeleton_approx(X, 10, n_rows=30, n_cols=30, sampling=rule, rng=1).error(X)
    f = skeleton_approx(np.asfortranarray(X), 10, n_rows=30, n_cols=30, sampling=rule, rng=1).error(X)
    assert f <= 1.5 * c and c <= 1.5 * f


def test_the_rules_work_on_the_orientation_with_contiguous_rows():
    from skeleton.selection import _on_transpose

    X = np.zeros((40, 10))
    assert not _on_transpose(X) and _on_transpose(np.asfortranarray(X))
    # the same for wide arrays: memory order decides, not shape
    assert not _on_transpose(X.T.copy()) and _on_transpose(X.T)
    # contiguous in neither order (or in both): tall
    assert not _on_transpose(X[::2]) and _on_transpose(X[::2].T)
    assert not _on_transpose(np.zeros((40, 1))) and _on_transpose(np.zeros((1, 40)))


@pytest.mark.parametrize("rule", RULES)
def test_an_array_and_its_transpose_are_selected_alike(rule, sketched):
    # a Fortran-ordered array is read as its C-ordered transpose (the same memory), so
    # the rows of one are the columns of the other, and the other way round
    X = np.asfortranarray(noisy())
    W = X.T  # wide, C-ordered, the same memory
    tall = skeleton_approx(X, 10, n_rows=30, n_cols=24, sampling=rule, rng=1)
    wide = skeleton_approx(W, 10, n_rows=24, n_cols=30, sampling=rule, rng=1)
    assert wide.row_idx.tolist() == tall.col_idx.tolist()
    assert wide.col_idx.tolist() == tall.row_idx.tolist()
    assert wide.error(W) <= 1.5 * skeleton_approx(np.ascontiguousarray(X), 10, n_rows=30, n_cols=24, sampling=rule,
                                                  rng=1).error(X)


def test_complex_and_float32_input(sketched):
    Z = noisy() + 1j * noisy(seed=5)
    for rule in RULES:
        cur = skeleton_approx(Z, 20, n_rows=40, n_cols=40, sampling=rule, rng=0)
        assert cur.error(Z) < 1e-4 and cur.dtype == np.complex128
    X = noisy().astype(np.float32)
    for rule in RULES:
        cur = skeleton_approx(X, 10, n_rows=40, n_cols=40, sampling=rule, rng=0)
        assert cur.error(X) < 1e-4 and cur.dtype == np.float32


@pytest.mark.parametrize("kind", ["dask", "sparse", "operator"])
def test_other_backends_sketch_as_well(kind, sketched):
    import scipy.sparse
    import scipy.sparse.linalg

    X = noisy()
    if kind == "dask":
        da = pytest.importorskip("dask.array")
        Xb = da.from_array(X, chunks=(300, 500))
    elif kind == "sparse":
        Xb = scipy.sparse.csr_matrix(X)
    else:
        Xb = scipy.sparse.linalg.aslinearoperator(X)
    for rule in RULES:
        dense = skeleton_approx(X, 10, n_rows=30, n_cols=30, sampling=rule, rng=1).error(X)
        other = skeleton_approx(Xb, 10, n_rows=30, n_cols=30, sampling=rule, rng=1).error(X)
        assert other <= 1.5 * dense, (kind, rule, other, dense)


def test_tolerance_mode_with_a_sketched_basis(sketched):
    X = noisy()
    cur = skeleton_approx(X, rtol=1e-4, sampling="deim", rng=0)
    assert cur.error(X) <= 1e-4


# -- the randomized module -------------------------------------------------------------


def test_randomized_svd_against_numpy():
    rng = np.random.default_rng(6)
    X = low_rank(400, 300, 8, singular_values=np.logspace(0, -1, 8), rng=rng) + 1e-8 * rng.standard_normal((400, 300))
    s_exact = np.linalg.svd(X, compute_uv=False)
    b = NumpyBackend()
    U, s, V, r, bound, q = randomized.randomized_svd(
        X, 8, rng=rng, oversample=10, n_iter=2, backend=b, dtype=X.dtype, resolve_rank=lambda s_: 8)
    np.testing.assert_allclose(s[:8], s_exact[:8], rtol=1e-10)
    np.testing.assert_allclose(X.T @ U[:, :8], V[:, :8] * s[:8], atol=1e-12)
    # without a rank the sketch grows until the numerical rank (at 1e-6) is resolved
    out = randomized.randomized_svd(X, None, rng=rng, oversample=5, n_iter=1, backend=b, dtype=X.dtype,
                                    resolve_rank=lambda s_: int(np.sum(s_ > 1e-6 * s_[0])))
    assert out[3] == 8


def test_gap_rule():
    rule = randomized.GapRule(1e-3, 4)
    s = np.array([1.0, 0.5, 0.1, 1e-4])
    assert rule(s, 2, 0) == "accept"  # rho = 1e-3 (s_l / s_r = 1e-4 / 0.1)
    s = np.array([1.0, 0.5, 0.1, 0.02])  # rho = 0.2: 0.2^5 = 3e-4 after two iterations
    assert rule(s, 3, 0) == "continue" and rule(s, 3, 2) == "accept"
    assert randomized.GapRule(1e-12, 4)(s, 3, 0) == "abandon"  # needs 8 iterations
    assert randomized.GapRule(1e-12, 4, abandon=False)(s, 3, 0) == "continue"
    assert rule(s, 4, 0) == "accept"  # nothing beyond the rank to resolve


def test_svd_from_row_id_is_exact_for_a_low_rank_matrix():
    from skeleton.sampling import _cpqr_row_id

    rng = np.random.default_rng(7)
    X = low_rank(300, 200, 6, rng=rng)
    order, P, q = _cpqr_row_id(X @ rng.standard_normal((200, 10)))
    assert q == 6
    U, s, V = randomized.svd_from_row_id(P, X[order[:q]])
    np.testing.assert_allclose(U.T @ U, np.eye(6), atol=1e-10)
    np.testing.assert_allclose((U * s) @ V.T, X, atol=1e-10 * np.abs(X).max())
    np.testing.assert_allclose(s, np.linalg.svd(X, compute_uv=False)[:6], rtol=1e-10)


def test_factored_svd_from_row_id_is_the_same_svd():
    from skeleton.sampling import _cpqr_row_id

    X = noisy()
    rng = np.random.default_rng(3)
    order, P, q = _cpqr_row_id(X @ rng.standard_normal((X.shape[1], 20)))
    Z = X[order[:q]]
    M, s, V = randomized.factored_svd_from_row_id(P, Z, rank=10)
    U, s2, V2 = randomized.svd_from_row_id(P, Z, rank=10)
    assert M.shape == (q, 10)
    np.testing.assert_array_equal(s, s2)
    np.testing.assert_array_equal(V, V2)
    np.testing.assert_allclose(P @ M, U, rtol=0, atol=1e-15)
    # P holds the identity in its pivot rows: U there is M
    np.testing.assert_allclose(U[order[:q]], M, rtol=0, atol=1e-15)


def _row_id_of(X, l, seed=3):
    from skeleton.sampling import _cpqr_row_id

    rng = np.random.default_rng(seed)
    order, P, q = _cpqr_row_id(X @ rng.standard_normal((X.shape[1], l)).astype(X.dtype))
    return P, X[order[:q]]


@pytest.mark.parametrize("scale", [1.0, 2.0 ** -700, 2.0 ** 700])
@pytest.mark.parametrize("complex_", [False, True])
def test_the_gram_route_agrees_with_the_svd(scale, complex_):
    import scipy.linalg

    X = noisy(1200, 700, 10)
    if complex_:
        X = X + 1j * noisy(1200, 700, 10, seed=4)
    P, Z = _row_id_of(X, 20)
    T = scipy.linalg.cholesky(P.conj().T @ P, lower=False)
    got = randomized._gram_factors(T, Z * scale, 10)
    assert got is not None  # s_10 / s_1 = 1e-2: well resolved
    M, s, V = got
    # the SVD route on the same factors (tol given: no Gram route)
    Mr, sr, Vr = randomized.factored_svd_from_row_id(P, Z * scale, rank=10, tol=1e-300)
    np.testing.assert_allclose(s, sr, rtol=1e-10)
    np.testing.assert_allclose(V.conj().T @ V, np.eye(10), atol=1e-10)
    # the same subspaces (the vectors themselves up to a phase each)
    assert np.linalg.norm(V - Vr @ (Vr.conj().T @ V), 2) < 1e-9
    U, Ur = P @ M, P @ Mr
    assert np.linalg.norm(U - Ur @ (Ur.conj().T @ U), 2) < 1e-9
    np.testing.assert_allclose(np.abs(np.sum(V.conj() * Vr, axis=0)), 1.0, atol=1e-9)


def test_the_gram_route_refuses_what_it_cannot_resolve():
    import scipy.linalg

    X = graded()  # singular values 1 .. 1e-14: s_30 is far below the Gram's rounding
    P, Z = _row_id_of(X, 40)
    T = scipy.linalg.cholesky(P.conj().T @ P, lower=False)
    assert randomized._gram_factors(T, Z, 30) is None
    assert randomized._gram_factors(T, Z, 4) is not None  # s_4 / s_1 = 1e-2 (gap to s_5 too)
    assert randomized._gram_factors(T, Z, None) is None  # every value must qualify
    assert randomized._gram_factors(T.astype(np.float32), Z.astype(np.float32), 4) is None  # single precision
    # two equal singular values at the cut: no gap, no Gram route
    Xe = low_rank(900, 500, 6, singular_values=[1, 0.5, 0.2, 0.1, 0.1, 0.05], rng=np.random.default_rng(2))
    P, Z = _row_id_of(Xe, 12)
    T = scipy.linalg.cholesky(P.conj().T @ P, lower=False)
    assert randomized._gram_factors(T, Z, 4) is None and randomized._gram_factors(T, Z, 3) is not None
    # and the public results are the SVD's either way
    U, s, V = randomized.svd_from_row_id(P, Z, rank=6)
    np.testing.assert_allclose(s, [1, 0.5, 0.2, 0.1, 0.1, 0.05], rtol=1e-10)


@pytest.mark.parametrize("k", [5, 10, 60])
@pytest.mark.parametrize("kind", ["tall", "wide", "complex", "float32"])
def test_maxvol_from_the_factored_basis_equals_maxvol_on_the_basis(kind, k):
    # the sketched maxvol starts from P G (G = M M[:k]^{-1}), never forming U: the
    # rows must be those of maxvol on the explicit U from the same start
    from skeleton._backends import backend_for
    from skeleton.sampling import _maxvol

    X = noisy(1200, 700, 10)
    if kind == "wide":
        X = np.ascontiguousarray(X.T)
    elif kind == "complex":
        X = X + 1j * noisy(1200, 700, 10, seed=5)
    elif kind == "float32":
        X = X.astype(np.float32)
    sk = selection._Sketched(X, k, 10, np.random.default_rng(0), backend_for(X), X.dtype, True)
    with sk.dense_work():
        Ub, Vb, _ = sk.basis(10, None)
        rows, cols = sk.maxvol(k, k, None, 10, None)
        ref_rows = _maxvol(Ub, k, start=sk.row_order[: min(k, Ub.shape[1])])
        ref_cols = _maxvol(Vb, k)
    assert rows.tolist() == ref_rows.tolist() and cols.tolist() == ref_cols.tolist()
    assert rows.size == k == np.unique(rows).size


def test_maxvol_falls_back_when_the_start_is_not_usable(monkeypatch):
    # with every start refused (coefficients of modulus 1 > 0.5), the rows are those of
    # maxvol from the basis's own pivoted QR
    from skeleton import sampling
    from skeleton._backends import backend_for

    X = noisy(1200, 700, 10)
    sk = selection._Sketched(X, 40, 10, np.random.default_rng(0), backend_for(X), X.dtype, True)
    calls = []
    monkeypatch.setattr(selection, "_maxvol", lambda B, k, **kw: calls.append(B.shape) or sampling._maxvol(B, k, **kw))
    with sk.dense_work():
        Ub, _, _ = sk.basis(10, None)
        sk.maxvol(40, 40, None, 10, None)
        assert calls == [(700, 10)]  # the columns only: the rows used the start
        monkeypatch.setattr(sampling, "_START_COEF", 0.5)
        rows = sk.maxvol(40, 40, None, 10, None)[0]
        ref = sampling._maxvol(Ub, 40)
    assert calls[1:] == [(1200, 10), (700, 10)]
    assert rows.tolist() == ref.tolist() and rows.size == 40 == np.unique(rows).size


def test_maxvol_after_power_iterations_starts_from_the_iterated_basis():
    # no gap in one sketch (test_power_iterations_run_when_the_sketch_shows_no_gap):
    # the basis is the iterated one, formed, and maxvol runs on it from the pivots
    from skeleton._backends import backend_for
    from skeleton.sampling import _maxvol

    rng = np.random.default_rng(3)
    X = low_rank(900, 500, 10, rng=rng) + 6e-4 * rng.standard_normal((900, 500))
    sk = selection._Sketched(X, 40, 10, np.random.default_rng(0), backend_for(X), X.dtype, True)
    with sk.dense_work():
        assert sk.sketch.U is not None
        Ub, Vb, _ = sk.basis(10, None)
        rows, cols = sk.maxvol(40, 40, None, 10, None)
        assert rows.tolist() == _maxvol(Ub, 40, start=sk.row_order[:10]).tolist()
        assert cols.tolist() == _maxvol(Vb, 40).tolist()
    assert rows.size == 40 == np.unique(rows).size


def test_incoherence_and_the_core_share_the_subspace_iteration():
    import importlib
    import inspect

    cores, incoherence = (importlib.import_module(f"skeleton.{m}") for m in ("cores", "incoherence"))

    assert "randomized_svd" in inspect.getsource(incoherence._randomized_core)
    assert "subspace_iteration" in inspect.getsource(cores._sketched_svd)
    assert not hasattr(incoherence, "_subspace_iteration")


def test_every_rule_is_known():
    assert set(RULES) | {"uniform"} == set(SAMPLINGS)


def test_single_precision_sketch_pivots_stop_at_its_rounding():
    # rank 50 (singular values 1 .. 1e-2) under noise 1e-6: the sketch's last 10 of 60
    # directions are below its single-precision rounding. Pivoting them gave a row ID
    # with coefficients ~1e5 (an ill-conditioned interpolation) and NaN gains in the
    # volume extension; they stop at the measured rounding instead.
    import warnings

    from skeleton._backends import backend_for
    from skeleton.matrices import noise

    X = low_rank(3000, 2000, 50, singular_values=np.geomspace(1, 1e-2, 50), rng=0)
    X = X + noise(X.shape, 1e-6, rng=1)
    sk = selection._Sketched(X, 600, 50, np.random.default_rng(0), backend_for(X), np.dtype(np.float64), True,
                             pivots="qr")
    with sk.dense_work():
        assert sk.sketch.precision == np.float32 and sk.sketch.rounding > 0
        # every planted direction is kept, and the pivoting stops well short of the
        # 60 the sketch holds; whether a noise direction or two just above the
        # measured rounding is pivoted depends on the BLAS kernels' rounding
        assert 50 <= sk.q <= 55 and np.abs(sk.P).max() < 1e3
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # no invalid value in the volume updates
            rows = sk.rows(600)
    assert rows.size == 600 == np.unique(rows).size


@pytest.mark.parametrize("scale", [1e-200, 1e200])
def test_sketched_selection_at_extreme_scales(scale):
    # the sketch's Gram matrix is formed at unit scale: at 1e+200 its entries overflowed
    import warnings

    from skeleton.matrices import noise

    X = low_rank(3000, 2000, 50, singular_values=np.geomspace(1, 1e-2, 50), rng=0)
    X = X + noise(X.shape, 1e-6, rng=1)
    ref = skeleton_approx(X, 50, n_rows=300, n_cols=300, sampling="pivoted_qr", rng=0).error(X)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = skeleton_approx(X * scale, 50, n_rows=300, n_cols=300, sampling="pivoted_qr", rng=0).error(X * scale)
    assert got <= 1.5 * ref and ref < 1e-4
