#!/usr/bin/env bash
# Everything ganlib measures on a CUDA GPU, in one call, into one JSON file (OUT/cuda-suite.json,
# rewritten after every step, so a run cut short keeps what it measured):
#   a. cuda_tests              the files that hold the CUDA tests (tests/train/test_capture.py and
#                              tests/train/test_seams.py): passed/failed/skipped counts
#   b. step_time_fp32, _bf16   benchmarks/step_time.py: the hand loops, the eager Trainer, the
#                              captured (CUDA-graph) Trainer and, in fp32, the one-process DDP one
#   c. capture_extras          train runs with a cosine LR schedule and with ADA, captured and
#                              eager: seconds per iteration (metrics.jsonl), whether it captured
#   d. backbones               a short train run of every model family: seconds per iteration
#   e. study_parallel, _serial the same 4-cell study (4 seeds), --workers 4 --gpus-per-cell 0.25
#                              (Ray Tune) and --workers 1: the wall time of each
#   f. quality_train, _evaluate the flagship example on all ten MNIST digits for --time-budget
#                              300, then `ganlib evaluate` of its EMA generator: FID and KID
# The JSON also records the GPU, torch, the git commit, the date and the total wall time, and for
# each step its command, wall seconds, exit status, status and figures. A failed step records the
# last lines of its log (every step's log: OUT/STEP.log) and the suite goes on to the next; it
# exits 1 at the end if any step failed.
#
# On one H200 the suite is sized for about 9 minutes, over half of them the 5-minute quality run
# (not yet timed there: the sizes come from the H100 figures of README and benchmarks/RESULTS.md).
# Each step has its own time limit, and SUITE_BUDGET (default 580 s, under the 10 minutes one
# device command may take) caps the whole: the steps before the quality run share what its 375 s
# leave, and a step that would run past that is cut short or recorded as skipped. --only
# cuda_tests,backbones,... (the names above; f is `quality`) reruns some steps into a fresh JSON.
# --dry-run runs every step on the CPU at the smallest sizes, two steps at once (SUITE_JOBS),
# about 90 s on an idle 2-core CPU, so that a CPU test proves the suite end to end.
#
#   DATA_ROOT=../shared/datasets bash benchmarks/cuda_suite.sh [--dry-run] [--out DIR] [--only STEP,...]
#
# DATA_ROOT: the directory holding MNIST/raw (default: ../shared/datasets beside the checkout);
# without MNIST there, c, d and f (and e, off the dry run) are recorded as skipped. OUT defaults
# to gpu-results; the run directories go to OUT/suite-runs, the suite's helpers to OUT/suite-parts.
# shellcheck disable=SC2317  # the steps below are functions that launch calls by name
set -uo pipefail

dry_run=0
out="gpu-results"
only=""
while [ $# -gt 0 ]; do
  case "$1" in
    --dry-run) dry_run=1 ;;
    --out) [ $# -ge 2 ] || { echo "--out needs a directory" >&2; exit 2; }; out=$2; shift ;;
    --out=*) out=${1#--out=} ;;
    --only) [ $# -ge 2 ] || { echo "--only needs step names" >&2; exit 2; }; only=$2; shift ;;
    --only=*) only=${1#--only=} ;;
    -h | --help) sed -n '2,/^# shellcheck/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown argument: $1; usage: bash benchmarks/cuda_suite.sh [--dry-run] [--out DIR] [--only STEP,...]" >&2; exit 2 ;;
  esac
  shift
done

mkdir -p "$out" || exit 2
out=$(cd "$out" && pwd)
data_root=""
if [ -n "${DATA_ROOT:-}" ]; then
  data_root=$DATA_ROOT
  [ -d "$data_root" ] && data_root=$(cd "$data_root" && pwd)
