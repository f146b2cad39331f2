"""The verdict machinery of proofs_checks: rules, planted claims, reproducibility, resume, dask."""

from __future__ import annotations

import json
import math
import os

import numpy as np
import pytest
from scipy import stats

from proofs_checks import ALL_CHECKS, MODULES, _planted
from proofs_checks._framework import run_checks, trial_seeds
from proofs_checks._verdict import (HOLDS, HOLDS_C, INCONCLUSIVE, VIOLATED, agreement_verdict,
                                    clopper_pearson, comparison_verdict, deterministic_verdict,
                                    combine_verdicts, fit_constant, rate_verdict, sampling_verdict, wilson, z_crit)
from proofs_checks.cli import main as verify_main


# --------------------------------------------------------------------------- rules
def test_clopper_pearson_hand_values():
    # k = 0: the upper end solves (1 - p)^n = alpha/2
    lo, hi = clopper_pearson(0, 100)
    assert lo == 0.0 and hi == pytest.approx(1 - 0.025 ** (1 / 100), rel=1e-10)
    lo, hi = clopper_pearson(100, 100)
    assert hi == 1.0 and lo == pytest.approx(0.025 ** (1 / 100), rel=1e-10)
    lo, hi = clopper_pearson(5, 20)
    # P(Bin(20, lo) >= 5) = 0.025 and P(Bin(20, hi) <= 5) = 0.025
    assert stats.binom.sf(4, 20, lo) == pytest.approx(0.025, rel=1e-6)
    assert stats.binom.cdf(5, 20, hi) == pytest.approx(0.025, rel=1e-6)
    with pytest.raises(ValueError):
        clopper_pearson(5, 3)


def test_wilson_hand_value():
    lo, hi = wilson(5, 10)
    z = stats.norm.ppf(0.975)
    half = z * math.sqrt(0.25 / 10 + z * z / 400) / (1 + z * z / 10)
    assert (lo, hi) == pytest.approx((0.5 - half, 0.5 + half))


def test_combine_verdicts():
    assert combine_verdicts([HOLDS, HOLDS]) == HOLDS
    assert combine_verdicts([HOLDS, INCONCLUSIVE]) == INCONCLUSIVE
    assert combine_verdicts([INCONCLUSIVE, VIOLATED, HOLDS]) == VIOLATED
    assert combine_verdicts([]) == INCONCLUSIVE


def test_rate_rule_thresholds():
    # CI entirely below delta -> holds, even with failures (a probability >= 1 - delta claim)
    assert rate_verdict(11, 750, 0.05)[0] == HOLDS
    assert rate_verdict(0, 100, 0.05)[0] == HOLDS          # hi = 0.036 < 0.05
    assert rate_verdict(0, 50, 0.05)[0] == INCONCLUSIVE    # hi = 0.071 > 0.05
    assert rate_verdict(40, 750, 0.05)[0] == INCONCLUSIVE  # CI straddles delta
    assert rate_verdict(60, 750, 0.05)[0] == VIOLATED      # lo = 0.061 > 0.05
    v, (lo, hi) = rate_verdict(60, 750, 0.05)
    assert lo > 0.05


def test_deterministic_and_agreement_rules():
    assert deterministic_verdict(0) == HOLDS and deterministic_verdict(1) == VIOLATED
    assert agreement_verdict(1.09, 1.0, rtol=0.1) == HOLDS
    assert agreement_verdict(1.11, 1.0, rtol=0.1) == VIOLATED
    assert agreement_verdict(float("nan"), 1.0) == VIOLATED


def test_sampling_rule():
    zc = z_crit(10, 0.999)
    assert zc == pytest.approx(stats.norm.ppf(1 - 0.0005 / 10))
    v, k, _, z = sampling_verdict([1.0, 1.02], [1.0, 1.0], [0.01, 0.01])
    assert v == HOLDS and k == 0 and z[1] == pytest.approx(2.0)
    v, k, _, _ = sampling_verdict([1.0, 2.0], [1.0, 1.0], [0.01, 0.01])
    assert v == VIOLATED and k == 1


