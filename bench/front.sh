#!/usr/bin/env bash
# Benchmark of actor-runner's front (issue 3): the runner's TCP relay beside HAProxy and beside a
# worker reached directly, then reloads and crashes under load.
#
#   bench/front.sh                 throughput: direct vs HAProxy vs actor-runner, 1 io thread
#   bench/front.sh --io-threads 1,2   ... also HAProxy nbthread 2 vs runner io-threads = 2
#   bench/front.sh --reload        60 s of load with 10 SIGHUP reloads, vs 60 s steady state
#   bench/front.sh --crash         60 s of load, SIGKILL one runner worker every 5 s
#   bench/front.sh --all           all of the above (io threads 1 and 2)
#   bench/front.sh --quick ...     short runs to check the script (3 s, 1 round, 15 s of load)
#   more: --rounds N, --duration S, --warmup S, --load-seconds S, --reloads N, --build (mvn package)
#
# Everything listens on 127.0.0.1 only; every process the script starts is stopped on exit;
# the whole run is bounded (MAX_SECONDS, default 2400). Needs root for apt-get if wrk or haproxy
# are missing. Environment: JAR (default target/actor-runner.jar), MAX_SECONDS,
# DIRECT_PORTS ("21001 21002"), HAPROXY_PORT (30081), RUNNER_PORT (30080),
# RUNNER_WORKER_PORTS ("22000-22999", the runner's private range: kept apart from the standalone
# workers' ports, below the ephemeral range), RUNNER_MODE (tcp, the default here, as HAProxy's side
# is TCP mode; RUNNER_MODE=auto measures what the default mode's sniff of each connection costs on
# the same load, RUNNER_MODE=http the HTTP relay), RUNNER_TRANSPORT (the front's transport
# setting: auto, io_uring, epoll or nio; unset: the runner's default), RUNNER_ARGS (more runner flags, e.g.
# "--backoff-max=1s" so that --crash measures the front rather than the crash backoff).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# ---- options ------------------------------------------------------------------------------------
DO_THROUGHPUT=0 DO_RELOAD=0 DO_CRASH=0 BUILD=0
DURATION=10 ROUNDS=3 WARMUP=10 CONNS=64 LOAD_SECONDS=60 RELOADS=10 CRASH_EVERY=5
IO_THREADS="1"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --throughput) DO_THROUGHPUT=1 ;;
    --reload) DO_RELOAD=1 ;;
    --crash) DO_CRASH=1 ;;
    --all) DO_THROUGHPUT=1 DO_RELOAD=1 DO_CRASH=1 IO_THREADS="1,2" ;;
    --quick) DURATION=3 ROUNDS=1 WARMUP=3 LOAD_SECONDS=15 RELOADS=3 ;;
    --io-threads) IO_THREADS="$2"; shift ;;
    --rounds) ROUNDS="$2"; shift ;;
    --duration) DURATION="$2"; shift ;;
    --load-seconds) LOAD_SECONDS="$2"; shift ;;
    --reloads) RELOADS="$2"; shift ;;
    --warmup) WARMUP="$2"; shift ;;
    --build) BUILD=1 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "front.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
if [[ $DO_THROUGHPUT$DO_RELOAD$DO_CRASH == 000 ]]; then DO_THROUGHPUT=1; fi
IO_THREADS=${IO_THREADS//,/ }

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
JAR=${JAR:-target/actor-runner.jar}
MAX_SECONDS=${MAX_SECONDS:-2400}
read -r W1_PORT W2_PORT <<<"${DIRECT_PORTS:-21001 21002}"
HAPROXY_PORT=${HAPROXY_PORT:-30081}
RUNNER_PORT=${RUNNER_PORT:-30080}
RUNNER_WORKER_PORTS=${RUNNER_WORKER_PORTS:-22000-22999}
RUNNER_MODE=${RUNNER_MODE:-tcp}   # explicit: the runner's own default is auto
RUNNER_TRANSPORT=${RUNNER_TRANSPORT:-}   # empty: the runner's default (a jar from before the setting has none)
case $RUNNER_MODE in tcp|auto|http) ;; *) echo "front.sh: RUNNER_MODE must be tcp, auto or http" >&2; exit 2 ;; esac
JVM_OPT=-Xmx256m
CLK_TCK=$(getconf CLK_TCK)
OUT=$(mktemp -d /tmp/actor-runner-bench.XXXXXX)