fi
cd "$(dirname "$0")/.." || exit 2
data_root=${data_root:-$(cd .. && pwd)/shared/datasets}
py=${PYTHON:-python}
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1 MPLBACKEND=Agg
if [ "$dry_run" = 1 ]; then
  export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 CUDA_VISIBLE_DEVICES=""
  budget=${SUITE_BUDGET:-900}
else
  budget=${SUITE_BUDGET:-580}
fi
quality_rest=75  # what the quality run needs besides its training time: start, scoring, the end
reserve=0  # kept for the quality run while the steps before it run (the GPU run only)
if [ -n "$only" ]; then
  for name in ${only//,/ }; do
    case $name in
      cuda_tests | step_time_fp32 | step_time_bf16 | capture_extras | backbones | study_parallel | study_serial | quality) ;;
      *) echo "--only: unknown step $name (cuda_tests, step_time_fp32, step_time_bf16, capture_extras, backbones, study_parallel, study_serial, quality)" >&2; exit 2 ;;
    esac
  done
fi
if [ "$dry_run" = 0 ] && { [ -z "$only" ] || [[ ",$only," == *",quality,"* ]]; }; then
  reserve=$((300 + quality_rest))
fi
json="$out/cuda-suite.json"
runs="$out/suite-runs"
parts="$out/suite-parts"
rm -rf "$runs" "$parts"
mkdir -p "$runs" "$parts"
suite_start=$EPOCHREALTIME
jobs=1  # steps at once: one on the GPU; the dry run's timings mean nothing, so it runs two
[ "$dry_run" = 1 ] && [ "$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 1)" -ge 2 ] && jobs=${SUITE_JOBS:-2}

mnist=0
[ -e "$data_root/MNIST/raw/train-images-idx3-ubyte" ] && [ -e "$data_root/MNIST/raw/t10k-images-idx3-ubyte" ] && mnist=1
no_mnist="skipped: no MNIST at $data_root (set DATA_ROOT to the directory holding MNIST/raw)"

# --- the JSON: a program without torch that writes the header, one step, or the end ---
cat >"$parts/suite_record.py" <<'PY'
"""benchmarks/cuda_suite.sh's JSON: `init`, one `step` (with the figures read from its outputs), `end`."""
import fcntl, json, os, re, shlex, sys, time
from collections import Counter
from pathlib import Path

NUMBER = (int, float)
ORDER = ["cuda_tests", "step_time_fp32", "step_time_bf16", "capture_extras", "backbones", "study_parallel", "study_serial", "quality_train", "quality_evaluate"]


def tail(log, n=30):
    try:
        return Path(log).read_text(errors="replace").splitlines()[-n:]
    except OSError:
        return []


def read_json(file):
    try:
        return json.loads(Path(file).read_text())
    except (OSError, ValueError):
        return None


