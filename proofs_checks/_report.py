"""``report.md`` and the summary table that ``skeleton verify`` prints.

The report a researcher reads: counts per verdict and vacuous flags first, then one
short paragraph per claim (the claim, what was found, the corrected statement), then
the table of every entry, then the details of each check (interpretation,
parameters, figure, evidence).  Numbers are rounded; a missing number is a dash.
"""

from __future__ import annotations

import json

from ._entry import sanitize
from ._verdict import VERDICTS, fmt_num

__all__ = ["fmt", "ci_text", "counts_text", "summary_table", "write_report", "verdict_counts"]


def fmt(x, nd=3):
    """A number rounded to ``nd`` significant digits; None as '-'; lists elementwise."""
    if x is None:
        return "-"
    if isinstance(x, bool):
        return "yes" if x else "no"
    if isinstance(x, (list, tuple)):
        return "[" + ", ".join(fmt(v, nd) for v in x) + "]"
    if isinstance(x, (int, float)):
        return fmt_num(x, nd)
    return str(x)


def ci_text(e):
    """'[lo, hi] (level)' of an entry, or '-'."""
    if not e.ci:
        return "-"
    level = f" ({100 * e.ci_level:.4g}%)" if e.ci_level else ""
    return f"[{fmt(e.ci[0])}, {fmt(e.ci[1])}]{level}"


def counts_text(e):
    """failures / trials; a comparison entry shows both of its rates."""
    cmp = e.details.get("comparison") if isinstance(e.details, dict) else None
    if cmp:
        return " vs ".join(f"{name} {v['failures']}/{v['trials']}" for name, v in cmp.items())
    if e.failures is None:
        return f"- / {e.trials}"
    return f"{e.failures} / {e.trials}"


def vacuous_text(e):
    return "**vacuous**" if e.vacuous else "no"


def verdict_counts(entries):
    """{verdict: count} in the order of VERDICTS, and the number of vacuous entries."""
    counts = {v: sum(e.verdict == v for e in entries) for v in VERDICTS}
    return counts, sum(bool(e.vacuous) for e in entries)


def summary_table(entries):
    """Plain-text table for the terminal."""
    rows = [("id", "verdict", "vacuous", "failures/trials", "CI (level)", "constant")]
    for e in entries:
        rows.append((e.id, e.verdict, "yes" if e.vacuous else "no", counts_text(e), ci_text(e), fmt(e.constant)))
    w = [max(len(r[k]) for r in rows) for k in range(len(rows[0]))]
    lines = ["  ".join(r[k].ljust(w[k]) for k in range(len(w))) for r in rows]
    lines.insert(1, "  ".join("-" * x for x in w))
    counts, nvac = verdict_counts(entries)
    lines.append("")
    lines.append(", ".join(f"{v}: {n}" for v, n in counts.items()) + f"; vacuous: {nvac}")
    return "\n".join(lines)


MAX_LISTED = 6        # a claim with more corrected statements lists only those that do not hold


def _paragraph(check, entries):
    """Claim, finding and corrected statements of one check."""
    originals = [e for e in entries if not e.derived_from]
    fixes = [e for e in entries if e.derived_from]
    if check.finding is not None:
        finding = check.finding(entries)
    else:
        finding = "; ".join(f"`{e.id}` {e.verdict}" + (" (vacuous)" if e.vacuous else "") for e in originals) + "."
    out = [f"### {check.title}", "", f"**Claim.** {check.claim.strip()}", "", f"**Finding.** {finding.strip()}", ""]
    if fixes:
        items = []
        shown = fixes if len(fixes) <= MAX_LISTED else [e for e in fixes if e.verdict != "holds"]
        for e in shown:
            of = f" (corrects `{e.corrected_of}`)" if e.corrected_of else " (a sharper statement; the original holds)"
            vac = f"; **vacuous**: {e.trivial}" if e.vacuous else ""
            items.append(f"- `{e.id}`{of}: {e.claim.strip()} — **{e.verdict}**{vac}. Derived from: "
                         f"{e.derived_from}; tested on {e.tested_on}.")
        if len(shown) < len(fixes):
            held = sorted({e.tested_on for e in fixes})
            items.insert(0, f"- {len(fixes) - len(shown)} of {len(fixes)} corrected statements hold "
                            f"(tested on {'; '.join(held)}); they are listed in the table below"
                            + ("; the others:" if shown else "."))
        out += ["**Corrected statements.**", ""] + items + [""]
    return out


