#!/usr/bin/env bash
# Benchmark of actor-runner's HTTP mode (issue 4): reloads under keep-alive load with two real apps
# (Spring Boot 3.5 and WireMock 3.13) in http mode beside tcp mode, then the runner's HTTP relay
# beside HAProxy in `mode http` and beside a worker reached directly.
#
#   bench/http.sh                  all: throughput, then reloads (both apps, all three modes)
#   bench/http.sh --reload         only the reloads under load
#   bench/http.sh --throughput     only the throughput comparison (demo workers)
#   bench/http.sh --quick ...      short runs to check the script (3 reloads, 1 round, 3 s)
#   more: --apps spring,wiremock, --modes auto,http,tcp, --reloads N, --rounds N, --duration S,
#         --warmup S, --steady S, --build (mvn package the runner first)
#
# Builds what it needs once: the runner jar (JAR, else target/actor-runner.jar, built with mvn when
# missing), the Spring Boot hello app in bench/http/spring-hello (to bench/http/target/spring-hello)
# and WireMock standalone (mvn dependency:copy to bench/http/target/wiremock), all from Maven Central.
# Everything listens on 127.0.0.1 only; every process the script starts is stopped on exit; the whole
# run is bounded (MAX_SECONDS, default 5400). Needs root for apt-get if wrk or haproxy are missing.
# Environment: JAR, MAX_SECONDS, DIRECT_PORTS ("21101 21102"), HAPROXY_PORT (30181), RUNNER_PORT
# (30180), METRICS_PORT (30182, the runner's Prometheus endpoint in the reload runs),
# RUNNER_WORKER_PORTS ("24000-24999": apart from bench/front.sh's, below the ephemeral range),
# RUNNER_ARGS (more runner flags), WRK_TIMEOUT (2s, wrk's default: a request slower counts as a
# timeout error), RUNNER_TRANSPORT (auto, io_uring, epoll or nio; unset: the runner's default), THROUGHPUT_MODE (http, or auto: the runner's mode in the throughput comparison;
# auto vs http on the same load is what sniffing each connection costs).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# ---- options ------------------------------------------------------------------------------------
DO_THROUGHPUT=0 DO_RELOAD=0 BUILD=0
DURATION=10 ROUNDS=3 WARMUP=10 CONNS=64 RELOADS=10 STEADY=30 APP_WARMUP=20
APPS="spring,wiremock" MODES="auto,http,tcp"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --throughput) DO_THROUGHPUT=1 ;;
    --reload) DO_RELOAD=1 ;;
    --quick) DURATION=3 ROUNDS=1 WARMUP=3 RELOADS=3 STEADY=5 APP_WARMUP=5 ;;
    --apps) APPS="$2"; shift ;;
    --modes) MODES="$2"; shift ;;
    --rounds) ROUNDS="$2"; shift ;;
    --duration) DURATION="$2"; shift ;;
    --reloads) RELOADS="$2"; shift ;;
    --warmup) WARMUP="$2"; APP_WARMUP="$2"; shift ;;
    --steady) STEADY="$2"; shift ;;
    --build) BUILD=1 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "http.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
