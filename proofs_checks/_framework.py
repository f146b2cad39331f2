"""Check descriptions, per-trial seeding and the parallel, resumable runner.

A :class:`Check` is a pure description: a ``trial(seed, index, params) -> dict``
function (JSON-serialisable result, no global state) run once per trial, and a
``summarise(results, params, ctx) -> list[Entry]`` that turns the ordered trial
results into entries (:mod:`proofs_checks._entry`) with the rules of
:mod:`proofs_checks._verdict`; :mod:`proofs_checks._report` writes the report and
:mod:`proofs_checks._figures` finishes the figures.

Held-out trials: a check's parameters may ask for ``held_out`` trials beyond its
``trials``; they are seeded like every other trial (child ``i`` of the check's seed
sequence), so they share no draw with the main trials, and corrected statements are
tested on them only (:func:`split`, :func:`proofs_checks._entry.corrected`).

Output folder: the files of a previous run (named in its ``.manifest.json``) are
removed before a run writes its own, so ``--only`` leaves no stale figure beside a
report that no longer mentions it; journals stay for ``--resume``.

Reproducibility: the trials of check ``id`` get the seeds
``SeedSequence(seed, spawn_key=(crc32(id),)).spawn(n)``, so a check's numbers depend
only on ``(seed, id, index)``, not on ``--only``, ``--workers`` nor the completion
order.  Every trial result is round-tripped through JSON (as it is when journaled),
so a resumed run summarises exactly the same numbers as an uninterrupted one.

Scheduling: the trials of the next checks are submitted before the current check is
summarised, so the workers never wait for the main process (summaries, figures) nor
idle at a check's tail; a ``timed`` check (wall-clock measurements) runs its trials one
at a time in the main process, with no other trial beside them.  Neither changes a number: each trial depends only on its seed.

Resume: ``<out>/.journal/<id>.jsonl`` holds a header line (seed, quick, trial
count, parameters) and one line per completed trial ``{"i": index, "r": result}``,
flushed as soon as the trial completes.  ``--resume`` reloads the completed indices
of a journal whose header matches and runs only the missing ones.
"""

from __future__ import annotations

import concurrent.futures as cf
import dataclasses
import glob
import hashlib
import json
import math
import multiprocessing
import os
import sys
import time
import zlib
from dataclasses import dataclass
from typing import Callable

import numpy as np

from ._entry import Entry, sanitize
from ._report import write_report

__all__ = ["Check", "Entry", "Context", "trial_seeds", "run_checks", "StopRequested", "split", "total_trials",
           "clear_previous_run", "MANIFEST"]


@dataclass(frozen=True)
class Check:
    """Description of one check (one claim of the paper).

    ``params(quick)`` returns the parameters, with ``trials`` (the main trials) and
    optionally ``held_out`` (further trials, seeded independently of the main ones, on
    which corrected statements are tested; see :func:`split`).  ``finding(entries)``
    writes the report's one-paragraph finding from the entries' numbers.  ``cost`` is
    the seconds one trial takes on one core of the reference machine, or a pair (quick,
    full) (the estimate ``skeleton verify`` prints before a run)."""

    id: str
    title: str
    claim: str
    interpretation: str
    params: Callable[[bool], dict]          # quick -> parameters (must hold "trials")
    trial: Callable[[np.random.SeedSequence, int, dict], dict]
    summarise: Callable[[list, dict, "Context"], list]
    figure: Callable | None = None           # figure(results, params, entries, path)
    finding: Callable | None = None          # finding(entries) -> str (report paragraph)
    timed: bool = False                      # wall-clock timing trials: run with no other check's trials
    cost: float | tuple = 0.05               # reference seconds per trial, or (quick, full) (run-time estimate only)


def total_trials(params):
    """Main plus held-out trials of a check."""
    return int(params["trials"]) + int(params.get("held_out", 0))


def split(results, params):
    """(main results, held-out results, main indices, held-out indices) of a check's trials."""
    n = int(params["trials"])
    return results[:n], results[n:], range(n), range(n, len(results))


class Context:
    """What ``summarise`` may use: the output folder and the counterexample store."""

    def __init__(self, out_dir, seed, quick):
        self.out_dir = out_dir
        self.seed = seed
        self.quick = quick
        self.written = []

    def save_counterexample(self, name, **arrays):
        """Save arrays (inputs, seed, measured and claimed values) to ``name``.npz."""
        fname = f"counterexample-{name}.npz".replace("/", "_")
        if self.out_dir is not None:
            os.makedirs(self.out_dir, exist_ok=True)
            np.savez(os.path.join(self.out_dir, fname), **arrays)
            self.written.append(fname)
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
    return json.loads(json.dumps(sanitize(r)))


def _run_chunk(trial, items, params):
    out = []
    for i, ss in items:
        out.append((i, _jsonround(trial(ss, i, params))))
    return out