# ---- cleanup: everything started is stopped on exit (PIDS: standalone workers, haproxy) ---------
RUNNER_PID=""    # at most one runner at a time

stop_runner() {
  local pid=$RUNNER_PID kids
  [[ -n $pid ]] || return 0
  RUNNER_PID=""
  kids=$(pgrep -P "$pid" 2>/dev/null || true)
  stop_pid "$pid" 30   # graceful: drains its workers and exits
  wait "$pid" 2>/dev/null || true
  # Its workers die with it (pdeathsig); make sure anyway.
  for k in $kids; do alive "$k" && kill -KILL "$k" 2>/dev/null; done
  return 0
}

bench_exit_path

# ---- prerequisites ------------------------------------------------------------------------------
need_commands wrk haproxy
command -v java >/dev/null || die "java not found"
build_if_needed
[[ -f $JAR ]] || die "$JAR not found"
unzip -Z1 "$JAR" dev/actorrunner/front/Front.class >/dev/null 2>&1 \
  || die "$JAR has no front (dev/actorrunner/front): rebuild it (--build)"
STALE=$(find src/main pom.xml -newer "$JAR" -type f 2>/dev/null | head -3 || true)

for p in "$W1_PORT" "$W2_PORT" "$HAPROXY_PORT" "$RUNNER_PORT"; do
  if [[ -n $(ss -Hltn "sport = :$p" 2>/dev/null) ]]; then die "port $p is already in use"; fi
done

# ---- helpers ------------------------------------------------------------------------------------
# A signal ignored when the script started (nohup ignores HUP) would stay ignored in the runner,
# whose reload then never fires: start Java with the default disposition.
SIGRESET=()
if env --default-signal=HUP true 2>/dev/null; then SIGRESET=(env --default-signal=HUP,INT); fi

wrk_cmd() { # seconds port
  echo "wrk -t1 -c$CONNS -d${1}s --latency http://127.0.0.1:$2/"
}

# ---- processes ----------------------------------------------------------------------------------
start_direct_workers() {
  local p pid
  for p in "$W1_PORT" "$W2_PORT"; do
    PORT=$p "${SIGRESET[@]}" java $JVM_OPT -cp "$JAR" dev.actorrunner.demo.HelloServer \
      >"$OUT/worker-$p.log" 2>&1 &
    pid=$!
    PIDS+=("$pid")
    wait_http "$p" 60 "worker on port $p" "$pid"
  done
}

HAPROXY_PID=""
start_haproxy() { # nbthread
  local cfg=$OUT/haproxy-nbthread$1.cfg
  cat >"$cfg" <<EOF
global
    nbthread $1
    maxconn 4096
defaults
    mode tcp
    timeout connect 5s
    timeout client 60s
    timeout server 60s
frontend public
    bind 127.0.0.1:$HAPROXY_PORT
    default_backend workers
backend workers
    balance roundrobin
    server w1 127.0.0.1:$W1_PORT
    server w2 127.0.0.1:$W2_PORT
EOF
  haproxy -c -q -f "$cfg" || die "haproxy rejects $cfg"
  haproxy -db -f "$cfg" >"$OUT/haproxy-nbthread$1.log" 2>&1 &
  HAPROXY_PID=$!
  PIDS+=("$HAPROXY_PID")
  wait_http "$HAPROXY_PORT" 20 "haproxy" "$HAPROXY_PID"
}

stop_haproxy() { stop_pid "$HAPROXY_PID" 5; wait "$HAPROXY_PID" 2>/dev/null || true; HAPROXY_PID=""; }

