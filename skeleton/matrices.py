r"""Test matrices with known structure: low rank with a chosen coherence, spiky
(coherent) low rank, and noise of an exact norm.

How :func:`low_rank` hits a requested μ. On :math:`m` points the real Fourier
vectors :math:`1/\sqrt m` and :math:`\sqrt{2/m}\cos(2\pi k t/m)`,
:math:`\sqrt{2/m}\sin(2\pi k t/m)` are orthonormal, and a set made of the constant
vector and/or whole cos/sin pairs gives *every* row the same leverage :math:`r/m`
(because :math:`\cos^2 + \sin^2 = 1`). Put such a basis :math:`F` on rows
:math:`2..n` and let the first basis vector be :math:`\sqrt{L}\,e_1 +
\sqrt{1-L}\,F_{:,1}`: the basis stays orthonormal, row 1 has leverage :math:`L` and
every other row at most :math:`r/(n-1)`. Choosing :math:`L = \mu r/n` gives
coherence :math:`\mu` (for :math:`\mu \ge n/(n-1)`; below that the matrix has
:math:`\mu = n/(n-1)`, within 5 % of 1 once :math:`n \ge 21`). A random rotation
inside the subspace and a random permutation of the rows hide the construction
without changing any leverage score.
"""

from __future__ import annotations

import numpy as np

from ._validation import check_choice, check_int, check_positive, check_rng, check_vector

__all__ = ["low_rank", "coherent", "noise", "spread_basis", "KernelMatrix"]


def _check_shape_rank(n, d, r, names=("n", "d", "r")):
    """Positive integers ``n``, ``d`` and ``1 <= r <= min(n, d)`` (TypeError for a
    non-integer, ValueError for a value out of range), as Python ints."""
    n, d = (check_int(v, name, low=1) for v, name in zip((n, d), names))
    r = check_int(r, names[2], low=1, high=min(n, d))
    return n, d, r


def _fourier_flat(m, r):
    """``m x r`` orthonormal real basis whose rows all have squared norm ``r/m``."""
    t = np.arange(m)
    cols = []
    if r % 2 == 1:
        cols.append(np.full(m, 1.0 / np.sqrt(m)))
    k = 1
    while len(cols) < r:
        if 2 * k >= m:  # out of frequencies: fall back (only when r is close to m)
            return None
        cols.append(np.sqrt(2.0 / m) * np.cos(2 * np.pi * k * t / m))
        cols.append(np.sqrt(2.0 / m) * np.sin(2 * np.pi * k * t / m))
        k += 1
    return np.column_stack(cols[:r])


def _random_orthogonal(r, rng):
    Q, Rf = np.linalg.qr(rng.standard_normal((r, r)))
    return Q * np.sign(np.diag(Rf))


def _check_dtype(dtype):
    try:
        dtype = np.dtype(dtype)
    except TypeError as exc:
        raise TypeError(f"dtype must be a float or complex dtype, got {dtype!r}") from exc
    if dtype.kind not in "fc" or dtype.itemsize > 16 or dtype == np.longdouble:
        raise TypeError(f"dtype must be a float or complex dtype (float16 to complex128), got {dtype}")
    return dtype


def _check_singular_values(singular_values, r):
    """Default ``logspace(0, -1, r)`` (condition number 10), else ``r`` positive numbers."""
    if singular_values is None:
        return np.logspace(0, -1, r)
    s = check_vector(singular_values, "singular_values", size=r, dtype=np.float64)
    if np.any(s <= 0):
        raise ValueError(f"singular_values must be {r} positive finite numbers, got {s.min()!r} among them")
    return s


def _check_mu(mu, top, what):
    mu = check_positive(mu, "mu")
    if not 1.0 <= mu <= top * (1 + 1e-12):
        raise ValueError(f"mu must lie in [1, {what}] = [1, {top:.6g}], got {mu}")
    return mu


def spread_basis(m, r, mu, rng):
    r"""An ``m x r`` orthonormal basis whose largest leverage is ``mu * r / m``.

    See the module docstring for the construction (a flat Fourier basis with one
    spike row mixed in, rotated and row-permuted at random).

    Parameters
    ----------
    m, r : int
        Rows and columns of the basis, ``1 <= r <= m``.
    mu : float
        The coherence :math:`\tfrac{m}{r}\max_i \|B_{i,:}\|^2` to reach, in ``[1, m/r]``.
    rng : {None, int, numpy.random.Generator}
        Source of the random rotation and permutation (SPEC 7).

    Returns
    -------
    B : ndarray of shape (m, r)
        Orthonormal columns (:math:`B^T B = I_r`).

    Raises
    ------
    ValueError
        If ``r`` is outside ``[1, m]`` or ``mu`` outside ``[1, m/r]``.
    TypeError
        If ``m`` or ``r`` is not an integer, ``mu`` not a real number, or ``rng``
        not a random state.

    Examples
    --------
    >>> import numpy as np
    >>> from skeleton.matrices import spread_basis
    >>> B = spread_basis(50, 5, 3.0, np.random.default_rng(0))
    >>> round(float(50 / 5 * np.max(np.sum(B**2, axis=1))), 8)
    3.0
    """
    m, _, r = _check_shape_rank(m, m, r, names=("m", "m", "r"))
    mu = _check_mu(mu, m / r, "m/r")
    return _spread_basis(m, r, mu, check_rng(rng))


