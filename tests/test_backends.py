"""The dispatch seam and the CPU kernels behind it, checked against NumPy references."""

import numpy as np
import pytest

from skeleton import incoherence, skeleton_approx
from skeleton._backends import backend_for, namespace_of, register_backend
from skeleton._backends.base import Backend
from skeleton._backends.numpy import NumpyBackend
from skeleton._compiled import HAVE_NUMBA
from skeleton._compiled.scan import _NUMBA_MIN_ENTRIES, all_finite, gather, scan_gather, scan_sketch
from skeleton.matrices import low_rank


def _matrix(n, d, dtype, order, rng):
    A = rng.standard_normal((n, d))
    if np.dtype(dtype).kind == "c":
        A = A + 1j * rng.standard_normal((n, d))
    return np.asarray(A, dtype=dtype, order=order)


@pytest.mark.parametrize("order", ["C", "F"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.complex128])
@pytest.mark.parametrize("size", [(40, 30), (600, 300)])  # below / above the numba threshold
def test_scan_gather_matches_fancy_indexing(order, dtype, size):
    rng = np.random.default_rng(0)
    X = _matrix(*size, dtype, order, rng)
    rows = np.sort(rng.choice(size[0], 17, replace=False))
    cols = np.sort(rng.choice(size[1], 13, replace=False))[::-1].copy()  # any order works
    C, R, ok = scan_gather(X, rows, cols, X.dtype, check_finite=True)
    assert ok and all(A.flags.c_contiguous or A.flags.f_contiguous for A in (C, R))
    if size == (600, 300) and HAVE_NUMBA:  # the fused kernel writes C and R in X's order
        assert all(A.flags.f_contiguous if order == "F" else A.flags.c_contiguous for A in (C, R))
    np.testing.assert_array_equal(C, X[:, cols])
    np.testing.assert_array_equal(R, X[rows])
    np.testing.assert_array_equal(gather(X, None, cols), X[:, cols])
    np.testing.assert_array_equal(gather(X, rows, cols), X[np.ix_(rows, cols)])
    C2, R2, ok2, sums = scan_gather(X, rows, cols, X.dtype, check_finite=True, sums=True)
    np.testing.assert_array_equal(C2, C)
    if sums is not None:  # the fused kernel measured ||C||_F^2 and ||R||_F^2 while copying
        ref = (np.sum(np.abs(C.astype(np.complex128)) ** 2), np.sum(np.abs(R.astype(np.complex128)) ** 2))
        np.testing.assert_allclose(sums, ref, rtol=1e-12)
    else:
        assert size == (40, 30)  # below the numba threshold only
    # a different target dtype goes through the plain path and converts
    C64, R64, _ = scan_gather(X, rows, cols, np.complex128)
    np.testing.assert_array_equal(C64, X[:, cols].astype(np.complex128))


@pytest.mark.parametrize("order", ["C", "F"])
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_scan_gather_finds_every_nonfinite_position(order, bad):
    rng = np.random.default_rng(1)
    n, d = 400, 200
    assert n * d >= _NUMBA_MIN_ENTRIES
    rows, cols = np.array([3, 100]), np.array([0, 199])
    for i, j in [(0, 0), (n - 1, d - 1), (250, 77), (3, 5)]:
        X = np.asarray(rng.standard_normal((n, d)), order=order)
        X[i, j] = bad
        assert not all_finite(X)
        C, R, ok = scan_gather(X, rows, cols, X.dtype, check_finite=True)
        assert not ok and C is None and R is None
        # without the check only the samples are gathered
        C, R, ok = scan_gather(X, rows, cols, X.dtype, check_finite=False)
        assert ok
        np.testing.assert_array_equal(C, X[:, cols])


def test_scan_gather_on_views_and_memmap(tmp_path):
    rng = np.random.default_rng(2)
    big = rng.standard_normal((500, 400))
    view = big[::2, 1::3]  # neither C- nor F-contiguous: plain NumPy path
    rows, cols = np.array([0, 5, 249]), np.array([2, 100, 132])
    C, R, ok = scan_gather(view, rows, cols, view.dtype)
    assert ok
    np.testing.assert_array_equal(C, view[:, cols])
    np.testing.assert_array_equal(R, view[rows])
    mm = np.lib.format.open_memmap(tmp_path / "m.npy", mode="w+", dtype=np.float64, shape=big.shape)
    mm[:] = big
    C, R, ok = scan_gather(mm, rows, cols, mm.dtype)
    assert ok and type(C) is np.ndarray
    np.testing.assert_array_equal(C, big[:, cols])


