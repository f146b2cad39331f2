"""One verdict line of ``results.json``, built by keyword from the result of a rule.

An :class:`Entry` is never written field by field in a check: each kind of claim has a
constructor that takes the rule's result and fills the verdict, counts, interval and
level from it, so that a verdict cannot be typed in:

* :meth:`Entry.of_rate` -- a probabilistic claim tested by the rate-trend rule
  (:func:`proofs_checks._verdict.rate_trend`);
* :meth:`Entry.of_cells` -- a "with probability >= 1 - delta" claim tested cell by cell
  (:func:`proofs_checks._verdict.cells_verdict`);
* :meth:`Entry.of_constant` -- an O(.) claim tested by the constant rule;
* :meth:`Entry.of_deterministic` -- identities, counts, closed forms;
* :meth:`Entry.of_comparison` -- "rate A is larger than rate B";
* :meth:`Entry.of_sampling`, :meth:`Entry.of_agreement`, :meth:`Entry.of_interval` -- a
  closed form against Monte Carlo, a claimed number against a measured one, a
  signed effect.

Every entry says whether it is **vacuous**: a trivial competitor (named in
``trivial`` with its number) meets the claim as well, so the claim carries no
information about the method it is stated for.  A tautological correction is vacuous
in the same sense (its trivial competitor is the tautology).

A **corrected statement** is made with :func:`corrected`, which records what it was
derived from and on which trials it is tested, and refuses (raises
:class:`PostHocCorrection`) a test on any trial it was derived or selected on.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field

import numpy as np

from ._verdict import VERDICTS, agreement_verdict, deterministic_verdict, interval_verdict
from ._verdict import fmt_num as _num

__all__ = ["Entry", "Derivation", "PostHocCorrection", "corrected", "vacuity", "KINDS", "JSON_KEYS",
           "index_ranges"]

KINDS = ("rate", "cells", "constant", "deterministic", "comparison", "sampling", "agreement", "interval")

# results.json, schema 2: the schema-1 keys, then the keys added by schema 2
SCHEMA1_KEYS = ("id", "claim", "interpretation", "verdict", "trials", "failures", "failure_rate", "ci",
                "constant", "counterexample", "corrected_of", "seconds", "timing")
SCHEMA2_KEYS = ("vacuous", "trivial", "convention", "kind", "ci_level", "slope", "slope_ci",
                "derived_from", "tested_on")
JSON_KEYS = SCHEMA1_KEYS + SCHEMA2_KEYS


@dataclass(frozen=True, kw_only=True)
class Entry:
    """One verdict (see the module docstring and docs/user_guide/verification.md)."""

    id: str
    claim: str
    interpretation: str
    verdict: str
    kind: str
    trials: int
    failures: int | None = None
    failure_rate: float | None = None
    ci: list | None = None
    ci_level: float | None = None
    slope: float | None = None
    slope_ci: list | None = None
    constant: float | None = None
    counterexample: str | None = None
    corrected_of: str | None = None
    derived_from: str | None = None
    tested_on: str | None = None
    vacuous: bool = False
    trivial: str | None = None
    convention: str | None = None
    seconds: float = 0.0
    timing: bool = False
    evidence: str = ""
    details: dict = field(default_factory=dict)

    def __post_init__(self):
        if self.verdict not in VERDICTS:
            raise ValueError(f"{self.id}: verdict must be one of {VERDICTS}, got {self.verdict!r}")
        if self.kind not in KINDS:
            raise ValueError(f"{self.id}: kind must be one of {KINDS}, got {self.kind!r}")
        if self.vacuous and not self.trivial:
            raise ValueError(f"{self.id}: a vacuous entry must name its trivial competitor (trivial=...)")
        if self.corrected_of and not (self.derived_from and self.tested_on):
            raise ValueError(f"{self.id}: a corrected statement is made with corrected(...)")

    # ------------------------------------------------------------------ constructors
    @classmethod
    def of_rate(cls, *, id, claim, interpretation, result, constant, fails_when=None, **kw):
        """A probabilistic claim tested by the rate-trend rule at the stated ``constant``.

        ``failures``/``trials``/``ci`` are those of the largest size (the rate the claim
        is about as n grows), at the per-size Bonferroni level; the slope and its
        interval are their own fields."""
        k, N, ci = result.failures[-1], result.trials[-1], result.cis[-1]
        kw = dict(kw)
        details = dict(kw.pop("details", {}), trend=_trend_dict(result))
        fails_when = fails_when or f"the error exceeds C = {_num(constant)} times the claimed rate"
        ev = (f"Rate-trend rule (a trial fails when {fails_when}): {result.reason}. Failures/trials and CI are those of the "
              f"largest n = {_num(result.sizes[-1])}; over all sizes {result.total_failures} / "
              f"{result.total_trials}.\n\n" + result.table())
        return cls(id=id, claim=claim, interpretation=interpretation, verdict=result.verdict, kind="rate",
                   trials=N, failures=k, failure_rate=k / N if N else None, ci=list(ci),
                   ci_level=result.ci_level, slope=result.slope, slope_ci=list(result.slope_ci),
                   constant=float(constant), details=details, **_with_evidence(kw, ev))

    @classmethod
    def of_cells(cls, *, id, claim, interpretation, result, **kw):
        """A fixed-level probability claim tested cell by cell (Bonferroni)."""
        ev = (f"Cells rule: the rate rule in each of {len(result.rows)} cells at the Bonferroni level "
              f"{100 * result.ci_level:.4g}%; violated if any cell's whole interval lies above the allowed "
              f"probability, holds if every cell's lies below. Failures/trials/CI are those of the worst "
              f"cell {_key(result.worst[0])}.\n\n" + result.table())
        k, n = result.failures, result.trials
        return cls(id=id, claim=claim, interpretation=interpretation, verdict=result.verdict, kind="cells",
                   trials=n, failures=k, failure_rate=k / n if n else None, ci=result.ci,
                   ci_level=result.ci_level, **_with_evidence(kw, ev))

    @classmethod
    def of_constant(cls, *, id, claim, interpretation, fit, trials, **kw):
        """An O(.) claim tested by the constant rule (``fit`` from ``fit_constant``)."""
        ev = (f"Constant rule: {fit['reason']}. Per-size ratio: "
              + ", ".join(f"{_num(a)}: {_num(b)}" for a, b in fit["per_size"].items()) + ".")
        c = fit["constant"] if fit["verdict"] == "holds_with_constant" else None
        return cls(id=id, claim=claim, interpretation=interpretation, verdict=fit["verdict"], kind="constant",
                   trials=int(trials), constant=c, slope=fit.get("slope"),
                   slope_ci=None if fit.get("slope_ci") is None else list(fit["slope_ci"]),
                   **_with_evidence(kw, ev))

    @classmethod
    def of_deterministic(cls, *, id, claim, interpretation, failures, trials, **kw):
        """Identities, counts and closed forms: any failing case violates."""
        failures, trials = int(failures), int(trials)
        return cls(id=id, claim=claim, interpretation=interpretation, verdict=deterministic_verdict(failures),
                   kind="deterministic", trials=trials, failures=failures,
                   failure_rate=failures / trials if trials else None, **kw)

    @classmethod
    def of_comparison(cls, *, id, claim, interpretation, result, labels, **kw):
        """"Rate A > rate B" (``result`` from ``comparison_verdict`` with the counts).

        ``result`` = (verdict, (k_a, n_a, wilson_a), (k_b, n_b, wilson_b)); ``labels`` names A
        and B.  trials = n_a + n_b; failures/CI stay empty (two rates, both in ``details``)."""
        verdict, (ka, na, wa), (kb, nb, wb) = result
        ev = (f"Comparison of two failure rates (Wilson 95% intervals): {labels[0]}: {ka} / {na} failed, "
              f"[{_num(wa[0])}, {_num(wa[1])}]; {labels[1]}: {kb} / {nb} failed, [{_num(wb[0])}, {_num(wb[1])}]. "
              f"The claim holds if the first interval lies above the second, is violated if below. "
              f"trials = {na} + {nb} attempts; the single failures/CI columns do not apply.")
        cmp = {labels[0]: dict(failures=ka, trials=na, ci=list(wa)), labels[1]: dict(failures=kb, trials=nb, ci=list(wb))}
        kw = dict(kw)
        details = dict(kw.pop("details", {}), comparison=cmp)
        return cls(id=id, claim=claim, interpretation=interpretation, verdict=verdict, kind="comparison",
                   trials=na + nb, ci_level=0.95, details=details, **_with_evidence(kw, ev))

    @classmethod
    def of_sampling(cls, *, id, claim, interpretation, result, **kw):
        """A closed form against Monte Carlo (``result`` from ``sampling_verdict``)."""
        verdict, k, zc, z = result
        m = int(np.size(z))
        ev = (f"Sampling-agreement rule: {k} of {m} comparisons have |z| > {zc:.3f} (Bonferroni, family "
              f"level 99.9%); max |z| = {_num(float(np.max(z)))}.")
        return cls(id=id, claim=claim, interpretation=interpretation, verdict=verdict, kind="sampling",
                   trials=m, failures=int(k), failure_rate=k / m, ci_level=0.999, **_with_evidence(kw, ev))

    @classmethod
    def of_agreement(cls, *, id, claim, interpretation, measured, claimed, rtol, trials, **kw):
        """A claimed number against the measured one: |measured/claimed - 1| <= rtol."""
        ev = f"Agreement rule: measured {_num(measured)} vs claimed {_num(claimed)}, tolerance {rtol:g} relative."
        return cls(id=id, claim=claim, interpretation=interpretation,
                   verdict=agreement_verdict(measured, claimed, rtol=rtol), kind="agreement", trials=int(trials),
                   **_with_evidence(kw, ev))

    @classmethod
    def of_interval(cls, *, id, claim, interpretation, values, conf=0.95, **kw):
        """"The mean effect is positive": t-interval of ``values`` at ``conf``."""
        verdict, ci = interval_verdict(values, conf)
        v = np.asarray(values, float)
        ev = (f"Interval rule: mean {_num(float(v.mean()) if v.size else math.nan)} over {v.size} samples, "
              f"{100 * conf:.4g}% t-interval [{_num(ci[0])}, {_num(ci[1])}]; holds above 0, violated below.")
        return cls(id=id, claim=claim, interpretation=interpretation, verdict=verdict, kind="interval",
                   trials=int(v.size), ci=list(ci), ci_level=conf, **_with_evidence(kw, ev))

    # ------------------------------------------------------------------ output
    def to_json(self):
        d = dataclasses.asdict(self)
        return sanitize({k: d[k] for k in JSON_KEYS})


def _with_evidence(kw, rule_text):
    """kw with ``evidence`` = the rule's own account, then the check's (if any)."""
    kw = dict(kw)
    extra = kw.pop("evidence", "")
    kw["evidence"] = rule_text + ("\n\n" + extra if extra else "")
    return kw


def _trend_dict(t):
    return dict(sizes=list(t.sizes), failures=list(t.failures), trials=list(t.trials),
                cis=[list(c) for c in t.cis], slope=t.slope, slope_ci=list(t.slope_ci), p=t.p)


def _key(key):
    return "(" + ", ".join(str(x) for x in key) + ")" if isinstance(key, tuple) else str(key)


def sanitize(obj):
    """JSON-ready copy: numpy scalars to Python, non-finite floats to "inf"/"-inf"/"nan"."""
    if isinstance(obj, dict):
        return {str(k): sanitize(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [sanitize(v) for v in obj]
    if isinstance(obj, (np.floating, float)):
        v = float(obj)
        if math.isfinite(v):
            return v
        return "inf" if v > 0 else ("-inf" if v < 0 else "nan")
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.bool_):
        return bool(obj)
    if isinstance(obj, np.ndarray):
        return sanitize(obj.tolist())
    return obj


def vacuity(meets, competitor, number):
    """``vacuous``/``trivial`` keywords: whether the trivial ``competitor`` meets the claim
    too (measured by the same rule), and its ``number`` in words."""
    return dict(vacuous=bool(meets), trivial=f"{competitor}: {number}")


# --------------------------------------------------------------------------- corrections
class PostHocCorrection(ValueError):
    """A corrected statement tested on trials it was derived or selected on."""


@dataclass(frozen=True)
class Derivation:
    """Where a corrected statement comes from.

    how : str
        What it was derived from (a proof step, a closed form, a measured sign).
    samples : frozenset of int
        The trial indices it was derived or selected on -- including the trials whose
        outcome prompted it.  Empty only for a statement fixed before any trial ran."""

    how: str
    samples: frozenset = frozenset()

    def __post_init__(self):
        object.__setattr__(self, "samples", frozenset(int(i) for i in self.samples))


def index_ranges(indices):
    """'48-95' style description of a set of trial indices."""
    idx = sorted(int(i) for i in indices)
    if not idx:
        return "none"
    parts, start, prev = [], idx[0], idx[0]
    for i in idx[1:] + [None]:
        if i is not None and i == prev + 1:
            prev = i
            continue
        parts.append(f"{start}" if start == prev else f"{start}-{prev}")
        if i is not None:
            start = prev = i
    return ", ".join(parts)


def corrected(entry, *, of, derived, tested_on, note=""):
    """Mark ``entry`` as the corrected statement of entry ``of`` (None: a sharper statement
    beside an original that holds), derived as ``derived`` and tested on ``tested_on``.

    Raises
    ------
    PostHocCorrection
        ``tested_on`` is empty or shares a trial with ``derived.samples``: a correction
        chosen on some draws must be tested on others."""
    if not isinstance(derived, Derivation):
        raise TypeError("derived must be a Derivation")
    tested = frozenset(int(i) for i in tested_on)
    if not tested:
        raise PostHocCorrection(f"{entry.id}: refused: a corrected statement must be tested on some trials")
    overlap = tested & derived.samples
    if overlap:
        raise PostHocCorrection(
            f"{entry.id}: refused: tested on {len(overlap)} trial(s) it was derived or selected on "
            f"(e.g. trial {min(overlap)}); test it on held-out trials")
    how = derived.how + (f" (derived on trials {index_ranges(derived.samples)})" if derived.samples
                         else " (no trial used)")
    return dataclasses.replace(entry, corrected_of=of, derived_from=how,
                               tested_on=f"held-out trials {index_ranges(tested)}" + (f"; {note}" if note else ""))
