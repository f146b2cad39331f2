"""The rank cut-offs and scaling helpers of skeleton/_linalg.py against what they are
documented to compute."""

import math

import numpy as np
import pytest

from skeleton._backends.numpy import NumpyBackend
from skeleton._linalg import InputRounding, input_rounding, power_of_two_scale, rank_from_singular_values


def test_input_rounding_only_for_data_coarser_than_the_computation():
    assert input_rounding(np.float16, np.float32) == InputRounding(np.dtype(np.float16))
    assert input_rounding(np.float32, np.float64) == InputRounding(np.dtype(np.float32))
    assert input_rounding(np.complex64, np.complex128) == InputRounding(np.dtype(np.float32))
    for data, work in ((np.float32, np.float32), (np.float64, np.float64), (np.int8, np.float64),
                       (np.bool_, np.float64), (np.complex128, np.complex128)):
        assert input_rounding(data, work) is None


def test_input_rounding_cut_is_u_times_the_frobenius_norm():
    s = np.array([4.0, 3.0, 1e-3, 1e-9])
    u = 2.0**-11
    cut = InputRounding(np.dtype(np.float16)).relative(s)
    assert cut == pytest.approx(u * np.linalg.norm(s) / 4.0, rel=1e-15)
    # scale-free: the same cut at 1e-300 and 1e300
    for scale in (1e-300, 1e300):
        assert InputRounding(np.dtype(np.float16)).relative(s * scale) == pytest.approx(cut, rel=1e-14)
    assert rank_from_singular_values(s, (10, 10), np.float32, tol=InputRounding(np.dtype(np.float16))) == 2
    assert rank_from_singular_values(s, (10, 10), np.float32) == 3  # float32's own rule keeps 1e-3
    # the working precision's rule still applies where it is the larger
    t = np.array([1.0, 0.75, 5e-3])
    f16 = InputRounding(np.dtype(np.float16))
    assert rank_from_singular_values(t, (10, 10), np.float32, tol=f16) == 3
    assert rank_from_singular_values(t, (10**5, 10), np.float32, tol=f16) == 2  # 1e5 eps32 = 0.012


@pytest.mark.parametrize("m", [1e-310, 1e-300, 3e-200, 0.75, 1.0, 5e200, 1.7e308])
def test_power_of_two_scale(m):
    A = np.array([[m, -m / 3], [0.0, m / 7]])
    e = power_of_two_scale(A, NumpyBackend())
    assert 0.5 <= math.ldexp(m, -e) < 1.0
    np.testing.assert_array_equal(np.ldexp(np.ldexp(A, -e), e), A)  # exact (normal range)
    assert power_of_two_scale(np.zeros((2, 2)), NumpyBackend()) == 0
    assert power_of_two_scale(np.array([[np.nan, 1.0]]), NumpyBackend()) == 0
