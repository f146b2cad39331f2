#!/usr/bin/env bash
# The GPU checks in one command, for whenever a CUDA GPU is at hand:
#
#   1. install the gpu extra (pip install -e ".[gpu,test]"),
#   2. run every test that needs CuPy (pytest -m gpu: tests/test_cupy.py and the tests
#      taking the cp fixture or marked gpu elsewhere),
#   3. run the GPU benchmark (benchmarks/bench_gpu.py): 20000 x 5000 CUR (uniform and
#      pivoted_qr, k = 600) beside the CPU path, 65536 x 256 smoothing, randomized mu,
#
# each step under its own time limit (a hung step is stopped and the next one runs),
# writing the logs, the test report and the figures (JSON and markdown) to OUT, with a
# summary of every step in OUT/summary.md and OUT/summary.json.  Sized for under
# 8 minutes on one H200.  The exit status is 0 when every step passed, else that of
# the first step that failed (124: a time limit).
#
# Usage: benchmarks/gpu_check.sh [--dry-run] [OUT]        (default OUT: gpu_check)
#
# --dry-run: no install, the tests as collected here (they skip without a GPU) and the
# benchmark at small sizes with NumPy standing in for CuPy: checks this script end to
# end on a machine without a GPU.  PYTHON selects the interpreter (default: python).
set -u

usage() { sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//'; }
DRY=0
OUT=gpu_check
for arg in "$@"; do
    case "$arg" in
        --dry-run) DRY=1 ;;
        -h|--help) usage; exit 0 ;;
        -*) echo "gpu_check.sh: unknown option $arg" >&2; usage >&2; exit 2 ;;
        *) OUT=$arg ;;
    esac
done
cd "$(dirname "$0")/.." || exit 2
mkdir -p "$OUT" || exit 2
OUT=$(cd "$OUT" && pwd)
PY=${PYTHON:-python}

# limits in seconds: install, tests, and the three benchmark cases
LIMIT_INSTALL=240
LIMIT_TESTS=180
LIMIT_CUR=150
LIMIT_SMOOTHING=60
LIMIT_INCOHERENCE=90

first_failure=0
records=()

step() {  # step NAME LIMIT COMMAND...: run COMMAND under LIMIT, log to OUT/NAME.log
    local name=$1 limit=$2
    shift 2
    echo "== $name (limit ${limit} s): $*"
    local t0=$SECONDS
    timeout --kill-after=10 "$limit" "$@" > "$OUT/$name.log" 2>&1
    local rc=$?
    local dt=$((SECONDS - t0))
    tail -n 15 "$OUT/$name.log"
    echo "-- $name: exit status $rc after $dt s"
    records+=("$name|$rc|$dt|$limit")
    if [ "$rc" -ne 0 ] && [ "$first_failure" -eq 0 ]; then
        first_failure=$rc
    fi
}

{
    echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "commit: $(git rev-parse HEAD 2>/dev/null || echo unknown)"
    command -v nvidia-smi > /dev/null && nvidia-smi
} > "$OUT/environment.txt" 2>&1

if [ "$DRY" -eq 1 ]; then
    echo "== install: skipped (dry run)"
    BENCH_FLAGS=(--dry-run)
else
    step install "$LIMIT_INSTALL" "$PY" -m pip install -e ".[gpu,test]"
    BENCH_FLAGS=()
fi
step tests "$LIMIT_TESTS" "$PY" -m pytest -q -m gpu -p no:randomly tests --junitxml="$OUT/gpu_tests.xml"
step bench_cur "$LIMIT_CUR" "$PY" -m benchmarks.bench_gpu ${BENCH_FLAGS[@]+"${BENCH_FLAGS[@]}"} --only cur --out "$OUT"
step bench_smoothing "$LIMIT_SMOOTHING" "$PY" -m benchmarks.bench_gpu ${BENCH_FLAGS[@]+"${BENCH_FLAGS[@]}"} --only smoothing --out "$OUT"
step bench_incoherence "$LIMIT_INCOHERENCE" "$PY" -m benchmarks.bench_gpu ${BENCH_FLAGS[@]+"${BENCH_FLAGS[@]}"} --only incoherence --out "$OUT"

{
    echo "# GPU check summary"
    echo
    [ "$DRY" -eq 1 ] && echo "**Dry run** (no install, NumPy standing in for CuPy): checks the script, not a GPU." && echo
    echo "| step | exit status | seconds | limit (s) |"
    echo "|---|---|---|---|"
    for r in ${records[@]+"${records[@]}"}; do
        IFS='|' read -r name rc dt limit <<< "$r"
        echo "| $name | $rc | $dt | $limit |"
    done
    for case in cur smoothing incoherence; do
        if [ -f "$OUT/gpu_$case.md" ]; then
            echo
            sed 's/^# /### /; s/^## /#### /' "$OUT/gpu_$case.md"
        fi
    done
} > "$OUT/summary.md"
{
    echo "{\"dry_run\": $([ "$DRY" -eq 1 ] && echo true || echo false), \"steps\": ["
    sep=""
    for r in ${records[@]+"${records[@]}"}; do
        IFS='|' read -r name rc dt limit <<< "$r"
        printf '%s{"step": "%s", "exit_status": %s, "seconds": %s, "limit_s": %s}' "$sep" "$name" "$rc" "$dt" "$limit"
        sep=", "
    done
    echo "]}"
} > "$OUT/summary.json"
echo "== summary: $OUT/summary.md"
exit "$first_failure"
