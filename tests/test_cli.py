"""The ``skeleton`` command line: outputs agree with the library, bad input is one line."""

import json
import subprocess
import sys

import numpy as np
import pytest
import scipy.io
import scipy.sparse

import skeleton
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
    ref = skeleton_approx(X, rank=4, n_rows=20, n_cols=20, rng=1)
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
        (["incoherence", "."], "is a directory"),
        (["incoherence", "X.txt"], "extension '.txt'"),
        (["incoherence", "X"], "no extension"),
        (["incoherence", "X.npy", "--array", "A"], "--array"),
        (["incoherence", "two.npz"], "several arrays (A, B): choose one with --array NAME"),
        (["incoherence", "two.npz", "--array", "C"], "no array 'C' (it holds: A, B)"),
        (["incoherence", "broken.npz"], "cannot read broken.npz as a .npz archive"),
        (["incoherence", "broken.npy"], "cannot read broken.npy as a .npy array"),
        (["incoherence", "words.csv"], "cannot read words.csv as CSV"),
        (["incoherence", "broken.mtx"], "cannot read broken.mtx as a Matrix Market file"),
        (["incoherence", "X.npy", "--method", "exact", "--rank", "2"], None),  # control: succeeds
        (["approx", "X.npy", "--rank", "4", "--out", "missing/dir/cur.npz"],
         "cannot write missing/dir/cur.npz: no such directory missing/dir"),
        (["incoherence", "X.npy", "--out", "missing/lev"],
         "cannot write missing/lev.npz: no such directory missing"),
        (["approx", "X.npy", "--rank", "4", "--out", "adir"], "cannot write adir.npz"),
        (["approx", "X.npy", "--rank", "4", "--out", "/proc/x"], "cannot write /proc/x.npz"),
    ],
)
def test_bad_arguments_give_one_line(argv, fragment, low_rank_file, tmp_path, monkeypatch, capsys):
    X, path = low_rank_file
    monkeypatch.chdir(path.parent)
    np.save(tmp_path / "vec.npy", np.ones(5))
    for name in ("X.txt", "X"):      # a good .npy file under names that say nothing
        (tmp_path / name).write_bytes(path.read_bytes())
    np.savez(tmp_path / "two.npz", A=X, B=X)
    (tmp_path / "broken.npz").write_bytes(b"PK\x03\x04 not a zip archive")
    (tmp_path / "broken.npy").write_bytes(b"\x93NUMPY garbage")
    (tmp_path / "words.csv").write_text("a,b\nc,d\n")
    (tmp_path / "broken.mtx").write_text("%%MatrixMarket matrix coordinate real general\n2 2\n")
    (tmp_path / "adir.npz").mkdir()
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse rejects the value itself
        code = exc.code
    if fragment is None:
        assert code == 0
        return
    assert code == 2
    assert not list(tmp_path.glob("**/cur.npz")) and not (tmp_path / "missing").exists()
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


