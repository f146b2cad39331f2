"""The verdict machinery of proofs_checks: rules, planted claims, vacuity, corrections, reproducibility,
resume, dask, the report folder."""

from __future__ import annotations

import json
import math
import os

import numpy as np
import pytest
from scipy import stats

import _planted
from proofs_checks import ALL_CHECKS, MODULES
from proofs_checks._entry import JSON_KEYS, SCHEMA1_KEYS, Derivation, Entry, PostHocCorrection, corrected
from proofs_checks._framework import run_checks, trial_seeds
from proofs_checks._verdict import (HOLDS, HOLDS_C, INCONCLUSIVE, VIOLATED, agreement_verdict, cells_verdict,
                                    clopper_pearson, comparison_verdict, deterministic_verdict, interval_verdict,
                                    combine_verdicts, fit_constant, rate_trend, rate_verdict, sampling_verdict,
                                    t_interval, wilson, z_crit)
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


def test_rate_trend_two_sizes_is_the_exact_mle():
    # with two sizes the Poisson MLE of the slope is log(rate2/rate1)/log(n2/n1)
    t = rate_trend([100, 400], [40, 10], [1000, 1000], p=2)
    assert t.slope == pytest.approx(math.log(0.01 / 0.04) / math.log(4), abs=1e-7)
    # the profile-likelihood interval is where the deviance rises by chi2_1(0.95)
    lo, hi = t.slope_ci
    assert lo < t.slope < hi
    x = np.log([100, 400])

    def dev(b):
        w = np.array([1000, 1000]) * np.exp(b * (x - x.mean()))
        k = np.array([40, 10])
        return -(-k.sum() * np.log(w.sum()) + b * np.sum(k * (x - x.mean())))

    for end in (lo, hi):
        assert 2 * (dev(end) - dev(t.slope)) == pytest.approx(stats.chi2.ppf(0.95, 1), rel=1e-6)


def test_rate_trend_verdicts():
    ns = [128, 256, 512, 1024]
    flat = rate_trend(ns, [60, 58, 61, 59], [300] * 4, p=2)            # flat rate: not O(n^-2)
    assert flat.verdict == VIOLATED and flat.slope_ci[0] > -2
    rising = rate_trend(ns, [5, 20, 50, 83], [300] * 4, p=2)
    assert rising.verdict == VIOLATED and rising.slope > 0
    fast = rate_trend(ns, [4000, 250, 16, 1], [10 ** 5] * 4, p=2)      # ~ n^-4: faster than claimed
    assert fast.verdict == HOLDS and fast.slope_ci[1] < -2
    none = rate_trend(ns, [0, 0, 0, 0], [1000] * 4, p=2)
    assert none.verdict == INCONCLUSIVE and none.slope is None and "no failure" in none.reason
    # per-n intervals are Bonferroni-adjusted over the sizes
    assert none.ci_level == pytest.approx(1 - 0.05 / 4)
    assert none.cis[0] == pytest.approx(clopper_pearson(0, 1000, 1 - 0.05 / 4))
    # a decay at the claimed rate cannot be told from a slightly slower one: inconclusive
    exact = rate_trend(ns, [1600, 400, 100, 25], [10 ** 5] * 4, p=2)
    assert exact.verdict == INCONCLUSIVE and exact.slope_ci[0] < -2 < exact.slope_ci[1]


def test_cells_rule_bonferroni_and_worst_cell():
    res = cells_verdict({("a", 1): (3, 100), ("b", 2): (40, 100)}, 0.05, columns=("x", "n"))
    assert res.ci_level == pytest.approx(0.975)
    assert res.verdict == VIOLATED and res.worst[0] == ("b", 2)
    assert res.ci == pytest.approx(list(clopper_pearson(40, 100, 0.975)))
    assert "| b | 2 | 40 / 100 |" in res.table()
    assert cells_verdict({1: (0, 1000), 2: (1, 1000)}, 0.05).verdict == HOLDS
    assert cells_verdict({1: (0, 10)}, lambda key: 0.05).verdict == INCONCLUSIVE