def run_figures(metrics):
    """A run's metrics.jsonl: its iterations, seconds per iteration over the later half of its
    records (past the capture and cuDNN warm-up), and its last scores, ADA p and learning rates."""
    records = []
    try:
        lines = Path(metrics).read_text().splitlines()
    except OSError:
        return {}
    for line in lines:
        try:
            records.append(json.loads(line))
        except ValueError:
            continue
    timed = [r for r in records if isinstance(r.get("iteration"), NUMBER) and isinstance(r.get("wall_time"), NUMBER)]
    figures = {}
    if timed:
        last = timed[-1]
        figures = {"iterations": last["iteration"], "train_wall_s": round(last["wall_time"], 3)}
        first = timed[len(timed) // 2 - 1] if len(timed) >= 2 else None
        if first is not None and last["iteration"] > first["iteration"]:
            figures["s_per_it"] = (last["wall_time"] - first["wall_time"]) / (last["iteration"] - first["iteration"])
        elif last["iteration"] > 0:
            figures["s_per_it"] = last["wall_time"] / last["iteration"]
    for key in ("score/fid", "score/kid", "augment/p", "lr/generator", "lr/critic"):
        values = [r[key] for r in records if isinstance(r.get(key), NUMBER)]
        if values:
            figures[key] = values[-1]
    return figures


def pytest_figures(log):
    lines = tail(log, 400)
    pattern = r"(\d+) (passed|failed|skipped|errors?|deselected|xfailed|xpassed|warnings?|tests? collected)"
    summary = [line for line in lines if re.search(pattern, line) and not line.startswith(("SKIPPED", "FAILED", "ERROR"))]
    if not summary:
        return {}
    figures = {"passed": 0, "failed": 0, "skipped": 0, "errors": 0}
    for count, word in re.findall(pattern, summary[-1]):
        figures[{"error": "errors", "warning": "warnings", "test collected": "collected", "tests collected": "collected"}.get(word, word)] = int(count)
    reasons = Counter()
    for line in lines:
        if match := re.match(r"SKIPPED \[(\d+)\] [^:]+:\d+: (.*)$", line):
            reasons[match.group(2)] += int(match.group(1))
    if reasons:
        figures["skip_reasons"] = dict(reasons)
    return figures


def step_time_figures(file, command):
    medians = read_json(file)
    if not isinstance(medians, dict):
        return {}
    per_it = {k: v for k, v in medians.items() if isinstance(v, NUMBER)}
    precision = re.search(r"--precision (\w+)", command)
    figures = {"device": medians.get("device"), "precision": precision.group(1) if precision else "fp32", "s_per_it": per_it}
    for a, b in (("trainer", "plain"), ("trainer", "matched"), ("captured", "plain"), ("captured", "trainer"), ("ddp", "trainer")):
        if a in per_it and b in per_it:
            figures[f"{a}/{b}"] = per_it[a] / per_it[b]
    if "captured" not in per_it:
        figures["captured"] = "skipped: needs CUDA"
    return figures


def study_figures(directory, command):
    directory = Path(directory)
    workers = re.search(r"--workers (\d+)", command)
    figures = {"workers": int(workers.group(1)) if workers else None, "cells_done": len(list(directory.glob("runs/*/study-cell-done.json")))}
    figures["cells"] = sorted(p.name for p in directory.glob("runs/*") if p.is_dir())
    for row in read_json(directory / "table.json") or []:
        figures[row.get("config", "?")] = {k: row[k] for k in ("seeds", "score", "final", "best", "iterations", "it_per_s", "wall_time") if k in row}
    return figures


def evaluate_figures(log):
    lines = tail(log, 400)
    starts, ends = [i for i, l in enumerate(lines) if l == "{"], [i for i, l in enumerate(lines) if l == "}"]
    if not starts or not ends or ends[-1] < starts[0]:
        return {}
    try:
        scores = json.loads("\n".join(lines[starts[0] : ends[-1] + 1]))
    except ValueError:
        return {}
    return {k: scores[k] for k in ("fid", "kid_mean", "kid_std", "num_samples", "classes_covered", "is_mean") if k in scores}


def summarize(suite):
    steps, summary = suite.get("steps", {}), {}
    tests = steps.get("cuda_tests", {}).get("figures", {})
    if tests:
        summary["cuda_tests"] = {k: tests.get(k, 0) for k in ("passed", "failed", "skipped", "errors")}
    for name in ("step_time_fp32", "step_time_bf16"):
        per_it = steps.get(name, {}).get("figures", {}).get("s_per_it", {})
        for variant in ("trainer", "captured"):
            if variant in per_it:
                summary[f"{name[-4:]} {variant} ms/it"] = round(per_it[variant] * 1e3, 3)
    for name in ("capture_extras", "backbones"):
        figures = steps.get(name, {}).get("figures", {})
        table = {run: round(f["s_per_it"] * 1e3, 3) for run, f in figures.items() if isinstance(f, dict) and isinstance(f.get("s_per_it"), NUMBER)}
        if table:
            summary[f"{name} ms/it"] = table
    parallel, serial = steps.get("study_parallel", {}), steps.get("study_serial", {})
    if parallel.get("status") == "ok" and serial.get("status") == "ok" and parallel.get("wall_s"):
        summary["study wall s (parallel, serial)"] = [parallel["wall_s"], serial["wall_s"]]
        summary["study speedup"] = round(serial["wall_s"] / parallel["wall_s"], 3)
    quality = steps.get("quality_evaluate", {}).get("figures", {})
    for key in ("fid", "kid_mean"):
        if key in quality:
            summary[f"quality {key}"] = quality[key]
    suite["summary"] = summary


def main(mode, path, args):
    with open(path.with_suffix(".lock"), "w") as lock:  # the dry run records two steps at once
        fcntl.flock(lock, fcntl.LOCK_EX)
        return update(mode, path, args)


def update(mode, path, args):
    suite = read_json(path) or {}
    if mode == "init":
        dry, gpu, versions, commit, dirty, data_root, mnist = args
        torch_version, _, cuda_version = versions.partition(" ")
        fields = [f.strip() for f in gpu.split(",")]
        suite = {
            "suite": "benchmarks/cuda_suite.sh",
            "dry_run": dry == "1",
            "status": "running",
            "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "git_commit": commit,
            "git_dirty": dirty == "1",
            "gpu": "cpu (dry run)" if dry == "1" else dict(zip(("name", "driver", "memory"), fields)) if len(fields) == 3 else gpu or "unknown",
            "torch": torch_version,
            "torch_cuda": cuda_version or None,
            "host": os.uname().nodename,
            "cpus": os.cpu_count(),
            "data_root": data_root,
            "mnist": mnist == "1",
            "steps": {},
        }
    elif mode == "step":
        name, rc, wall, log, kind, limit, *rest = args
        extra, command = rest[: rest.index("--")], shlex.join(rest[rest.index("--") + 1 :])
        step = {"command": command, "log": os.path.relpath(log, path.parent) if log else None, "limit_s": int(limit) if limit else None}
        if kind == "skipped":
            step.update(status=extra[0], exit_status=None, wall_s=0.0, figures={})
        else:
            rc = int(rc)
            step.update(status="ok" if rc == 0 else f"timed out after {limit} s" if rc in (124, 137) else "failed", exit_status=rc, wall_s=round(float(wall), 3))
            step["figures"] = {
                "pytest": lambda: pytest_figures(log),
                "step_time": lambda: step_time_figures(extra[0], command),
                "runs": lambda: read_json(extra[0]) or {},
                "study": lambda: study_figures(extra[0], command),
                "train": lambda: {**run_figures(Path(extra[0]) / "metrics.jsonl"), "time_budget_s": float(m.group(1)) if (m := re.search(r"--time-budget ([\d.]+)", command)) else None},
                "evaluate": lambda: evaluate_figures(log),
            }[kind]()
            if rc != 0:
                step["log_tail"] = tail(log)
        suite.setdefault("steps", {})[name] = step
        print(f"   {name}: {step['status']} ({step['wall_s']:.1f} s)", flush=True)
    elif mode == "end":
        steps = suite.get("steps", {})
        suite["steps"] = {n: steps[n] for n in sorted(steps, key=lambda n: ORDER.index(n) if n in ORDER else len(ORDER))}
        suite["total_wall_s"] = round(float(args[0]), 3)
        suite["failed_steps"] = [n for n, s in suite["steps"].items() if s.get("exit_status") not in (None, 0)]
        suite["status"] = "failed" if suite["failed_steps"] else "ok"
        if suite["failed_steps"]:
            print(f"failed steps: {' '.join(suite['failed_steps'])}", file=sys.stderr)
    summarize(suite)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(suite, indent=2) + "\n")
    tmp.replace(path)
    return 1 if mode == "end" and suite["failed_steps"] else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], Path(sys.argv[2]), sys.argv[3:]))
