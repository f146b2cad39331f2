"""Property tests (hypothesis) of ``KernelMatrix``.

Points of any real dtype (bool, integers, float16/32/64), 1-D or 2-D, any layout,
bandwidths from 1e-300 to 1e300: ``entries(rows, cols)`` (any order, repeats,
integer dtypes, lists, empty) agrees with the Gaussian kernel written out in double
precision, in the scaled form ``exp(-(|x - y| / h)^2 / 2)`` that neither squares h
nor overflows, to a few ulp of the exponent; ``diagonal()`` and ``to_array()`` agree
with it; the dtype is float32 exactly when both point sets are.  The kernel is
invariant under scaling the points and the bandwidth together (checked at 2**+-40
against the unscaled matrix).  Bad arguments raise ValueError/TypeError naming the
argument; the points are never modified.
"""

import math

import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
from hypothesis import given, strategies as st

from _strategies_linalg import profile, raises_naming, relayout, snapshot, unchanged
from _strategies_s3 import LAYOUTS, elements
from skeleton import KernelMatrix

POINT_DTYPES = (np.float64, np.float32, np.float16, np.int64, np.int16, np.uint8, np.bool_)


@st.composite
def points(draw, p, dtype=None):
    dt = np.dtype(draw(st.sampled_from(POINT_DTYPES)) if dtype is None else dtype)
    m = draw(st.integers(1, 12))
    P = draw(hnp.arrays(dt, (m, p), elements=elements(dt, 10)))
    if p == 1 and draw(st.booleans()):
        return P[:, 0]
    return relayout(P, draw(st.sampled_from(LAYOUTS)))


def reference(x, y, h):
    """exp(-(|x - y| / h)^2 / 2) in float64, and the magnitude of its exponent."""
    x = np.asarray(x, dtype=np.float64).reshape(len(x), -1)
    y = np.asarray(y, dtype=np.float64).reshape(len(y), -1)
    with np.errstate(over="ignore"):
        dist = np.sqrt((((x[:, None, :] - y[None, :, :]) / h) ** 2).sum(-1))
        t = 0.5 * dist * dist
    return np.exp(-t), t


def tolerance(ref, t, eps):
    """The exponent carries a relative rounding of a few eps (formed in float64), the
    exponential one more: ``(8 eps64 t + 4 eps) e^{-t}``, plus the flush of results
    below the smallest normal double to 0 (and nothing else where t is infinite)."""
    with np.errstate(invalid="ignore"):
        rel = np.where(np.isfinite(t), (8 * np.finfo(np.float64).eps * t + 4 * eps) * ref, 0.0)
    return rel + 2.5e-308


bandwidths = st.one_of(st.floats(-3, 3).map(lambda e: 10.0**e), st.sampled_from([1e-300, 1e-200, 1e200, 1e300]),
                       st.integers(1, 5))


@profile(80)
@given(data=st.data(), p=st.integers(1, 3), h=bandwidths, symmetric=st.booleans())
def test_entries_diagonal_and_dense(data, p, h, symmetric):
    x = data.draw(points(p), label="x")
    y = None if symmetric else data.draw(points(p), label="y")
    copies = snapshot(x) + ([] if y is None else snapshot(y))
    K = KernelMatrix(x, y, bandwidth=h)
    yy = x if y is None else y
    want_dtype = np.float32 if np.asarray(x).dtype == np.float32 and np.asarray(yy).dtype == np.float32 else np.float64
    assert K.dtype == want_dtype and K.shape == (len(x), len(yy))
    ref, t = reference(x, yy, h)
    eps = float(np.finfo(want_dtype).eps)
    tol = tolerance(ref, t, eps)
    n, d = K.shape
    rows = data.draw(st.lists(st.integers(0, n - 1), max_size=2 * n), label="rows")
    cols = data.draw(st.lists(st.integers(0, d - 1), max_size=2 * d), label="cols")
    idt = data.draw(st.sampled_from([np.int64, np.int32, np.uint8, "list"]), label="index dtype")
    ri, ci = (rows, cols) if idt == "list" else (np.array(rows, dtype=idt), np.array(cols, dtype=idt))
    block = K.entries(ri, ci)
    assert block.dtype == want_dtype and block.shape == (len(rows), len(cols)) and block.flags.c_contiguous
    assert np.all(np.abs(block - ref[np.ix_(rows, cols)]) <= tol[np.ix_(rows, cols)])
    full = K.to_array()
    assert np.all(np.abs(full - ref) <= tol)
    diag = K.diagonal()
    assert diag.dtype == want_dtype and diag.shape == (min(n, d),)
    assert np.all(np.abs(diag - np.diagonal(ref)) <= np.diagonal(tol))
    if y is None:
        np.testing.assert_array_equal(diag, np.ones(n))
    unchanged([x] + ([] if y is None else [y]), copies)


@profile(30)
@given(data=st.data(), p=st.integers(1, 3), e=st.sampled_from([-40, 40]), h=st.floats(-2, 2).map(lambda e: 10.0**e))
def test_invariant_under_scaling_points_and_bandwidth(data, p, e, h):
    x = data.draw(points(p, np.float64), label="x")
    y = data.draw(points(p, np.float64), label="y")
    K = KernelMatrix(x, y, bandwidth=h).to_array()
    Ks = KernelMatrix(np.ldexp(x, e), np.ldexp(y, e), bandwidth=math.ldexp(h, e)).to_array()
    ref, t = reference(x, y, h)
    assert np.all(np.abs(Ks - K) <= 2 * tolerance(ref, t, float(np.finfo(np.float64).eps)))


BAD = [
    ({"x": np.zeros((0, 2))}, "x"), ({"x": np.zeros((2, 2, 2))}, "x"), ({"x": np.array([[np.nan, 0.0]])}, "x"),
    ({"x": np.array([1j, 2j])}, "x"), ({"x": np.array(["a", "b"])}, "x"), ({"y": np.zeros((3, 3))}, "y"),
    ({"y": np.array([np.inf, 0.0])}, "y"), ({"bandwidth": 0.0}, "bandwidth"), ({"bandwidth": -1.0}, "bandwidth"),
    ({"bandwidth": np.nan}, "bandwidth"), ({"bandwidth": np.inf}, "bandwidth"), ({"bandwidth": True}, "bandwidth"),
    ({"bandwidth": "1"}, "bandwidth"), ({"bandwidth": 1e-320}, "bandwidth"), ({"kernel": "laplace"}, "kernel"),
]


@pytest.mark.parametrize("kwargs,name", BAD, ids=[f"{b[1]}-{i}" for i, b in enumerate(BAD)])
def test_bad_arguments_name_the_argument(kwargs, name):
    args = {"x": np.zeros((4, 2)), "y": None, "bandwidth": 1.0, "kernel": "gaussian", **kwargs}
    if name == "y" and args["y"] is not None and args["y"].ndim == 1:
        args["x"] = np.zeros(4)
    with raises_naming(name):
        KernelMatrix(args["x"], args["y"], kernel=args["kernel"], bandwidth=args["bandwidth"])


@pytest.mark.parametrize("rows,cols,name", [([[0]], [0], "rows"), ([0], [0.5], "cols"), ([4], [0], "rows"),
                                            ([0], [-1], "cols"), ([True], [0], "rows")])
def test_bad_indices_name_them(rows, cols, name):
    K = KernelMatrix(np.arange(4.0), bandwidth=1.0)
    with raises_naming(name):
        K.entries(rows, cols)
    with raises_naming("out"):
        K.entries([0], [0], out=np.empty((2, 2)))
