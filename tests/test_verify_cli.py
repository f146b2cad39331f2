"""`skeleton verify` through the library's command line (skeleton.cli)."""

from __future__ import annotations

import json

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