def _run(argv, capsys):
    code = main(argv)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_version(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0
    assert capsys.readouterr().out.strip() == f"skeleton {skeleton.__version__}"


def test_incoherence_json_and_leverage_scores_file(low_rank_file, tmp_path, capsys):
    X, path = low_rank_file
    code, out, err = _run(["incoherence", str(path), "--rank", "4", "--json",
                           "--out", str(tmp_path / "lev")], capsys)
    assert code == 0 and err == ""
    record = json.loads(out)                     # the whole of stdout is one JSON object
    ref = incoherence(X, 4)
    assert record["command"] == "incoherence" and record["shape"] == [120, 80]
    assert record["rank"] == 4 and record["method"] == "exact" and record["sparse"] is False
    assert record["mu"] == pytest.approx(ref.mu, rel=1e-12)
    assert record["mu_rows"] == pytest.approx(ref.mu_rows, rel=1e-12)
    assert record["mu_cols"] == pytest.approx(ref.mu_cols, rel=1e-12)
    assert record["max_row_leverage"] == pytest.approx(ref.row_leverage.max(), rel=1e-12)
    assert record["max_row_leverage_at"] == int(np.argmax(ref.row_leverage))
    assert set(record["seconds"]) == {"load", "incoherence"}
    assert all(t >= 0 for t in record["seconds"].values())
    assert record["wrote"] == str(tmp_path / "lev.npz")
    with np.load(tmp_path / "lev.npz") as f:
        np.testing.assert_allclose(f["row_leverage"], ref.row_leverage, rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(f["col_leverage"], ref.col_leverage, rtol=1e-12, atol=1e-15)
        assert f["row_leverage"].sum() == pytest.approx(4)
        assert float(f["mu"]) == pytest.approx(ref.mu, rel=1e-12) and int(f["rank"]) == 4


def test_incoherence_text_reports_leverage_scores(low_rank_file, capsys):
    X, path = low_rank_file
    code, out, _ = _run(["incoherence", str(path), "--rank", "4"], capsys)
    ref = incoherence(X, 4)
    i = int(np.argmax(ref.row_leverage))
    line = next(line for line in out.splitlines() if line.startswith("row leverage:"))
    assert f"at row {i}" in line and f"{ref.row_leverage[i]:.6g}" in line
    assert "column leverage: max" in out


def test_approx_json_names_every_number(low_rank_file, tmp_path, capsys, monkeypatch):
    X, path = low_rank_file
    monkeypatch.chdir(tmp_path)
    code, out, err = _run(["approx", str(path), "--rank", "4", "--rows", "20", "--cols", "30",
                           "--seed", "1", "--json", "--out", "cur"], capsys)
    assert code == 0 and err == ""
    record = json.loads(out)
    assert record["command"] == "approx" and record["shape"] == [120, 80]
    assert record["rows_sampled"] == 20 and record["cols_sampled"] == 30
    assert record["core"] == "truncated" and record["core_rank"] == 4
    assert record["relative_error_fro"] < 1e-10
    assert set(record["seconds"]) == {"load", "approx", "error"}
    assert record["wrote"] == "cur.npz"
    assert (tmp_path / "cur.npz").exists() and not (tmp_path / "cur").exists()


def test_out_without_extension_names_the_file_written(low_rank_file, tmp_path, capsys, monkeypatch):
    _, path = low_rank_file
    monkeypatch.chdir(tmp_path)
    code, out, _ = _run(["approx", str(path), "--rank", "4", "--out", "cur"], capsys)
    assert code == 0
    assert "wrote cur.npz" in out.splitlines()[-1]
    assert (tmp_path / "cur.npz").is_file() and not (tmp_path / "cur").exists()
    code, out, _ = _run(["incoherence", str(path), "--out", "lev.npz"], capsys)
    assert "wrote lev.npz" in out.splitlines()[-1] and (tmp_path / "lev.npz").is_file()


@pytest.fixture
def stored(tmp_path):
    """One rank-4 matrix in every format the command line reads."""
    X = matrices.low_rank(90, 60, 4, mu=1.5, rng=3)
    np.save(tmp_path / "X.npy", X)
    np.savez(tmp_path / "one.npz", X)
    np.savez(tmp_path / "two.npz", noise=np.ones((3, 3)), X=X)
    np.savetxt(tmp_path / "X.csv", X, delimiter=",", fmt="%.17g")
    scipy.io.mmwrite(tmp_path / "dense.mtx", X, precision=17)
    return X, tmp_path


@pytest.mark.parametrize("name, extra", [("X.npy", []), ("one.npz", []),
                                          ("two.npz", ["--array", "X"]), ("X.csv", []),
                                          ("dense.mtx", [])])
def test_every_format_gives_the_same_mu(name, extra, stored, capsys):
    X, folder = stored
    code, out, err = _run(["incoherence", str(folder / name), "--rank", "4", "--json", *extra], capsys)
    assert code == 0, err
    record = json.loads(out)
    assert record["shape"] == [90, 60] and record["sparse"] is False
    assert record["mu"] == pytest.approx(incoherence(X, 4).mu, rel=1e-9)


def test_sparse_matrix_market_stays_sparse(tmp_path, capsys):
    # a sparse rank-3 matrix: 3 sparse columns combined, stored in coordinate format
    rng = np.random.default_rng(5)
    A = scipy.sparse.random(400, 3, density=0.2, random_state=6).toarray()
    X = scipy.sparse.csr_array(A @ rng.standard_normal((3, 300)) * (rng.random((1, 300)) < 0.3))
    scipy.io.mmwrite(tmp_path / "S.mtx", X)
    code, out, err = _run(["incoherence", str(tmp_path / "S.mtx"), "--rank", "3", "--seed", "0",
                           "--json"], capsys)
    assert code == 0, err
    record = json.loads(out)
    assert record["sparse"] is True and record["method"] == "randomized"
    assert record["mu"] == pytest.approx(incoherence(X.toarray(), 3).mu, rel=1e-6)
    code, out, err = _run(["approx", str(tmp_path / "S.mtx"), "--rank", "3", "--sampling",
                           "pivoted_qr", "--json"], capsys)
    assert code == 0, err
    record = json.loads(out)
    assert record["sparse"] is True and record["relative_error_fro"] < 1e-10


def test_library_warnings_are_one_line(tmp_path, capsys):
    np.save(tmp_path / "flat.npy", np.random.default_rng(0).standard_normal((300, 80)))
    code, _, err = _run(["incoherence", str(tmp_path / "flat.npy"), "--rank", "10",
                         "--method", "randomized", "--seed", "0"], capsys)
    assert code == 0
    lines = err.strip().splitlines()
    assert lines and all(line.startswith("skeleton: warning: ") for line in lines)


def test_piped_output_has_no_progress_bars(low_rank_file, tmp_path):
    _, path = low_rank_file
    for argv in (["incoherence", str(path)], ["approx", str(path), "--rank", "4"]):
        proc = subprocess.run([sys.executable, "-m", "skeleton.cli", *argv], capture_output=True,
                              text=True, cwd=tmp_path)
        assert proc.returncode == 0, proc.stderr
        assert "\r" not in proc.stdout + proc.stderr and proc.stderr == ""


def test_bad_path_from_the_console_script_is_one_line(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "skeleton.cli", "approx", "nowhere.npy",
                           "--rank", "2"], capture_output=True, text=True, cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stderr == "skeleton: error: no such file: nowhere.npy\n"


def test_approx_to_a_tolerance(tmp_path, capsys):
    import scipy.linalg

    path = tmp_path / "H.npy"
    np.save(path, scipy.linalg.hilbert(200))
    code, out, err = _run(["approx", str(path), "--rtol", "1e-10", "--sampling", "pivoted_qr",
                           "--seed", "0", "--json"], capsys)
    assert code == 0, err
    record = json.loads(out)
    assert record["relative_error_fro"] <= 1e-10
    assert record["error_estimate"]["bound"] <= 1e-10 and record["error_estimate"]["method"] == "gaussian probes"
    code, out, err = _run(["approx", str(path), "--sampling", "pivoted_qr"], capsys)
    assert code == 2 and "--rank" in err and "--rtol" in err and len(err.strip().splitlines()) == 1