if [[ $DO_THROUGHPUT$DO_RELOAD == 00 ]]; then DO_THROUGHPUT=1 DO_RELOAD=1; fi
APPS=${APPS//,/ } MODES=${MODES//,/ }
for a in $APPS; do [[ $a == spring || $a == wiremock ]] || { echo "http.sh: unknown app $a" >&2; exit 2; }; done
for m in $MODES; do [[ $m == auto || $m == http || $m == tcp ]] || { echo "http.sh: unknown mode $m" >&2; exit 2; }; done
THROUGHPUT_MODE=${THROUGHPUT_MODE:-http}
RUNNER_TRANSPORT=${RUNNER_TRANSPORT:-}   # empty: the runner's default (a jar from before the setting has none)
[[ $THROUGHPUT_MODE == http || $THROUGHPUT_MODE == auto ]] || { echo "http.sh: THROUGHPUT_MODE must be http or auto" >&2; exit 2; }

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
BENCH=$ROOT/bench/http
JAR=${JAR:-target/actor-runner.jar}
MAX_SECONDS=${MAX_SECONDS:-5400}
read -r W1_PORT W2_PORT <<<"${DIRECT_PORTS:-21101 21102}"
HAPROXY_PORT=${HAPROXY_PORT:-30181}
RUNNER_PORT=${RUNNER_PORT:-30180}
METRICS_PORT=${METRICS_PORT:-30182}
RUNNER_WORKER_PORTS=${RUNNER_WORKER_PORTS:-24000-24999}
WRK_TIMEOUT=${WRK_TIMEOUT:-2s}
WIREMOCK_VERSION=3.13.2
SPRING_JAR=$BENCH/target/spring-hello/spring-hello.jar
WIREMOCK_JAR=$BENCH/target/wiremock/wiremock-standalone-$WIREMOCK_VERSION.jar
JVM_OPT=-Xmx256m
CLK_TCK=$(getconf CLK_TCK)
OUT=$(mktemp -d /tmp/actor-runner-http-bench.XXXXXX)

# ---- cleanup: everything started is stopped on exit (PIDS: standalone workers, haproxy) ---------
RUNNER_PID=""    # at most one runner at a time

all_descendants() { # pid: its children, grandchildren, ...
  local c
  for c in $(pgrep -P "$1" 2>/dev/null || true); do echo "$c"; all_descendants "$c"; done
}

stop_runner() {
  local pid=$RUNNER_PID kids
  [[ -n $pid ]] || return 0
  RUNNER_PID=""
  kids=$(all_descendants "$pid")
  stop_pid "$pid" 45   # graceful: drains its workers (Spring Boot: up to 20 s) and exits
  wait "$pid" 2>/dev/null || true
  # Its workers die with it (pdeathsig); make sure anyway.
  for k in $kids; do alive "$k" && kill -KILL "$k" 2>/dev/null; done
  return 0
}

bench_exit_path

# ---- prerequisites ------------------------------------------------------------------------------
need_commands wrk haproxy
command -v java >/dev/null || die "java not found"
command -v mvn >/dev/null || die "mvn not found"
if [[ $BUILD == 1 || ! -f $JAR ]]; then
  log "building $JAR"
  mvn -B -q package -DskipTests >"$OUT/build-runner.log" 2>&1 || die "build failed (see $OUT/build-runner.log)"
fi
[[ -f $JAR ]] || die "$JAR not found"
unzip -Z1 "$JAR" dev/actorrunner/front/HttpRelay.class >/dev/null 2>&1 \
  || die "$JAR has no http mode (dev/actorrunner/front/HttpRelay): rebuild it (--build)"
STALE=$(find src/main pom.xml -newer "$JAR" -type f 2>/dev/null | head -3 || true)

# The apps: built or fetched once, through Maven Central only.
if [[ $DO_RELOAD == 1 && " $APPS " == *" spring "* ]]; then
  if [[ ! -f $SPRING_JAR || -n $(find "$BENCH/spring-hello" -newer "$SPRING_JAR" -type f 2>/dev/null | head -1) ]]; then
    log "building the Spring Boot hello app (bench/http/spring-hello -> $SPRING_JAR)"
    mvn -B -q -f "$BENCH/spring-hello/pom.xml" package -DskipTests >"$OUT/build-spring.log" 2>&1 \
      || die "Spring Boot app build failed (see $OUT/build-spring.log)"
  fi
  [[ -f $SPRING_JAR ]] || die "$SPRING_JAR not built"
fi
if [[ $DO_RELOAD == 1 && " $APPS " == *" wiremock "* && ! -f $WIREMOCK_JAR ]]; then
  log "fetching WireMock standalone $WIREMOCK_VERSION"
  # Outside any project, so that no pom is involved.
  (cd "$OUT" && mvn -B -q dependency:copy -Dartifact=org.wiremock:wiremock-standalone:$WIREMOCK_VERSION \
    -DoutputDirectory="$(dirname "$WIREMOCK_JAR")") >"$OUT/fetch-wiremock.log" 2>&1 \
    || die "fetching WireMock failed (see $OUT/fetch-wiremock.log)"
  [[ -f $WIREMOCK_JAR ]] || die "$WIREMOCK_JAR not fetched"
fi

for p in "$W1_PORT" "$W2_PORT" "$HAPROXY_PORT" "$RUNNER_PORT" "$METRICS_PORT"; do
  if [[ -n $(ss -Hltn "sport = :$p" 2>/dev/null) ]]; then die "port $p is already in use"; fi
done

# ---- helpers ------------------------------------------------------------------------------------
# A signal ignored when the script started (nohup ignores HUP) would stay ignored in the runner,
# whose reload then never fires: start Java with the default disposition.
SIGRESET=()
if env --default-signal=HUP true 2>/dev/null; then SIGRESET=(env --default-signal=HUP,INT); fi

wrk_cmd() { # seconds port
  echo "wrk -t1 -c$CONNS -d${1}s --timeout $WRK_TIMEOUT --latency http://127.0.0.1:$2/"
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b + 0 == 0 || a == "-" || b == "-" || a == "nan" || b == "nan") print "n/a"; else printf "%.2fx", a / b }'; }