def test_interval_rule():
    lo, hi = t_interval([1.0, 2.0, 3.0])
    h = stats.t.ppf(0.975, 2) / math.sqrt(3)
    assert (lo, hi) == pytest.approx((2 - h, 2 + h))
    assert interval_verdict([0.2, 0.3, 0.25])[0] == HOLDS
    assert interval_verdict([-0.2, -0.3, -0.25])[0] == VIOLATED
    assert interval_verdict([-1.0, 1.0, 0.1])[0] == INCONCLUSIVE


# --------------------------------------------------------------------------- entries
def _entry(**kw):
    return Entry.of_deterministic(id="x.y", claim="c", interpretation="i", failures=0, trials=3, **kw)


def test_entry_is_built_by_keyword_and_validated():
    with pytest.raises(TypeError):
        Entry("x.y", "c", "i", HOLDS, "deterministic", 3)                    # positional: refused
    with pytest.raises(ValueError, match="trivial"):
        _entry(vacuous=True)                                                  # vacuous needs its competitor
    with pytest.raises(ValueError, match="corrected"):
        _entry(corrected_of="x.z")                                            # only through corrected()
    with pytest.raises(ValueError, match="verdict"):
        Entry(id="x", claim="", interpretation="", verdict="fine", kind="deterministic", trials=1)
    e = _entry()
    assert e.verdict == HOLDS and e.kind == "deterministic" and e.vacuous is False
    assert set(e.to_json()) == set(JSON_KEYS) and set(SCHEMA1_KEYS) <= set(JSON_KEYS)


def test_post_hoc_correction_is_refused():
    """A correction chosen on some draws and tested on the same draws is refused by the machinery."""
    rng = np.random.default_rng(0)
    samples = rng.standard_normal(200)
    # "corrected statement" found by thresholding the samples: |z| <= max |z| of the first half
    threshold = float(np.abs(samples[:100]).max())
    derived = Derivation("the largest |z| of trials 0-99", samples=range(100))
    fails = int(np.sum(np.abs(samples[:100]) > threshold))
    e = Entry.of_deterministic(id="planted.fix", claim=f"|z| <= {threshold:.3g}", interpretation="",
                               failures=fails, trials=100)
    with pytest.raises(PostHocCorrection, match="derived or selected on"):
        corrected(e, of="planted.false", derived=derived, tested_on=range(100))
    with pytest.raises(PostHocCorrection, match="derived or selected on"):
        corrected(e, of="planted.false", derived=derived, tested_on=range(90, 200))
    with pytest.raises(PostHocCorrection, match="some trials"):
        corrected(e, of="planted.false", derived=derived, tested_on=[])
    held = Entry.of_deterministic(id="planted.fix", claim=f"|z| <= {threshold:.3g}", interpretation="",
                                  failures=int(np.sum(np.abs(samples[100:]) > threshold)), trials=100)
    ok = corrected(held, of="planted.false", derived=derived, tested_on=range(100, 200))
    assert ok.corrected_of == "planted.false" and ok.tested_on == "held-out trials 100-199"
    assert "derived on trials 0-99" in ok.derived_from


def test_every_correction_of_the_suite_is_held_out(serial):
    """No committed check tests a correction on the trials it came from (corrected() enforces it;
    this checks that each correction says where it came from and where it was tested)."""
    for e in serial["checks"]:
        if e["corrected_of"] or e["derived_from"]:
            assert e["derived_from"] and e["tested_on"].startswith("held-out trials"), e["id"]


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


def test_planted_heavy_tailed_claim_is_violated(planted):
    """|Cauchy| > C has the same probability at every n: a flat failure rate is not O(n^-2)."""
    e = planted[1]["planted.heavy_tailed"]
    assert e.verdict == VIOLATED and e.kind == "rate"
    assert e.slope_ci[0] > -2 and e.slope_ci[0] < 0 < e.slope_ci[1]        # flat: the interval holds 0
    assert planted[1]["planted.decaying"].verdict == HOLDS                 # n^-3 decays faster than n^-2


