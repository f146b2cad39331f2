"""The ``skeleton`` command line.

``skeleton demo``          a noisy incoherent low-rank matrix, μ, sample counts, and the
                           error and time of each core beside a truncated SVD
``skeleton incoherence``   μ and the leverage scores of a stored matrix
``skeleton approx``        skeleton (CUR) approximation of a stored matrix
``skeleton verify``        numerical verdicts for every claim of the paper

Matrices are read from ``.npy``, ``.npz`` (``--array NAME`` picks one of several
arrays), Matrix Market ``.mtx`` (sparse ones stay sparse) and ``.csv`` (numbers
separated by commas). ``--json`` prints one JSON object instead of the text report.

This is the one module that joins the library and ``proofs_checks``; it imports the
latter only when ``verify`` runs. Errors in the arguments, the data or the output path
print one line (``skeleton: error: ...``) and exit with status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
import warnings
import zipfile
from pathlib import Path

# An application may set what a library must not: numba's OpenMP threads busy-wait
# after each parallel region, and on a machine with few cores they starve the BLAS
# calls that follow.  Set before the first numba kernel loads libgomp; a value the
# user chose is kept.  (The library itself sets nothing process-wide.)
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np

from . import __version__
from .cur import CORES, SAMPLINGS, default_sample_count, skeleton_approx
from .incoherence import incoherence

FORMATS = (".npy", ".npz", ".mtx", ".csv")


class _UserError(Exception):
    """A problem with the user's input: reported as one line."""