# ---- processes ----------------------------------------------------------------------------------
DIRECT_PIDS=()
start_direct_workers() {
  local p pid
  for p in "$W1_PORT" "$W2_PORT"; do
    PORT=$p "${SIGRESET[@]}" java $JVM_OPT -cp "$JAR" dev.actorrunner.demo.HelloServer \
      >"$OUT/worker-$p.log" 2>&1 &
    pid=$!
    PIDS+=("$pid")
    DIRECT_PIDS+=("$pid")
    wait_http "$p" 60 "worker on port $p" "$pid"
  done
}

runner_workers() { # live worker pids of the runner, oldest first
  ps --ppid "$RUNNER_PID" -o pid=,args= --sort=start_time 2>/dev/null \
    | awk '/dev[.]actorrunner[.]demo[.]HelloServer/ {print $1}' || true
}

HAPROXY_PID=""
HAPROXY_CFG=$OUT/haproxy-http.cfg
start_haproxy() {
  # HTTP mode, keep-alive on both sides, server connections shared between clients, one thread.
  # option forwardfor: the runner adds X-Forwarded-For/-Proto/-Host by default, so HAProxy adds
  # its header too.
  cat >"$HAPROXY_CFG" <<EOF
global
    nbthread 1
    maxconn 4096
defaults
    mode http
    option http-keep-alive
    option forwardfor
    http-reuse always
    timeout connect 5s
    timeout client 60s
    timeout server 60s
    timeout http-keep-alive 60s
frontend public
    bind 127.0.0.1:$HAPROXY_PORT
    default_backend workers
backend workers
    balance roundrobin
    server w1 127.0.0.1:$W1_PORT
    server w2 127.0.0.1:$W2_PORT
EOF
  haproxy -c -q -f "$HAPROXY_CFG" || die "haproxy rejects $HAPROXY_CFG"
  haproxy -db -f "$HAPROXY_CFG" >"$OUT/haproxy-http.log" 2>&1 &
  HAPROXY_PID=$!
  PIDS+=("$HAPROXY_PID")
  wait_http "$HAPROXY_PORT" 20 "haproxy" "$HAPROXY_PID"
}

stop_haproxy() { stop_pid "$HAPROXY_PID" 5; wait "$HAPROXY_PID" 2>/dev/null || true; HAPROXY_PID=""; }

# The app a runner runs: the demo (throughput) or a real app jar with its arguments.
app_args() { # app
  case "$1" in
    demo) echo "--demo" ;;
    spring) echo "$SPRING_JAR" ;;
    wiremock) echo "$WIREMOCK_JAR --port {port} --bind-address 127.0.0.1 --disable-banner --root-dir $BENCH/wiremock --no-request-journal" ;;
  esac
}

runner_conf() { # app mode -> path of its config file
  local conf=$OUT/runner-$1-$2.conf
  {
    echo "actor-runner {"
    echo "  worker-ports = \"$RUNNER_WORKER_PORTS\""
    echo "  jvm-options = [\"$JVM_OPT\"]"
    echo "  io-threads = 1"
    echo "  mode = $2"
    if [[ -n $RUNNER_TRANSPORT ]]; then echo "  transport = $RUNNER_TRANSPORT"; fi
    if [[ $1 != demo ]]; then
      echo "  ready = \"http:/\""
      echo "  ready-timeout = 120s"
      echo "  drain-timeout = 30s"
      echo "  metrics = \"127.0.0.1:$METRICS_PORT\""
    fi
    echo "}"
  } >"$conf"
  echo "$conf"
}