RUNNER_LOG=""
start_runner() { # io-threads logname
  local conf=$OUT/runner-io$1.conf
  RUNNER_LOG=$OUT/$2.log
  : >"$RUNNER_LOG"
  cat >"$conf" <<EOF
actor-runner {
  worker-ports = "$RUNNER_WORKER_PORTS"
  jvm-options = ["$JVM_OPT"]
  io-threads = $1
  mode = $RUNNER_MODE
${RUNNER_TRANSPORT:+  transport = $RUNNER_TRANSPORT}
}
EOF
  # shellcheck disable=SC2086
  "${SIGRESET[@]}" java $JVM_OPT -jar "$JAR" -c "$conf" -w 2 -p "$RUNNER_PORT" ${RUNNER_ARGS:-} --demo >"$RUNNER_LOG" 2>&1 &
  RUNNER_PID=$!
  local i
  for ((i = 0; i < 450; i++)); do
    alive "$RUNNER_PID" || { tail -20 "$RUNNER_LOG" >&2; die "runner exited while starting (log: $RUNNER_LOG)"; }
    if grep -q '(2 of 2 ready)' "$RUNNER_LOG" && http_ok "$RUNNER_PORT"; then return 0; fi
    sleep 0.2
  done
  die "runner not ready after 90s (log: $RUNNER_LOG)"
}

runner_workers() { # live worker pids of the runner, oldest first (not its orphan watchdog)
  ps --ppid "$RUNNER_PID" -o pid=,args= --sort=start_time 2>/dev/null \
    | awk '/dev[.]actorrunner[.]demo[.]HelloServer/ {print $1}' || true
}

# ---- the commands used --------------------------------------------------------------------------
echo "== actor-runner front benchmark  $(date -u +'%Y-%m-%d %H:%M:%S UTC')  $(nproc) cpus, load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "   $(java -version 2>&1 | head -1); $(wrk --version 2>&1 | head -1 | cut -d' ' -f1-2); $(haproxy -v | head -1 | cut -d' ' -f1-3)"
echo "   jar: $JAR ($(date -u -r "$JAR" +'%Y-%m-%d %H:%M UTC'))"
if [[ -n $STALE ]]; then echo "   WARNING: sources newer than the jar, e.g. $(echo $STALE): rebuild with --build"; fi
echo "   logs and raw wrk output: $OUT"
echo "commands:"
echo "   workers:  PORT=$W1_PORT java $JVM_OPT -cp $JAR dev.actorrunner.demo.HelloServer   (and PORT=$W2_PORT)"
echo "   haproxy:  haproxy -db -f $OUT/haproxy-nbthreadN.cfg   (TCP mode, roundrobin over 127.0.0.1:$W1_PORT and :$W2_PORT, nbthread N, bind 127.0.0.1:$HAPROXY_PORT)"
echo "   runner:   java $JVM_OPT -jar $JAR -c $OUT/runner-ioN.conf -w 2 -p $RUNNER_PORT ${RUNNER_ARGS:+$RUNNER_ARGS }--demo"
echo "             conf: actor-runner { worker-ports = \"$RUNNER_WORKER_PORTS\", jvm-options = [\"$JVM_OPT\"], io-threads = N, mode = $RUNNER_MODE${RUNNER_TRANSPORT:+, transport = $RUNNER_TRANSPORT} }"
echo "   load:     $(wrk_cmd "$DURATION" PORT)   (warm-up ${WARMUP}s each, ${WARMUP}s more for the runner, whose own workers only it warms; direct = $W1_PORT only)"
echo "   CPU:      utime+stime of the proxy process from /proc/PID/stat around each run, / requests (CLK_TCK $CLK_TCK)"
echo

# ---- part 1: throughput -------------------------------------------------------------------------
RESULTS=$OUT/results.tsv   # io round target rps p50 p99 cpu_us_per_req cpu_s rss_mib reqs errors non2xx
: >"$RESULTS"

