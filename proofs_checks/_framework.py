"""Check descriptions, per-trial seeding, the parallel/resumable runner and the report.

A :class:`Check` is a pure description: a ``trial(seed, index, params) -> dict``
function (JSON-serialisable result, no global state) run once per trial, and a
``summarise(results, params, ctx) -> list[Entry]`` that turns the ordered trial
results into verdicts with the rules of :mod:`proofs_checks._verdict`.

Reproducibility: the trials of check ``id`` get the seeds
``SeedSequence(seed, spawn_key=(crc32(id),)).spawn(n)``, so a check's numbers depend
only on ``(seed, id, index)``, not on ``--only``, ``--workers`` nor the completion
order.  Every trial result is round-tripped through JSON (as it is when journaled),
so a resumed run summarises exactly the same numbers as an uninterrupted one.

Scheduling: the trials of the next checks are submitted before the current check is
summarised, so the workers never wait for the main process (summaries, figures) nor
idle at a check's tail; a ``timed`` check (wall-clock measurements) runs with no other
check's trials beside it.  Neither changes a number: each trial depends only on its seed.

Resume: ``<out>/.journal/<id>.jsonl`` holds a header line (seed, quick, trial
count, parameters) and one line per completed trial ``{"i": index, "r": result}``,
flushed as soon as the trial completes.  ``--resume`` reloads the completed indices
of a journal whose header matches and runs only the missing ones.
"""

from __future__ import annotations

import concurrent.futures as cf
import dataclasses
import hashlib
import json
import math
import multiprocessing
import os
import sys
import time
import zlib
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

__all__ = ["Check", "Entry", "Context", "trial_seeds", "run_checks", "StopRequested"]


@dataclass(frozen=True)
class Check:
    """Description of one check (one claim of the paper)."""

    id: str
    title: str
    claim: str
    interpretation: str
    params: Callable[[bool], dict]          # quick -> parameters (must hold "trials")
    trial: Callable[[np.random.SeedSequence, int, dict], dict]
    summarise: Callable[[list, dict, "Context"], list]
    figure: Callable | None = None           # figure(results, params, entries, path)
    timed: bool = False                      # wall-clock timing trials: run with no other check's trials


@dataclass
class Entry:
    """One verdict line of results.json."""

    id: str
    claim: str
    interpretation: str
    verdict: str
    trials: int
    failures: int | None = None
    failure_rate: float | None = None
    ci: list | None = None
    constant: float | None = None
    counterexample: str | None = None
    corrected_of: str | None = None
    seconds: float = 0.0
    evidence: str = ""
    timing: bool = False                   # numbers derived from wall-clock timings
    details: dict = field(default_factory=dict)

    # results.json carries exactly the keys plus "timing" (evidence and details go
    # to report.md, where they are readable)
    JSON_KEYS = ("id", "claim", "interpretation", "verdict", "trials", "failures", "failure_rate", "ci",
                 "constant", "counterexample", "corrected_of", "seconds", "timing")

    def to_json(self):
        d = dataclasses.asdict(self)
        return _sanitize({k: d[k] for k in self.JSON_KEYS})


