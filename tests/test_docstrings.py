"""Every public callable carries a complete NumPy-style docstring.

Runs :func:`numpydoc.validate.validate` over the public functions, classes and public
methods of the public modules (``skeleton.__all__`` and each module's ``__all__``)
and fails on the checks that make up the project's docstring standard (issue 7,
"Quality"): every parameter documented and described, a described Returns section,
and an Examples section (the examples themselves run as doctests through
``--doctest-modules``).  Private modules (``skeleton._*``) and private names are
exempt.  Also guards the summary line: autosummary cuts it at the first ". ", so a
period followed by a space inside it would truncate the API table.
"""

from __future__ import annotations

import importlib
import inspect

import pytest

validate = pytest.importorskip("numpydoc.validate").validate

PUBLIC_MODULES = (
    "skeleton.cur",
    "skeleton.approximation",
    "skeleton.cores",
    "skeleton.selection",
    "skeleton.tolerance",
    "skeleton.incoherence",
    "skeleton.sampling",
    "skeleton.matrices",
    "skeleton.kernel_matrix",
    "skeleton.rpcholesky",
    "skeleton.aca",
    "skeleton.smoothing",
    "skeleton.smoothing.fourier",
    "skeleton.smoothing.segments",
    "skeleton.smoothing.kaiming",
    "skeleton.smoothing.filters",
    "skeleton.smoothing.legt",
    "skeleton.stem",
    "skeleton.attention",
    "skeleton.s3",
    "skeleton.nystrom",
)

# The numpydoc checks enforced (numpydoc's own codes):
ENFORCED = {
    "GL08": "no docstring",
    "PR01": "a parameter is not documented",
    "PR02": "a documented parameter does not exist",
    "PR07": "a parameter has no description",
    "RT01": "no Returns section",
    "RT03": "a return value has no description",
    "EX01": "no Examples section",
}

# Operators documented like methods (other dunders are exempt).
_DOCUMENTED_DUNDERS = {"__call__", "__matmul__", "__rmatmul__", "__getitem__"}


def _public_names(module):
    names = getattr(module, "__all__", None)
    if names is None:
        names = [n for n in dir(module) if not n.startswith("_")]
    return names


def _collect():
    """Dotted names of every public callable defined in the public modules."""
    found = set()
    modules = [importlib.import_module(m) for m in PUBLIC_MODULES]
    skeleton = importlib.import_module("skeleton")
    objects = [getattr(skeleton, n) for n in skeleton.__all__]
    for mod in modules:
        objects += [getattr(mod, n) for n in _public_names(mod)]
    for obj in objects:
        if inspect.ismodule(obj) or not callable(obj):
            continue
        home = getattr(obj, "__module__", "") or ""
        if home not in PUBLIC_MODULES:
            continue  # re-exported from elsewhere (numpy, scipy, ...)
        qual = f"{home}.{obj.__qualname__}"
        found.add(qual)
        if inspect.isclass(obj):
            for attr, value in vars(obj).items():
                if attr.startswith("_") and attr not in _DOCUMENTED_DUNDERS:
                    continue
                if isinstance(value, (staticmethod, classmethod)):
                    value = value.__func__
                if inspect.isfunction(value):
                    found.add(f"{qual}.{attr}")
    return sorted(found)


CALLABLES = _collect()


def test_the_collection_finds_the_public_api():
    # Guards the test itself: an empty or partial collection would pass vacuously.
    for name in ("skeleton.cur.skeleton_approx", "skeleton.approximation.SkeletonApprox.error",
                 "skeleton.approximation.SkeletonApprox.entries",
                 "skeleton.incoherence.incoherence", "skeleton.sampling.maxvol_indices",
                 "skeleton.kernel_matrix.KernelMatrix.entries", "skeleton.smoothing.fourier.smooth",
                 "skeleton.s3.s3_block", "skeleton.attention.skeleton_attention",
                 "skeleton.nystrom.nystrom_attention", "skeleton.stem.conv_stem",
                 "skeleton.matrices.low_rank", "skeleton.rpcholesky.rpcholesky", "skeleton.aca.aca"):
        assert name in CALLABLES
    assert len(CALLABLES) >= 40


@pytest.mark.parametrize("name", CALLABLES)
def test_docstring_is_complete(name):
    errors = [f"{code} {msg}" for code, msg in validate(name)["errors"] if code in ENFORCED]
    assert not errors, f"{name}:\n  " + "\n  ".join(errors)


@pytest.mark.parametrize("name", CALLABLES)
def test_summary_survives_autosummary(name):
    parts = name.split(".")
    obj = importlib.import_module(".".join(parts[:2]))  # every name is skeleton.<module>.*
    for part in parts[2:]:
        obj = getattr(obj, part)
    summary = " ".join(inspect.getdoc(obj).split("\n\n")[0].split())
    assert ". " not in summary.rstrip(". "), f"{name}: autosummary would cut {summary!r} at '. '"