PY

# --- several train runs in one process (one startup), each line of a spec file one run ---
# A line is NAME<TAB>the ganlib arguments, shell-quoted, or NAME<TAB>skipped: why. The results,
# rewritten after each run: {NAME: {command, status, exit_status, wall_s, s_per_it, captured, ...}}.
cat >"$parts/suite_runs.py" <<'PY'
"""Train runs in one process for benchmarks/cuda_suite.sh: python suite_runs.py SPEC RESULTS."""
import json, shlex, sys, time, traceback, warnings
from pathlib import Path

from suite_record import run_figures

from ganlib.cli import main

spec, results_path = Path(sys.argv[1]), Path(sys.argv[2])
results, failures = {}, 0
for line in spec.read_text().splitlines():
    name, _, rest = line.partition("\t")
    if not name:
        continue
    if rest.startswith("skipped:"):
        results[name] = {"status": rest}
        continue
    argv = shlex.split(rest)
    option = lambda flag, default: argv[argv.index(flag) + 1] if flag in argv else default  # noqa: E731
    command = "python -m ganlib " + shlex.join(argv)
    print(f"--- {name}: {command}", file=sys.stderr, flush=True)
    start = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", RuntimeWarning)
        try:
            rc = main(argv)
        except SystemExit as stop:
            rc = stop.code if isinstance(stop.code, int) else 1
        except Exception:
            traceback.print_exc()
            rc = 1
    result = {"command": command, "exit_status": rc, "wall_s": round(time.perf_counter() - start, 3)}
    for w in caught:
        print(f"warning: {w.category.__name__}: {w.message}", file=sys.stderr)
    result.update(run_figures(Path(option("--out", ".")) / "metrics.jsonl"))
    result["status"] = "failed" if rc else "ok" if "s_per_it" in result else "failed: no timed iteration in metrics.jsonl"
    if option("--capture", "auto") != "none" and rc == 0:
        fallback = next((str(w.message) for w in caught if "training eagerly" in str(w.message)), None)
        result["captured"] = option("--device", "auto").startswith("cuda") and fallback is None
        if fallback:
            result["capture_fallback"] = fallback
    failures += result["status"] != "ok"
    results[name] = result
    results_path.write_text(json.dumps(results, indent=2) + "\n")
    print(f"--- {name}: {result['status']}, {result.get('s_per_it', float('nan')):.4f} s/it", file=sys.stderr, flush=True)
