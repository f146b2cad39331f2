"""dask arrays (in memory, memmap- and zarr-backed, distributed) through the backend seam."""

import warnings

import numpy as np
import pytest

da = pytest.importorskip("dask.array")

import skeleton._backends  # noqa: E402
from skeleton import incoherence, skeleton_approx  # noqa: E402
from skeleton.matrices import low_rank, noise  # noqa: E402


class CountingSource:
    """A NumPy array behind ``__getitem__`` that counts the entries read through it."""

    def __init__(self, A):
        self.A, self.shape, self.dtype, self.ndim = A, A.shape, A.dtype, A.ndim
        self.read = 0

    def __getitem__(self, idx):
        out = self.A[idx]
        self.read += out.size
        return out


def test_uniform_cur_matches_numpy_and_recovers():
    X = low_rank(500, 300, 8, rng=0)
    Xd = da.from_array(X, chunks=(128, 100))
    a = skeleton_approx(Xd, n_rows=40, n_cols=40, rng=1)
    b = skeleton_approx(X, n_rows=40, n_cols=40, rng=1)
    assert isinstance(a.C, np.ndarray) and isinstance(a.R, np.ndarray)
    np.testing.assert_array_equal(a.row_idx, b.row_idx)
    np.testing.assert_array_equal(a.C, X[:, a.col_idx])
    np.testing.assert_array_equal(a.R, X[a.row_idx])
    np.testing.assert_allclose(a.U, b.U, rtol=1e-12, atol=1e-12 * np.abs(b.U).max())
    assert a.error(Xd) < 1e-10 and a.error(Xd, ord=2) < 1e-10


@pytest.mark.parametrize("sampling", ["pivoted_qr", "leverage", "deim", "maxvol"])
def test_other_rules_on_dask(sampling):
    X = low_rank(400, 300, 6, rng=2)
    cur = skeleton_approx(da.from_array(X, chunks=100), n_rows=20, n_cols=20, rank=6, sampling=sampling, rng=3)
    ref = skeleton_approx(X, rows=cur.row_idx, cols=cur.col_idx)
    assert cur.error(X) < 1e-10
    np.testing.assert_allclose(cur.to_array(), ref.to_array(), atol=1e-10)


def test_float32_and_integer_dask_input():
    X = low_rank(200, 150, 4, rng=4)
    cur = skeleton_approx(da.from_array(X.astype(np.float32), chunks=64), n_rows=30, n_cols=30, rng=0)
    assert cur.C.dtype == cur.U.dtype == np.float32 and cur.error(X.astype(np.float32)) < 1e-4
    Xi = da.from_array(np.arange(12 * 10).reshape(12, 10) % 7, chunks=5)
    assert skeleton_approx(Xi, n_rows=12, n_cols=10).dtype == np.float64


def test_only_chunks_holding_samples_are_read():
    A = np.random.default_rng(5).random((1000, 800))
    src = CountingSource(A)
    X = da.from_array(src, chunks=(100, 100), asarray=True)
    rows, cols = np.arange(10, 60), np.arange(20, 70)  # in row-chunk 0 and column-chunk 0
    cur = skeleton_approx(X, rows=rows, cols=cols, check_finite=False)
    np.testing.assert_array_equal(cur.C, A[:, cols])
    # row chunk 0 (8 chunks) and column chunk 0 (10 chunks), of 80 chunks in all
    assert src.read <= 18 * 100 * 100 < A.size
    src.read = 0
    skeleton_approx(X, rows=rows, cols=cols)  # the finiteness check reads X once, not more
    assert src.read <= A.size + 18 * 100 * 100


def test_nonfinite_dask_input():
    X = low_rank(100, 80, 3, rng=6)
    X[50, 40] = np.inf
    with pytest.raises(ValueError, match="NaN or infinity"):
        skeleton_approx(da.from_array(X, chunks=30), n_rows=10, n_cols=10, rng=0)
    with pytest.raises(ValueError, match="NaN or infinity"):
        incoherence(da.from_array(X, chunks=30), 3, method="randomized", rng=0)


def test_randomized_incoherence_on_dask_bounded_passes():
    n, d, r = 600, 400, 10
    sv = np.concatenate([np.linspace(10, 5, r)])
    X = low_rank(n, d, r, singular_values=sv, rng=7) + noise((n, d), 1e-3, rng=8)
    src = CountingSource(X)
    Xd = da.from_array(src, chunks=(150, 200), asarray=True)
    n_iter = 2
    inc = incoherence(Xd, r, method="randomized", n_iter=n_iter, rng=9)
    exact = incoherence(X, r)
    assert inc.mu == pytest.approx(exact.mu, rel=0.01)
    np.testing.assert_allclose(inc.row_leverage, exact.row_leverage, atol=1e-3)
    # finiteness scan + range finder (1 + 2 n_iter products) + the final X^H Q
    assert src.read <= (2 * n_iter + 3) * X.size


