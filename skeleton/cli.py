"""The ``skeleton`` command line.

``skeleton demo``          a noisy incoherent low-rank matrix, μ, sample counts, and the
                           error and time of each core beside a truncated SVD
``skeleton incoherence``   μ of a matrix stored as .npy
``skeleton approx``        skeleton (CUR) approximation of a .npy matrix
``skeleton verify``        numerical verdicts for every claim of the paper

This is the one module that joins the library and ``proofs_checks``; it imports the
latter only when ``verify`` runs. Errors in the arguments or the data print one line
(``skeleton: error: ...``) and exit with status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np

from .cur import CORES, SAMPLINGS, default_sample_count, skeleton_approx
from .incoherence import incoherence


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


def _load_matrix(path):
    try:
        X = np.load(path, mmap_mode="r", allow_pickle=False)
    except FileNotFoundError:
        raise _UserError(f"no such file: {path}") from None
    except (ValueError, OSError) as exc:
        raise _UserError(f"cannot read {path} as a .npy array: {exc}") from None
    if X.ndim != 2:
        raise _UserError(f"{path} holds an array of shape {X.shape}; a 2-D matrix is needed")
    return X


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
        cur = skeleton_approx(Xn, n_rows=k_r, n_cols=k_c, rank=r, core=core, rng=np.random.default_rng(args.seed + 1))
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
    X = _load_matrix(args.file)
    inc = incoherence(X, args.rank, method=args.method, rng=args.seed)
    print(f"shape: {X.shape[0]} x {X.shape[1]}")
    print(f"rank: {inc.rank}")
    print(f"mu: {inc.mu:.6g}")
    print(f"mu_rows: {inc.mu_rows:.6g}")
    print(f"mu_cols: {inc.mu_cols:.6g}")
    print(f"gap sigma_r/sigma_r+1: {inc.gap:.6g}")
    return 0


def _cmd_approx(args):
    X = _load_matrix(args.file)
    if args.rank is None and args.rtol is None:
        raise _UserError("give --rank (the sample counts follow from it) or --rtol (grow the sample to a tolerance)")
    cur = skeleton_approx(
        X,
        args.rank,
        rtol=args.rtol,
        n_rows=args.rows,
        n_cols=args.cols,
        sampling=args.sampling,
        core=args.core,
        rng=args.seed,
    )
    print(f"shape: {X.shape[0]} x {X.shape[1]}, sampled {cur.row_idx.size} rows and {cur.col_idx.size} columns")
    print(f"sampling: {args.sampling}, core: {args.core} (kept {cur.core_rank} singular values)")
    if cur.error_estimate is not None:
        e = cur.error_estimate
        print(f"estimated error (fro): {e.estimate:.6e}, bound {e.bound:.6e} at {e.confidence:.0%} ({e.method})")
    print(f"relative error (fro): {cur.error(X):.6e}")
    if args.out:
        np.savez(args.out, C=cur.C, U=cur.U, R=cur.R, row_idx=cur.row_idx, col_idx=cur.col_idx)
        print(f"wrote {args.out}")
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


def build_parser():
    parser = argparse.ArgumentParser(
        prog="skeleton",
        description="Incoherence, skeleton (CUR) approximation and numerical checks of the S3Attention paper.",
    )
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

    p = sub.add_parser("incoherence", help="mu-incoherence of a matrix stored as .npy",
                       description="Print the mu-incoherence of a 2-D array stored in a .npy file.")
    p.add_argument("file", help="path to a .npy file holding a 2-D array")
    p.add_argument("--rank", type=_positive_int, default=None, help="rank r (default: numerical rank)")
    p.add_argument("--method", choices=("exact", "randomized"), default="exact")
    p.add_argument("--seed", type=int, default=None, help="random seed for --method randomized")
    p.set_defaults(func=_cmd_incoherence)

    p = sub.add_parser("approx", help="skeleton (CUR) approximation of a .npy matrix",
                       description="Skeleton (CUR) approximation X ~ C U R of a 2-D array stored in a .npy file.")
    p.add_argument("file", help="path to a .npy file holding a 2-D array")
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
    p.add_argument("--out", default=None, help="write C, U, R and the indices to this .npz")
    p.set_defaults(func=_cmd_approx)

    _add_verify(sub)
    sub.choices["verify"].set_defaults(func=_cmd_verify)
    return parser


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except (_UserError, ValueError, TypeError) as exc:
        print(f"skeleton: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:  # pragma: no cover
        print("skeleton: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
