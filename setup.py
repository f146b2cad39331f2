"""Installation script for ``skeleton`` (metadata lives here; build system in pyproject.toml).

The distribution is named ``skeleton-cur`` (``skeleton`` on the package index is an
unrelated project); the package it installs is still ``import skeleton`` and the command
is still ``skeleton``.
"""
from setuptools import find_packages, setup

TEST = [
    "pytest>=7",
    "hypothesis>=6",
    "array-api-strict>=2.0",
    "scikit-learn>=1.3",
    "dask[array]>=2024.1",
    "distributed>=2024.1",
]
DOCS = [
    "sphinx>=7",
    "numpydoc>=1.6",
    "pydata-sphinx-theme>=0.15",
    "myst-nb>=1.0",
    "jupytext>=1.16",
    "nbclient>=0.10",
    "nbconvert>=7",
    "ipykernel>=6",
    # MathJax 3 served from the built site (docs/conf.py copies it): no CDN
    "sphinx-mathjax-offline>=0.0.2",
]

setup(
    name="skeleton-cur",
    version="0.1.0",
    description=(
        "Incoherence, skeleton (CUR) approximation, Fourier smoothing and skeleton "
        "attention, with numerical checks of the S3Attention paper's claims"
    ),
    long_description=open("README.md", encoding="utf-8").read(),
    long_description_content_type="text/markdown",
    python_requires=">=3.10",
    packages=find_packages(include=["skeleton", "skeleton.*", "proofs_checks", "proofs_checks.*"]),
    install_requires=[
        "numpy>=1.24",
        "scipy>=1.10",
        "numba>=0.58",
        "matplotlib>=3.6",
        "tqdm>=4.60",
        "array-api-compat>=1.6",
        "threadpoolctl>=3",
        # skeleton verify's Table 14 check reads the photographs shipped with scikit-learn
        "scikit-learn>=1.3",
    ],
    extras_require={
        # The test suite builds the docs and executes the notebooks, so it needs both.
        "test": TEST + DOCS + ["zarr>=2.16"],
        "gpu": ["cupy-cuda12x"],
        "dask": ["dask[array]>=2024.1", "distributed>=2024.1", "zarr>=2.16"],
        "docs": DOCS,
    },
    entry_points={"console_scripts": ["skeleton=skeleton.cli:main"]},
    classifiers=[
        "Programming Language :: Python :: 3",
        "Topic :: Scientific/Engineering :: Mathematics",
    ],
)
