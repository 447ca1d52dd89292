#!/usr/bin/env bash
# Start-up and idle footprint of the runner itself (issue 11), with 2 workers of the demo app.
#
#   bench/startup.sh              5 runs of each variant, interleaved: default JVM flags
#                                 (java -jar actor-runner.jar), the flags the project ships
#                                 (bin/actor-runner, without a class archive), and those with the
#                                 class archive that bin/actor-runner --class-archive makes first
#   more: --runs N (5), --idle S (seconds idle before the footprint is read, 30), --build
#
# Per run: exec to the public port listening (the runner's "listening on" log line, which it
# writes once the port is bound), exec to the first worker spawned (the worker's start time in
# /proc), then, once both workers are ready and S seconds have passed, the runner's RSS, PSS (its
# share of pages it shares, with its workers' JVMs among others), thread count and loaded classes
# (jstat, else jcmd). Nothing polls while the runner starts: on 2 cores a poll loop beside it slows
# the start it measures. Times are to 10 ms. Idle means after the runner has given back what its
# start left behind (cli/MemoryReturn: about 25 s after the workers are ready). Prints each run,
# then the medians and each variant's ratio to the default flags. Measure on a quiet machine (load
# average below 1), alone.
# Environment: JAR (target/actor-runner.jar), LAUNCHER (bin/actor-runner), MAX_SECONDS (1500).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

RUNS=5 IDLE=30 BUILD=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --runs) RUNS="$2"; shift ;;
    --idle) IDLE="$2"; shift ;;
    --build) BUILD=1 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "startup.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
JAR=$(realpath -m "${JAR:-target/actor-runner.jar}")
LAUNCHER=$(realpath -m "${LAUNCHER:-bin/actor-runner}")
MAX_SECONDS=${MAX_SECONDS:-1500}
CLK_TCK=$(getconf CLK_TCK)
OUT=$(mktemp -d /tmp/actor-runner-startup.XXXXXX)
PORT=18480
RUNNER_PID=""

stop_runner() {
  [[ -n $RUNNER_PID ]] || return 0
  stop_pid "$RUNNER_PID" 30 # graceful: drains its workers and exits
  wait "$RUNNER_PID" 2>/dev/null || true
  RUNNER_PID=""
}

bench_exit_path

build_if_needed
[[ -x $LAUNCHER ]] || die "no launcher at $LAUNCHER"
command -v jstat >/dev/null || command -v jcmd >/dev/null || die "neither jstat nor jcmd on PATH (a JDK's bin)"

