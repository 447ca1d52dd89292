#!/usr/bin/env bash
# Soak benchmark of actor-runner (issue 5): many reloads back to back under constant load.
#
#   bench/soak.sh                  200 reloads of 2 demo workers under wrk -t1 -c16 (tcp mode)
#   bench/soak.sh --reloads 20     fewer reloads (a quick check of the script)
#   bench/soak.sh --mode http      the same in http mode
#   more: --conns N (wrk connections, 16), --workers N (2), --build (mvn package first)
#
# Prints the failed requests (wrk's socket errors, non-2xx) over the whole run and the runner's
# threads, open file descriptors, RSS and heap after a full GC (jcmd) at the start, after every
# tenth of the reloads, and at the end, with the growth end - start. Target: 0 failed requests and
# no growth beyond noise. Run it alone: on 2 cores a second load halves everything.
# Environment: JAR (target/actor-runner.jar), PORT (30090), WORKER_PORTS (24000-24999),
# MAX_SECONDS (3600: the whole run is bounded; everything started is stopped on exit).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

RELOADS=200 CONNS=16 WORKERS=2 MODE=tcp BUILD=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --reloads) RELOADS="$2"; shift ;;
    --conns) CONNS="$2"; shift ;;
    --workers) WORKERS="$2"; shift ;;
    --mode) MODE="$2"; shift ;;
    --build) BUILD=1 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "soak.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
JAR=${JAR:-target/actor-runner.jar}
PORT=${PORT:-30090}
WORKER_PORTS=${WORKER_PORTS:-24000-24999}
MAX_SECONDS=${MAX_SECONDS:-3600}
OUT=$(mktemp -d /tmp/actor-runner-soak.XXXXXX)
RUNNER_LOG=$OUT/runner.log
RUNNER_PID=""

stop_runner() {
  stop_pid "$RUNNER_PID" 60   # graceful: drains its workers and exits
  RUNNER_PID=""
}
bench_exit_path

need_commands wrk
build_if_needed
[[ -n $(ss -Hltn "sport = :$PORT" 2>/dev/null) ]] && die "port $PORT is already in use"

sample() { # label -> one row: threads fds rss_MiB heap_used_MiB
  local pid=$RUNNER_PID threads fds rss heap
  jcmd "$pid" GC.run >/dev/null 2>&1 || true
  threads=$(awk '/^Threads:/ {print $2}' "/proc/$pid/status")
  fds=$(ls "/proc/$pid/fd" | wc -l)
  rss=$(awk '/^VmRSS:/ {printf "%.0f", $2 / 1024}' "/proc/$pid/status")
  heap=$(jcmd "$pid" GC.heap_info 2>/dev/null | awk '/used/ {for (i = 1; i <= NF; i++) if ($i == "used") {v = $(i + 1); sub(/K,?/, "", v); printf "%.1f", v / 1024; exit}}')
  printf '%-12s %8s %8s %8s %10s\n' "$1" "$threads" "$fds" "$rss" "${heap:-?}" | tee -a "$OUT/samples.txt"
}

echo "== actor-runner soak  $(date -u +'%Y-%m-%d %H:%M:%S UTC')  $(nproc) cpus, load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "   runner: java -Xmx256m -jar $JAR -w $WORKERS -p $PORT --mode $MODE --jvm-opt -Xmx128m --demo   (worker-ports $WORKER_PORTS)"
echo "   load:   wrk -t1 -c$CONNS for the whole run; $RELOADS x (kill -HUP, wait for \"reload N completed\")"
echo "   log:    $RUNNER_LOG"
conf=$OUT/runner.conf
echo "actor-runner { worker-ports = \"$WORKER_PORTS\" }" >"$conf"
java -Xmx256m -jar "$JAR" -c "$conf" -w "$WORKERS" -p "$PORT" --mode "$MODE" --jvm-opt -Xmx128m --demo >"$RUNNER_LOG" 2>&1 &
RUNNER_PID=$!
for ((i = 0; i < 600; i++)); do
  alive "$RUNNER_PID" || { tail -5 "$RUNNER_LOG" >&2; die "runner exited while starting"; }
  grep -q "($WORKERS of $WORKERS ready)" "$RUNNER_LOG" && break
  sleep 0.2
done
grep -q "($WORKERS of $WORKERS ready)" "$RUNNER_LOG" || die "runner not ready after 120s"

wrk -t1 -c"$CONNS" -d"$MAX_SECONDS"s --timeout 10s "http://127.0.0.1:$PORT/" >"$OUT/wrk.txt" 2>&1 &
WRK_PID=$!
sleep 5 # let the load and the JIT settle before the first sample
printf '%-12s %8s %8s %8s %10s\n' reloads threads fds rss_MiB heap_MiB | tee "$OUT/samples.txt"
sample 0
start=$(date +%s)
every=$(( RELOADS >= 10 ? RELOADS / 10 : 1 ))
for ((n = 1; n <= RELOADS; n++)); do
  hup_and_wait 120
  [[ $RELOAD_LINE == *"reload $((n + 1)) completed"* ]] || die "reload $((n + 1)) did not complete: $RELOAD_LINE"
  (( n % every == 0 )) && sample "$n"
done
elapsed=$(( $(date +%s) - start ))
kill -INT "$WRK_PID"
wait "$WRK_PID" || true
WRK_PID=""

reqs=$(awk '/ requests in / {print $1; exit}' "$OUT/wrk.txt")
errors=$(grep -m1 'Socket errors:' "$OUT/wrk.txt" || echo "Socket errors: none")
non2xx=$(awk -F': *' '/Non-2xx or 3xx responses/ {print $2; exit}' "$OUT/wrk.txt")
echo
echo "$RELOADS reloads in ${elapsed}s ($(awk -v e="$elapsed" -v n="$RELOADS" 'BEGIN {printf "%.1f", e / n}')s each) under load:"
echo "   requests ${reqs:-0}; ${errors}; non-2xx ${non2xx:-0}"
echo "   reloads aborted: $(grep -c 'aborted' "$RUNNER_LOG" || true); workers crashed: $(grep -cE 'worker\.crashed|exited with code [^0]|killed by signal' "$RUNNER_LOG" || true)"
awk 'NR == 2 {t0 = $2; f0 = $3; r0 = $4; h0 = $5} NR > 2 {t = $2; f = $3; r = $4; h = $5}
     END {printf "   growth end - start: threads %+d, fds %+d, RSS %+d MiB, heap after GC %+.1f MiB\n", t - t0, f - f0, r - r0, h - h0}' \
  "$OUT/samples.txt"