@pytest.mark.parametrize("order", ["C", "F"])
@pytest.mark.parametrize("dtype, low, path", [(np.float64, np.float32, "fused"), (np.float64, np.float32, "blocked"),
                                              (np.complex128, np.complex64, "blocked")])
def test_scan_sketch_matches_cast_then_product(order, dtype, low, path, monkeypatch):
    import skeleton._compiled.scan as kernels

    # many blocks per thread, a ragged last one
    monkeypatch.setattr(kernels, "_SKETCH_BLOCK_BYTES", 1 << 14)
    monkeypatch.setattr(kernels, "_FUSED_BLOCK_BYTES", 1 << 12)
    monkeypatch.setattr(kernels, "_FUSED_MIN_ROWS", 7)
    monkeypatch.setattr(kernels, "_FUSED_MIN_COLS", 7)
    if path == "blocked":  # (a float64 X otherwise takes the fused kernels)
        monkeypatch.setattr(kernels, "HAVE_NUMBA_BLAS", False)
    elif not kernels.HAVE_NUMBA_BLAS:  # pragma: no cover - numba and SciPy are dependencies
        pytest.skip("the fused kernels need numba and SciPy's Cython BLAS")
    rng = np.random.default_rng(3)
    X = _matrix(701, 300, dtype, order, rng)
    Omega = _matrix(300, 9, low, "C", rng)
    fro2, Y = scan_sketch(X, Omega)
    assert Y.dtype == low and Y.shape == (701, 9)
    assert fro2 == pytest.approx(float(np.sum(np.abs(X) ** 2)), rel=1e-13)
    ref = X.astype(low).astype(dtype) @ Omega.astype(dtype)  # the cast entries, multiplied exactly
    scale = np.linalg.norm(X.astype(low), axis=1)[:, None] * np.linalg.norm(Omega, axis=0)[None, :]
    assert np.max(np.abs(Y - ref) / scale) < 50 * np.finfo(low).eps
    # what the kernel does not take (a strided view, a small matrix) is left to the caller
    assert scan_sketch(X[::2, ::2], Omega[::2]) is None
    assert scan_sketch(X[:20, :30], Omega[:30]) is None


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_scan_sketch_through_the_backend_reports_nonfinite(bad):
    rng = np.random.default_rng(4)
    backend = NumpyBackend()
    Omega = rng.standard_normal((300, 5)).astype(np.float32)
    fused = rng.standard_normal((500, 300))
    fallback = rng.standard_normal((500, 600))[:, ::2]  # strided: not for the kernel
    for X in (fused, fallback):
        finite, fro2, Y = backend.scan_sketch(X, Omega)
        assert finite and fro2 == pytest.approx(float(np.sum(X**2)), rel=1e-13)
        np.testing.assert_allclose(Y, X @ Omega, rtol=0, atol=1e-4 * np.abs(X @ Omega).max())
        X[123, 45] = bad  # (writes through the strided view)
        assert backend.scan_sketch(X, Omega)[0] is False and backend.scan_sketch(X, Omega)[2] is None
    big = np.full((400, 300), 1e300)  # finite entries whose squares overflow: still finite
    finite, fro2, _ = backend.scan_sketch(big, Omega)
    assert finite and fro2 == np.inf


def test_registry_picks_backends_and_rejects_unknown_types():
    assert isinstance(backend_for(np.ones((2, 2))), NumpyBackend)
    assert backend_for(np.ones((2, 2))).name == "numpy"
    with pytest.raises(TypeError, match=r"Y of type builtins\.dict is not supported"):
        backend_for({}, "Y")

    class ShapedButNotAnArray:
        shape, dtype = (3, 3), np.dtype(np.float64)

    with pytest.raises(TypeError, match="X of type .*ShapedButNotAnArray is not supported"):
        skeleton_approx(ShapedButNotAnArray(), n_rows=2, n_cols=2)

    class Marker(np.ndarray):
        pass

    class MarkerBackend(NumpyBackend):
        name = "marker"

    register_backend(lambda X: isinstance(X, Marker), MarkerBackend, first=True)
    try:
        assert backend_for(np.ones((2, 2)).view(Marker)).name == "marker"
    finally:
        from skeleton import _backends as _backend

        _backend._REGISTRY.pop(0)
    assert backend_for(np.ones((2, 2)).view(Marker)).name == "numpy"


