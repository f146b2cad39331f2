"""`skeleton verify` through the library's command line (skeleton.cli)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from proofs_checks import ALL_CHECKS
from skeleton.cli import main


def test_verify_list(capsys):
    assert main(["verify", "--list"]) == 0
    out = capsys.readouterr().out
    for c in ALL_CHECKS:
        assert c.id in out


def test_verify_runs_one_check(tmp_path, capsys):
    assert main(["verify", "--only", "fft_variance", "--trials", "4", "--out", str(tmp_path),
                 "--no-progress", "--seed", "1"]) == 0
    out = capsys.readouterr().out
    assert "fft_variance.forward_2n" in out and "verdict" in out          # summary table
    doc = json.loads((tmp_path / "results.json").read_text())
    assert doc["seed"] == 1 and all(e["id"].startswith("fft_variance.") for e in doc["checks"])


def test_verify_rejects_bad_workers(tmp_path):
    assert main(["verify", "--only", "fft_variance", "--workers", "0", "--out", str(tmp_path),
                 "--no-progress"]) == 2


def _only(out, *ids, extra=()):
    return main(["verify", "--only", *ids, "--trials", "2", "--out", str(out), "--no-progress", *extra])


def test_only_leaves_no_stale_files_and_keeps_a_manifest(tmp_path, capsys):
    assert _only(tmp_path, "fft_variance") == 0
    assert (tmp_path / "fft_variance.png").exists()
    assert any(p.name.startswith("counterexample-fft_variance") for p in tmp_path.iterdir())
    (tmp_path / "notes.txt").write_text("mine")                     # not ours: must survive
    capsys.readouterr()
    assert _only(tmp_path, "def1") == 0
    names = {p.name for p in tmp_path.iterdir()}
    assert "fft_variance.png" not in names                            # the previous run's figure is gone
    assert not any(n.startswith("counterexample-fft_variance") for n in names)
    assert {"def1.png", "report.md", "results.json", ".manifest.json", "notes.txt"} <= names
    manifest = json.loads((tmp_path / ".manifest.json").read_text())
    assert "def1.png" in manifest["files"] and "fft_variance.png" in manifest["replaced"]
    doc = json.loads((tmp_path / "results.json").read_text())
    assert {e["id"].split(".")[0] for e in doc["checks"]} == {"def1"}
    assert ".manifest.json" in capsys.readouterr().out                # the run says what it did


def test_folder_written_before_manifests_is_cleared_of_our_files(tmp_path):
    (tmp_path / "prop3.png").write_bytes(b"old")                      # an old report's figure, no manifest
    (tmp_path / "counterexample-prop3.circular.npz").write_bytes(b"old")
    (tmp_path / "data.csv").write_text("1,2")
    assert _only(tmp_path, "def1") == 0
    names = {p.name for p in tmp_path.iterdir()}
    assert "prop3.png" not in names and "counterexample-prop3.circular.npz" not in names and "data.csv" in names


def test_verify_prints_a_time_estimate_first(tmp_path, capsys):
    assert _only(tmp_path, "def1") == 0
    first = capsys.readouterr().out.splitlines()[0]
    assert "estimated about" in first and "on this machine" in first and ("s" in first or "min" in first)


def test_estimate_scales_with_workers_and_trials():
    from proofs_checks._estimate import STARTUP, describe, estimate_seconds
    untimed = [c for c in ALL_CHECKS if not c.timed]
    one = estimate_seconds(untimed, quick=True, workers=1, speed=1.0)
    two = estimate_seconds(untimed, quick=True, workers=2, speed=1.0)
    from proofs_checks._estimate import SUMMARY
    base = STARTUP + SUMMARY * len(untimed)
    assert (one - base) == pytest.approx(2 * (two - base))
    timed = [c for c in ALL_CHECKS if c.timed]                  # run one trial at a time: no speed-up
    assert estimate_seconds(timed, quick=True, workers=1, speed=1.0) == \
        pytest.approx(estimate_seconds(timed, quick=True, workers=2, speed=1.0))
    assert estimate_seconds(ALL_CHECKS, quick=False, workers=2, speed=1.0) > two
    assert describe(30) == "about 30 s" and describe(600) == "about 10 min"


def test_unwritable_out_is_one_line_and_exit_2(capsys):
    assert main(["verify", "--only", "def1", "--out", "/proc/x", "--no-progress"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    assert "cannot write the report to --out /proc/x" in err


def test_unwritable_out_through_the_console_script():
    proc = subprocess.run([sys.executable, "-m", "skeleton.cli", "verify", "--only", "def1", "--out", "/proc/x"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert len(proc.stderr.strip().splitlines()) == 1 and "Traceback" not in proc.stderr


def test_no_progress_bars_when_not_on_a_terminal(tmp_path, capsys):
    # progress bars are on by default, but stderr is not a terminal here: tqdm(disable=None) draws nothing
    assert main(["verify", "--only", "fft_variance", "--trials", "2", "--out", str(tmp_path)]) == 0
    err = capsys.readouterr().err
    assert "it/s" not in err and "\r" not in err