measure() { # io round target port [pid]
  local io=$1 round=$2 target=$3 port=$4 pid=${5:-} f t0=0 t1=0 cpu_s=- cpu_us=- rss=-
  f=$OUT/wrk-io$io-r$round-$target.txt
  [[ -n $pid ]] && t0=$(cpu_ticks "$pid")
  [[ $target == runner ]] && thread_ticks "$pid" >"$f.threads0"
  local m0 m1
  m0=$(machine_ticks)
  run_wrk "$DURATION" "$port" "$f"
  m1=$(machine_ticks)
  [[ $target == runner ]] && thread_ticks "$pid" >"$f.threads1"
  if [[ -n $pid ]]; then
    t1=$(cpu_ticks "$pid")
    rss=$(awk -v k="$(rss_kb "$pid")" 'BEGIN {printf "%.0f", k / 1024}')
  fi
  parse_wrk "$f"
  machine_record "$OUT/machine-io$io.tsv" "$target" "$m0" "$m1" "$REQS"
  if [[ -n $pid ]]; then
    cpu_s=$(awk -v d=$((t1 - t0)) -v h="$CLK_TCK" 'BEGIN {printf "%.2f", d / h}')
    cpu_us=$(awk -v d=$((t1 - t0)) -v h="$CLK_TCK" -v n="$REQS" 'BEGIN {printf "%.2f", (n > 0) ? d / h * 1e6 / n : 0}')
  fi
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$io" "$round" "$target" "$RPS" "$P50" "$P99" \
    "$cpu_us" "$cpu_s" "$rss" "$REQS" $((E_CONNECT + E_READ + E_WRITE + E_TIMEOUT)) "$NON2XX" >>"$RESULTS"
}

TABLE_HEAD='%-9s %10s %9s %9s %12s %10s %8s %8s %8s\n'
table_head() { printf "$TABLE_HEAD" target req/s p50_ms p99_ms cpu_us/req cpu_s rss_MiB errors non2xx; }

print_round() { # io round
  table_head
  awk -F'\t' -v io="$1" -v r="$2" '$1 == io && $2 == r {
    printf "%-9s %10.0f %9.3f %9.3f %12s %10s %8s %8s %8s\n", $3, $4, $5, $6, $7, $8, $9, $11, $12 }' "$RESULTS"
}

median() { # io target column
  awk -F'\t' -v io="$1" -v t="$2" -v c="$3" '$1 == io && $3 == t && $c != "-" { v[n++] = $c + 0 }
    END { if (n == 0) { print "-"; exit }
          for (i = 0; i < n; i++) for (j = i + 1; j < n; j++) if (v[j] < v[i]) { x = v[i]; v[i] = v[j]; v[j] = x }
          m = (n % 2) ? v[int(n / 2)] : (v[n / 2 - 1] + v[n / 2]) / 2; print m }' "$RESULTS"
}

thread_report() { # wrk file of a runner run: its busiest threads, seconds of CPU each
  join <(sort "$1.threads0") <(sort "$1.threads1") 2>/dev/null \
    | awk -v h="$CLK_TCK" '{ d = $4 - $2; if (d > 0) { sum[$5] += d } }
        END { for (n in sum) printf "%s %.2f\n", n, sum[n] / h }' \
    | sort -k2 -gr | head -5 | awk '{ printf "%s%s %ss", (NR > 1 ? ", " : ""), $1, $2 }'
}

total() { # io target column: sum over the rounds
  awk -F'\t' -v io="$1" -v t="$2" -v c="$3" '$1 == io && $3 == t { s += $c } END { print s + 0 }' "$RESULTS"
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b + 0 == 0 || a == "-" || b == "-" || a == "nan" || b == "nan") print "n/a"; else printf "%.2fx", a / b }'; }