results_path.write_text(json.dumps(results, indent=2) + "\n")
sys.exit(1 if failures else 0)
PY

now() { echo "$EPOCHREALTIME"; }
since() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.3f", b - a }'; }
remaining() { awk -v a="$suite_start" -v b="$EPOCHREALTIME" -v budget="$budget" 'BEGIN { printf "%d", budget - (b - a) }'; }
record() { "$py" "$parts/suite_record.py" "$@"; }

# skip_step NAME REASON COMMAND...: record the step as skipped.
skip_step() {
  local name=$1 reason=$2
  shift 2
  printf '== %s: %s\n' "$name" "$reason"
  record step "$json" "$name" "" "" "" skipped "" "$reason" -- "$@"
}

# run_step NAME LIMIT KIND [WHERE ITS FIGURES ARE] -- COMMAND...: run it under the limit, log, record.
run_step() {
  local name=$1 limit=$2 kind=$3 extra=() left start rc
  shift 3
  while [ "$1" != "--" ]; do extra+=("$1"); shift; done
  shift
  [ "$dry_run" = 1 ] && limit=300  # the dry run's limits only catch a hang
  left=$(($(remaining) - reserve))
  if [ "$left" -lt 20 ]; then
    skip_step "$name" "skipped: the suite's time budget (SUITE_BUDGET=$budget s) is spent" "$@"
    return
  fi
  [ "$limit" -gt "$left" ] && limit=$left
  printf '== %s (limit %s s): %s\n' "$name" "$limit" "$*"
  start=$(now)
  timeout -k 10 "$limit" "$@" >"$out/$name.log" 2>&1
  rc=$?
  record step "$json" "$name" "$rc" "$(since "$start")" "$out/$name.log" "$kind" "$limit" "${extra[@]}" -- "$@"
}