def test_comparison_rule():
    assert comparison_verdict(90, 100, 10, 100)[0] == HOLDS
    assert comparison_verdict(10, 100, 90, 100)[0] == VIOLATED
    assert comparison_verdict(50, 100, 48, 100)[0] == INCONCLUSIVE


def test_constant_rule():
    sizes = np.repeat([16, 64, 256, 1024], 5)
    rng = np.random.default_rng(0)
    flat = rng.uniform(0.5, 1.0, sizes.size)
    f = fit_constant(sizes, flat)
    assert f["verdict"] == HOLDS_C and f["constant"] == pytest.approx(flat.max())
    grow = np.sqrt(sizes) * flat
    assert fit_constant(sizes, grow)["verdict"] == VIOLATED
    # a slow (log) trend below the growth factor is not called a constant either way
    slow = 1 + 0.2 * np.log(sizes / 16)                 # x1.83 from 16 to 1024
    assert fit_constant(sizes, slow)["verdict"] == INCONCLUSIVE
    assert fit_constant([1, 2], [1.0, np.inf])["verdict"] == VIOLATED
    # a ratio converging from below has a significant but negligible slope: a constant
    conv = fit_constant([128, 256, 512, 1024], [0.707 * (1 - 0.5 / d) for d in (64, 128, 256, 512)])
    assert conv["slope_ci"][0] > 0 and conv["slope_ci"][1] < 0.05
    assert conv["verdict"] == HOLDS_C and conv["constant"] == pytest.approx(0.707 * (1 - 0.5 / 512))
    # ... while log n itself (local slope 1/ln n > 0.14 here) stays a trend
    logn = fit_constant([128, 256, 512, 1024], np.log([128, 256, 512, 1024]))
    assert logn["verdict"] == INCONCLUSIVE
    # no significant trend but a x35 jump (heavy-tailed maxima): not called a constant
    jumpy = fit_constant([128, 256, 512, 1024], [98.9, 354.0, 8389.0, 3540.0])
    assert jumpy["verdict"] == INCONCLUSIVE and jumpy["slope_ci"][0] < 0


# --------------------------------------------------------------------------- planted claims
@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    out = tmp_path_factory.mktemp("planted")
    entries = run_checks([_planted.CHECK], seed=3, out_dir=str(out), progress=False, figures=False)
    return out, {e.id: e for e in entries}


def test_planted_true_holds(planted):
    assert planted[1]["planted.true"].verdict == HOLDS


def test_planted_false_violated_and_counterexample_reproduces(planted):
    out, ents = planted
    e = ents["planted.false"]
    assert e.verdict == VIOLATED and e.ci[0] > _planted.DELTA
    cx = np.load(os.path.join(out, e.counterexample))
    i = int(cx["index"])
    ss = trial_seeds(int(cx["seed"]), "planted", _planted.CHECK.params(False)["trials"])[i]
    z0 = np.random.default_rng(ss).standard_normal(16)[0]
    assert z0 == cx["z0"] and abs(z0) > float(cx["bound"])


def test_planted_growing_constant_not_called_constant(planted):
    assert planted[1]["planted.growing"].verdict != HOLDS_C
    assert planted[1]["planted.bounded"].verdict == HOLDS_C


# --------------------------------------------------------------------------- registry
def test_every_module_loads_and_ids_are_prefixed():
    ids = [c.id for c in ALL_CHECKS]
    for m in MODULES:
        assert any(i == m or i.startswith(m + ".") for i in ids), m
    assert len(set(ids)) == len(ids)


def test_missing_module_is_an_error(monkeypatch):
    import importlib

    import proofs_checks
    monkeypatch.setattr(proofs_checks, "MODULES", proofs_checks.MODULES + ("no_such_check",))
    with pytest.raises(ModuleNotFoundError):
        proofs_checks._load()
    importlib.reload(proofs_checks)


# --------------------------------------------------------------------------- reproducibility
def _strip(doc):
    """results.json without timings: 'seconds' dropped; timing entries keep id and flag only."""
    out = []
    for e in doc["checks"]:
        e = dict(e)
        e.pop("seconds")
        if e.get("timing"):
            e = {"id": e["id"], "timing": True}
        out.append(e)
    return {k: v for k, v in doc.items() if k != "checks"} | {"checks": out}