throughput() { # io-threads
  local io=$1 r
  log "throughput, io threads $io: starting haproxy (nbthread $io) and actor-runner (io-threads $io)"
  start_haproxy "$io"
  start_runner "$io" "runner-throughput-io$io"
  log "warm-up ${WARMUP}s each, the runner $((2 * WARMUP))s"
  run_wrk "$WARMUP" "$W1_PORT" "$OUT/warmup-io$io-direct.txt"
  run_wrk "$WARMUP" "$HAPROXY_PORT" "$OUT/warmup-io$io-haproxy.txt"
  run_wrk $((2 * WARMUP)) "$RUNNER_PORT" "$OUT/warmup-io$io-runner.txt"
  echo "== throughput: HAProxy nbthread $io vs actor-runner io-threads $io; direct = one worker"
  for ((r = 1; r <= ROUNDS; r++)); do
    log "round $r/$ROUNDS"
    measure "$io" "$r" direct "$W1_PORT"
    measure "$io" "$r" haproxy "$HAPROXY_PORT" "$HAPROXY_PID"
    measure "$io" "$r" runner "$RUNNER_PORT" "$RUNNER_PID"
    echo "-- round $r (io threads $io)"
    print_round "$io" "$r"
  done
  echo "-- median of $ROUNDS (io threads $io; errors and non2xx: sums)"
  table_head
  local t
  for t in direct haproxy runner; do
    printf '%-9s %10.0f %9.3f %9.3f %12s %10s %8s %8s %8s\n' "$t" "$(median "$io" $t 4)" "$(median "$io" $t 5)" \
      "$(median "$io" $t 6)" "$(median "$io" $t 7)" "$(median "$io" $t 8)" "$(median "$io" $t 9)" \
      "$(total "$io" $t 11)" "$(total "$io" $t 12)"
  done
  echo "-- ratios (medians, io threads $io)"
  echo "   runner/HAProxy req/s        $(ratio "$(median "$io" runner 4)" "$(median "$io" haproxy 4)")   (target >= 1.0x)"
  echo "   runner/direct  req/s        $(ratio "$(median "$io" runner 4)" "$(median "$io" direct 4)")"
  echo "   runner/HAProxy p99          $(ratio "$(median "$io" runner 6)" "$(median "$io" haproxy 6)")   (target <= 1.25x)"
  echo "   runner/HAProxy CPU/request  $(ratio "$(median "$io" runner 7)" "$(median "$io" haproxy 7)")   (target <= 1.0x, aim 0.9x)"
  local mh mr
  mh=$(machine_median "$OUT/machine-io$io.tsv" haproxy) mr=$(machine_median "$OUT/machine-io$io.tsv" runner)
  echo "   machine CPU/request (wrk + workers + proxy, us): direct $(machine_median "$OUT/machine-io$io.tsv" direct), HAProxy $mh, runner $mr; runner/HAProxy $(ratio "$mr" "$mh")"
  echo "   runner threads by CPU in the last round: $(thread_report "$OUT/wrk-io$io-r$ROUNDS-runner.txt")"
  echo "   runner RSS after the last run: $(awk -v k="$(rss_kb "$RUNNER_PID")" 'BEGIN {printf "%.0f", k / 1024}') MiB"
  echo
  stop_runner
  stop_haproxy
}

# ---- parts 2 and 3: reload and crash under load -------------------------------------------------
LOAD_HEAD='%-22s %10s %10s %9s %9s %8s %8s %8s %8s %8s\n'
load_head() { printf "$LOAD_HEAD" run requests req/s p50_ms p99_ms connect read write timeout non2xx; }
load_row() { # label wrkfile
  parse_wrk "$2"
  printf '%-22s %10s %10.0f %9.3f %9.3f %8s %8s %8s %8s %8s\n' "$1" "$REQS" "$RPS" "$P50" "$P99" \
    "$E_CONNECT" "$E_READ" "$E_WRITE" "$E_TIMEOUT" "$NON2XX"
}

STEADY_FILE=""
steady_state() { # label
  if [[ -z $STEADY_FILE ]]; then
    STEADY_FILE=$OUT/wrk-steady.txt
    log "steady state: ${LOAD_SECONDS}s of load, no signal"
    run_wrk "$LOAD_SECONDS" "$RUNNER_PORT" "$STEADY_FILE"
  fi
}

WRK_PID=""
start_load() { # outfile
  # shellcheck disable=SC2046
  timeout -k 5 $((LOAD_SECONDS + 30)) $(wrk_cmd "$LOAD_SECONDS" "$RUNNER_PORT") >"$1" 2>&1 &
  WRK_PID=$!
}
end_load() { wait "$WRK_PID" 2>/dev/null || log "wrk exited with $?"; WRK_PID=""; }


