"""Property tests (hypothesis) of the test matrices of ``skeleton.matrices``.

For drawn shapes, ranks, coherences, singular values, dtypes (float16/32/64,
complex64/128) and seeds, checked against numpy.linalg in double precision:

* ``low_rank``: rank r, the singular values asked for, and coherence mu as requested
  (exact up to rounding for mu >= n/(n-1), within 5 % below);
* ``coherent``: r non-zero rows, mu_rows = n/r, the singular values asked for;
* ``noise``: the norm asked for (spectral or Frobenius), the kind's support;
* ``spread_basis``: orthonormal columns whose largest leverage is mu r / m.

These are constructions at unit scale (scale is a parameter: the singular values and
the norm).  Bad arguments raise ValueError/TypeError naming the argument; the same
seed gives the same matrix.
"""

import math

import numpy as np
import pytest
from hypothesis import given, strategies as st

from _strategies_linalg import profile, raises_naming
from skeleton.matrices import coherent, low_rank, noise, spread_basis

DTYPES = (np.float64, np.float32, np.float16, np.complex128, np.complex64)


def svd64(X):
    X = np.asarray(X)
    return np.linalg.svd(X.astype(np.complex128 if X.dtype.kind == "c" else np.float64), full_matrices=False)


def eps_of(dtype):
    return float(np.finfo(dtype).eps)


def mu_of(U, V, r):
    n, d = U.shape[0], V.shape[0]
    return max(n / r * np.max(np.sum(np.abs(U[:, :r]) ** 2, 1)), d / r * np.max(np.sum(np.abs(V[:, :r]) ** 2, 1)))


@st.composite
def shapes(draw, max_n=60):
    n, d = draw(st.integers(1, max_n)), draw(st.integers(1, max_n))
    return n, d, draw(st.integers(1, min(n, d)))


@profile(60)
@given(shape=shapes(), dtype=st.sampled_from(DTYPES), seed=st.integers(0, 2**32 - 1), data=st.data(),
       sv=st.sampled_from(["default", "drawn"]))
def test_low_rank(shape, dtype, seed, data, sv):
    n, d, r = shape
    top = max(n, d) / r
    mu = data.draw(st.one_of(st.none(), st.floats(1.0, top)), label="mu")
    s = None if sv == "default" else np.sort(data.draw(
        st.lists(st.floats(1e-3, 1e3), min_size=r, max_size=r), label="singular values"))[::-1]
    X = low_rank(n, d, r, mu=mu, singular_values=s, dtype=dtype, rng=seed)
    assert X.shape == (n, d) and X.dtype == dtype
    np.testing.assert_array_equal(X, low_rank(n, d, r, mu=mu, singular_values=s, dtype=dtype, rng=seed))
    U, sx, Vh = svd64(X)
    want = np.logspace(0, -1, r) if s is None else np.asarray(s)
    eps = eps_of(dtype)
    tol = 8 * math.sqrt(n * d) * eps * want[0]
    np.testing.assert_allclose(sx[:r], want, rtol=0, atol=tol + 1e-12 * want[0])
    assert np.all(sx[r:] <= tol)
    if want[-1] > 1e3 * tol:  # the subspaces are determined: mu as asked
        got = mu_of(U, Vh.conj().T, r)
        big = max(n, d)
        if mu is None:
            assert 1 - 1e-6 <= got <= top * (1 + 1e-6)
        elif mu >= big / (big - 1) if big > 1 else True:
            assert got == pytest.approx(mu, rel=1e-6, abs=64 * math.sqrt(n * d) * eps * top / (want[-1] / want[0]))
        else:
            assert 1 - 1e-6 <= got <= 1.05 * max(mu, 1.0) + 1e-6


@profile(40)
@given(shape=shapes(), dtype=st.sampled_from(DTYPES), seed=st.integers(0, 2**32 - 1))
def test_coherent(shape, dtype, seed):
    n, d, r = shape
    X = coherent(n, d, r, dtype=dtype, rng=seed)
    assert X.shape == (n, d) and X.dtype == dtype
    nonzero = np.flatnonzero(np.any(X != 0, axis=1))
    assert nonzero.size <= r
    U, sx, Vh = svd64(X)
    eps = eps_of(dtype)
    np.testing.assert_allclose(sx[:r], np.logspace(0, -1, r), rtol=0, atol=8 * math.sqrt(n * d) * eps)
    assert nonzero.size == r
    assert n / r * np.max(np.sum(np.abs(U[:, :r]) ** 2, 1)) == pytest.approx(n / r, rel=1e-2 if eps > 1e-8 else 1e-9)


@profile(60)
@given(shape=st.tuples(st.integers(1, 40), st.integers(1, 40)),
       norm=st.one_of(st.just(0.0), st.floats(-30, 30).map(lambda e: 10.0**e)),
       kind=st.sampled_from(["gaussian", "uniform", "sparse"]), ord_=st.sampled_from([2, "fro"]),
       density=st.floats(1e-3, 1.0), dtype=st.sampled_from(DTYPES), seed=st.integers(0, 2**32 - 1))