def test_mixed_namespaces_are_named():
    da = pytest.importorskip("dask.array")
    with pytest.raises(TypeError, match=r"different libraries were mixed: dask\.Array, numpy\.ndarray"):
        namespace_of(np.ones(3), da.ones(3))


def _as_backend(kind, X, tmp_path):
    if kind == "numpy":
        return X
    if kind == "fortran":
        return np.asfortranarray(X)
    if kind == "memmap":
        mm = np.lib.format.open_memmap(tmp_path / "x.npy", mode="w+", dtype=X.dtype, shape=X.shape)
        mm[:] = X
        mm.flush()
        return np.load(tmp_path / "x.npy", mmap_mode="r")
    if kind == "dask":
        da = pytest.importorskip("dask.array")
        return da.from_array(X, chunks=(97, 64))
    if kind == "oracle":

        class Oracle:
            shape, dtype = X.shape, X.dtype

            def entries(self, rows, cols):
                return X[np.ix_(rows, cols)]

        return Oracle()
    raise AssertionError(kind)


@pytest.mark.parametrize("kind", ["numpy", "fortran", "memmap", "dask", "oracle"])
@pytest.mark.parametrize("dtype, tol", [(np.float64, 1e-10), (np.float32, 1e-4)])
def test_every_backend_agrees_with_the_dense_reference(kind, dtype, tol, tmp_path):
    n, d, r = 700, 300, 7
    X = low_rank(n, d, r, rng=3).astype(dtype)
    Xb = _as_backend(kind, X, tmp_path)
    cur = skeleton_approx(Xb, n_rows=50, n_cols=60, rng=4)
    assert cur.dtype == dtype and cur.C.dtype == dtype
    # dense reference written here: C = X[:, J], R = X[I, :], U = pinv(X[I, J]) truncated
    I, J = cur.row_idx, cur.col_idx
    np.testing.assert_array_equal(cur.C, X[:, J])
    np.testing.assert_array_equal(cur.R, X[I])
    W = X[np.ix_(I, J)].astype(np.float64)
    u, s, vh = np.linalg.svd(W)
    k = int(np.sum(s > np.sqrt(np.finfo(dtype).eps) * s[0]))
    U_ref = (vh[:k].T / s[:k]) @ u[:, :k].T
    np.testing.assert_allclose(cur.to_array(), X[:, J] @ U_ref @ X[I], atol=tol * np.abs(X).max() * 10)
    assert cur.error(X) < tol
    if kind != "oracle":
        ref = np.linalg.svd(X.astype(np.float64), compute_uv=True, full_matrices=False)[0][:, :r]
        inc = incoherence(Xb, r, method="randomized", rng=5)
        assert inc.mu_rows == pytest.approx(n / r * np.max(np.sum(ref**2, axis=1)), rel=1e-3)


def test_fft_module_of_each_backend():
    x = np.random.default_rng(7).standard_normal((16, 3))
    fft = backend_for(x).fft_module()
    np.testing.assert_allclose(fft.irfft(fft.rfft(x, axis=0), n=16, axis=0), x, atol=1e-14)
    np.testing.assert_allclose(fft.rfft(x, axis=0), np.fft.rfft(x, axis=0), atol=1e-13)


@pytest.mark.parametrize("order", ["C", "F"])
def test_pick_takes_rows_and_columns_of_a_factor(order):
    A = np.asarray(np.arange(24.0).reshape(6, 4), order=order)
    backend = backend_for(A)
    np.testing.assert_array_equal(backend.pick(A, [4, 1], 0), A[[4, 1]])
    np.testing.assert_array_equal(backend.pick(A, np.array([3, 0]), 1), A[:, [3, 0]])
    # the protocol's default (array-API take) gives the same
    np.testing.assert_array_equal(Backend.pick(backend, A, [4, 1], 0), A[[4, 1]])