reload_part() {
  log "reload: starting actor-runner (io-threads 1)"
  start_runner 1 runner-reload
  run_wrk $((2 * WARMUP)) "$RUNNER_PORT" "$OUT/warmup-reload.txt"
  steady_state
  local f=$OUT/wrk-reloads.txt i start_s end_s summary=""
  log "reloads: ${LOAD_SECONDS}s of load, $RELOADS SIGHUPs back to back after 2 s"
  start_load "$f"
  start_s=$(date +%s.%N)
  sleep 2
  for ((i = 1; i <= RELOADS; i++)); do
    hup_and_wait 120
    alive "$WRK_PID" || summary+=" (SIGHUP $i was sent after wrk had ended)"
    printf '   SIGHUP %2d -> %5d ms  %s\n' "$i" "$RELOAD_MS" "${RELOAD_LINE#* INFO  }"
  done
  end_s=$(date +%s.%N)
  echo "   $RELOADS reloads took $(awk -v a="$start_s" -v b="$end_s" 'BEGIN {printf "%.1f", b - a - 2}') s of the ${LOAD_SECONDS} s run$summary"
  end_load
  echo "-- reloads under load (64 keep-alive connections, ${LOAD_SECONDS}s)"
  load_head
  load_row "steady state" "$STEADY_FILE"
  load_row "$RELOADS reloads" "$f"
  report_log
  stop_runner
}

crash_part() {
  log "crash: starting actor-runner (io-threads 1)"
  start_runner 1 runner-crash
  run_wrk $((2 * WARMUP)) "$RUNNER_PORT" "$OUT/warmup-crash.txt"
  steady_state
  local f=$OUT/wrk-crash.txt t victim live
  log "crash: ${LOAD_SECONDS}s of load, SIGKILL one worker every ${CRASH_EVERY}s"
  echo "== crash under load: SIGKILL the oldest live worker every ${CRASH_EVERY}s"
  start_load "$f"
  for ((t = CRASH_EVERY; t < LOAD_SECONDS; t += CRASH_EVERY)); do
    sleep "$CRASH_EVERY"
    alive "$RUNNER_PID" || die "runner died (log: $RUNNER_LOG)"
    live=$(runner_workers | wc -l)
    victim=$(runner_workers | head -1)
    if [[ -n $victim ]]; then
      kill -KILL "$victim" 2>/dev/null || true
      printf '   t=%3ds SIGKILL worker pid %s (%s live workers before)\n' "$t" "$victim" "$live"
    else
      printf '   t=%3ds no live worker to kill\n' "$t"
    fi
  done
  end_load
  echo "-- crash under load (64 keep-alive connections, ${LOAD_SECONDS}s)"
  load_head
  load_row "steady state" "$STEADY_FILE"
  load_row "kill every ${CRASH_EVERY}s" "$f"
  report_log
  stop_runner
}

report_log() {
  echo "-- runner log: $RUNNER_LOG"
  local n
  n=$(grep -cE ' (WARN|ERROR) ' "$RUNNER_LOG" || true)
  echo "   WARN/ERROR lines: $n"
  grep -E ' (WARN|ERROR) ' "$RUNNER_LOG" | head -40 | sed 's/^/     /' || true
  echo "   workers left rotation with connections still open:"
  grep -E 'leaves rotation: draining [1-9][0-9]* connection' "$RUNNER_LOG" | sed 's/^/     /' || echo "     none"
  echo "   stops that did not exit 0, and cut-off requests:"
  grep -E 'exited after stop:|were cut off' "$RUNNER_LOG" | grep -v 'exit code 0$' | head -20 | sed 's/^/     /' \
    || echo "     none"
  echo
}

# ---- run ----------------------------------------------------------------------------------------
if [[ $DO_THROUGHPUT == 1 ]]; then
  log "starting the two standalone demo workers on $W1_PORT and $W2_PORT"
  start_direct_workers
  for io in $IO_THREADS; do throughput "$io"; done
  for p in "${PIDS[@]}"; do stop_pid "$p" 5; done
  PIDS=()
fi
if [[ $DO_RELOAD == 1 || $DO_CRASH == 1 ]]; then
  echo "== under load: $(wrk_cmd "$LOAD_SECONDS" "$RUNNER_PORT") through actor-runner (io-threads 1)"
fi
[[ $DO_RELOAD == 1 ]] && reload_part
[[ $DO_CRASH == 1 ]] && crash_part
log "done"
