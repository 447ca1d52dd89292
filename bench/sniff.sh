#!/usr/bin/env bash
# What auto mode's sniff costs (issue 12): the runner in --mode tcp, auto and http, one after the
# other in rounds (tcp, auto, http, tcp, auto, http, ...), over the same 2 demo workers' app, under
# wrk -t1 -c32: once with kept-alive connections (the sniff is paid once per connection), once with
# "Connection: close" (a new connection, so a sniff, per request). Per mode and load: median req/s
# and the runner's CPU per request (its utime+stime over the run / requests); then auto's ratios
# to tcp and http.
#
#   bench/sniff.sh                3 rounds of 10 s per mode and load, after 10 s of warm-up each
#   bench/sniff.sh --quick        1 round of 3 s (checks the script)
#   more: --rounds N, --duration S, --warmup S, --conns C, --force (run even at load >= 1)
#
# Everything listens on 127.0.0.1; every process the script starts is stopped on exit; the run is
# bounded (MAX_SECONDS, default 1800). Needs root for apt-get if wrk is missing. Environment: JAR
# (target/actor-runner.jar), RUNNER_PORT (30380), RUNNER_WORKER_PORTS ("27000-27999").
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ROUNDS=3 DURATION=10 WARMUP=10 CONNS=32 FORCE=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --quick) ROUNDS=1 DURATION=3 WARMUP=3 ;;
    --rounds) ROUNDS="$2"; shift ;;
    --duration) DURATION="$2"; shift ;;
    --warmup) WARMUP="$2"; shift ;;
    --conns) CONNS="$2"; shift ;;
    --force) FORCE=1 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "sniff.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
JAR=${JAR:-$ROOT/target/actor-runner.jar}
MAX_SECONDS=${MAX_SECONDS:-1800}
RUNNER_PORT=${RUNNER_PORT:-30380}
RUNNER_WORKER_PORTS=${RUNNER_WORKER_PORTS:-27000-27999}
CLK_TCK=$(getconf CLK_TCK)
OUT=$(mktemp -d /tmp/actor-runner-sniff-bench.XXXXXX)
RUNNER_PID=""

bench_exit_path

require_quiet
need_commands wrk
[[ -f $JAR ]] || build_if_needed

CLOSE=0
wrk_cmd() { # seconds port
  if [[ $CLOSE == 1 ]]; then
    echo "wrk -t1 -c$CONNS -d${1}s --latency -H Connection:close http://127.0.0.1:$2/"
  else
    echo "wrk -t1 -c$CONNS -d${1}s --latency http://127.0.0.1:$2/"
  fi
}

start_runner() { # mode
  RUNNER_LOG=$OUT/runner-$1.log
  java -Xmx256m -jar "$JAR" --mode "$1" -w 2 -p "$RUNNER_PORT" --worker-ports "$RUNNER_WORKER_PORTS" \
    --slow-start 0s --jvm-opt=-Xmx256m --demo >"$RUNNER_LOG" 2>&1 &
  RUNNER_PID=$!
  wait_http "$RUNNER_PORT" 60 "runner --mode $1" "$RUNNER_PID"
}

echo "== auto mode's sniff beside tcp and http: $(java -version 2>&1 | head -1); $(wrk --version 2>&1 | head -1 | cut -d' ' -f1-2)"
echo "   load average at start: $load; $ROUNDS round(s) of ${DURATION}s per mode and load, ${WARMUP}s warm-up, wrk -t1 -c$CONNS"
echo "   runner: java -Xmx256m -jar $JAR --mode M -w 2 -p $RUNNER_PORT --slow-start 0s --jvm-opt=-Xmx256m --demo"
echo "   raw output: $OUT"
RESULTS=$OUT/results.tsv
: >"$RESULTS"
for ((round = 1; round <= ROUNDS; round++)); do
  for mode in tcp auto http; do
    start_runner "$mode"
    for CLOSE in 0 1; do
      kind=$([[ $CLOSE == 1 ]] && echo close || echo keepalive)
      run_wrk "$WARMUP" "$RUNNER_PORT" "$OUT/warmup-$round-$mode-$kind.txt"
      t0=$(cpu_ticks "$RUNNER_PID")
      f=$OUT/wrk-$round-$mode-$kind.txt
      run_wrk "$DURATION" "$RUNNER_PORT" "$f"
      t1=$(cpu_ticks "$RUNNER_PID")
      parse_wrk "$f"
      us=$(awk -v t=$((t1 - t0)) -v hz="$CLK_TCK" -v n="$REQS" 'BEGIN {printf "%.1f", (n > 0 ? t / hz * 1e6 / n : 0)}')
      printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$mode" "$kind" "$RPS" "$us" "$P99" "$((E_CONNECT + E_READ + E_WRITE + E_TIMEOUT + NON2XX))" >>"$RESULTS"
      log "round $round $mode $kind: $RPS req/s, $us us CPU/request, p99 $P99 ms"
    done
    stop_runner
  done
done

echo
echo "== medians over $ROUNDS round(s): req/s, runner CPU per request (us), p99 (ms), errors (sum)"
printf '%-10s %-6s %10s %8s %9s %7s\n' load mode req/s us/req p99_ms errors
for kind in keepalive close; do
  for mode in tcp auto http; do
    awk -F'\t' -v m="$mode" -v k="$kind" '
      function median(a, n,   i, j, t) {
        for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
        return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
      }
      $1 == m && $2 == k { n++; r[n] = $3; u[n] = $4; p[n] = $5; e += $6 }
      END { printf "%-10s %-6s %10.0f %8.1f %9.2f %7d\n", k, m, median(r, n), median(u, n), median(p, n), e }' "$RESULTS"
  done
done | tee "$OUT/medians.txt"
echo
echo "== auto against tcp and http (same load): req/s ratio, CPU-per-request ratio"
awk '{rps[$1, $2] = $3; us[$1, $2] = $4}
  END {
    split("keepalive close", ks, " ")
    for (i = 1; i <= 2; i++) {
      k = ks[i]
      printf "%-10s auto/tcp: req/s %.2fx, CPU %.2fx   auto/http: req/s %.2fx, CPU %.2fx\n", k,
        rps[k, "auto"] / rps[k, "tcp"], us[k, "auto"] / us[k, "tcp"], rps[k, "auto"] / rps[k, "http"], us[k, "auto"] / us[k, "http"]
    }
  }' "$OUT/medians.txt"
