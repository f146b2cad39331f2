"""The array-generic code on ``array_api_strict``, the Array API standard and nothing more.

CuPy arrays take the same code as any standard array - the protocol's defaults in
:class:`skeleton._backends.base.Backend`, the math on the small factors through their
namespace - so running it on ``array_api_strict`` (which refuses everything beyond the
standard: NumPy dtypes, NumPy functions, implicit conversions) tests, without a GPU,
the path the CuPy tests take on one (as SciPy tests its array API support).  Each
result is compared with the same call on the NumPy array.
"""

from __future__ import annotations

import numpy as np
import pytest

xps = pytest.importorskip("array_api_strict")

from skeleton import incoherence, leverage_scores, skeleton_approx  # noqa: E402
from skeleton._backends import backend_for  # noqa: E402
from skeleton._backends.base import Backend  # noqa: E402
from skeleton.attention import (  # noqa: E402
    column_attention,
    layer_norm,
    row_attention,
    skeleton_attention,
    softmax_attention,
)
from skeleton.matrices import low_rank  # noqa: E402
from skeleton.smoothing import gaussian_kernel, segment_average, smooth, to_frequency  # noqa: E402


def host(a):
    """A standard array back on the host, through DLPack (no NumPy conversion hook)."""
    return np.from_dlpack(a)


@pytest.fixture(scope="module")
def X():
    return low_rank(300, 200, 6, rng=0)


def test_a_standard_array_gets_the_protocol_defaults(X):
    b = backend_for(xps.asarray(X))
    assert type(b) is Backend and b.xp.__name__.startswith("array_api_strict")
    assert b.dtype(np.float32) == xps.float32


@pytest.mark.parametrize("sampling", ["uniform", "pivoted_qr"])
@pytest.mark.parametrize("core", ["truncated", "pinv"])
def test_skeleton_approx(X, sampling, core, rel):
    ref = skeleton_approx(X, 6, n_rows=30, n_cols=30, sampling=sampling, core=core, rng=0)
    got = skeleton_approx(xps.asarray(X), 6, n_rows=30, n_cols=30, sampling=sampling, core=core, rng=0)
    assert np.array_equal(got.row_idx, ref.row_idx) and np.array_equal(got.col_idx, ref.col_idx)
    assert isinstance(got.C, type(xps.asarray(X)))
    dense = host(got.to_array())
    assert rel(dense, X) < 1e-12 and rel(dense, ref.to_array()) < 1e-12


def test_skeleton_approx_float32(X, rel):
    X32 = X.astype(np.float32)
    got = skeleton_approx(xps.asarray(X32), 6, n_rows=30, n_cols=30, rng=0)
    assert got.dtype == np.float32 and rel(host(got.to_array()), X32) < 1e-4


@pytest.mark.parametrize("method", ["exact", "randomized"])
def test_incoherence_and_leverage(X, method):
    kw = {"rng": 0} if method == "randomized" else {}
    ref = incoherence(X, 6, method=method, **kw)
    got = incoherence(xps.asarray(X), 6, method=method, **kw)
    assert abs(got.mu - ref.mu) <= 1e-10 * ref.mu
    assert np.allclose(host(got.row_leverage), ref.row_leverage, rtol=0, atol=1e-12)
    rows, cols = leverage_scores(xps.asarray(X), 6)
    assert np.allclose(host(rows), ref.row_leverage, rtol=0, atol=1e-12)


@pytest.mark.parametrize("domain", ["time", "frequency"])
def test_smooth_and_segment_average(domain, rel):
    g = np.random.default_rng(1)
    T = g.standard_normal((64, 16))
    Kt = gaussian_kernel(64, 16, 3.0)
    K = Kt if domain == "time" else to_frequency(Kt, 64)
    ref = smooth(T, K, 4, domain=domain)
    got = smooth(xps.asarray(T), xps.asarray(K), 4, domain=domain)
    assert rel(host(got), ref) < 1e-13
    assert rel(host(segment_average(xps.asarray(T), 4)), segment_average(T, 4)) < 1e-15


def test_attention(rel):
    g = np.random.default_rng(2)
    Q, K, V = (g.standard_normal((40, 8)) for _ in range(3))
    S = [xps.asarray(A) for A in (Q, K, V)]
    rows, cols = np.arange(0, 40, 4), np.array([0, 3, 5, 6])  # tokens; features
    assert rel(host(softmax_attention(*S)), softmax_attention(Q, K, V)) < 1e-14
    assert rel(host(column_attention(*S, rows)), column_attention(Q, K, V, rows)) < 1e-14
    assert rel(host(row_attention(*S, cols)), row_attention(Q, K, V, cols)) < 1e-14
    assert rel(host(layer_norm(S[0])), layer_norm(Q)) < 1e-14
    assert rel(host(skeleton_attention(*S, rows, cols)), skeleton_attention(Q, K, V, rows, cols)) < 1e-14


def test_host_operands_move_to_the_array_s_library(rel):
    # a NumPy kernel with a standard-array X is host data: it goes onto X's library
    g = np.random.default_rng(3)
    T = g.standard_normal((64, 16))
    Kt = gaussian_kernel(64, 16, 3.0)
    got = smooth(xps.asarray(T), Kt, 4, domain="time")
    assert isinstance(got, type(xps.asarray(T))) and rel(host(got), smooth(T, Kt, 4, domain="time")) < 1e-13
