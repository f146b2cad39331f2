"""The GPU check runs end to end without a GPU: ``benchmarks/bench_gpu.py --dry-run``
(NumPy standing in for CuPy, small sizes) writes a sane report, a run without CuPy
stops with a message and exit status 3 rather than a traceback, and
``benchmarks/gpu_check.sh --dry-run`` goes through every step and summarises them."""

from __future__ import annotations

import importlib.util
import json
import math
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks import bench_gpu

ROOT = Path(__file__).resolve().parents[1]


def test_dry_run_report(tmp_path):
    res = bench_gpu.main(["--dry-run", "--out", str(tmp_path)])
    on_disk = json.loads((tmp_path / "gpu.json").read_text())
    assert on_disk["dry_run"] is True and set(on_disk["cases"]) == set(bench_gpu.CASES)
    md = (tmp_path / "gpu.md").read_text()
    assert "Dry run" in md and all(f"## {case}" in md for case in bench_gpu.CASES)
    cur = res["cases"]["cur"]
    assert [row["sampling"] for row in cur] == ["uniform", "pivoted_qr"]
    for row in cur:
        # the same random state gives the same rows and columns on both paths; the
        # test matrix is rank 8 plus noise of relative size ~1e-6
        assert row["same_indices"] and row["device_vs_host"] < 1e-12
        assert row["host_error"] < 1e-4 and row["device_error"] == pytest.approx(row["host_error"])
        assert row["device_s"] > 0 and math.isfinite(row["speedup"])
    assert res["cases"]["smoothing"][0]["device_vs_host"] < 1e-12
    inc = res["cases"]["incoherence"][0]
    assert inc["device_mu"] == pytest.approx(inc["host_mu"]) and 1 <= inc["host_mu"] <= inc["n"] / inc["rank"]


@pytest.mark.skipif(importlib.util.find_spec("cupy") is not None, reason="CuPy is installed here")
def test_without_cupy_the_benchmark_says_so(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "benchmarks.bench_gpu", "--out", str(tmp_path)],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == bench_gpu.NO_CUPY
    assert "CuPy is not installed" in proc.stderr and "--dry-run" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not any(tmp_path.iterdir())


@pytest.mark.skipif(shutil.which("bash") is None or shutil.which("timeout") is None,
                    reason="needs bash and coreutils' timeout")
def test_gpu_check_script_dry_run(tmp_path):
    out = tmp_path / "out"
    proc = subprocess.run(["bash", str(ROOT / "benchmarks" / "gpu_check.sh"), "--dry-run", str(out)],
                          cwd=tmp_path, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "PYTHON": sys.executable})
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    summary = json.loads((out / "summary.json").read_text())
    assert summary["dry_run"] is True
    assert [s["step"] for s in summary["steps"]] == ["tests", "bench_cur", "bench_smoothing", "bench_incoherence"]
    assert all(s["exit_status"] == 0 for s in summary["steps"])
    for case in bench_gpu.CASES:
        assert json.loads((out / f"gpu_{case}.json").read_text())["cases"][case]
    assert (out / "gpu_tests.xml").exists() and "| bench_cur | 0 |" in (out / "summary.md").read_text()
    bad = subprocess.run(["bash", str(ROOT / "benchmarks" / "gpu_check.sh"), "--bogus"], capture_output=True,
                         text=True, timeout=30)
    assert bad.returncode == 2 and "unknown option" in bad.stderr
