"""The ``skeleton`` command line: outputs agree with the library, bad input is one line."""

import subprocess
import sys

import numpy as np
import pytest

from skeleton import incoherence, matrices, skeleton_approx
from skeleton.cli import main


@pytest.fixture
def low_rank_file(tmp_path):
    X = matrices.low_rank(120, 80, 4, mu=1.5, rng=0)
    path = tmp_path / "X.npy"
    np.save(path, X)
    return X, path


def _value(out, key):
    for line in out.splitlines():
        if line.startswith(key + ":"):
            return float(line.split(":", 1)[1].split()[0])
    raise AssertionError(f"no line {key!r} in {out!r}")


def test_incoherence_command_matches_library(low_rank_file, capsys):
    X, path = low_rank_file
    assert main(["incoherence", str(path), "--rank", "4"]) == 0
    out = capsys.readouterr().out
    assert _value(out, "mu") == pytest.approx(incoherence(X, 4).mu, rel=1e-5)
    assert _value(out, "mu") == pytest.approx(1.5, rel=1e-5)  # low_rank hits mu exactly


def test_approx_command_recovers_and_writes_factors(low_rank_file, tmp_path, capsys):
    X, path = low_rank_file
    out_file = tmp_path / "cur.npz"
    assert main(["approx", str(path), "--rank", "4", "--rows", "20", "--cols", "20",
                 "--seed", "1", "--out", str(out_file)]) == 0
    assert _value(capsys.readouterr().out, "relative error (fro)") < 1e-10
    f = np.load(out_file)
    np.testing.assert_allclose(f["C"] @ f["U"] @ f["R"], X, atol=1e-10 * np.abs(X).max())
    ref = skeleton_approx(X, n_rows=20, n_cols=20, rank=4, rng=1)
    np.testing.assert_array_equal(f["row_idx"], ref.row_idx)


def test_demo_prints_every_core(capsys):
    assert main(["demo", "--n", "200", "--d", "100", "--rank", "3"]) == 0
    out = capsys.readouterr().out
    for core in ("pinv", "truncated", "optimal"):
        assert f"core={core}" in out
    assert "truncated SVD" in out


@pytest.mark.parametrize(
    "argv, fragment",
    [
        (["incoherence", "missing.npy"], "no such file"),
        (["approx", "X.npy", "--rank", "0"], "positive integer"),
        (["approx", "X.npy", "--rank", "500"], "rank"),
        (["demo", "--n", "10", "--d", "10", "--rank", "20"], "exceeds"),
        (["approx", "vec.npy", "--rank", "2"], "2-D"),
        (["demo", "--noise", "nan"], "finite"),
    ],
)
def test_bad_arguments_give_one_line(argv, fragment, low_rank_file, tmp_path, monkeypatch, capsys):
    _, path = low_rank_file
    monkeypatch.chdir(path.parent)
    np.save(tmp_path / "vec.npy", np.ones(5))
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse rejects the value itself
        code = exc.code
    assert code == 2
    err = capsys.readouterr().err.strip()
    assert "Traceback" not in err
    # argparse may print its usage first; the error itself is the one last line
    errors = [line for line in err.splitlines() if "error:" in line]
    assert errors == [err.splitlines()[-1]]
    assert fragment in errors[0]


def test_console_script_help_runs():
    proc = subprocess.run([sys.executable, "-m", "skeleton.cli", "--help"], capture_output=True, text=True)
    assert proc.returncode == 0
    for command in ("demo", "incoherence", "approx", "verify"):
        assert command in proc.stdout