def test_planted_trivial_competitor_makes_a_bound_vacuous(planted):
    e = planted[1]["planted.trivial"]
    assert e.verdict == HOLDS_C and e.vacuous is True and "the answer 0" in e.trivial
    assert planted[1]["planted.bounded"].vacuous is False


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
    assert serial["schema"] == 2 and serial["seed"] == 7 and serial["quick"] is False
    ids = {e["id"] for e in serial["checks"]}
    conventions = set()
    for e in serial["checks"]:
        assert set(e) == set(JSON_KEYS)
        assert e["verdict"] in (HOLDS, HOLDS_C, VIOLATED, INCONCLUSIVE)
        assert isinstance(e["vacuous"], bool) and (e["trivial"] or not e["vacuous"])
        assert e["ci"] is None or e["ci_level"] is not None              # an interval states its level
        conventions.add(e["convention"])
        assert e["corrected_of"] is None or e["corrected_of"] in ids
        if e["verdict"] == VIOLATED and not e["timing"]:
            # every violated entry has a corrected statement checked as its own entry (timing entries
            # excepted: their numbers move with the machine's load)
            assert any(o["corrected_of"] == e["id"] for o in serial["checks"]), e["id"]
    # kaiming_variance states which tensor each of its readings is about
    assert any(c and "time-domain" in c for c in conventions) and any(c and "frequency" in c for c in conventions)


def test_workers_do_not_change_results(serial, tmp_path):
    assert _run(tmp_path, "--workers", "2") == 0
    assert _strip(_load(tmp_path)) == _strip(serial)


def test_killed_and_resumed_run_matches(serial, tmp_path):
    assert _run(tmp_path, "--workers", "1", "--stop-after", "17") == 3
    journals = os.listdir(tmp_path / ".journal")
    assert journals                                     # completed trials were kept
    # 12 main + 6 held-out (fft_variance), 12 + 6 (kaiming_variance), 12 (smoothing_cost) = 48 trials:
    # the resumed run may only run the 48 - 17 missing ones, so a budget of 31 suffices
    assert _run(tmp_path, "--workers", "2", "--resume", "--stop-after", "31") == 0
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
    assert "fft_variance.forward_2n" in rep and "None" not in rep
    # counts per verdict and vacuous flags first, then one paragraph per claim, then the table
    glance, findings, table = rep.index("## At a glance"), rep.index("## Findings"), rep.index("## All entries")
    assert glance < findings < table
    assert "| violated | 2 |" in rep and "of which vacuous" in rep
    assert "**Claim.**" in rep[findings:table] and "**Finding.**" in rep[findings:table]
    assert "**Corrected statements.**" in rep[findings:table]
    assert "| id | verdict | vacuous |" in rep


def test_bad_only_is_an_error(tmp_path):
    assert verify_main(["--only", "nonexistent", "--out", str(tmp_path), "--no-progress"]) == 2


def test_every_violated_entry_names_a_counterexample(serial):
    for e in serial["checks"]:
        if e["verdict"] == VIOLATED and not e["timing"]:
            assert e["counterexample"], e["id"]


def test_fft_variance_counterexamples_reproduce(tmp_path):
    from proofs_checks import fft_variance
    ents = {e.id: e for e in run_checks([fft_variance.CHECK], seed=3, trials=4, out_dir=str(tmp_path),
                                        progress=False, figures=False)}
    n_all = 4 + 2                     # --trials 4 keeps the held-out proportion (16 of 32): 2 held-out trials
    for eid, key in (("fft_variance.forward_2n", "a2"), ("fft_variance.inverse_half", "inv")):
        e = ents[eid]
        assert e.verdict == VIOLATED and e.counterexample
        cx = np.load(os.path.join(tmp_path, e.counterexample))
        ss = np.random.SeedSequence(int(cx["seed_entropy"]), spawn_key=tuple(int(k) for k in cx["seed_spawn_key"]))
        assert ss.spawn_key == trial_seeds(3, "fft_variance", n_all)[int(cx["trial"])].spawn_key
        r = fft_variance.trial(ss, int(cx["trial"]), dict(M=int(cx["M"]), ns=cx["ns"].tolist()))
        assert str(cx["quantity"]) == key and r["n"] == int(cx["n"])
        assert r[key] == float(cx["measured"]) and r[key + "_se"] == float(cx["measured_se"])
        assert abs(r[key] - float(cx["claimed"])) > float(cx["z_crit"]) * r[key + "_se"]
