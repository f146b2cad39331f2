"""Every experiment's ``--quick`` run writes a sane JSON and a PNG.

The experiments run in-process (their ``main(argv)``), except one through
``python -m`` to check the command line; all of them together take well under a
minute on 2 cores.
"""

from __future__ import annotations

import importlib
import json
import math
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from experiments import EXPERIMENTS

ROOT = Path(__file__).resolve().parents[1]
CLAIMS = ROOT.parent / "shared" / "paper" / "CLAIMS.md"


@pytest.fixture(scope="module")
def outputs(tmp_path_factory):
    out = tmp_path_factory.mktemp("experiments")
    results = {}
    for name in EXPERIMENTS:
        if name == "prop2_smoothing":
            continue                      # run through the command line below
        module = importlib.import_module(f"experiments.{name}")
        module.main(["--quick", "--out", str(out)])
    subprocess.run([sys.executable, "-m", "experiments.prop2_smoothing", "--quick",
                    "--out", str(out)], check=True, cwd=ROOT, timeout=300)
    for name in EXPERIMENTS:
        results[name] = json.loads((out / f"{name}.json").read_text())
    return out, results


def _finite(x):
    return isinstance(x, (int, float)) and math.isfinite(x)


@pytest.mark.parametrize("name", EXPERIMENTS)
def test_files_written(outputs, name):
    out, results = outputs
    png = (out / f"{name}.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 10_000
    payload = results[name]
    assert payload["experiment"] == name and payload["quick"] is True
    assert payload["seed"] == 0 and "environment" in payload


def test_noise_error(outputs):
    res = outputs[1]["noise_error"]
    rows = res["noise_sweep"]
    levels = np.array([row["noise"] for row in rows])
    for core in ("pinv", "truncated", "optimal"):
        med = np.array([row[core]["median"] for row in rows])
        assert np.all(np.isfinite(med)) and np.all(med >= 0)
    trunc = np.array([row["truncated"]["median"] for row in rows])
    # error grows with the noise, and linearly (log-log slope ~ 1) for the truncated
    # core: the ||E||-proportionality Proposition 1 states
    assert np.all(np.diff(trunc) > 0)
    slope = np.polyfit(np.log(levels), np.log(trunc), 1)[0]
    assert 0.85 < slope < 1.15
    # the drawn constant is the tightest one above every truncated median
    shapes = [row["noise"] * math.sqrt(row["n"] * row["d"])
              / (row["mu"] * row["r"] * math.log(row["n"])) for row in rows]
    C = res["bound"]["C_noise_sweep"]
    assert np.all(C * np.array(shapes) >= trunc * (1 - 1e-12))
    assert np.isclose(max(trunc / np.array(shapes)), C)
    # mu of the test matrices is the requested 2 (skeleton.matrices.low_rank)
    assert all(abs(row["mu"] - 2.0) < 0.1 for row in rows + res["size_sweep"])


def test_sampling_rules(outputs):
    res = outputs[1]["sampling_rules"]
    n, d, r = res["n"], res["d"], res["r"]
    mats = res["matrices"]
    assert abs(mats["incoherent"]["mu"] - 1.2) < 0.06
    assert math.isclose(mats["coherent"]["mu"], max(n, d) / r)
    for kind, m in mats.items():
        for rule, v in m["rules"].items():
            assert all(_finite(e) and e >= 0 for e in v["median_error"]), (kind, rule)
            assert all(0 <= p <= 1 for p in v["recovery_rate"])
    # incoherent: every rule recovers exactly at the largest count
    for rule, v in mats["incoherent"]["rules"].items():
        assert v["recovery_rate"][-1] == 1.0, rule
    # coherent: uniform sampling misses the informative rows; the rules that look at
    # the singular vectors recover the matrix at every count >= r
    assert mats["coherent"]["rules"]["uniform"]["recovery_rate"][0] == 0.0
    for rule in ("leverage", "pivoted_qr", "deim", "maxvol"):
        assert all(p == 1.0 for p in mats["coherent"]["rules"][rule]["recovery_rate"])
    # localized: uniform fails at the smallest count and needs more rows than r
    loc = mats["localized"]["rules"]["uniform"]["recovery_rate"]
    assert loc[0] < 1.0 and loc[-1] > loc[0]


def test_table14(outputs):
    res = outputs[1]["table14_smoothing"]
    n, d = res["n"], res["d"]
    for family, row in res["measured"].items():
        for key, val in row.items():
            if key.startswith("mu") or ": mu" in key:
                r = int(key.rsplit("_", 1)[1])
                mean, se = val
                assert 1 - 1e-9 <= mean <= max(n, d) / r + 1e-9, (family, key)
                assert _finite(se) and se >= 0
            else:
                assert _finite(val)
    paper = res["paper"]["rows"]
    assert set(paper) == {"Text", "Pathfinder"}
    # the paper's numbers shown beside ours are the paper's: Wang et al., arXiv
    # 2408.08567, Appendix E, Table 14 - mu (standard error) at rank 32 and 16 before
    # (X) and after (X_smooth) smoothing - copied here from the paper, independently
    # of the copy the experiment reads
    table14 = {"Text": {"mu_X_32": [2.75, 0.027], "mu_Xs_32": [2.05, 0.007],
                        "mu_X_16": [3.98, 0.046], "mu_Xs_16": [3.23, 0.038]},
               "Pathfinder": {"mu_X_32": [3.83, 0.221], "mu_Xs_32": [1.99, 0.001],
                              "mu_X_16": [4.88, 0.264], "mu_Xs_16": [3.48, 0.001]}}
    for name, vals in table14.items():
        for key, want in vals.items():
            assert list(paper[name][key]) == want, (name, key)


def test_table14_paper_numbers_match_claims(outputs):
    # CLAIMS.md (the claims restated for this project) lives in the workspace beside the
    # repository, not in it: in a clean clone this cross-check cannot run, and says so
    if not CLAIMS.exists():
        pytest.skip(f"{CLAIMS} is not part of the repository (test_table14 checks the numbers "
                    "against the paper's Table 14 instead)")
    paper = outputs[1]["table14_smoothing"]["paper"]["rows"]
    text = CLAIMS.read_text()
    for name, vals in paper.items():
        line = next(ln for ln in text.splitlines() if ln.startswith(f"| {name}"))
        nums = [float(x) for x in re.findall(r"\d+\.\d+", line)]
        mine = [v for key in ("mu_X_32", "mu_Xs_32", "mu_X_16", "mu_Xs_16") for v in vals[key]]
        assert nums == mine


def test_prop2(outputs):
    res = outputs[1]["prop2_smoothing"]
    for kind, per_n in res["results"].items():
        for n, entry in per_n.items():
            assert entry["bound"] > 0
            for law in res["laws"]:
                e = entry[law]
                assert _finite(e["max_t_quantile"]) and e["max_t_quantile"] >= 0
                assert e["per_t_worst_quantile"] <= e["max_t_quantile"] + 1e-15
                assert 0 <= e["per_t_worst_failure_rate"] <= e["max_t_failure_rate"] <= 1
    # constant input: f(t) - f(t-1) = a l_t exactly, so with Rademacher l every
    # difference is sigma/n in absolute value
    for n, entry in res["results"]["constant"].items():
        assert math.isclose(entry["rademacher"]["max_t_quantile"], res["sigma"] / int(n))


def test_prop2_differences_match_direct_sum():
    from experiments.prop2_smoothing import differences

    rng = np.random.default_rng(3)
    x, l = rng.standard_normal(12), rng.standard_normal((2, 12))
    f = np.array([[sum(li[t - i] * x[i] for i in range(t + 1)) for t in range(12)]
                  for li in l])
    ref = np.abs(np.diff(f, axis=1, prepend=0.0))
    assert np.allclose(differences(x, l), ref, atol=1e-12)


def test_attention_scaling(outputs):
    res = outputs[1]["attention_scaling"]
    for row in res["rows"]:
        for key, v in row["error"].items():
            assert _finite(v["median"]) and v["median"] > 0, key
        assert all(t > 0 for t in row["seconds"].values())
        # more sampled tokens (landmarks) approximate softmax attention better
        assert row["error"]["column s1=64"]["median"] < row["error"]["column s1=16"]["median"]
        assert row["error"]["nystrom m=64"]["median"] < row["error"]["nystrom m=16"]["median"]