def _spread_basis(m, r, mu, rng):
    L = min(1.0, mu * r / m)
    F = _fourier_flat(m - 1, r) if m > 1 else None
    if F is None or r == m:
        Q = np.linalg.qr(rng.standard_normal((m, r)))[0]
        B = Q
    else:
        B = np.zeros((m, r))
        B[1:, :] = F
        B[1:, 0] *= np.sqrt(1.0 - L)
        B[0, 0] = np.sqrt(L)
    B = B @ _random_orthogonal(r, rng)
    return B[rng.permutation(m)]


def low_rank(n, d, r, *, mu=None, singular_values=None, dtype=np.float64, rng=None):
    r"""A rank-``r`` matrix :math:`X = W\,\mathrm{diag}(s)\,V^T` with coherence ``mu``.

    Parameters
    ----------
    n, d, r : int
        Shape and rank, ``1 <= r <= min(n, d)``.
    mu : float, optional
        Requested coherence in ``[1, max(n, d)/r]``; hit within 5 % (exactly up to
        rounding when ``mu >= n/(n-1)``). ``None``: Gaussian singular vectors
        (typically :math:`\mu = O(\log n)`).
    singular_values : array_like of shape (r,), optional
        Default ``numpy.logspace(0, -1, r)`` (condition number 10).
    dtype : dtype
        float32, float64, complex64 or complex128 (complex matrices are the real
        construction cast, with a random unit phase per column of ``V``).
    rng : {None, int, numpy.random.Generator}
        Random state (SPEC 7).

    Returns
    -------
    X : ndarray of shape (n, d)
        The matrix, of the requested ``dtype``.

    Raises
    ------
    ValueError
        If ``n``, ``d`` are not positive, ``r`` is outside ``[1, min(n, d)]``,
        ``mu`` outside ``[1, max(n, d)/r]``, or ``singular_values`` are not ``r``
        positive finite numbers.
    TypeError
        If ``n``, ``d``, ``r`` are not integers, ``mu`` or ``singular_values`` not
        real, ``dtype`` not a float or complex dtype, or ``rng`` not a random state.

    Examples
    --------
    >>> from skeleton import incoherence
    >>> from skeleton.matrices import low_rank
    >>> X = low_rank(200, 100, 4, mu=5.0, rng=0)
    >>> round(incoherence(X, 4).mu, 6)
    5.0
    """
    n, d, r = _check_shape_rank(n, d, r)
    rng = check_rng(rng)
    dtype = _check_dtype(dtype)
    s = _check_singular_values(singular_values, r)
    if mu is not None:
        mu = _check_mu(mu, max(n, d) / r, "max(n, d)/r")
    if mu is None:
        W = np.linalg.qr(rng.standard_normal((n, r)))[0]
        V = np.linalg.qr(rng.standard_normal((d, r)))[0]
    else:
        # The larger side carries the spike; the other side is as flat as it can be
        # while not exceeding mu.
        big, small = (n, d) if n >= d else (d, n)
        B_big = _spread_basis(big, r, mu, rng)
        B_small = _spread_basis(small, r, min(mu, small / r), rng)
        W, V = (B_big, B_small) if n >= d else (B_small, B_big)
    X = (W * s) @ V.T
    if dtype.kind == "c":
        phases = np.exp(2j * np.pi * rng.random(r))
        X = (W * (s * phases)) @ V.T
    return X.astype(dtype)