class StopRequested(Exception):
    """Raised by the runner's test hook ``stop_after`` (simulates a killed run)."""


def _params_hash(params):
    return hashlib.sha256(json.dumps(sanitize(params), sort_keys=True).encode()).hexdigest()[:16]


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
    n = total_trials(params)
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
    # timing trials run one at a time in this process: two timings running side by side would
    # share the cores, caches and memory bandwidth and measure each other
    if executor is not None and len(todo) > 1 and not check.timed:
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
        # disable=None: a bar only when stderr is a terminal (nothing in a piped log)
        from tqdm.auto import tqdm
        bar = tqdm(total=n, initial=n - len(todo), desc=check.id, leave=False,
                   file=sys.stderr, dynamic_ncols=True, disable=None)
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


MANIFEST = ".manifest.json"


def _own_files(out_dir, checks):
    """Files a report folder of this tool holds: results.json, report.md, one figure per
    check, counterexamples."""
    names = {"results.json", "report.md"} | {f"{c.id}.png" for c in checks}
    names |= {os.path.basename(p) for p in glob.glob(os.path.join(out_dir, "counterexample-*.npz"))}
    return sorted(n for n in names if os.path.isfile(os.path.join(out_dir, n)))


def clear_previous_run(out_dir, known_checks):
    """Remove the files a previous run wrote into ``out_dir`` (so that ``--only`` does not
    leave stale figures and counterexamples beside the new report).

    The previous run's ``.manifest.json`` names its files; a folder without one (written
    before manifests existed) is cleared of the file names this tool writes
    (``results.json``, ``report.md``, ``<check>.png``, ``counterexample-*.npz``).  Other
    files are left alone.  Returns the names removed."""
    mpath = os.path.join(out_dir, MANIFEST)
    names = []
    if os.path.exists(mpath):
        try:
            with open(mpath) as fh:
                names = list(json.load(fh).get("files", []))
        except (OSError, ValueError):
            names = []
    names = sorted(set(names) | set(_own_files(out_dir, known_checks)))
    removed = []
    for name in names:
        path = os.path.join(out_dir, os.path.basename(name))
        if os.path.isfile(path):
            os.remove(path)
            removed.append(os.path.basename(name))
    return removed


def run_checks(checks, *, seed=0, quick=False, trials=None, workers=1, out_dir="skeleton-report",
               resume=False, scheduler=None, progress=True, stop_after=None, figures=True,
               log=print, known_checks=None, machine=None):
    """Run checks, summarise, write results.json, report.md and figures. Returns entries.

    Files of a previous run in ``out_dir`` are removed first (:func:`clear_previous_run`;
    ``known_checks`` lists every check whose figure may be there, default ``checks``),
    and ``.manifest.json`` lists the files this run wrote."""
    os.makedirs(out_dir, exist_ok=True)
    replaced = clear_previous_run(out_dir, known_checks or checks)
    ctx = Context(out_dir, seed, quick)
    executor, client = make_executor(workers, scheduler)
    budget = None if stop_after is None else [int(stop_after)]
    all_entries, sections, states = [], [], []
    queue = []                               # prepared (submitted), not yet collected
    t_start = time.perf_counter()

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
                # --trials sets the main trials; held-out trials keep their proportion
                held = int(params.get("held_out", 0))
                if held:
                    params["held_out"] = max(1, math.ceil(int(trials) * held / int(params["trials"])))
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
                    ctx.written.append(fig)
                except Exception as exc:  # a figure must not sink the verdicts
                    log(f"[{check.id}] figure failed: {exc!r}")
                    fig = None
            secs = time.perf_counter() - t0
            for e in entries:
                if not e.id.startswith(check.id + ".") and e.id != check.id:
                    raise RuntimeError(f"entry id {e.id} must start with {check.id}.")
            entries = [dataclasses.replace(e, seconds=round(secs / max(1, len(entries)), 4)) for e in entries]
            ids = [e.id for e in all_entries + entries]
            if len(set(ids)) != len(ids):
                raise RuntimeError(f"duplicate entry ids in {check.id}")
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
    doc = {"schema": 2, "seed": int(seed), "quick": bool(quick),
           "checks": [e.to_json() for e in all_entries]}
    with open(os.path.join(out_dir, "results.json"), "w") as fh:
        json.dump(doc, fh, indent=1)
    write_report(os.path.join(out_dir, "report.md"), sections, seed, quick, machine=machine,
                 seconds=time.perf_counter() - t_start, replaced=replaced)
    files = sorted(set(ctx.written) | {"results.json", "report.md"})
    with open(os.path.join(out_dir, MANIFEST), "w") as fh:
        json.dump({"files": files, "replaced": replaced}, fh, indent=1)
    return all_entries