# spec_line NAME ARGS...: one line of a suite_runs.py spec.
spec_line() {
  local name=$1
  shift
  printf '%s\t%s\n' "$name" "$(printf '%q ' "$@")"
}


# launch SECTION: run it; in the dry run beside at most jobs-1 others.
launch() {
  if [ "$jobs" -le 1 ]; then
    "$@"
    return
  fi
  while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do wait -n; done
  "$@" &
}

# --- the header ---
gpu=""
if [ "$dry_run" = 0 ]; then
  gpu="no nvidia-smi on this machine"
  command -v nvidia-smi >/dev/null && gpu=$(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>&1 | head -1)
fi
versions=$("$py" -c "import torch; print(torch.__version__, torch.version.cuda or '')" 2>/dev/null || echo unknown)
commit=$(git rev-parse HEAD 2>/dev/null || echo unknown)
dirty=0
[ -n "$(git status --porcelain --untracked-files=no 2>/dev/null)" ] && dirty=1
record init "$json" "$dry_run" "$gpu" "$versions" "$commit" "$dirty" "$data_root" "$mnist"
echo "cuda suite ($([ "$dry_run" = 1 ] && echo "dry run, CPU, $jobs steps at once" || echo "$gpu"); torch $versions; $commit) -> $json"

# --- a. the CUDA tests (the dry run: one file, its CUDA tests skipped) ---
cuda_tests() {
  if [ "$dry_run" = 1 ]; then
    run_step cuda_tests 180 pytest -- "$py" -m pytest -q -p no:cacheprovider tests/train/test_capture.py
  else
    run_step cuda_tests 100 pytest -- "$py" -m pytest -q -p no:cacheprovider tests/train/test_capture.py tests/train/test_seams.py
  fi
}

# --- b. the step benchmark: fp32 (with the one-process DDP Trainer) and bf16 ---
if [ "$dry_run" = 1 ]; then
  step_size=(--device cpu --quick --batch 8 --repeats 1 --inner 1 --threads 1)
else
  step_size=(--device cuda --repeats 3 --inner 10)
fi
step_time_fp32() {
  local port
  port=$("$py" -c "import socket; s = socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])")
  run_step step_time_fp32 90 step_time "$out/step-time-fp32.json" -- \
    env MASTER_PORT="$port" "$py" benchmarks/step_time.py "${step_size[@]}" --ddp --json "$out/step-time-fp32.json"
}
step_time_bf16() {
  run_step step_time_bf16 75 step_time "$out/step-time-bf16.json" -- \
    "$py" benchmarks/step_time.py "${step_size[@]}" --precision bf16 --json "$out/step-time-bf16.json"
}

# The train runs of c and d: MNIST at each model's default size (the 64x64 DCGAN, batch 64) for a
# few seconds of training on the GPU; 16x16, width 8, batch 8 and two iterations on the CPU.
mnist_data=(--data mnist --data-root "$data_root")
if [ "$dry_run" = 1 ]; then
  small=(--image-size 16 --width 8)
  length=(--batch-size 8 --iterations 2 --log-every 1 --sample-every 1000 --checkpoint-every 1000 --device cpu --threads 1)
  extras_budget=() backbone_budget=()
else
  small=()
  length=(--iterations 100000 --log-every 5 --sample-every 100000 --checkpoint-every 100000 --device cuda)
  extras_budget=(--time-budget 3) backbone_budget=(--time-budget 2)
fi