def test_certified_randomized_incoherence_on_dask_reads_x_three_times():
    # exactly rank 6: the certificate accepts after the first sketch, so X is read by
    # the finiteness/Frobenius scan fused with the (single-precision) X @ G, then
    # X^H Q and X V: three passes
    n, d, r = 600, 400, 6
    X = low_rank(n, d, r, rng=12)
    src = CountingSource(X)
    Xd = da.from_array(src, chunks=(150, 200), asarray=True)
    inc = incoherence(Xd, r, method="randomized", rng=1)
    assert inc.power_iterations == 0 and inc.mu_error_bound < 1e-8
    assert abs(inc.mu - incoherence(X, r).mu) <= inc.mu_error_bound
    assert src.read <= 3 * X.size


def test_entries_beyond_single_precision_on_dask_are_quietly_sketched_in_double():
    # the single-precision first sketch overflows in the workers: discarded, no warnings
    X = low_rank(600, 400, 6, mu=2.0, rng=13) * 1e150
    Xd = da.from_array(X, chunks=(150, 200))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        inc = incoherence(Xd, 6, method="randomized", rng=1)
    exact = incoherence(X, 6)
    assert abs(inc.mu - exact.mu) <= inc.mu_error_bound < 1e-8 * exact.mu


def test_memmap_and_zarr_backed(tmp_path):
    X = low_rank(300, 200, 5, rng=10)
    mm = np.lib.format.open_memmap(tmp_path / "x.npy", mode="w+", dtype=np.float64, shape=X.shape)
    mm[:] = X
    mm.flush()
    mm = np.load(tmp_path / "x.npy", mmap_mode="r")
    cur = skeleton_approx(da.from_array(mm, chunks=(100, 200)), n_rows=25, n_cols=25, rng=1)
    assert cur.error(X) < 1e-10
    zarr = pytest.importorskip("zarr")
    z = zarr.open_array(str(tmp_path / "x.zarr"), mode="w", shape=X.shape, chunks=(64, 200), dtype="f8")
    z[:] = X
    Xz = da.from_zarr(str(tmp_path / "x.zarr"))
    cur = skeleton_approx(Xz, n_rows=25, n_cols=25, rng=1)
    assert cur.error(X) < 1e-10
    inc = incoherence(Xz, 5, method="randomized", rng=2)
    assert inc.mu == pytest.approx(incoherence(X, 5).mu, rel=1e-6)


def test_unknown_chunk_sizes_name_the_argument():
    X = da.from_array(np.random.default_rng(0).random((50, 20)), chunks=10)
    Y = X[X[:, 0] > 0.5]  # rows unknown until computed
    with pytest.raises(ValueError, match=r"X has unknown size.*compute_chunk_sizes"):
        skeleton_approx(Y, n_rows=5, n_cols=5)
    with pytest.raises(ValueError, match=r"X has unknown size"):
        incoherence(Y, 2, method="randomized")


def test_distributed_local_cluster():
    distributed = pytest.importorskip("distributed")
    X = low_rank(400, 300, 6, rng=11)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # port / resource chatter from the cluster
        with distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
        ) as cluster, distributed.Client(cluster) as client:
            Xd = client.persist(da.random.default_rng(0).standard_normal((400, 6), chunks=(100, 6)))
            Xd = Xd @ da.from_array(np.random.default_rng(1).standard_normal((6, 300)), chunks=(6, 100))
            Xd = Xd + da.from_array(X, chunks=(100, 100))  # rank <= 12
            cur = skeleton_approx(Xd, n_rows=40, n_cols=40, rng=2)
            inc = incoherence(Xd, 12, method="randomized", rng=3)
            dense = Xd.compute()
            assert len(client.scheduler_info()["workers"]) == 2
    assert cur.error(dense) < 1e-10
    assert inc.mu == pytest.approx(incoherence(dense, 12).mu, rel=1e-6)


def test_integer_dask_matrix_norm_does_not_wrap():
    # uint8 entries squared in uint8 would wrap mod 256 and understate ||X||_F
    rng = np.random.default_rng(13)
    X = (np.abs(low_rank(200, 150, 3, rng=rng)) * 2000).clip(0, 255).astype(np.uint8)
    Xd = da.from_array(X, chunks=(50, 150))
    finite, fro2 = skeleton._backends.backend_for(Xd).finite_sum_squares(Xd)
    assert finite and fro2 == float(np.sum(X.astype(np.float64) ** 2))
    inc = incoherence(Xd, 3, method="randomized", rng=0)
    exact = incoherence(X.astype(np.float64), 3)
    if np.isfinite(inc.mu_error_bound):
        assert abs(inc.mu - exact.mu) <= inc.mu_error_bound
    else:
        assert inc.mu == pytest.approx(exact.mu, rel=0.05)