RUNNER_LOG=""
start_runner() { # app mode logname
  local conf i
  conf=$(runner_conf "$1" "$2")
  RUNNER_LOG=$OUT/$3.log
  : >"$RUNNER_LOG"
  # shellcheck disable=SC2046,SC2086
  "${SIGRESET[@]}" java $JVM_OPT -jar "$JAR" -c "$conf" -w 2 -p "$RUNNER_PORT" ${RUNNER_ARGS:-} $(app_args "$1") \
    >"$RUNNER_LOG" 2>&1 &
  RUNNER_PID=$!
  for ((i = 0; i < 1200; i++)); do   # 240 s: two Spring Boot workers on a busy machine
    alive "$RUNNER_PID" || { tail -20 "$RUNNER_LOG" >&2; die "runner exited while starting (log: $RUNNER_LOG)"; }
    if grep -q '(2 of 2 ready)' "$RUNNER_LOG" && http_ok "$RUNNER_PORT"; then return 0; fi
    sleep 0.2
  done
  die "runner not ready after 240s (log: $RUNNER_LOG)"
}

# ---- the commands used --------------------------------------------------------------------------
echo "== actor-runner http mode benchmark  $(date -u +'%Y-%m-%d %H:%M:%S UTC')  $(nproc) cpus, load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "   $(java -version 2>&1 | head -1); $(wrk --version 2>&1 | head -1 | cut -d' ' -f1-2); $(haproxy -v | head -1 | cut -d' ' -f1-3)"
echo "   jar: $JAR ($(date -u -r "$JAR" +'%Y-%m-%d %H:%M UTC'))"
if [[ -n $STALE ]]; then echo "   WARNING: sources newer than the jar, e.g. $(echo $STALE): rebuild with --build"; fi
echo "   logs and raw wrk output: $OUT"
echo "commands:"
if [[ $DO_RELOAD == 1 ]]; then
  echo "   runner:   java $JVM_OPT -jar $JAR -c $OUT/runner-APP-MODE.conf -w 2 -p $RUNNER_PORT ${RUNNER_ARGS:+$RUNNER_ARGS }APP"
  echo "             conf: actor-runner { worker-ports = \"$RUNNER_WORKER_PORTS\", jvm-options = [\"$JVM_OPT\"], io-threads = 1, mode = MODE,"
  echo "                   ready = \"http:/\", ready-timeout = 120s, drain-timeout = 30s, metrics = \"127.0.0.1:$METRICS_PORT\" }"
  for a in $APPS; do
    printf '             APP %-8s = %s\n' "$a" "$(app_args "$a")"
  done
  echo "             spring: Spring Boot 3.5.7, spring-boot-starter-web, server.shutdown=graceful, timeout-per-shutdown-phase=20s (bench/http/spring-hello)"
  echo "             wiremock: stub GET / -> 200 \"hello\" (bench/http/wiremock/mappings/hello.json)"
  echo "   reloads:  per app and mode: warm-up ${APP_WARMUP}s, steady state $(wrk_cmd "$STEADY" "$RUNNER_PORT"),"
  echo "             then $(wrk_cmd "$MAX_SECONDS" "$RUNNER_PORT") in the background,"
  echo "             $RELOADS x (kill -HUP runner; wait for 'Master: reload N completed'),"
  echo "             wait for the replaced workers to exit (bounded 60 s), then kill -INT wrk (it prints its summary)"
fi
if [[ $DO_THROUGHPUT == 1 ]]; then
  echo "   workers:  PORT=$W1_PORT java $JVM_OPT -cp $JAR dev.actorrunner.demo.HelloServer   (and PORT=$W2_PORT)"
  echo "   haproxy:  haproxy -db -f $HAPROXY_CFG   (mode http, http-keep-alive, http-reuse always, forwardfor, roundrobin"
  echo "             over 127.0.0.1:$W1_PORT and :$W2_PORT, nbthread 1, bind 127.0.0.1:$HAPROXY_PORT)"
  echo "   runner:   java $JVM_OPT -jar $JAR -c $OUT/runner-demo-$THROUGHPUT_MODE.conf -w 2 -p $RUNNER_PORT ${RUNNER_ARGS:+$RUNNER_ARGS }--demo"
  echo "             conf: actor-runner { worker-ports = \"$RUNNER_WORKER_PORTS\", jvm-options = [\"$JVM_OPT\"], io-threads = 1, mode = $THROUGHPUT_MODE${RUNNER_TRANSPORT:+, transport = $RUNNER_TRANSPORT} }"
  echo "   load:     $(wrk_cmd "$DURATION" PORT)   ($ROUNDS rounds interleaved; warm-up ${WARMUP}s each, $((2 * WARMUP))s for the runner; direct = $W1_PORT only)"
  echo "   CPU:      utime+stime of the proxy process from /proc/PID/stat around each run, / requests (CLK_TCK $CLK_TCK)"