def test_noise(shape, norm, kind, ord_, density, dtype, seed):
    entry = norm / math.sqrt(shape[0] * shape[1])  # about the largest entries' size
    info = np.finfo(dtype)
    if norm > 0 and not (float(info.tiny) * 1e3 <= entry <= float(info.max) / 1e3):
        return  # beyond the dtype (a ValueError naming norm, test_noise_beyond_the_dtype)
    E = noise(shape, norm, kind=kind, ord=ord_, density=density, dtype=dtype, rng=seed)
    assert E.shape == shape and E.dtype == dtype and np.all(np.isfinite(E))
    got = np.linalg.norm(E.astype(np.complex128), 2 if ord_ == 2 else "fro")
    assert got == pytest.approx(norm, rel=8 * math.sqrt(E.size) * eps_of(dtype), abs=1e-300)
    if kind == "sparse" and norm > 0:
        assert np.count_nonzero(E) <= max(1, round(density * E.size))
    if kind == "uniform" and norm > 0:
        assert np.count_nonzero(E) >= 1


@pytest.mark.parametrize("dtype,norm", [(np.float16, 1e6), (np.float32, 1e-65), (np.float16, 1e-9),
                                        (np.float32, 1e300), (np.complex64, 1e-60)])
def test_noise_beyond_the_dtype(dtype, norm):
    # these came back as zeros or infinities, silently
    with raises_naming("norm"):
        noise((10, 10), norm, dtype=dtype, rng=0)


@profile(60)
@given(shape=shapes(max_n=80), seed=st.integers(0, 2**32 - 1), data=st.data())
def test_spread_basis(shape, seed, data):
    m, _, r = shape
    mu = data.draw(st.floats(1.0, m / r), label="mu")
    B = spread_basis(m, r, mu, seed)
    assert B.shape == (m, r)
    np.testing.assert_allclose(B.T @ B, np.eye(r), atol=64 * m * eps_of(np.float64))
    lev = m / r * np.max(np.sum(B**2, axis=1))
    if mu >= m / (m - 1) if m > 1 else True:
        assert lev == pytest.approx(mu, rel=1e-9)
    else:
        assert lev <= 1.05 * mu + 1e-9


BAD = [
    (low_rank, (5, 3, 4), {}, "r"), (low_rank, (5, 3, 0), {}, "r"), (low_rank, (2.5, 3, 1), {}, "n"),
    (low_rank, (5, -1, 1), {}, "d"), (low_rank, (5, 3, True), {}, "r"), (low_rank, (5, 3, 1), {"mu": 0.5}, "mu"),
    (low_rank, (5, 3, 1), {"mu": 99.0}, "mu"), (low_rank, (5, 3, 1), {"mu": "high"}, "mu"),
    (low_rank, (5, 3, 2), {"singular_values": [1.0]}, "singular_values"),
    (low_rank, (5, 3, 2), {"singular_values": [1.0, -1.0]}, "singular_values"),
    (low_rank, (5, 3, 2), {"singular_values": [1.0, np.nan]}, "singular_values"),
    (low_rank, (5, 3, 1), {"singular_values": [1j]}, "singular_values"),
    (low_rank, (5, 3, 1), {"dtype": np.int32}, "dtype"), (low_rank, (5, 3, 1), {"dtype": "foo"}, "dtype"),
    (low_rank, (5, 3, 1), {"rng": "seed"}, "rng"), (coherent, (5, 3, 9), {}, "r"),
    (coherent, (5, 3, 1), {"dtype": bool}, "dtype"), (noise, ((5, 3), -1.0), {}, "norm"),
    (noise, ((5, 3), np.inf), {}, "norm"), (noise, (5, 1.0), {}, "shape"), (noise, ((5, 2.5), 1.0), {}, "shape"),
    (noise, ((5, 0), 1.0), {}, "shape"), (noise, ((5, 3), 1.0), {"kind": "cauchy"}, "kind"),
    (noise, ((5, 3), 1.0), {"ord": 1}, "ord"), (noise, ((5, 3), 1.0), {"density": 0.0}, "density"),
    (noise, ((5, 3), 1.0), {"density": 2.0}, "density"), (noise, ((5, 3), 1.0), {"dtype": int}, "dtype"),
    (spread_basis, (10, 3, 0.5, 0), {}, "mu"), (spread_basis, (10, 11, 1.0, 0), {}, "r"),
    (spread_basis, (10.0, 2, 1.0, 0), {}, "m"), (spread_basis, (10, 2, 1.0, "x"), {}, "rng"),
]


@pytest.mark.parametrize("fn,args,kwargs,name", BAD, ids=[f"{b[0].__name__}-{b[3]}-{i}" for i, b in enumerate(BAD)])
def test_bad_arguments_name_the_argument(fn, args, kwargs, name):
    with raises_naming(name):
        fn(*args, **kwargs)