def coherent(n, d, r, *, singular_values=None, dtype=np.float64, rng=None):
    r"""A spiky rank-``r`` matrix: ``r`` non-zero rows at random positions.

    :math:`X = P_I\,\mathrm{diag}(s)\,V^T` where :math:`P_I` holds ``r`` columns of
    the identity, so :math:`\mu_{rows} = n/r`, the maximum. Uniform sampling of
    :math:`O(r\log n)` rows misses most of the ``r`` informative rows.

    Parameters
    ----------
    n, d, r : int
        Shape and rank, ``1 <= r <= min(n, d)``.
    singular_values : array_like of shape (r,), optional
        Default ``numpy.logspace(0, -1, r)``.
    dtype : dtype
        A float or complex dtype.
    rng : {None, int, numpy.random.Generator}
        Random state (SPEC 7).

    Returns
    -------
    X : ndarray of shape (n, d)
        Zero except for ``r`` rows.

    Raises
    ------
    ValueError
        If ``n``, ``d`` are not positive, ``r`` is outside ``[1, min(n, d)]``, or
        ``singular_values`` are not ``r`` positive finite numbers.
    TypeError
        If ``n``, ``d``, ``r`` are not integers, ``singular_values`` not real,
        ``dtype`` not a float or complex dtype, or ``rng`` not a random state.

    Examples
    --------
    >>> from skeleton import incoherence
    >>> from skeleton.matrices import coherent
    >>> incoherence(coherent(100, 40, 4, rng=0)).mu_rows
    25.0
    """
    n, d, r = _check_shape_rank(n, d, r)
    rng = check_rng(rng)
    dtype = _check_dtype(dtype)
    s = _check_singular_values(singular_values, r)
    rows = rng.choice(n, size=r, replace=False)
    V = np.linalg.qr(rng.standard_normal((d, r)))[0]
    X = np.zeros((n, d))
    X[rows, :] = (s[:, None] * V.T)
    return X.astype(dtype)


def noise(shape, norm, *, kind="gaussian", ord=2, density=0.01, dtype=np.float64, rng=None):
    r"""A random matrix scaled to have exactly the norm ``norm``.

    Parameters
    ----------
    shape : tuple of two ints
        The shape ``(n, d)`` of the matrix.
    norm : float
        The requested :math:`\|E\|` (>= 0).
    kind : {"gaussian", "uniform", "sparse"}
        i.i.d. standard normal entries, uniform on [-1, 1], or a fraction
        ``density`` of normal entries at random positions (at least one).
    ord : {2, "fro"}
        Spectral or Frobenius norm.
    density : float
        Fraction of non-zero entries for ``kind="sparse"`` (ignored otherwise).
    dtype : dtype
        dtype of the result (the scaling is done in float64 first).
    rng : {None, int, numpy.random.Generator}
        Random state (SPEC 7).

    Returns
    -------
    E : ndarray of shape ``shape``
        The noise, with :math:`\|E\|_{ord} =` ``norm`` up to rounding in ``dtype``.

    Raises
    ------
    ValueError
        If ``kind`` or ``ord`` is not one of the choices, ``norm`` is negative or
        beyond what ``dtype`` can hold in entries of that size (they would under- or
        overflow), ``density`` outside ``(0, 1]``, or ``shape`` is not two positive
        integers.
    TypeError
        If ``norm`` or ``density`` is not a finite real number, an entry of ``shape``
        not an integer, or ``dtype`` not a float or complex dtype.

    Examples
    --------
    >>> import numpy as np
    >>> from skeleton.matrices import noise
    >>> E = noise((30, 20), 1e-3, rng=0)
    >>> bool(np.isclose(np.linalg.norm(E, 2), 1e-3, rtol=1e-12))
    True
    """
    check_choice(kind, ("gaussian", "uniform", "sparse"), "kind")
    if isinstance(ord, bool) or ord not in (2, "fro"):
        raise ValueError(f"ord must be 2 or 'fro', got {ord!r}")
    norm = check_positive(norm, "norm", allow_zero=True)
    if not isinstance(shape, (tuple, list)) or len(shape) != 2:
        raise ValueError(f"shape must be two positive integers, got {shape!r}")
    shape = tuple(check_int(s, "shape", low=1) for s in shape)
    density = check_positive(density, "density")
    if density > 1:
        raise ValueError(f"density must lie in (0, 1], got {density}")
    dtype = _check_dtype(dtype)
    rng = check_rng(rng)
    if kind == "gaussian":
        E = rng.standard_normal(shape)
    elif kind == "uniform":
        E = rng.uniform(-1.0, 1.0, shape)
    else:
        E = np.zeros(shape)
        count = max(1, int(round(density * E.size)))
        pos = rng.choice(E.size, size=count, replace=False)
        E.flat[pos] = rng.standard_normal(count)
    which = 2 if ord == 2 else "fro"
    current = np.linalg.norm(E, which)
    with np.errstate(over="ignore", under="ignore"):  # reported below, naming norm
        out = (E * (norm / current)).astype(dtype)
    got = np.linalg.norm(out.astype(np.complex128 if dtype.kind == "c" else np.float64), which)
    if norm > 0 and not abs(got - norm) <= 8 * np.sqrt(E.size) * np.finfo(dtype).eps * norm:
        raise ValueError(
            f"norm={norm!r} is outside the range of {dtype}: its entries would under- or overflow "
            f"(the matrix would have norm {got:.3g})"
        )
    return out


def __getattr__(name):
    # KernelMatrix lives in its own module (entry oracles); imported lazily.
    if name == "KernelMatrix":
        from .kernel_matrix import KernelMatrix

        return KernelMatrix
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