fi
echo

# ---- reloads under load with real apps (run second) ---------------------------------------------
RELOAD_RESULTS=$OUT/reload.tsv   # app mode run reqs rps p50 p99 connect read write timeout non2xx reload_ms_median reload_ms_max max_ms
: >"$RELOAD_RESULTS"


record_load() { # app mode run wrkfile [median max]
  parse_wrk "$4"
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$REQS" "$RPS" "$P50" "$P99" \
    "$E_CONNECT" "$E_READ" "$E_WRITE" "$E_TIMEOUT" "$NON2XX" "${5:--}" "${6:--}" "$MAXLAT" >>"$RELOAD_RESULTS"
}

LOAD_HEAD='%-24s %10s %9s %9s %10s %10s %8s %8s %8s %8s %8s %14s\n'
load_head() { printf "$LOAD_HEAD" run requests req/s p50_ms p99_ms max_ms connect read write timeout non2xx "reload_ms med/max"; }
print_load() { # app mode
  awk -F'\t' -v a="$1" -v m="$2" '$1 == a && $2 == m {
    printf "%-24s %10s %9.0f %9.3f %10.3f %10.3f %8s %8s %8s %8s %8s %14s\n", a " " m " " $3, $4, $5, $6, $7, $15, $8, $9, $10, $11, $12,
      ($13 == "-" ? "" : $13 "/" $14) }' "$RELOAD_RESULTS"
}

metrics_line() { # the runner's own counters, from its Prometheus endpoint
  curl -s -m 2 "http://127.0.0.1:$METRICS_PORT/metrics" 2>/dev/null \
    | awk '/^actor_runner_(connections_accepted|connect_retries|queue_waits|restarts|reloads_aborted)[a-z_]*(\{[^}]*\})? / {
        printf "%s%s %s", (n++ ? ", " : ""), $1, $2 }'
}

report_log() {
  echo "-- runner log: $RUNNER_LOG"
  local n
  n=$(grep -cE ' (WARN|ERROR) ' "$RUNNER_LOG" || true)
  echo "   runner WARN/ERROR lines: $n"
  grep -E ' (WARN|ERROR) ' "$RUNNER_LOG" | head -20 | sed 's/^/     /' || true
  echo "   workers that left rotation with connections still open, drain timeouts:"
  grep -E 'leaves rotation: draining [1-9][0-9]* connection|still has [0-9]+ connection' "$RUNNER_LOG" | head -10 \
    | sed 's/^/     /' || echo "     none"
  echo "   replaced workers' exits: $(grep -oE 'exited after stop: .*' "$RUNNER_LOG" | sed 's/exited after stop: //' | sort | uniq -c \
    | awk '{ c = $1; $1 = ""; printf "%s%s x%s", (n++ ? ", " : ""), substr($0, 2), c }')"
  echo "   other exits, crashes, cut-off requests:"
  grep -E 'exited|crashed|were cut off|aborted' "$RUNNER_LOG" | grep -vE 'exited after stop: (exit code 0|signal 15 \(TERM\)|exit code 143)$' \
    | head -10 | sed 's/^/     /' || echo "     none"
  echo "   worker output with ERROR/Exception (first 10 of $(grep -cE '^[0-9:.]+ \[worker [0-9]+ pid [0-9]+( stderr)?\].*(ERROR|Exception)' "$RUNNER_LOG" || true)):"
  grep -E '^[0-9:.]+ \[worker [0-9]+ pid [0-9]+( stderr)?\].*(ERROR|Exception)' "$RUNNER_LOG" | head -10 | cut -c1-220 \
    | sed 's/^/     /' || echo "     none"
  echo "   runner counters: $(metrics_line)"
}