start_ticks() { # a process's start time, in clock ticks since boot (field 22 of /proc/PID/stat)
  local s
  s=$(cat "/proc/$1/stat") || return 1
  s=${s##*) }
  # shellcheck disable=SC2086
  set -- $s
  echo "${20}"
}

# Milliseconds since the epoch at which the system booted, from the same clock the log uses.
boot_epoch_ms() {
  local up _ now
  now=$(date +%s%3N)
  read -r up _ </proc/uptime # seconds, to a hundredth
  echo $(( now - ${up%.*} * 1000 - 10#${up#*.} * 10 ))
}

log_line_ms() { # file regex: the first matching line's HH:mm:ss.SSS, in ms since the epoch (today, local time)
  local hms
  hms=$(grep -m1 -E "$2" "$1" | cut -c1-12)
  [[ -n $hms ]] || return 1
  echo $(( $(date -d "today ${hms%.*}" +%s) * 1000 + 10#${hms##*.} ))
}

loaded_classes() {
  if jstat -class "$1" >"$OUT/jstat" 2>/dev/null; then
    awk 'NR == 2 {print $1}' "$OUT/jstat"
  else
    jcmd "$1" VM.classloader_stats 2>/dev/null | awk '/^Total = / {print $4}'
  fi
}

# One run: sets LISTEN_MS SPAWN_MS RSS_MIB PSS_MIB THREADS CLASSES.
run_once() { # variant log
  local variant=$1 log=$2 i t0 w1 wpid
  case $variant in
    default) java -jar "$JAR" --demo -p "$PORT" --worker-ports 21400-21499 >"$log" 2>&1 & ;;
    shipped) ACTOR_RUNNER_CDS=off ACTOR_RUNNER_JAR=$JAR "$LAUNCHER" --demo -p "$PORT" --worker-ports 21400-21499 >"$log" 2>&1 & ;;
    archived) ACTOR_RUNNER_CDS=$OUT/actor-runner.jsa ACTOR_RUNNER_JAR=$JAR "$LAUNCHER" --demo -p "$PORT" \
      --worker-ports 21400-21499 >"$log" 2>&1 & ;;
  esac
  RUNNER_PID=$!
  # The launcher execs java: the pid is the runner's either way, and its start time is the exec.
  t0=$(start_ticks "$RUNNER_PID")
  for ((i = 0; i < 300; i++)); do
    grep -q '(2 of 2 ready)' "$log" && break
    alive "$RUNNER_PID" || die "$variant runner exited while starting (log: $log)"
    sleep 0.2
  done
  grep -q '(2 of 2 ready)' "$log" || die "$variant: 2 workers not ready within 60 s (log: $log)"
  LISTEN_MS=$(( $(log_line_ms "$log" 'Front: listening on') - $(boot_epoch_ms) - t0 * 1000 / CLK_TCK ))
  w1=$(grep -m1 -oE 'worker 1 \(pid [0-9]+' "$log")
  wpid=${w1##* }
  SPAWN_MS=$(( ($(start_ticks "$wpid") - t0) * 1000 / CLK_TCK ))
  sleep "$IDLE"
  RSS_MIB=$(awk '/^VmRSS:/ {printf "%.1f", $2 / 1024}' "/proc/$RUNNER_PID/status")
  PSS_MIB=$(awk '/^Pss:/ {printf "%.1f", $2 / 1024}' "/proc/$RUNNER_PID/smaps_rollup")
  THREADS=$(awk '/^Threads:/ {print $2}' "/proc/$RUNNER_PID/status")
  CLASSES=$(loaded_classes "$RUNNER_PID") # last: an attach may add a thread
  stop_runner
}

median() { sort -n | awk '{a[NR] = $1} END {if (NR == 0) print "nan"; else if (NR % 2) print a[(NR + 1) / 2]; else printf "%.1f\n", (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }

echo "== actor-runner start-up  $(date -u +'%Y-%m-%d %H:%M:%S UTC')  $(nproc) cpus, load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "   $(java -version 2>&1 | head -1); jar: $JAR; launcher: $LAUNCHER; logs: $OUT"
echo "   shipped flags: $(sed -n 's/^flags=//p' "$LAUNCHER" | tr -d "'\"")"
ACTOR_RUNNER_JAR=$JAR "$LAUNCHER" --class-archive "$OUT/actor-runner.jsa" >/dev/null || die "no class archive"
echo "   class archive: $(wc -c <"$OUT/actor-runner.jsa") bytes, made by $LAUNCHER --class-archive"
echo
printf '   %-8s %3s %10s %10s %9s %9s %8s %8s\n' variant run listen-ms spawn-ms rss-MiB pss-MiB threads classes
for ((r = 1; r <= RUNS; r++)); do
  for variant in default shipped archived; do
    run_once "$variant" "$OUT/$variant-$r.log"
    printf '   %-8s %3d %10d %10d %9s %9s %8s %8s\n' "$variant" "$r" "$LISTEN_MS" "$SPAWN_MS" "$RSS_MIB" "$PSS_MIB" "$THREADS" "$CLASSES"
    echo "$variant $LISTEN_MS $SPAWN_MS $RSS_MIB $PSS_MIB $THREADS $CLASSES" >>"$OUT/runs"
  done
done

echo
echo "   medians of $RUNS runs (exec = the runner's exec; idle = ${IDLE}s after both workers were ready)"
printf '   %-8s %10s %10s %9s %9s %8s %8s\n' variant listen-ms spawn-ms rss-MiB pss-MiB threads classes
declare -A MEDIANS
for variant in default shipped archived; do
  row=()
  for col in 2 3 4 5 6 7; do row+=("$(awk -v v="$variant" -v c="$col" '$1 == v {print $c}' "$OUT/runs" | median)"); done
  printf '   %-8s %10s %10s %9s %9s %8s %8s\n' "$variant" "${row[@]}"
  MEDIANS[$variant]="${row[*]}"
done
for variant in shipped archived; do
  awk -v d="${MEDIANS[default]}" -v s="${MEDIANS[$variant]}" -v name="$variant" 'BEGIN {
    split(d, a, " "); split(s, b, " ")
    printf "   %-8s %10.2f %10.2f %9.2f %9.2f %8.2f %8.2f\n", name, b[1] / a[1], b[2] / a[2], b[3] / a[3], b[4] / a[4], b[5] / a[5], b[6] / a[6] }'
done
echo "   (the last two rows: that variant's median / the default flags' median)"