# --- c. the captured LR schedule and ADA under capture, each beside its eager twin ---
capture_extras() {
  local spec="$parts/capture_extras.tsv" variant capture name what command
  : >"$spec"
  for variant in lr-schedule ada; do
    case $variant in
      lr-schedule) what=(--lr-schedule cosine) ;;
      ada) what=(--augment ada) ;;
    esac
    for capture in cuda-graph none; do
      name=$variant-captured
      [ "$capture" = none ] && name=$variant-eager
      if [ "$dry_run" = 1 ] && [ "$capture" = none ]; then
        printf '%s\tskipped: on the CPU the captured run trains eagerly already\n' "$name" >>"$spec"
        continue
      fi
      spec_line "$name" train "${mnist_data[@]}" "${small[@]}" "${what[@]}" --capture "$capture" "${length[@]}" "${extras_budget[@]}" \
        --out "$runs/capture_extras/$name" >>"$spec"
    done
  done
  command=("$py" "$parts/suite_runs.py" "$spec" "$parts/capture_extras.json")
  if [ "$mnist" = 1 ]; then
    run_step capture_extras 90 runs "$parts/capture_extras.json" -- "${command[@]}"
  else
    skip_step capture_extras "$no_mnist" "${command[@]}"
  fi
}

# --- d. every model family's time per iteration (captured where it can be) ---
backbones() {
  local spec="$parts/backbones.tsv" family data size command
  : >"$spec"
  for family in dcgan dcgan5 resnet sngan-resnet wgangp-resnet r3gan r3gan-cifar10 r3gan-ffhq64 pggan lapgan mlp course-mnist course-harmonic; do
    data=("${mnist_data[@]}")
    size=("${small[@]}")
    case $family in
      wgangp-resnet | r3gan-cifar10 | r3gan-ffhq64)  # variants that fix their width (and channels, size)
        if [ "$dry_run" = 1 ]; then
          printf '%s\tskipped: a fixed-size variant, too slow for a CPU dry run\n' "$family" >>"$spec"
          continue
        fi
        case $family in
          r3gan-cifar10) data=(--data stacked-mnist --data-root "$data_root" --data-arg size=10000) size=(--image-size 32) ;;
          r3gan-ffhq64) data=(--data stacked-mnist --data-root "$data_root" --data-arg size=10000) size=(--image-size 64) ;;
        esac ;;
      lapgan)  # one level of the pyramid, conditioned on the coarser image
        data=(--data pyramid:mnist --data-root "$data_root" --data-arg "size=$([ "$dry_run" = 1 ] && echo 16 || echo 32)")
        size=()
        [ "$dry_run" = 1 ] && size=(--width 8) ;;
      course-harmonic) data=(--data harmonic) size=() ;;
    esac
    spec_line "$family" train "${data[@]}" --model "$family" "${size[@]}" --capture cuda-graph "${length[@]}" "${backbone_budget[@]}" \
      --out "$runs/backbones/$family" >>"$spec"
  done
  command=("$py" "$parts/suite_runs.py" "$spec" "$parts/backbones.json")
  if [ "$mnist" = 1 ]; then
    run_step backbones 120 runs "$parts/backbones.json" -- "${command[@]}"
  else
    skip_step backbones "$no_mnist" "${command[@]}"
  fi
}

# --- e. one 4-cell study, four cells at once on Ray Tune against one at a time ---
if [ "$dry_run" = 1 ]; then
  study=(--data ring --objectives wgan-gp --critic-norms none --seeds 4 --iterations 4 --width 8 --device cpu)
  parallel=(--workers 1 --threads-per-cell 1)  # Ray may be absent: the dry run takes one path twice
  serial=(--workers 1 --threads-per-cell 1)
else
  study=("${mnist_data[@]}" --objectives wgan-gp --critic-norms layer --seeds 4 --iterations 200 --eval-every 100 --eval-samples 500 --device cuda)
  parallel=(--workers 4 --gpus-per-cell 0.25 --threads-per-cell 2)
  serial=(--workers 1 --threads-per-cell 2)