reload_run() { # app mode
  local app=$1 mode=$2 f steady i start_s end_s gone0 want waited note="" ms=()
  log "reload: $app under actor-runner, $mode mode: starting"
  start_runner "$app" "$mode" "runner-reload-$app-$mode"
  log "reload: $app $mode: warm-up ${APP_WARMUP}s, steady state ${STEADY}s"
  run_wrk "$APP_WARMUP" "$RUNNER_PORT" "$OUT/warmup-$app-$mode.txt"
  steady=$OUT/wrk-steady-$app-$mode.txt
  run_wrk "$STEADY" "$RUNNER_PORT" "$steady"
  record_load "$app" "$mode" "steady ${STEADY}s" "$steady"

  f=$OUT/wrk-reloads-$app-$mode.txt
  gone0=$(count 'exited after stop:')
  log "reload: $app $mode: load with $RELOADS SIGHUPs, each after the previous reload completed"
  echo "== $app, $mode mode: $RELOADS reloads under load"
  # shellcheck disable=SC2046
  timeout -k 5 $((MAX_SECONDS + 60)) $(wrk_cmd "$MAX_SECONDS" "$RUNNER_PORT") >"$f" 2>&1 &
  WRK_PID=$!
  start_s=$(date +%s.%N)
  sleep 2
  for ((i = 1; i <= RELOADS; i++)); do
    hup_and_wait 300
    ms+=("$RELOAD_MS")
    alive "$WRK_PID" || note+=" (wrk had ended before SIGHUP $i)"
    printf '   SIGHUP %2d -> %6d ms  %s\n' "$i" "${ms[-1]}" "${RELOAD_LINE#* INFO  }"
  done
  # The last replaced workers get SIGTERM only once drained: keep the load on until they are gone.
  want=$((gone0 + 2 * RELOADS)) waited=0
  while (( $(count 'exited after stop:') < want && waited < 600 )); do sleep 0.1; waited=$((waited + 1)); done
  sleep 1
  end_s=$(date +%s.%N)
  kill -INT "$WRK_PID" 2>/dev/null || true
  wait "$WRK_PID" 2>/dev/null || log "wrk exited with $? (see $f)"
  WRK_PID=""
  echo "   $RELOADS reloads in $(awk -v a="$start_s" -v b="$end_s" 'BEGIN {printf "%.1f", b - a}') s of load" \
    "(2 s before the first SIGHUP; load kept until $(( $(count 'exited after stop:') - gone0 )) of $((2 * RELOADS)) replaced workers had exited, +1 s)$note"
  record_load "$app" "$mode" "$RELOADS reloads" "$f" \
    "$(printf '%s\n' "${ms[@]}" | sort -n | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : int((v[NR / 2] + v[NR / 2 + 1]) / 2)}')" \
    "$(printf '%s\n' "${ms[@]}" | sort -n | tail -1)"
  echo "-- $app, $mode mode: 64 keep-alive connections"
  load_head
  print_load "$app" "$mode"
  report_log
  echo
  stop_runner
}

reload_summary() {
  echo "== summary: reloads under load ($RELOADS reloads each, wrk -t1 -c$CONNS keep-alive, --timeout $WRK_TIMEOUT)"
  echo "   failed = wrk socket errors connect+read+write+timeout; of those, lost = connect+read+write (a connection"
  echo "   broke, the request got no response) and slow = timeout (over $WRK_TIMEOUT; wrk counts a late response as one too)"
  printf '%-9s %-5s %9s %7s %6s %6s %7s %11s %11s %10s %15s  %s\n' app mode requests failed lost slow non2xx \
    p99_steady p99_reload max_reload "reload_ms med/max" "verdict (http target: 0 failed, 0 non-2xx)"
  local a m
  for a in $APPS; do
    for m in $MODES; do
      awk -F'\t' -v a="$a" -v m="$m" '
        $1 == a && $2 == m && $3 ~ /^steady/ { ps = $7 }
        $1 == a && $2 == m && $3 ~ /reloads$/ { found = 1; req = $4; lost = $8 + $9 + $10; slow = $11; non = $12; pr = $7; mx = $15
          rm = $13 "/" $14 }
        END { if (!found) exit
              if (m != "http") v = "reference"
              else if (lost + slow + non == 0) v = "OK"
              else if (lost + non == 0) v = "FAIL, but only slow requests: none lost"
              else v = "FAIL"
              printf "%-9s %-5s %9s %7s %6s %6s %7s %11.1f %11.1f %10.1f %15s  %s\n", a, m, req, lost + slow, lost, slow, non, ps, pr, mx, rm, v }' "$RELOAD_RESULTS"
    done
  done
  echo "   (latencies in ms)"
  echo
}

