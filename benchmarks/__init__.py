"""Benchmarks of skeleton against its peers (see ``python -m benchmarks --help``)."""

# _common sets the environment (OMP_WAIT_POLICY) before any benchmark module imports numpy or numba
from benchmarks import _common  # noqa: F401
