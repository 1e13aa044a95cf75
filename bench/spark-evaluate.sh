#!/usr/bin/env bash
# Evaluation throughput of evaluate --master (Spark, local mode) against the same evaluation in one JVM, and the
# overhead of a Spark task. Usage: bench/spark-evaluate.sh CHECKPOINT DATA [EVERY] [RUNS] [STEPS]
# Prints one line per configuration: wall and CPU (user + system) seconds of the whole command, JVM start included,
# frames, and frames per wall second. On a shared machine the CPU seconds are the steadier figure.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ckpt="$1" data="$2" every="${3:-34}" runs="${4:-100}" steps="${5:-50}"
t="$root/tessitura"

run() { # run LABEL THREADS ARGS...: one evaluate, timed from the shell
  local label="$1" threads="$2"; shift 2
  local out frames ll cpu tf
  tf=$(mktemp)
  out=$(JAVA_OPTS="-Dtessitura.threads=$threads" /usr/bin/time -o "$tf" -f "%e %U %S" \
        "$t" evaluate --checkpoint "$ckpt" --data "$data" --backend simd "$@" 2>/dev/null)
  cpu=$(tail -1 "$tf"); rm -f "$tf"
  frames=$(sed -n 's/.* \([0-9,]*\) frames (.*/\1/p' <<< "$out" | tr -d ,)
  ll=$(sed -n 's/^log-likelihood per time step: \([-0-9.]*\) .*/\1/p' <<< "$out")
  awk -v l="$label" -v c="$cpu" -v f="$frames" -v ll="$ll" 'BEGIN { split(c, t, " ");
    printf "%-40s %6.1f s wall %6.1f s CPU  %6d frames  %6.1f frames/s  LL %s\n", l, t[1], t[2] + t[3], f, f / t[1], ll }'
}

ais=(--every "$every" --ais-runs "$runs" --ais-steps "$steps")
echo "AIS budget: $runs runs x $steps temperatures, every ${every}th test tune"
run "one JVM, 1 thread" 1 "${ais[@]}"
run "Spark local[1], a task per tune" 1 "${ais[@]}" --master 'local[1]' --tasks 1000
run "one JVM, 2 threads" 2 "${ais[@]}"
run "Spark local[2], a task per tune" 1 "${ais[@]}" --master 'local[2]' --tasks 1000
# the overhead of a task: the whole test split at a budget of almost nothing, 1 task against 170
tiny=(--ais-runs 2 --ais-steps 3 --gibbs-burn-in 0 --gibbs-samples 1)
echo "overhead: all test tunes, AIS 2 runs x 3 temperatures, 1 Gibbs step"
run "one JVM, 1 thread" 1 "${tiny[@]}"
run "Spark local[1], 1 task" 1 "${tiny[@]}" --master 'local[1]' --tasks 1
run "Spark local[1], a task per tune (170)" 1 "${tiny[@]}" --master 'local[1]' --tasks 1000