# ---- throughput, http mode vs HAProxy mode http (run first) -------------------------------------
RESULTS=$OUT/throughput.tsv   # round target rps p50 p99 cpu_us_per_req cpu_s rss_mib reqs errors non2xx workers_cpu_s
: >"$RESULTS"

measure() { # round target port [pid]
  local round=$1 target=$2 port=$3 pid=${4:-} f t0=0 t1=0 cpu_s=- cpu_us=- rss=- w ws=() w0=() split=""
  f=$OUT/wrk-r$round-$target.txt
  # The workers behind the target, to see how the load was split between them.
  case $target in
    direct) ws=("${DIRECT_PIDS[0]}") ;;
    haproxy) ws=("${DIRECT_PIDS[@]}") ;;
    runner) mapfile -t ws < <(runner_workers) ;;
  esac
  for w in "${ws[@]}"; do w0+=("$(cpu_ticks "$w")"); done
  [[ -n $pid ]] && t0=$(cpu_ticks "$pid")
  [[ $target == runner ]] && thread_ticks "$pid" >"$f.threads0"
  local m0 m1
  m0=$(machine_ticks)
  run_wrk "$DURATION" "$port" "$f"
  m1=$(machine_ticks)
  [[ $target == runner ]] && thread_ticks "$pid" >"$f.threads1"
  for ((w = 0; w < ${#ws[@]}; w++)); do
    split+=${split:++}$(awk -v d=$(( $(cpu_ticks "${ws[w]}") - w0[w] )) -v h="$CLK_TCK" 'BEGIN {printf "%.1f", d / h}')
  done
  if [[ -n $pid ]]; then
    t1=$(cpu_ticks "$pid")
    rss=$(awk -v k="$(rss_kb "$pid")" 'BEGIN {printf "%.0f", k / 1024}')
  fi
  parse_wrk "$f"
  machine_record "$OUT/machine.tsv" "$target" "$m0" "$m1" "$REQS"
  if [[ -n $pid ]]; then
    cpu_s=$(awk -v d=$((t1 - t0)) -v h="$CLK_TCK" 'BEGIN {printf "%.2f", d / h}')
    cpu_us=$(awk -v d=$((t1 - t0)) -v h="$CLK_TCK" -v n="$REQS" 'BEGIN {printf "%.2f", (n > 0) ? d / h * 1e6 / n : 0}')
  fi
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$round" "$target" "$RPS" "$P50" "$P99" \
    "$cpu_us" "$cpu_s" "$rss" "$REQS" $((E_CONNECT + E_READ + E_WRITE + E_TIMEOUT)) "$NON2XX" "${split:--}" >>"$RESULTS"
}

TABLE_HEAD='%-9s %10s %9s %9s %12s %10s %8s %8s %8s  %s\n'
table_head() { printf "$TABLE_HEAD" target req/s p50_ms p99_ms cpu_us/req cpu_s rss_MiB errors non2xx "workers' cpu_s"; }

print_round() { # round
  table_head
  awk -F'\t' -v r="$1" '$1 == r {
    printf "%-9s %10.0f %9.3f %9.3f %12s %10s %8s %8s %8s  %s\n", $2, $3, $4, $5, $6, $7, $8, $10, $11, $12 }' "$RESULTS"
}

median() { # target column
  awk -F'\t' -v t="$1" -v c="$2" '$2 == t && $c != "-" { v[n++] = $c + 0 }
    END { if (n == 0) { print "-"; exit }
          for (i = 0; i < n; i++) for (j = i + 1; j < n; j++) if (v[j] < v[i]) { x = v[i]; v[i] = v[j]; v[j] = x }
          m = (n % 2) ? v[int(n / 2)] : (v[n / 2 - 1] + v[n / 2]) / 2; print m }' "$RESULTS"
}

total() { # target column: sum over the rounds
  awk -F'\t' -v t="$1" -v c="$2" '$2 == t { s += $c } END { print s + 0 }' "$RESULTS"
}

thread_report() { # wrk file of a runner run: its busiest threads, seconds of CPU each
  join <(sort "$1.threads0") <(sort "$1.threads1") 2>/dev/null \
    | awk -v h="$CLK_TCK" '{ d = $4 - $2; if (d > 0) { sum[$5] += d } }
        END { for (n in sum) printf "%s %.2f\n", n, sum[n] / h }' \
    | sort -k2 -gr | head -5 | awk '{ printf "%s%s %ss", (NR > 1 ? ", " : ""), $1, $2 }'
}

throughput() {
  local r t
  log "throughput: starting the two standalone demo workers on $W1_PORT and $W2_PORT, haproxy (mode http) and actor-runner ($THROUGHPUT_MODE mode)"
  start_direct_workers
  start_haproxy
  start_runner demo "$THROUGHPUT_MODE" "runner-throughput-$THROUGHPUT_MODE"
  log "warm-up ${WARMUP}s each, the runner $((2 * WARMUP))s"
  run_wrk "$WARMUP" "$W1_PORT" "$OUT/warmup-direct.txt"
  run_wrk "$WARMUP" "$HAPROXY_PORT" "$OUT/warmup-haproxy.txt"
  run_wrk $((2 * WARMUP)) "$RUNNER_PORT" "$OUT/warmup-runner.txt"
  echo "== throughput: actor-runner $THROUGHPUT_MODE mode (io-threads 1) vs HAProxy mode http (nbthread 1); direct = one worker"
  for ((r = 1; r <= ROUNDS; r++)); do
    log "round $r/$ROUNDS"
    measure "$r" direct "$W1_PORT"
    measure "$r" haproxy "$HAPROXY_PORT" "$HAPROXY_PID"
    measure "$r" runner "$RUNNER_PORT" "$RUNNER_PID"
    echo "-- round $r"
    print_round "$r"
  done
  echo "-- median of $ROUNDS (errors and non2xx: sums)"
  table_head
  for t in direct haproxy runner; do
    printf '%-9s %10.0f %9.3f %9.3f %12s %10s %8s %8s %8s\n' "$t" "$(median $t 3)" "$(median $t 4)" \
      "$(median $t 5)" "$(median $t 6)" "$(median $t 7)" "$(median $t 8)" "$(total $t 10)" "$(total $t 11)"
  done
  echo "-- ratios (medians)"
  echo "   runner/HAProxy req/s        $(ratio "$(median runner 3)" "$(median haproxy 3)")   (target >= 1.0x)"
  echo "   runner/direct  req/s        $(ratio "$(median runner 3)" "$(median direct 3)")"
  echo "   HAProxy/direct req/s        $(ratio "$(median haproxy 3)" "$(median direct 3)")   (issue 4 measured ~0.7x)"
  echo "   runner/HAProxy p50          $(ratio "$(median runner 4)" "$(median haproxy 4)")"
  echo "   runner/HAProxy p99          $(ratio "$(median runner 5)" "$(median haproxy 5)")   (target <= 1.25x)"
  echo "   runner/HAProxy CPU/request  $(ratio "$(median runner 6)" "$(median haproxy 6)")   (target <= 1.0x)"
  local mh mr
  mh=$(machine_median "$OUT/machine.tsv" haproxy) mr=$(machine_median "$OUT/machine.tsv" runner)
  echo "   machine CPU/request (wrk + workers + proxy, us): direct $(machine_median "$OUT/machine.tsv" direct), HAProxy $mh, runner $mr; runner/HAProxy $(ratio "$mr" "$mh")"
  echo "   runner threads by CPU in the last round: $(thread_report "$OUT/wrk-r$ROUNDS-runner.txt")"
  echo "   runner RSS after the last run: $(awk -v k="$(rss_kb "$RUNNER_PID")" 'BEGIN {printf "%.0f", k / 1024}') MiB"
  echo "   runner WARN/ERROR lines: $(grep -cE ' (WARN|ERROR) ' "$RUNNER_LOG" || true) (log: $RUNNER_LOG)"
  echo
  stop_runner
  stop_haproxy
  for p in "${PIDS[@]}"; do stop_pid "$p" 5; done
  PIDS=()
}

# ---- run ----------------------------------------------------------------------------------------
[[ $DO_THROUGHPUT == 1 ]] && throughput
if [[ $DO_RELOAD == 1 ]]; then
  for a in $APPS; do
    for m in $MODES; do reload_run "$a" "$m"; done
  done
  reload_summary
fi
log "done"