def write_report(path, sections, seed, quick, *, machine=None, seconds=None, replaced=None):
    """Write report.md for ``sections`` = [(check, params, entries, figure file or None)]."""
    entries = [e for _, _, es, _ in sections for e in es]
    counts, nvac = verdict_counts(entries)
    L = ["# skeleton verify: numerical verdicts on the claims of S3Attention (arXiv 2408.08567)", "",
         f"seed = {seed}, quick = {quick}" + (f", {seconds:.0f} s" if seconds is not None else "")
         + (f" on {machine}" if machine else "") + ". Every verdict is computed from the measured numbers by "
         "the rules of `proofs_checks/_verdict.py`, stated again under each entry.", "",
         "## At a glance", "",
         "| verdict | entries |", "|---|---|"]
    L += [f"| {v} | {n} |" for v, n in counts.items()]
    L += [f"| of which vacuous (a trivial competitor meets the claim too) | {nvac} |", "",
          "*holds*: no failure beyond what the statement allows; *holds_with_constant*: an O(.) claim whose "
          "measured ratio to the claimed rate stays bounded; *violated*: the claim fails, with a "
          "counterexample; *inconclusive*: the trials cannot decide. *Vacuous*: the claim is met by a "
          "trivial competitor (named in the entry), so it says nothing about the method.", "",
          "## Findings, claim by claim", ""]
    for check, _, es, _ in sections:
        L += _paragraph(check, es)
    L += ["## All entries", "",
          "CI: the interval of the entry's failure rate (or effect) at the stated level, Bonferroni-adjusted "
          "where the entry is one of several cells or sizes.", "",
          "| id | verdict | vacuous | failures / trials | CI (level) | constant |", "|---|---|---|---|---|---|"]
    for e in entries:
        L.append(f"| `{e.id}` | {e.verdict} | {vacuous_text(e)} | {counts_text(e)} | {ci_text(e)} | "
                 f"{fmt(e.constant)} |")
    L += ["", "## Details", ""]
    for check, params, es, fig in sections:
        L += [f"### `{check.id}`: {check.title}", "", "**Interpretation.** " + check.interpretation.strip(), "",
              "**Parameters.** `" + json.dumps(sanitize(params)) + "`", ""]
        if fig:
            L += [f"![{check.id}]({fig})", ""]
        for e in es:
            L += [f"#### `{e.id}` — {e.verdict}" + (" (vacuous)" if e.vacuous else ""), "",
                  "> " + e.claim.strip().replace("\n", "\n> "), ""]
            if e.interpretation and e.interpretation != check.interpretation:
                L += ["*Interpretation:* " + e.interpretation.strip(), ""]
            facts = [f"kind: {e.kind}", f"trials: {counts_text(e)}", f"CI: {ci_text(e)}"]
            if e.slope is not None:
                facts.append(f"slope: {fmt(e.slope)} {fmt(e.slope_ci)}")
            if e.constant is not None:
                facts.append(f"constant: {fmt(e.constant)}")
            if e.convention:
                facts.append(f"convention: {e.convention}")
            L.append("- " + "; ".join(facts))
            if e.vacuous:
                L.append(f"- vacuous: {e.trivial}")
            if e.corrected_of or e.derived_from:
                L.append(f"- corrects: `{e.corrected_of or '-'}`; derived from: {e.derived_from}; "
                         f"tested on {e.tested_on}")
            if e.counterexample:
                L.append(f"- counterexample: `{e.counterexample}`")
            if e.timing:
                L.append("- numbers from wall-clock timings (they vary between runs)")
            L += ["", e.evidence.strip(), ""]
    if replaced:
        L += ["---", "", f"*This run replaced {len(replaced)} file(s) of the previous run in this folder "
              "(listed in its `.manifest.json`).*", ""]
    with open(path, "w") as fh:
        fh.write("\n".join(L) + "\n")
