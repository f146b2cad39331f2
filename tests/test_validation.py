"""The shared boundary checks of skeleton/_validation.py: what they accept, what they
return, and that their messages name the argument."""

import numpy as np
import pytest

from skeleton._validation import check_cutoff, check_entry_indices, nonfinite_message


@pytest.mark.parametrize("value", [0, 0.0, 1e-300, 0.5, np.float32(0.25), np.int64(0), 1 - 1e-16])
def test_check_cutoff_accepts_the_unit_interval(value):
    out = check_cutoff(value, "tol")
    assert type(out) is float and out == float(value)


@pytest.mark.parametrize("value,exc", [(-1e-300, ValueError), (1.0, ValueError), (np.nan, ValueError),
                                       (np.inf, ValueError), (-np.inf, ValueError), (True, TypeError),
                                       (np.bool_(False), TypeError), ("0.1", TypeError), (0.1j, TypeError),
                                       (None, TypeError), ([0.1], TypeError)])
def test_check_cutoff_refuses_naming_the_argument(value, exc):
    with pytest.raises(exc, match=r"^cut\b"):
        check_cutoff(value, "cut")


def test_nonfinite_message_forms():
    assert nonfinite_message("X") == "X must not contain NaN or infinity (pass check_finite=False to skip this check)"
    assert nonfinite_message("A", "found on its diagonal") == (
        "A must not contain NaN or infinity (found on its diagonal; pass check_finite=False to skip this check)")
    assert nonfinite_message("x", skippable=False) == "x must not contain NaN or infinity"


def test_check_entry_indices():
    out = check_entry_indices([3, 0, 3], 4, "rows")
    assert out.dtype == np.intp and out.tolist() == [3, 0, 3]
    assert check_entry_indices(np.array([], dtype=float), 4, "rows").size == 0  # empty: any dtype
    assert check_entry_indices(np.array([1, 2], dtype=np.uint8), 4, "cols").tolist() == [1, 2]
    for bad, exc in (([[0]], ValueError), ([4], ValueError), ([-1], ValueError), ([0.0], TypeError),
                     ([True], TypeError), (["a"], TypeError)):
        with pytest.raises(exc, match=r"^cols\b"):
            check_entry_indices(bad, 4, "cols")
