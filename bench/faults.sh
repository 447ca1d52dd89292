#!/usr/bin/env bash
# Fault benchmarks of actor-runner (issue 5): what a misbehaving app costs the runner.
#
#   bench/faults.sh                both scenarios below
#   bench/faults.sh --crash-loop   the runner's CPU over 60 s: 2 workers that are up for good, then
#                                  2 workers that each crash 1 s after every start (backoff
#                                  100ms..1s), side by side
#   bench/faults.sh --flood        a worker writing 100-byte lines as fast as it can for 10 s: the
#                                  same writer straight into a pipe, vs through a runner with a
#                                  64 MiB heap (lines/s, the runner's peak RSS and CPU)
#   more: --seconds S (crash-loop window, 60), --build (mvn package first)
#
# Workers are shell commands (--ready none), so the figures are the runner's, not a JVM's boot.
# Environment: JAR (target/actor-runner.jar), MAX_SECONDS (900). Run it alone.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DO_CRASH=0 DO_FLOOD=0 SECONDS_WINDOW=60 BUILD=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --crash-loop) DO_CRASH=1 ;;
    --flood) DO_FLOOD=1 ;;
    --seconds) SECONDS_WINDOW="$2"; shift ;;
    --build) BUILD=1 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "faults.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
if [[ $DO_CRASH$DO_FLOOD == 00 ]]; then DO_CRASH=1 DO_FLOOD=1; fi

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
JAR=${JAR:-target/actor-runner.jar}
MAX_SECONDS=${MAX_SECONDS:-900}
CLK_TCK=$(getconf CLK_TCK)
OUT=$(mktemp -d /tmp/actor-runner-faults.XXXXXX)
RUNNER_PID=""

stop_runner() {
  local i
  alive "$RUNNER_PID" || { RUNNER_PID=""; return 0; }
  kill -TERM "$RUNNER_PID"
  for ((i = 0; i < 300; i++)); do alive "$RUNNER_PID" || break; sleep 0.1; done
  alive "$RUNNER_PID" && kill -KILL "$RUNNER_PID"
  wait "$RUNNER_PID" 2>/dev/null || true
  RUNNER_PID=""
}

bench_exit_path

build_if_needed

peak_rss_mib() { awk '/^VmHWM:/ {printf "%.0f", $2 / 1024}' "/proc/$1/status"; }

echo "== actor-runner faults  $(date -u +'%Y-%m-%d %H:%M:%S UTC')  $(nproc) cpus, load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "   $(java -version 2>&1 | head -1); jar: $JAR; logs: $OUT"

# The runner's CPU while its workers run for good, then while they crash every second.
crash_window() { # name worker-script
  local log=$OUT/crash-$1.log t0 t1 n0 n1
  java -Xmx256m -jar "$JAR" -w 2 -p 0 --ready none --control-socket off \
    --backoff-min 100ms --backoff-max 1s -- sh -c "$2" >"$log" 2>&1 &
  RUNNER_PID=$!
  sleep 10 # past the JVM's start-up and, for the crash loop, up to the backoff cap
  alive "$RUNNER_PID" || die "runner $1 exited (log: $log)"
  t0=$(cpu_ticks "$RUNNER_PID"); n0=$(grep -c 'exited with exit code' "$log" || true)
  sleep "$SECONDS_WINDOW"
  t1=$(cpu_ticks "$RUNNER_PID"); n1=$(grep -c 'exited with exit code' "$log" || true)
  stop_runner
  awk -v name="$1" -v d=$((t1 - t0)) -v h="$CLK_TCK" -v s="$SECONDS_WINDOW" -v n=$((n1 - n0)) \
    'BEGIN {printf "   %-10s runner CPU %6.2f s in %d s = %5.2f%% of one core; %d worker exits (%.1f/s)\n", name, d / h, s, 100 * d / h / s, n, n / s}'
  CRASH_LAST_LOG=$log
}

if [[ $DO_CRASH == 1 ]]; then
  echo
  echo "-- crash loop: java -jar $JAR -w 2 -p 0 --ready none --backoff-min 100ms --backoff-max 1s -- sh -c SCRIPT"
  crash_window steady 'exec sleep 3600'
  crash_window crashing 'sleep 1; exit 1'
  echo "   backoff delays logged (crashing): $(grep -oE 'replacing worker [0-9]+ \(pid [0-9]+, gen [0-9]+\) in [0-9.]+m?s' "$CRASH_LAST_LOG" | awk '{print $NF}' | head -12 | tr '\n' ' ')..."
fi

if [[ $DO_FLOOD == 1 ]]; then
  echo
  # 99 characters and a newline per line, for 10 s, as fast as the reader takes them; the echo ends
  # the line the timeout cut short.
  WRITER='timeout 10 yes xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx; echo; echo flood done; exec sleep 3600'
  echo "-- flood: sh -c '$WRITER'"
  # The writer alone, straight into a pipe:
  lines=$( (timeout 10 yes xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx || true) | wc -l)
  awk -v n="$lines" 'BEGIN {printf "   %-22s %9.0f lines/s (%.0f MB/s)\n", "pipe (wc -l)", n / 10, n * 100 / 10 / 1e6}'
  # The runner's output: flood lines are only counted, the rest is kept (unbuffered) in flood.log.
  java -Xmx64m -jar "$JAR" -w 1 -p 0 --ready none --control-socket off -- sh -c "$WRITER" \
    > >(tee >(grep -c xxxxxxxxxx >"$OUT/flood-count") | grep --line-buffered -v xxxxxxxxxx >"$OUT/flood.log") 2>&1 &
  RUNNER_PID=$!
  t0=$(cpu_ticks "$RUNNER_PID")
  for ((i = 0; i < 1200; i++)); do grep -q 'flood done' "$OUT/flood.log" 2>/dev/null && break; sleep 0.1; done
  grep -q 'flood done' "$OUT/flood.log" || die "the flooding worker did not finish within 120 s (log: $OUT/flood.log)"
  t1=$(cpu_ticks "$RUNNER_PID")
  rss=$(peak_rss_mib "$RUNNER_PID")
  oom=$(grep -c OutOfMemoryError "$OUT/flood.log" || true)
  stop_runner
  for ((i = 0; i < 300; i++)); do [[ -s $OUT/flood-count ]] && break; sleep 0.1; done
  logged=$(cat "$OUT/flood-count")
  awk -v n="$logged" -v p="$lines" -v rss="$rss" -v d=$((t1 - t0)) -v h="$CLK_TCK" -v oom="$oom" 'BEGIN {
    printf "   %-22s %9.0f lines/s (%.0f MB/s); runner peak RSS %s MiB (-Xmx64m), CPU %.1f s, OutOfMemoryError lines %s\n", "through the runner", n / 10, n * 100 / 10 / 1e6, rss, d / h, oom
    printf "   ratio runner/pipe: %.3f (the worker is slowed to the rate the runner logs, never blocked for good)\n", n / p }'
fi