def _positive_int(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {value}")
    return value


def _positive_float(text):
    value = _nonneg_float(text)
    if value == 0:
        raise argparse.ArgumentTypeError(f"expected a number > 0, got {text}")
    return value


def _nonneg_float(text):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not np.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError(f"expected a finite number >= 0, got {text}")
    return value


def _read_error(path, exc):
    return _UserError(f"cannot read {path}: {getattr(exc, 'strerror', None) or exc}")


def _load_npz(path, array):
    try:
        with np.load(path, allow_pickle=False) as archive:
            names = list(archive.files)
            if array is None:
                if not names:
                    raise _UserError(f"{path} holds no arrays")
                if len(names) > 1:
                    raise _UserError(f"{path} holds several arrays ({', '.join(names)}): "
                                     "choose one with --array NAME")
                array = names[0]
            elif array not in names:
                raise _UserError(f"{path} has no array {array!r} (it holds: "
                                 f"{', '.join(names) or 'nothing'})")
            return archive[array]
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:
        raise _UserError(f"cannot read {path} as a .npz archive: {exc}") from None


def _load_matrix(path, array=None):
    """The 2-D matrix stored in ``path`` (a NumPy array, or a scipy.sparse CSR array for a
    sparse Matrix Market file), chosen by the file's extension."""
    p = Path(path)
    suffix = p.suffix.lower()
    if not p.exists():
        raise _UserError(f"no such file: {path}")
    if p.is_dir():
        raise _UserError(f"{path} is a directory, not a matrix file")
    if suffix not in FORMATS:
        what = f"extension {p.suffix!r}" if p.suffix else "no extension"
        raise _UserError(f"cannot read {path}: {what}; the matrix must be stored as "
                         + ", ".join(FORMATS[:-1]) + f" or {FORMATS[-1]}")
    if array is not None and suffix != ".npz":
        raise _UserError(f"--array picks an array of a .npz archive; {path} is a {suffix} file")
    try:
        if suffix == ".npy":
            try:
                X = np.load(p, mmap_mode="r", allow_pickle=False)
            except ValueError as exc:
                raise _UserError(f"cannot read {path} as a .npy array: {exc}") from None
        elif suffix == ".npz":
            X = _load_npz(p, array)
        elif suffix == ".mtx":
            import scipy.io
            import scipy.sparse

            try:
                X = scipy.io.mmread(p)
            except (ValueError, IndexError, EOFError) as exc:
                raise _UserError(f"cannot read {path} as a Matrix Market file: {exc}") from None
            if scipy.sparse.issparse(X):
                X = scipy.sparse.csr_array(X)
        else:  # .csv
            try:
                X = np.loadtxt(p, delimiter=",", ndmin=2)
            except ValueError as exc:
                raise _UserError(f"cannot read {path} as CSV (numbers separated by commas): "
                                 f"{exc}") from None
    except OSError as exc:
        raise _read_error(path, exc) from None
    if X.ndim != 2:
        raise _UserError(f"{path} holds an array of shape {X.shape}; a 2-D matrix is needed")
    return X


def _is_sparse(X):
    return "scipy.sparse" in type(X).__module__


def _out_path(out):
    """The file ``numpy.savez`` writes for ``--out out`` (it adds ``.npz``), checked to be
    writable before any work is done."""
    path = Path(out if str(out).endswith(".npz") else f"{out}.npz")
    parent = path.parent
    if path.is_dir():
        raise _UserError(f"cannot write {path}: it is a directory")
    if not parent.is_dir():
        raise _UserError(f"cannot write {path}: no such directory {parent}")
    if not os.access(parent, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise _UserError(f"cannot write {path}: permission denied")
    return path


def _save(path, **arrays):
    try:
        with open(path, "wb") as fh:
            np.savez(fh, **arrays)
    except OSError as exc:
        raise _UserError(f"cannot write {path}: {exc.strerror or exc}") from None


def _finite_or_none(value):
    """A float for JSON: infinities and NaN (not JSON) become null."""
    value = float(value)
    return value if math.isfinite(value) else None


def _print_json(record):
    print(json.dumps(record, indent=2, allow_nan=False))


def _loaded(args):
    t0 = time.perf_counter()
    X = _load_matrix(args.file, args.array)
    return X, time.perf_counter() - t0


def _cmd_demo(args):
    from . import matrices

    n, d, r = args.n, args.d, args.rank
    if r > min(n, d):
        raise _UserError(f"--rank {r} exceeds min(n, d) = {min(n, d)}")
    rng = np.random.default_rng(args.seed)
    X = matrices.low_rank(n, d, r, mu=args.mu, rng=rng)
    E = matrices.noise((n, d), args.noise * np.linalg.norm(X, 2), rng=rng)
    Xn = X + E
    inc = incoherence(X, r)
    k_r, k_c = default_sample_count(r, n, d, inc.mu)
    print(f"matrix: {n} x {d}, rank {r}, noise ||E||_2 = {args.noise:g} * ||X||_2")
    print(f"incoherence of X at rank {r}: mu = {inc.mu:.3f} (rows {inc.mu_rows:.3f}, cols {inc.mu_cols:.3f})")
    print(f"sample counts ceil(mu r ln max(n, d)): {k_r} rows, {k_c} columns")
    print()
    print(f"{'method':<28}{'rel. error vs X (fro)':>24}{'time [ms]':>12}")
    for core in CORES:
        t0 = time.perf_counter()
        cur = skeleton_approx(Xn, rank=r, n_rows=k_r, n_cols=k_c, core=core,
                              rng=np.random.default_rng(args.seed + 1))
        dt = time.perf_counter() - t0
        print(f"{'skeleton, core=' + core:<28}{cur.error(X):>24.3e}{dt * 1e3:>12.1f}")
    t0 = time.perf_counter()
    U, s, Vh = np.linalg.svd(Xn, full_matrices=False)
    Xr = (U[:, :r] * s[:r]) @ Vh[:r]
    dt = time.perf_counter() - t0
    err = np.linalg.norm(X - Xr) / np.linalg.norm(X)
    print(f"{'truncated SVD (rank ' + str(r) + ')':<28}{err:>24.3e}{dt * 1e3:>12.1f}")
    return 0


def _cmd_incoherence(args):
    out = _out_path(args.out) if args.out else None
    X, t_load = _loaded(args)
    sparse = _is_sparse(X)
    # exact μ needs an SVD of a dense matrix; a sparse one keeps its sparsity and goes
    # through the randomized range finder, which only multiplies by it
    method = args.method or ("randomized" if sparse else "exact")
    t0 = time.perf_counter()
    inc = incoherence(X, args.rank, method=method, rng=args.seed)
    t_mu = time.perf_counter() - t0
    n, d = X.shape
    i, j = int(np.argmax(inc.row_leverage)), int(np.argmax(inc.col_leverage))
    if out is not None:
        _save(out, row_leverage=inc.row_leverage, col_leverage=inc.col_leverage,
              singular_values=inc.singular_values, mu=inc.mu, mu_rows=inc.mu_rows,
              mu_cols=inc.mu_cols, rank=inc.rank)
    if args.json:
        _print_json({
            "command": "incoherence", "file": str(args.file), "array": args.array,
            "shape": [n, d], "sparse": sparse, "method": inc.method, "rank": inc.rank,
            "mu": float(inc.mu), "mu_rows": float(inc.mu_rows), "mu_cols": float(inc.mu_cols),
            "gap": _finite_or_none(inc.gap),
            "mu_error_bound": _finite_or_none(inc.mu_error_bound),
            "power_iterations": inc.power_iterations,
            "max_row_leverage": float(inc.row_leverage[i]), "max_row_leverage_at": i,
            "max_col_leverage": float(inc.col_leverage[j]), "max_col_leverage_at": j,
            "seconds": {"load": t_load, "incoherence": t_mu},
            "wrote": str(out) if out is not None else None,
        })
        return 0
    print(f"shape: {n} x {d}" + (" (sparse)" if sparse else ""))
    print(f"method: {inc.method}")
    print(f"rank: {inc.rank}")
    print(f"mu: {inc.mu:.6g}")
    print(f"mu_rows: {inc.mu_rows:.6g}")
    print(f"mu_cols: {inc.mu_cols:.6g}")
    print(f"gap sigma_r/sigma_r+1: {inc.gap:.6g}")
    if inc.method == "randomized":
        print(f"mu error bound: {inc.mu_error_bound:.3g} after {inc.power_iterations} power iterations")
    print(f"row leverage: max {inc.row_leverage[i]:.6g} at row {i} (r/n = {inc.rank / n:.6g})")
    print(f"column leverage: max {inc.col_leverage[j]:.6g} at column {j} (r/d = {inc.rank / d:.6g})")
    print(f"time: {t_load:.3g} s to read, {t_mu:.3g} s for mu")
    if out is not None:
        print(f"wrote {out} (row_leverage, col_leverage, singular_values, mu, mu_rows, mu_cols, rank)")
    else:
        print("(all leverage scores: --out FILE.npz)")
    return 0


def _cmd_approx(args):
    out = _out_path(args.out) if args.out else None
    if args.rank is None and args.rtol is None:
        raise _UserError("give --rank (the sample counts follow from it) or --rtol (grow the sample "
                         "to a tolerance)")
    X, t_load = _loaded(args)
    sparse = _is_sparse(X)
    t0 = time.perf_counter()
    cur = skeleton_approx(X, args.rank, rtol=args.rtol, n_rows=args.rows, n_cols=args.cols,
                          sampling=args.sampling, core=args.core, rng=args.seed)
    t_cur = time.perf_counter() - t0
    t0 = time.perf_counter()
    error = float(cur.error(X))
    t_err = time.perf_counter() - t0
    n, d = X.shape
    est = cur.error_estimate
    if out is not None:
        _save(out, C=cur.C, U=cur.U, R=cur.R, row_idx=cur.row_idx, col_idx=cur.col_idx)
    if args.json:
        _print_json({
            "command": "approx", "file": str(args.file), "array": args.array, "shape": [n, d],
            "sparse": sparse, "rank": args.rank, "rtol": args.rtol,
            "sampling": args.sampling, "core": args.core, "core_rank": int(cur.core_rank),
            "evaluation": cur.evaluation,
            "rows_sampled": int(cur.row_idx.size), "cols_sampled": int(cur.col_idx.size),
            "relative_error_fro": error,
            "error_estimate": None if est is None else {
                "estimate": est.estimate, "bound": est.bound, "confidence": est.confidence,
                "method": est.method},
            "seconds": {"load": t_load, "approx": t_cur, "error": t_err},
            "wrote": str(out) if out is not None else None,
        })
        return 0
    print(f"shape: {n} x {d}{' (sparse)' if sparse else ''}, sampled {cur.row_idx.size} rows and "
          f"{cur.col_idx.size} columns")
    print(f"sampling: {args.sampling}, core: {args.core} (kept {cur.core_rank} singular values)")
    if est is not None:
        print(f"estimated error (fro): {est.estimate:.6e}, at most {est.bound:.6e} with probability "
              f"{est.confidence:.0%} ({est.method})")
    print(f"relative error (fro): {error:.6e}")
    print(f"time: {t_load:.3g} s to read, {t_cur:.3g} s for the approximation, "
          f"{t_err:.3g} s for the error")
    if out is not None:
        print(f"wrote {out} (C, U, R, row_idx, col_idx)")
    return 0


def _add_verify(sub):
    p = sub.add_parser(
        "verify",
        help="compute a verdict for every claim of the paper",
        description="Run the numerical checks of proofs_checks and write report.md, results.json and figures.",
    )
    try:
        from proofs_checks.cli import add_verify_arguments
    except ImportError as exc:  # the checks ship with the package; this is a broken install
        p.set_defaults(_verify_error=str(exc))
        return
    add_verify_arguments(p)


def _cmd_verify(args):
    if getattr(args, "_verify_error", None):
        raise _UserError(f"the checks (proofs_checks) could not be imported: {args._verify_error}")
    from proofs_checks.cli import run_verify

    return run_verify(args)


def _add_input(p):
    p.add_argument("file", help="the matrix: .npy, .npz, .mtx (Matrix Market) or .csv")
    p.add_argument("--array", default=None, metavar="NAME",
                   help="the array to use from a .npz archive that holds several")


def _add_json(p):
    p.add_argument("--json", action="store_true",
                   help="print the results as one JSON object (null for an infinite value)")


def build_parser():
    parser = argparse.ArgumentParser(
        prog="skeleton",
        description="Incoherence, skeleton (CUR) approximation and numerical checks of the S3Attention paper.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    p = sub.add_parser("demo", help="approximate a noisy incoherent low-rank matrix with each core",
                       description="Build a noisy incoherent low-rank matrix and compare the cores with a truncated SVD.")
    p.add_argument("--n", type=_positive_int, default=2000, help="rows (default 2000)")
    p.add_argument("--d", type=_positive_int, default=1000, help="columns (default 1000)")
    p.add_argument("--rank", type=_positive_int, default=10, help="rank (default 10)")
    p.add_argument("--mu", type=float, default=2.0, help="coherence of the matrix (default 2)")
    p.add_argument("--noise", type=_nonneg_float, default=1e-6, help="||E||_2 / ||X||_2 (default 1e-6)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.set_defaults(func=_cmd_demo)

    p = sub.add_parser("incoherence", help="mu-incoherence and leverage scores of a stored matrix",
                       description="Print the mu-incoherence and the largest leverage scores of a "
                                   "2-D array; --out writes all the leverage scores.")
    _add_input(p)
    p.add_argument("--rank", type=_positive_int, default=None, help="rank r (default: numerical rank)")
    p.add_argument("--method", choices=("exact", "randomized"), default=None,
                   help="exact (thin SVD) or randomized (range finder); default: exact, "
                        "randomized for a sparse matrix")
    p.add_argument("--seed", type=int, default=None, help="random seed for --method randomized")
    p.add_argument("--out", default=None, metavar="FILE",
                   help="write the row and column leverage scores, the singular values and mu "
                        "to FILE (.npz is added when missing)")
    _add_json(p)
    p.set_defaults(func=_cmd_incoherence)

    p = sub.add_parser("approx", help="skeleton (CUR) approximation of a stored matrix",
                       description="Skeleton (CUR) approximation X ~ C U R of a 2-D array.")
    _add_input(p)
    p.add_argument("--rank", type=_positive_int, default=None, help="target rank r")
    p.add_argument("--rtol", type=_positive_float, default=None,
                   help="grow the sample until the estimated relative Frobenius error is at most RTOL")
    p.add_argument("--rows", type=_positive_int, default=None,
                   help="rows to sample (default from the rank; with --rtol, the most to sample)")
    p.add_argument("--cols", type=_positive_int, default=None,
                   help="columns to sample (default from the rank; with --rtol, the most to sample)")
    p.add_argument("--sampling", choices=SAMPLINGS, default="uniform")
    p.add_argument("--core", choices=CORES, default="truncated")
    p.add_argument("--seed", type=int, default=None, help="random seed")
    p.add_argument("--out", default=None, metavar="FILE",
                   help="write C, U, R and the indices to FILE (.npz is added when missing)")
    _add_json(p)
    p.set_defaults(func=_cmd_approx)

    _add_verify(sub)
    sub.choices["verify"].set_defaults(func=_cmd_verify)
    return parser


def _one_line_warning(message, category, filename, lineno, file=None, line=None):
    # the library's warnings (a small spectral gap, say) are for the user, not a
    # pointer into its source
    print(f"skeleton: warning: {message}", file=sys.stderr if file is None else file)


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        with warnings.catch_warnings():
            warnings.showwarning = _one_line_warning
            return int(args.func(args) or 0)
    except (_UserError, ValueError, TypeError) as exc:
        print(f"skeleton: error: {exc}", file=sys.stderr)
        return 2
    except MemoryError:
        print("skeleton: error: out of memory", file=sys.stderr)
        return 2
    except KeyboardInterrupt:  # pragma: no cover
        print("skeleton: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