fi
study_parallel() {
  local command=("$py" -m ganlib study "${study[@]}" "${parallel[@]}" --out "$runs/study-parallel")
  if [ "$dry_run" = 0 ] && [ "$mnist" = 0 ]; then
    skip_step study_parallel "$no_mnist" "${command[@]}"
  elif [ "$dry_run" = 0 ] && ! "$py" -c 'import importlib.util, sys; sys.exit(importlib.util.find_spec("ray") is None)'; then
    skip_step study_parallel "skipped: Ray Tune is not installed (pip install \"ganlib[ray]\")" "${command[@]}"
  else
    run_step study_parallel 90 study "$runs/study-parallel" -- "${command[@]}"
  fi
}
study_serial() {
  local command=("$py" -m ganlib study "${study[@]}" "${serial[@]}" --out "$runs/study-serial")
  if [ "$dry_run" = 0 ] && [ "$mnist" = 0 ]; then
    skip_step study_serial "$no_mnist" "${command[@]}"
  else
    run_step study_serial 90 study "$runs/study-serial" -- "${command[@]}"
  fi
}

# --- f. five minutes of the flagship on all ten digits, then its FID and KID ---
quality() {
  local time_budget train evaluate
  reserve=0
  if [ "$dry_run" = 1 ]; then
    time_budget=5
    train=(--preset cpu --image-size 16 --width 8 --batch-size 8 --iterations 2 --eval-every 2 --eval-samples 64
      --sample-every 1000 --checkpoint-every 1000 --log-every 1 --device cpu --threads 1)
    evaluate=(--num 64 --device cpu --threads 1)
  else
    time_budget=$(($(remaining) - quality_rest))
    [ "$time_budget" -gt 300 ] && time_budget=300
    train=(--iterations 1000000 --eval-every 2000 --eval-samples 2000 --sample-every 1000 --checkpoint-every 2000 --log-every 100 --device cuda)
    evaluate=(--num 10000 --device cuda)
  fi
  train=("$py" examples/mnist_wgan_gp.py --data-root "$data_root" --time-budget "$time_budget" "${train[@]}" --out "$runs/quality")
  evaluate=("$py" -m ganlib evaluate --checkpoint "$runs/quality" --metrics "fid,kid" --json "${evaluate[@]}")
  if [ "$mnist" = 0 ]; then
    skip_step quality_train "$no_mnist" "${train[@]}"
    skip_step quality_evaluate "$no_mnist" "${evaluate[@]}"
  elif [ "$time_budget" -lt 30 ] && [ "$dry_run" = 0 ]; then
    skip_step quality_train "skipped: the suite's time budget (SUITE_BUDGET=$budget s) is spent" "${train[@]}"
    skip_step quality_evaluate "skipped: no quality run" "${evaluate[@]}"
  else
    run_step quality_train $((time_budget + 60)) train "$runs/quality" -- "${train[@]}"
    if [ -e "$runs/quality/checkpoints/latest.pt" ]; then
      run_step quality_evaluate 120 evaluate -- "${evaluate[@]}"
    else
      skip_step quality_evaluate "skipped: the quality run left no checkpoint" "${evaluate[@]}"
    fi
  fi
}

if [ "$jobs" -le 1 ]; then
  sections=(cuda_tests step_time_fp32 step_time_bf16 capture_extras backbones study_parallel study_serial quality)
else
  sections=(backbones study_serial study_parallel quality capture_extras cuda_tests step_time_fp32 step_time_bf16)  # longest first
fi
for section in "${sections[@]}"; do
  if [ -z "$only" ] || [[ ",$only," == *",$section,"* ]]; then
    launch "$section"
  fi
done
wait

total=$(since "$suite_start")
record end "$json" "$total"
status=$?
echo "cuda suite: $total s -> $json"
exit "$status"
