"""Compare the verdicts of two ``skeleton verify`` runs entry by entry.

Used to check that ``--quick`` agrees with the full run::

    python -m proofs_checks.compare_runs skeleton-report/results.json docs/verification/results.json

Prints every entry whose verdict or vacuous flag differs (or that only one run has) and a count
``k of n entries agree``; entries derived from wall-clock timings (``"timing": true``)
are compared too and marked, since their numbers (not the rule) vary between runs.
Exit code 0 when all entries agree, 1 otherwise.
"""

from __future__ import annotations

import json
import sys

__all__ = ["compare", "main"]


def _label(e):
    """verdict, with '(vacuous)' when the entry is flagged (schema 2); None for a missing entry."""
    if not e:
        return None
    return e["verdict"] + (" (vacuous)" if e.get("vacuous") else "")


def compare(doc_a, doc_b):
    """Return (rows, n_agree, n_total); a row is (id, verdict_a, verdict_b, timing)."""
    va = {e["id"]: e for e in doc_a["checks"]}
    vb = {e["id"]: e for e in doc_b["checks"]}
    ids = list(dict.fromkeys([*va, *vb]))
    rows = []
    for i in ids:
        a, b = va.get(i, {}), vb.get(i, {})
        rows.append((i, _label(a), _label(b), bool(a.get("timing") or b.get("timing"))))
    agree = sum(1 for _, a, b, _ in rows if a == b)
    return rows, agree, len(ids)


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 2:
        print("usage: python -m proofs_checks.compare_runs A/results.json B/results.json", file=sys.stderr)
        return 2
    docs = []
    for path in argv:
        with open(path) as fh:
            docs.append(json.load(fh))
    rows, agree, total = compare(*docs)
    for i, a, b, timing in rows:
        if a != b:
            print(f"DIFFERS {i}: {a} vs {b}" + (" (timing entry)" if timing else ""))
    nt = [(a, b) for _, a, b, t in rows if not t]
    print(f"{agree} of {total} entries agree "
          f"({sum(a == b for a, b in nt)} of {len(nt)} non-timing entries)")
    return 0 if agree == total else 1


if __name__ == "__main__":
    sys.exit(main())
