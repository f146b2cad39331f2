"""Tests for skeleton.nystrom (Nystromformer attention) against a dense reference of
the landmark construction, and that its arithmetic stays in the input's namespace."""

import numpy as np
import pytest

from _references_s3 import as_matrix, stable_softmax
from skeleton.attention import softmax_attention
from skeleton.nystrom import nystrom_attention


def dense_nystrom(Q, K, V, m, pinv="exact", n_iter=6):
    """F A^+ B V with segment-mean landmarks, by explicit loops and numpy.linalg.pinv."""
    n, d = Q.shape
    b = (np.arange(m + 1) * n) // m
    Ql = np.array([Q[b[i]:b[i + 1]].mean(0) for i in range(m)])
    Kl = np.array([K[b[i]:b[i + 1]].mean(0) for i in range(m)])
    sc = 1 / np.sqrt(d)
    F = stable_softmax(Q @ Kl.T * sc, 1)
    A = stable_softmax(Ql @ Kl.T * sc, 1)
    B = stable_softmax(Ql @ K.T * sc, 1)
    if pinv == "exact":
        Ap = np.linalg.pinv(A)
    else:
        Z = A.T / (np.abs(A).sum(axis=0).max() * np.abs(A).sum(axis=1).max())
        I = np.eye(m)
        for _ in range(n_iter):
            AZ = A @ Z
            Z = 0.25 * Z @ (13 * I - AZ @ (15 * I - AZ @ (7 * I - AZ)))
        Ap = Z
    return F @ Ap @ B @ V, A


def test_nystrom_full_landmarks_equals_softmax(rel):
    rng = np.random.default_rng(10)
    Q, K, V = rng.standard_normal((3, 24, 6))
    full = softmax_attention(Q, K, V)
    assert rel(nystrom_attention(Q, K, V, 24, pinv="exact"), full) < 1e-8


def test_nystrom_iterative_pinv_converges_and_landmarks(rel):
    rng = np.random.default_rng(11)
    Q, K, V = rng.standard_normal((3, 50, 6)) * 0.5
    exact = nystrom_attention(Q, K, V, 7, pinv="exact")
    it = nystrom_attention(Q, K, V, 7, pinv="iterative", n_iter=60)
    assert rel(it, exact) < 1e-8
    # dense reference of the landmark construction (segment means, sizes 7 or 8)
    b = (np.arange(8) * 50) // 7
    Ql = np.array([Q[b[i]:b[i + 1]].mean(0) for i in range(7)])
    Kl = np.array([K[b[i]:b[i + 1]].mean(0) for i in range(7)])
    sc = 1 / np.sqrt(6)
    F = stable_softmax(Q @ Kl.T * sc, 1)
    A = stable_softmax(Ql @ Kl.T * sc, 1)
    B = stable_softmax(Ql @ K.T * sc, 1)
    assert rel(exact, F @ np.linalg.pinv(A) @ B @ V) < 1e-10
    with pytest.raises(ValueError, match="m=51"):
        nystrom_attention(Q, K, V, 51)


def test_nystrom_bad_input():
    rng = np.random.default_rng(13)
    Q, K, V = rng.standard_normal((3, 12, 4))
    with pytest.raises(ValueError, match="m must be at least 1"):
        nystrom_attention(Q, K, V, 0)
    with pytest.raises(ValueError, match="pinv"):
        nystrom_attention(Q, K, V, 3, pinv="svd")
    with pytest.raises(ValueError, match="Q and K must have the same number of rows"):
        nystrom_attention(Q[:10], K, V, 3)
    with pytest.raises(ValueError, match="V must not contain NaN"):
        nystrom_attention(Q, K, np.full_like(V, np.inf), 3)


@pytest.mark.parametrize("n,m", [(50, 7), (48, 8), (5, 5), (9, 1), (31, 30)])
@pytest.mark.parametrize("pinv", ["exact", "iterative"])
def test_nystrom_matches_dense(rel, n, m, pinv):
    rng = np.random.default_rng(n * m)
    Q, K = rng.standard_normal((2, n, 6)) * 0.5
    V = rng.standard_normal((n, 3))
    ref, A = dense_nystrom(Q, K, V, m, pinv)
    got = nystrom_attention(Q, K, V, m, pinv=pinv)
    assert rel(got, ref) < 1e-10 * max(1.0, np.linalg.cond(A))


class _Tagged(np.ndarray):
    """Stands in for a device array library: its backend refuses copies to the host."""


def test_nystrom_stays_in_the_input_namespace(rel, monkeypatch):
    """Regression: the landmarks and the exact pseudo-inverse were computed on a host
    copy (backend.to_numpy) and copied back."""
    import array_api_compat.numpy as xpn

    from skeleton import _backends as _backend

    class DeviceLike(_backend.Backend):
        name = "device-like"

        def __init__(self):
            super().__init__(xpn)

        def to_numpy(self, a):
            raise AssertionError("host round trip")

    monkeypatch.setattr(_backend, "_REGISTRY", list(_backend._REGISTRY))
    _backend.register_backend(lambda A: isinstance(A, _Tagged), DeviceLike, first=True)
    rng = np.random.default_rng(50)
    Q, K, V = rng.standard_normal((3, 40, 5))
    for pinv in ("exact", "iterative"):
        got = nystrom_attention(Q.view(_Tagged), K.view(_Tagged), V.view(_Tagged), 6, pinv=pinv)
        assert rel(np.asarray(got), dense_nystrom(Q, K, V, 6, pinv)[0]) < 1e-10


def test_numpy_matrix_input_and_arguments(rel):
    """Regression: numpy.matrix input failed in max(keepdims=...); n_iter=2.0 was a
    ValueError that did not say it wanted an integer."""
    rng = np.random.default_rng(51)
    Q, K, V = rng.standard_normal((3, 12, 4))
    got = nystrom_attention(as_matrix(Q), as_matrix(K), as_matrix(V), 4)
    assert type(got) is np.ndarray
    assert rel(got, dense_nystrom(Q, K, V, 4, "iterative")[0]) < 1e-12
    with pytest.raises(TypeError, match="n_iter must be an integer"):
        nystrom_attention(Q, K, V, 4, n_iter=2.0)
    with pytest.raises(ValueError, match="n_iter must be >= 0"):
        nystrom_attention(Q, K, V, 4, n_iter=-1)
    with pytest.raises(TypeError, match="m must be an integer"):
        nystrom_attention(Q, K, V, 4.0)
    big = np.ldexp(1.0, 600)
    with np.errstate(over="ignore", invalid="ignore"), \
            pytest.raises(ValueError, match="not finite although Q, K and V are"):
        nystrom_attention(Q * big, K * big, V, 4)
