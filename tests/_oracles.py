"""Entry oracles and a dense kernel reference shared by the oracle, kernel-matrix,
rpcholesky and ACA tests: an oracle over a dense array that counts what it hands out,
oracles that break the interface, and the Gaussian kernel matrix written out."""

import numpy as np


def gaussian_reference(x, y, h):
    """Dense Gaussian kernel matrix, written out directly."""
    x = np.atleast_2d(np.asarray(x, dtype=np.float64).T).T
    y = np.atleast_2d(np.asarray(y, dtype=np.float64).T).T
    d2 = ((x[:, None, :] - y[None, :, :]) ** 2).sum(axis=-1)
    return np.exp(-d2 / (2 * h * h))


class DenseOracle:
    """An oracle over a dense array that counts the entries it hands out."""

    def __init__(self, A):
        self.A = A
        self.shape = A.shape
        self.dtype = A.dtype
        self.count = 0

    def entries(self, rows, cols):
        self.count += len(rows) * len(cols)
        return self.A[np.ix_(rows, cols)]


class BadShape(DenseOracle):
    def entries(self, rows, cols):
        return self.A[np.ix_(rows, cols)][:, :-1]


class BadDtype(DenseOracle):
    def entries(self, rows, cols):
        return self.A[np.ix_(rows, cols)].astype(np.float32)


class NotArray(DenseOracle):
    def entries(self, rows, cols):
        return self.A[np.ix_(rows, cols)].tolist()