def _run(out, *extra):
    args = ["--only", "fft_variance", "kaiming_variance", "smoothing_cost", "--trials", "12",
            "--out", str(out), "--no-progress", "--seed", "7", *extra]
    return verify_main(args)


def _load(out):
    with open(os.path.join(out, "results.json")) as fh:
        return json.load(fh)


@pytest.fixture(scope="module")
def serial(tmp_path_factory):
    out = tmp_path_factory.mktemp("w1")
    assert _run(out, "--workers", "1") == 0
    return _load(out)


def test_results_schema(serial):
    assert set(serial) == {"schema", "seed", "quick", "checks"}
    assert serial["schema"] == 1 and serial["seed"] == 7 and serial["quick"] is False
    keys = {"id", "claim", "interpretation", "verdict", "trials", "failures", "failure_rate", "ci",
            "constant", "counterexample", "corrected_of", "seconds", "timing"}
    ids = {e["id"] for e in serial["checks"]}
    for e in serial["checks"]:
        assert set(e) == keys
        assert e["verdict"] in (HOLDS, HOLDS_C, VIOLATED, INCONCLUSIVE)
        assert e["corrected_of"] is None or e["corrected_of"] in ids
        if e["verdict"] == VIOLATED:
            # every violated entry has a corrected statement checked as its own entry
            assert any(o["corrected_of"] == e["id"] for o in serial["checks"]), e["id"]


def test_workers_do_not_change_results(serial, tmp_path):
    assert _run(tmp_path, "--workers", "2") == 0
    assert _strip(_load(tmp_path)) == _strip(serial)


def test_killed_and_resumed_run_matches(serial, tmp_path):
    assert _run(tmp_path, "--workers", "1", "--stop-after", "17") == 3
    journals = os.listdir(tmp_path / ".journal")
    assert journals                                     # completed trials were kept
    # the resumed run may only run the 36 - 17 missing trials: a budget of 19 suffices
    assert _run(tmp_path, "--workers", "2", "--resume", "--stop-after", "19") == 0
    assert _strip(_load(tmp_path)) == _strip(serial)


def test_dask_local_cluster(serial, tmp_path):
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster:
        assert _run(tmp_path, "--scheduler", cluster.scheduler_address) == 0
    assert _strip(_load(tmp_path)) == _strip(serial)


def test_report_and_figures(serial, tmp_path):
    out = tmp_path
    assert _run(out, "--only", "fft_variance") == 0
    rep = (out / "report.md").read_text()
    assert "![fft_variance](fft_variance.png)" in rep and (out / "fft_variance.png").exists()
    assert "## Summary" in rep and "fft_variance.forward_2n" in rep


def test_bad_only_is_an_error(tmp_path):
    assert verify_main(["--only", "nonexistent", "--out", str(tmp_path), "--no-progress"]) == 2


def test_every_violated_entry_names_a_counterexample(serial):
    for e in serial["checks"]:
        if e["verdict"] == VIOLATED:
            assert e["counterexample"], e["id"]


def test_fft_variance_counterexamples_reproduce(tmp_path):
    from proofs_checks import fft_variance
    ents = {e.id: e for e in run_checks([fft_variance.CHECK], seed=3, trials=4, out_dir=str(tmp_path),
                                        progress=False, figures=False)}
    for eid, key in (("fft_variance.forward_2n", "a2"), ("fft_variance.inverse_half", "inv")):
        e = ents[eid]
        assert e.verdict == VIOLATED and e.counterexample
        cx = np.load(os.path.join(tmp_path, e.counterexample))
        ss = np.random.SeedSequence(int(cx["seed_entropy"]), spawn_key=tuple(int(k) for k in cx["seed_spawn_key"]))
        assert ss.spawn_key == trial_seeds(3, "fft_variance", 4)[int(cx["trial"])].spawn_key
        r = fft_variance.trial(ss, int(cx["trial"]), dict(M=int(cx["M"]), ns=cx["ns"].tolist()))
        assert str(cx["quantity"]) == key and r["n"] == int(cx["n"])
        assert r[key] == float(cx["measured"]) and r[key + "_se"] == float(cx["measured_se"])
        assert abs(r[key] - float(cx["claimed"])) > float(cx["z_crit"]) * r[key + "_se"]
