"""Tests for skeleton.smoothing.kaiming: the Kaiming-initialised kernel's variances in
the frequency and time domain, tested by sampling (chi-square and z-tests with
Bonferroni correction), and the closed forms against a direct sum over the DFT."""

import numpy as np
import pytest
import scipy.fft
import scipy.stats

from _references_s3 import dense_irfft
from skeleton.smoothing import kaiming_kernel, kaiming_variance


def _chi2_ok(sumsq, N, var, alpha):
    """Two-sided chi-square test of sum of N squared N(0, var) draws."""
    stat = sumsq / var
    lo, hi = scipy.stats.chi2.ppf([alpha / 2, 1 - alpha / 2], N)
    return lo <= stat <= hi


@pytest.mark.parametrize("distribution", ["normal", "uniform"])
@pytest.mark.parametrize("n", [64, 63])
def test_kaiming_variance(distribution, n):
    d = 4000
    L = kaiming_kernel(n, d, distribution=distribution, rng=11)
    v = kaiming_variance(n, d)
    assert L.shape == (n // 2 + 1, d)
    # frequency domain: real and imaginary parts, variance 1/d (mean 0)
    for part in (L.real, L.imag):
        N = part.size
        m2 = np.mean(part**2)
        m4 = np.mean(part**4)
        se = np.sqrt((m4 - m2**2) / N)  # standard error of the mean of squares
        assert abs(m2 - v["part"]) < 5 * se
    assert abs(np.mean(np.abs(L) ** 2) - v["abs2"]) < 5 * np.sqrt(np.var(np.abs(L) ** 2) / L.size)
    if distribution == "uniform":
        assert np.max(np.abs(L.real)) <= np.sqrt(3.0 / d) + 1e-15
    # time domain: every time index has the same variance; the d columns are independent
    k = scipy.fft.irfft(L, n, axis=0)
    alpha = 1e-4 / n  # Bonferroni over the n time indices
    for t in range(n):
        if distribution == "normal":  # k_t is exactly Gaussian
            assert _chi2_ok(np.sum(k[t] ** 2), d, v["time"], alpha), t
        else:  # a sum of uniforms: z-test with the empirical fourth moment
            m2 = np.mean(k[t] ** 2)
            se = np.sqrt((np.mean(k[t] ** 4) - m2**2) / d)
            assert abs(m2 - v["time"]) < 5 * se, t
    # the formula is not the paper's sigma^2/(2 n^2): it is about 2/(d n)
    assert abs(v["time"] * d * n / 2 - 1) < 2 / n


def test_kaiming_dtype_and_errors():
    assert kaiming_kernel(8, 2, rng=0, dtype=np.complex64).dtype == np.complex64
    with pytest.raises(ValueError, match="distribution"):
        kaiming_kernel(8, 2, distribution="cauchy")
    with pytest.raises(TypeError, match="dtype"):
        kaiming_kernel(8, 2, dtype=np.float64)
    np.testing.assert_array_equal(kaiming_kernel(8, 2, rng=3), kaiming_kernel(8, 2, rng=3))


@pytest.mark.parametrize("n", [1, 2, 3, 8, 9, 64])
def test_kaiming_variance_closed_form_matches_the_dft(n):
    """Var(k_t) = sum over the 2(n//2+1) independent parts of (d k_t / d part)^2 / d:
    the derivatives are the time-domain signals of unit real / imaginary spectra."""
    d = 5
    nf = n // 2 + 1
    E = np.eye(nf)
    grad_re = dense_irfft(E, n)  # (n, nf): k_t per unit real part of bin f
    grad_im = dense_irfft(1j * E, n)
    var_t = (np.sum(grad_re**2, axis=1) + np.sum(grad_im**2, axis=1)) / d
    v = kaiming_variance(n, d)
    np.testing.assert_allclose(var_t, v["time"], rtol=1e-12)
    assert v["part"] == 1 / d and v["abs2"] == 2 / d