def _sanitize(obj):
    if isinstance(obj, dict):
        return {str(k): _sanitize(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_sanitize(v) for v in obj]
    if isinstance(obj, (np.floating, float)):
        v = float(obj)
        if math.isfinite(v):
            return v
        return "inf" if v > 0 else ("-inf" if v < 0 else "nan")
    if isinstance(obj, (np.integer,)):
        return int(obj)
    if isinstance(obj, np.bool_):
        return bool(obj)
    if isinstance(obj, np.ndarray):
        return _sanitize(obj.tolist())
    return obj


class Context:
    """What ``summarise`` may use: the output folder and the counterexample store."""

    def __init__(self, out_dir, seed, quick):
        self.out_dir = out_dir
        self.seed = seed
        self.quick = quick

    def save_counterexample(self, name, **arrays):
        """Save arrays (inputs, seed, measured and claimed values) to ``name``.npz."""
        fname = f"counterexample-{name}.npz"
        if self.out_dir is not None:
            os.makedirs(self.out_dir, exist_ok=True)
            np.savez(os.path.join(self.out_dir, fname), **arrays)
        return fname


def check_seed(seed, check_id):
    return np.random.SeedSequence(int(seed), spawn_key=(zlib.crc32(check_id.encode()),))


def trial_seeds(seed, check_id, n):
    """The per-trial seed sequences of a check (child ``i`` does not depend on ``n``)."""
    return check_seed(seed, check_id).spawn(int(n))


def seed_of(seed_seq):
    """Integer description of a trial seed (stored in counterexamples)."""
    return dict(entropy=int(seed_seq.entropy), spawn_key=list(seed_seq.spawn_key))


def _jsonround(r):
    return json.loads(json.dumps(_sanitize(r)))


def _run_chunk(trial, items, params):
    out = []
    for i, ss in items:
        out.append((i, _jsonround(trial(ss, i, params))))
    return out


class StopRequested(Exception):
    """Raised by the runner's test hook ``stop_after`` (simulates a killed run)."""


def _params_hash(params):
    return hashlib.sha256(json.dumps(_sanitize(params), sort_keys=True).encode()).hexdigest()[:16]


def _load_journal(path, header):
    done = {}
    if not os.path.exists(path):
        return done
    with open(path) as fh:
        lines = fh.read().splitlines()
    if not lines:
        return done
    try:
        if json.loads(lines[0]).get("header") != header:
            return {}
    except json.JSONDecodeError:
        return {}
    for ln in lines[1:]:
        try:
            rec = json.loads(ln)
        except json.JSONDecodeError:      # a line cut by a kill: ignore it
            continue
        done[int(rec["i"])] = rec["r"]
    return done


def _prepare_check(check, params, *, seed, quick, out_dir, resume, executor, workers):
    """Open the journal of one check and submit its missing trials to ``executor``.

    Returns the state :func:`_collect_check` needs.  Submitting every check's trials
    before collecting any lets the workers go on with the next checks while the main
    process summarises and draws a finished one (and fills the idle tail of a check
    with the next one's trials); the numbers do not change, since each trial depends
    only on its own seed."""
    n = int(params["trials"])
    seeds = trial_seeds(seed, check.id, n)
    header = dict(id=check.id, seed=int(seed), quick=bool(quick), trials=n,
                  params=_params_hash(params))
    jdir = os.path.join(out_dir, ".journal")
    os.makedirs(jdir, exist_ok=True)
    jpath = os.path.join(jdir, f"{check.id}.jsonl")
    done = _load_journal(jpath, header) if resume else {}
    done = {i: r for i, r in done.items() if i < n}
    with open(jpath, "w") as fh:                       # rewrite: header + kept lines
        fh.write(json.dumps({"header": header}) + "\n")
        for i in sorted(done):
            fh.write(json.dumps({"i": i, "r": done[i]}) + "\n")
    todo = [i for i in range(n) if i not in done]
    futs = None
    if executor is not None and len(todo) > 1:
        size = max(1, min(8, len(todo) // (4 * max(1, workers))))
        chunks = [todo[k:k + size] for k in range(0, len(todo), size)]
        futs = [executor.submit(_run_chunk, check.trial, [(i, seeds[i]) for i in ch], params)
                for ch in chunks]
    return dict(check=check, params=params, n=n, seeds=seeds, jpath=jpath, done=done, todo=todo,
                futs=futs)


def _collect_check(state, *, progress=True, budget=None):
    """Wait for (or, without an executor, run) the missing trials of a prepared check,
    journaling each as it completes; returns the ordered trial results.

    ``budget`` is a one-element list with the number of trials that may still run
    before :class:`StopRequested` (the test hook behind ``--stop-after``), or None.
    """
    check, params, n, seeds = state["check"], state["params"], state["n"], state["seeds"]
    done, todo, futs = state["done"], state["todo"], state["futs"]
    bar = None
    if progress:
        from tqdm.auto import tqdm
        bar = tqdm(total=n, initial=n - len(todo), desc=check.id, leave=False,
                   file=sys.stderr, dynamic_ncols=True)
    try:
        with open(state["jpath"], "a") as fh:
            def record(pairs):
                for i, r in pairs:
                    if budget is not None:
                        if budget[0] <= 0:
                            raise StopRequested(check.id)
                        budget[0] -= 1
                    done[i] = r
                    fh.write(json.dumps({"i": i, "r": r}) + "\n")
                    fh.flush()
                    if bar is not None:
                        bar.update(1)

            if futs is None:
                for i in todo:
                    record(_run_chunk(check.trial, [(i, seeds[i])], params))
            else:
                for fut in cf.as_completed(futs):
                    record(fut.result())
    finally:
        if bar is not None:
            bar.close()
    return [done[i] for i in range(n)]


def run_check(check, params, *, seed, quick, out_dir, resume, executor, workers,
              progress=True, budget=None):
    """Run the missing trials of one check; returns the ordered trial results."""
    state = _prepare_check(check, params, seed=seed, quick=quick, out_dir=out_dir, resume=resume,
                           executor=executor, workers=workers)
    try:
        return _collect_check(state, progress=progress, budget=budget)
    except BaseException:
        for f in state["futs"] or ():
            f.cancel()
        raise


def _single_threaded_worker():
    """Worker initialiser: one BLAS/OpenMP thread per process.  K worker processes on K
    cores each running a multi-threaded BLAS oversubscribe the machine (measured: the
    prop1 trials ran about 5x slower with 2 workers x 2 BLAS threads on 2 cores)."""
    os.environ["OMP_NUM_THREADS"] = "1"
    try:
        from threadpoolctl import threadpool_limits
        threadpool_limits(limits=1)
    except ImportError:  # pragma: no cover - threadpoolctl is a dependency
        pass


def make_executor(workers, scheduler=None):
    if scheduler:
        from distributed import Client
        client = Client(scheduler)
        return client.get_executor(), client
    if workers and workers > 1:
        ctx = multiprocessing.get_context("spawn")
        return cf.ProcessPoolExecutor(max_workers=int(workers), mp_context=ctx,
                                      initializer=_single_threaded_worker), None
    return None, None


def run_checks(checks, *, seed=0, quick=False, trials=None, workers=1, out_dir="skeleton-report",
               resume=False, scheduler=None, progress=True, stop_after=None, figures=True,
               log=print):
    """Run checks, summarise, write results.json, report.md and figures. Returns entries."""
    os.makedirs(out_dir, exist_ok=True)
    ctx = Context(out_dir, seed, quick)
    executor, client = make_executor(workers, scheduler)
    budget = None if stop_after is None else [int(stop_after)]
    all_entries, sections, states = [], [], []
    queue = []                               # prepared (submitted), not yet collected

    def fill():
        """Submit the next checks' trials ahead (see _prepare_check), except that a timed
        check's trials never share the workers with another check's: it is submitted only
        when nothing else is outstanding, and nothing after it until it is collected."""
        while len(states) < len(checks):
            check = checks[len(states)]
            if (check.timed and queue) or any(st["check"].timed for st in queue):
                return
            params = dict(check.params(quick))
            if trials is not None:
                params["trials"] = int(trials)
            st = _prepare_check(check, params, seed=seed, quick=quick, out_dir=out_dir,
                                resume=resume, executor=executor, workers=workers)
            states.append(st)
            queue.append(st)

    try:
        for _ in checks:
            fill()
            state = queue.pop(0)
            check, params = state["check"], state["params"]
            t0 = time.perf_counter()
            results = _collect_check(state, progress=progress, budget=budget)
            fill()                           # keep the workers busy while this one is summarised
            entries = check.summarise(results, params, ctx)
            fig = None
            if figures and check.figure is not None:
                fig = f"{check.id}.png"
                try:
                    check.figure(results, params, entries, os.path.join(out_dir, fig))
                except Exception as exc:  # a figure must not sink the verdicts
                    log(f"[{check.id}] figure failed: {exc!r}")
                    fig = None
            secs = time.perf_counter() - t0
            for e in entries:
                if not e.id.startswith(check.id + ".") and e.id != check.id:
                    raise RuntimeError(f"entry id {e.id} must start with {check.id}.")
                e.seconds = round(secs / max(1, len(entries)), 4)
            all_entries.extend(entries)
            sections.append((check, params, entries, fig))
    finally:
        for state in states:
            for f in state["futs"] or ():
                f.cancel()
        if executor is not None and client is None:
            executor.shutdown(wait=True, cancel_futures=True)
        if client is not None:
            client.close()
    doc = {"schema": 1, "seed": int(seed), "quick": bool(quick),
           "checks": [e.to_json() for e in all_entries]}
    with open(os.path.join(out_dir, "results.json"), "w") as fh:
        json.dump(doc, fh, indent=1)
    write_report(os.path.join(out_dir, "report.md"), sections, seed, quick)
    return all_entries


def _fmt(x, nd=4):
    if x is None:
        return "-"
    if isinstance(x, (list, tuple)):
        return "[" + ", ".join(_fmt(v, nd) for v in x) + "]"
    if isinstance(x, float):
        return f"{x:.{nd}g}"
    return str(x)


def summary_table(entries):
    rows = [("id", "verdict", "failures/trials", "CI", "constant")]
    for e in entries:
        ft = f"{e.failures}/{e.trials}" if e.failures is not None else f"-/{e.trials}"
        rows.append((e.id, e.verdict, ft, _fmt(e.ci, 3), _fmt(e.constant)))
    w = [max(len(r[k]) for r in rows) for k in range(5)]
    lines = ["  ".join(r[k].ljust(w[k]) for k in range(5)) for r in rows]
    lines.insert(1, "  ".join("-" * w[k] for k in range(5)))
    return "\n".join(lines)


def write_report(path, sections, seed, quick):
    L = ["# skeleton verify: numerical verdicts on the claims of S3Attention (arXiv 2408.08567)",
         "", f"seed = {seed}, quick = {quick}. Verdicts are computed from the numbers by the",
         "rules in `proofs_checks/_verdict.py` (stated again under each entry).", "",
         "## Summary", "", "| id | verdict | failures/trials | CI (95%) | constant | corrects |",
         "|---|---|---|---|---|---|"]
    for _, _, entries, _ in sections:
        for e in entries:
            ft = f"{e.failures}/{e.trials}" if e.failures is not None else f"-/{e.trials}"
            L.append(f"| `{e.id}` | **{e.verdict}** | {ft} | {_fmt(e.ci, 3)} | "
                     f"{_fmt(e.constant)} | {e.corrected_of or ''} |")
    for check, params, entries, fig in sections:
        L += ["", f"## {check.id}: {check.title}", "", "**Claim.** " + check.claim.strip(), "",
              "**Interpretation.** " + check.interpretation.strip(), "",
              "**Parameters.** `" + json.dumps(_sanitize(params)) + "`", ""]
        if fig:
            L += [f"![{check.id}]({fig})", ""]
        for e in entries:
            L += [f"### `{e.id}` — {e.verdict}" + (f" (corrects `{e.corrected_of}`)" if e.corrected_of else ""),
                  "", "> " + e.claim.strip().replace("\n", "\n> "), ""]
            if e.interpretation and e.interpretation != check.interpretation:
                L += ["*Interpretation:* " + e.interpretation.strip(), ""]
            L.append(f"- trials: {e.trials}; failures: {_fmt(e.failures)}; rate: "
                     f"{_fmt(e.failure_rate)}; CI: {_fmt(e.ci)}; constant: {_fmt(e.constant)}")
            if e.counterexample:
                L.append(f"- counterexample: `{e.counterexample}`")
            if e.timing:
                L.append("- numbers from wall-clock timings (vary between runs)")
            L += ["", e.evidence.strip(), ""]
    with open(path, "w") as fh:
        fh.write("\n".join(L) + "\n")
