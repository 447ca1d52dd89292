#!/usr/bin/env bash
# Benchmark of deploys under load (issue 12): what a client sees while the workers are replaced,
# for the runner's modes with and without slow start, beside HAProxy rolling two workers by script.
# Per variant: a run with reloads and a no-reload run of the same length, under C kept-alive
# connections of bench/deploy/Load.java (one request outstanding each, 2 s timeout).
#
#   bench/deploy.sh                      every default variant, demo app, 3 reloads, 32 connections
#   bench/deploy.sh --quick --force      short runs to check the script (6 s, 1 reload, 2 s warm-up)
#   bench/deploy.sh --app spring         the Spring Boot app of bench/http.sh instead of the demo
#   options:
#     --variants LIST    comma-separated, in this order (default: default,default-ss0,http,http-ss0,tcp,haproxy)
#                          default      the runner with no mode flag (its defaults: auto mode, slow start 10s)
#                          default-ss0  ... --slow-start 0s
#                          http, http-ss0, tcp, tcp-ss0, auto, auto-ss0   --mode M [--slow-start 0s]
#                          haproxy      HAProxy (mode http, keep-alive, roundrobin) over 2 standalone
#                                       workers, rolled by this script through its runtime API
#     --duration S       shortest length of each run (30); a reload run goes on until --tail S after
#                        its last reload completed, and its no-reload run then lasts as long
#     --reloads N        reloads per reload run (3); for haproxy one scripted roll is one reload
#     --first-reload S   first reload S seconds into the run (5)
#     --reload-every S   the next ones every S seconds (8), but never before the previous completed
#     --tail S           load kept after the last reload completed (3)
#     --warmup S         load before each run (10): on the fresh workers, and again before the
#                        no-reload run, on the last generation of the reload run
#     --conns C          kept-alive connections (32)
#     --app demo|spring  the app (demo)
#     --force            run even if the 1-minute load average is >= 1 (figures then mean little)
#     -h, --help
#
# Per run: requests, failed (connect/read/timeout/non-2xx), req/s, p50/p99/max latency, the worker
# pids that answered ("hello from pid N"), and per reload whether each new worker answered on a
# connection opened before the reload, within 2 s of the reload completing (the runner's
# "reload N completed"; for haproxy, the end of the roll). Then a per-second view around the first
# reload (2 s before to 10 s after) and a summary with ratios reload/no-reload against targets.
#
# Everything listens on 127.0.0.1; every process the script starts is stopped on exit; the whole
# run is bounded (MAX_SECONDS, default 3600). Needs root for apt-get if haproxy or socat are
# missing (only with the haproxy variant). Raw outputs go to a mktemp directory it names.
# Environment: JAR (target/actor-runner.jar, built with mvn when missing), MAX_SECONDS,
# RUNNER_PORT (30280), HAPROXY_PORT (30281), DIRECT_PORTS ("30283 30284", haproxy's workers),
# RUNNER_WORKER_PORTS ("26000-26999": apart from the other benches', below the ephemeral range),
# RUNNER_ARGS (more runner flags, for every runner variant), JVM_OPT (-Xmx256m: the runner's and
# every worker's heap), LOAD_JAVA_OPTS (-Xmx512m), LOAD_TIMEOUT_MS (2000), RELOAD_TIMEOUT (180 s
# per reload), DRAIN_WAIT (30 s: haproxy roll, wait for a drained server's sessions to reach 0),
# HAPROXY_NBTHREAD (unset: HAProxy's default, one thread per CPU).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# ---- options ------------------------------------------------------------------------------------
DURATION=30 RELOADS=3 FIRST=5 EVERY=8 TAIL=3 WARMUP=10 CONNS=32 APP=demo FORCE=0
VARIANTS="default,default-ss0,http,http-ss0,tcp,haproxy"
SERVED_WITHIN=2   # seconds after a reload completed by which each new worker must have answered
while [[ $# -gt 0 ]]; do
  case "$1" in
    --quick) DURATION=6 RELOADS=1 FIRST=2 WARMUP=2 ;;
    --variants) VARIANTS="$2"; shift ;;
    --duration) DURATION="$2"; shift ;;
    --reloads) RELOADS="$2"; shift ;;
    --first-reload) FIRST="$2"; shift ;;
    --reload-every) EVERY="$2"; shift ;;
    --tail) TAIL="$2"; shift ;;
    --warmup) WARMUP="$2"; shift ;;
    --conns) CONNS="$2"; shift ;;
    --app) APP="$2"; shift ;;
    --force) FORCE=1 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "deploy.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
VARIANTS=${VARIANTS//,/ }
for v in $VARIANTS; do
  case $v in
    default|default-ss0|http|http-ss0|tcp|tcp-ss0|auto|auto-ss0|haproxy) ;;
    *) echo "deploy.sh: unknown variant $v (see --help)" >&2; exit 2 ;;
  esac
done
[[ $APP == demo || $APP == spring ]] || { echo "deploy.sh: unknown app $APP (demo or spring)" >&2; exit 2; }
for n in "$DURATION" "$RELOADS" "$FIRST" "$EVERY" "$TAIL" "$WARMUP" "$CONNS"; do
  [[ $n =~ ^[0-9]+$ ]] || { echo "deploy.sh: $n: expected a whole number" >&2; exit 2; }
done
(( DURATION > 0 && CONNS > 0 )) || { echo "deploy.sh: --duration and --conns must be > 0" >&2; exit 2; }

# The project's rule: measure only on a quiet machine.
LOADAVG=$(cut -d' ' -f1 /proc/loadavg)
if awk -v l="$LOADAVG" 'BEGIN { exit !(l >= 1) }'; then
  if [[ $FORCE == 1 ]]; then
    echo "WARNING: 1-minute load average $LOADAVG >= 1: running anyway (--force); these figures mean little" >&2
  else
    echo "deploy.sh: 1-minute load average is $LOADAVG (>= 1): measure on a quiet machine, or pass --force" >&2
    exit 1
  fi
fi

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
JAR=${JAR:-target/actor-runner.jar}
MAX_SECONDS=${MAX_SECONDS:-3600}
RUNNER_PORT=${RUNNER_PORT:-30280}
HAPROXY_PORT=${HAPROXY_PORT:-30281}
read -r W1_PORT W2_PORT <<<"${DIRECT_PORTS:-30283 30284}"
RUNNER_WORKER_PORTS=${RUNNER_WORKER_PORTS:-26000-26999}
JVM_OPT=${JVM_OPT:--Xmx256m}
LOAD_JAVA_OPTS=${LOAD_JAVA_OPTS:--Xmx512m}
LOAD_TIMEOUT_MS=${LOAD_TIMEOUT_MS:-2000}
RELOAD_TIMEOUT=${RELOAD_TIMEOUT:-180}
DRAIN_WAIT=${DRAIN_WAIT:-30}
HAPROXY_NBTHREAD=${HAPROXY_NBTHREAD:-}
LOAD_SRC=bench/deploy/Load.java
SPRING_JAR=$ROOT/bench/http/target/spring-hello/spring-hello.jar
OUT=$(mktemp -d /tmp/actor-runner-deploy-bench.XXXXXX)
HAS_HAPROXY=0
[[ " $VARIANTS " == *" haproxy "* ]] && HAS_HAPROXY=1

# ---- cleanup: everything started is stopped on exit (PIDS: haproxy and its workers) -------------
RUNNER_PID=""    # at most one runner at a time
RUNNER_LOG=""

all_descendants() { # pid: its children, grandchildren, ...
  local c
  for c in $(pgrep -P "$1" 2>/dev/null || true); do echo "$c"; all_descendants "$c"; done
}

stop_runner() {
  local pid=$RUNNER_PID kids k
  [[ -n $pid ]] || return 0
  RUNNER_PID=""
  kids=$(all_descendants "$pid")
  stop_pid "$pid" 45   # graceful: drains its workers and exits
  wait "$pid" 2>/dev/null || true
  # Its workers die with it (pdeathsig); make sure anyway.
  for k in $kids; do alive "$k" && kill -KILL "$k" 2>/dev/null; done
  return 0
}

bench_exit_path

# ---- prerequisites ------------------------------------------------------------------------------
command -v java >/dev/null || die "java not found"
[[ $HAS_HAPROXY == 1 ]] && need_commands haproxy socat
if [[ ! -f $JAR ]]; then
  command -v mvn >/dev/null || die "$JAR missing and mvn not found"
  log "building $JAR"
  mvn -B -q package -DskipTests >"$OUT/build-runner.log" 2>&1 || die "build failed (see $OUT/build-runner.log)"
fi
[[ -f $JAR ]] || die "$JAR not found"
[[ -f $LOAD_SRC ]] || die "$LOAD_SRC not found"
STALE=$(find src/main pom.xml -newer "$JAR" -type f 2>/dev/null | head -3 || true)

if [[ $APP == spring ]]; then   # built as bench/http.sh builds it, through Maven Central only
  if [[ ! -f $SPRING_JAR || -n $(find bench/http/spring-hello -newer "$SPRING_JAR" -type f 2>/dev/null | head -1) ]]; then
    command -v mvn >/dev/null || die "mvn not found (needed to build $SPRING_JAR)"
    log "building the Spring Boot hello app (bench/http/spring-hello -> $SPRING_JAR)"
    mvn -B -q -f bench/http/spring-hello/pom.xml package -DskipTests >"$OUT/build-spring.log" 2>&1 \
      || die "Spring Boot app build failed (see $OUT/build-spring.log)"
  fi
  [[ -f $SPRING_JAR ]] || die "$SPRING_JAR not built"
fi

for p in "$RUNNER_PORT" "$HAPROXY_PORT" "$W1_PORT" "$W2_PORT"; do
  if [[ -n $(ss -Hltn "sport = :$p" 2>/dev/null) ]]; then die "port $p is already in use"; fi
done

# ---- helpers ------------------------------------------------------------------------------------
# A signal ignored when the script started (nohup ignores HUP) would stay ignored in the runner,
# whose reload then never fires: start Java with the default disposition.
SIGRESET=()
if env --default-signal=HUP true 2>/dev/null; then SIGRESET=(env --default-signal=HUP,INT); fi

now_ms() { date +%s%3N; }
sleep_until() { # epoch ms
  local d=$(($1 - $(now_ms)))
  (( d > 0 )) && sleep "$(awk -v d="$d" 'BEGIN { printf "%.3f", d / 1000 }')"
  return 0
}
rel() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%+.2f", (a - b) / 1000 }'; } # ms a - ms b, in s

# ---- the variants -------------------------------------------------------------------------------
variant_flags() { # the runner flags of a variant
  case $1 in
    default) echo "" ;;
    default-ss0) echo "--slow-start 0s" ;;
    *-ss0) echo "--mode ${1%-ss0} --slow-start 0s" ;;
    *) echo "--mode $1" ;;
  esac
}

app_args() { # the runner's app arguments (after its flags)
  case $APP in
    demo) echo "--demo" ;;
    spring) echo "--ready http:/ --ready-timeout 120s --drain-timeout 30s $SPRING_JAR" ;;
  esac
}

runner_cmd() { # variant: the runner's command line, as run
  local f
  f=$(variant_flags "$1")
  echo "java $JVM_OPT -jar $JAR -w 2 -p $RUNNER_PORT --worker-ports $RUNNER_WORKER_PORTS --jvm-opt=$JVM_OPT${f:+ $f}${RUNNER_ARGS:+ $RUNNER_ARGS} $(app_args)"
}

worker_cmd() { # port: a standalone worker behind haproxy, as run
  case $APP in
    demo) echo "PORT=$1 java $JVM_OPT -cp $JAR dev.actorrunner.demo.HelloServer" ;;
    spring) echo "PORT=$1 java $JVM_OPT -jar $SPRING_JAR" ;;
  esac
}

load_cmd() { # prefix seconds [stop-file]
  echo "java $LOAD_JAVA_OPTS $LOAD_SRC -p PORT -c $CONNS -d $2 --timeout-ms $LOAD_TIMEOUT_MS -o $1${3:+ --stop-file $3}"
}

start_runner() { # variant
  local i
  RUNNER_LOG=$OUT/runner-$1.log
  : >"$RUNNER_LOG"
  # shellcheck disable=SC2046
  "${SIGRESET[@]}" $(runner_cmd "$1") >"$RUNNER_LOG" 2>&1 &
  RUNNER_PID=$!
  for ((i = 0; i < 1200; i++)); do   # 240 s: two Spring Boot workers on a busy machine
    alive "$RUNNER_PID" || { tail -20 "$RUNNER_LOG" >&2; die "runner exited while starting (log: $RUNNER_LOG)"; }
    if grep -q '(2 of 2 ready)' "$RUNNER_LOG" && http_ok "$RUNNER_PORT"; then return 0; fi
    sleep 0.2
  done
  die "runner not ready after 240s (log: $RUNNER_LOG)"
}

# ---- haproxy and its two workers ----------------------------------------------------------------
HAPROXY_PID=""
HAPROXY_CFG=$OUT/haproxy.cfg
HAPROXY_SOCK=$OUT/haproxy.sock
HA_PIDS=("" "")                      # the current worker on W1_PORT, on W2_PORT
HA_PORTS=("$W1_PORT" "$W2_PORT")
HA_SEQ=0

start_ha_worker() { # index (0 or 1)
  local port=${HA_PORTS[$1]} pid
  HA_SEQ=$((HA_SEQ + 1))
  # shellcheck disable=SC2046
  "${SIGRESET[@]}" env $(worker_cmd "$port") >"$OUT/haproxy-worker-$HA_SEQ-$port.log" 2>&1 &
  pid=$!
  PIDS+=("$pid")
  HA_PIDS[$1]=$pid
  wait_http "$port" 180 "worker on port $port" "$pid"
}

hactl() { printf '%s\n' "$1" | socat -t 2 stdio "unix-connect:$HAPROXY_SOCK"; }

ha_scur() { # server name: its current sessions
  hactl "show stat" | awk -F, -v s="$1" '$1 == "be" && $2 == s { print $5 }'
}

start_haproxy() {
  cat >"$HAPROXY_CFG" <<EOF
global
    maxconn 4096
    stats socket $HAPROXY_SOCK mode 600 level admin
${HAPROXY_NBTHREAD:+    nbthread $HAPROXY_NBTHREAD}
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
    default_backend be
backend be
    balance roundrobin
    server w1 127.0.0.1:$W1_PORT
    server w2 127.0.0.1:$W2_PORT
EOF
  haproxy -c -q -f "$HAPROXY_CFG" || die "haproxy rejects $HAPROXY_CFG"
  start_ha_worker 0
  start_ha_worker 1
  haproxy -db -f "$HAPROXY_CFG" >"$OUT/haproxy.log" 2>&1 &
  HAPROXY_PID=$!
  PIDS+=("$HAPROXY_PID")
  wait_http "$HAPROXY_PORT" 20 "haproxy" "$HAPROXY_PID"
}

stop_haproxy() {
  local i
  stop_pid "$HAPROXY_PID" 5; wait "$HAPROXY_PID" 2>/dev/null || true; HAPROXY_PID=""
  for i in 0 1; do stop_pid "${HA_PIDS[$i]}" 30; wait "${HA_PIDS[$i]}" 2>/dev/null || true; HA_PIDS[i]=""; done
}

# One roll = one reload: per worker, drain it in haproxy, wait for its sessions to end (bounded),
# SIGTERM it and wait, start a new one on the same port, wait for it to answer, set it ready.
# Sets ROLL_PIDS (the new workers) and ROLL_NOTE.
haproxy_roll() {
  local i s old t0
  ROLL_PIDS=() ROLL_NOTE=""
  for i in 0 1; do
    s=w$((i + 1))
    old=${HA_PIDS[$i]}
    hactl "set server be/$s state drain" >/dev/null || die "haproxy's runtime API failed ($HAPROXY_SOCK)"
    t0=$(now_ms)
    while [[ $(ha_scur "$s") != 0 ]]; do
      if (( $(now_ms) - t0 > DRAIN_WAIT * 1000 )); then ROLL_NOTE+=" $s still had sessions after ${DRAIN_WAIT}s;"; break; fi
      sleep 0.05
    done
    stop_pid "$old" 30
    wait "$old" 2>/dev/null || true
    start_ha_worker "$i"
    ROLL_PIDS+=("${HA_PIDS[$i]}")
    hactl "set server be/$s state ready" >/dev/null || die "haproxy's runtime API failed ($HAPROXY_SOCK)"
  done
}

# ---- one load run -------------------------------------------------------------------------------
RUNS=$OUT/runs.tsv   # variant kind secs requests ok failed connect read timeout non2xx stale rps p50 p99 max pids gens_ok gens
: >"$RUNS"

# load_run VARIANT KIND SECONDS PORT: KIND warmup, steady (no reload) or reload. A reload run lasts
# SECONDS at least, and until TAIL s after its last reload completed. Sets RUN_SECS.
load_run() {
  local v=$1 kind=$2 secs=$3 port=$4 prefix k t0 start h c line gen status pids maxd i stopf=""
  prefix=$OUT/$v-$kind
  maxd=$secs
  if [[ $kind == reload ]]; then
    stopf=$prefix.stop
    maxd=$((secs + FIRST + RELOADS * (EVERY + RELOAD_TIMEOUT) + TAIL + 60))
  fi
  rm -f "$prefix".*
  # shellcheck disable=SC2046
  timeout -k 5 $((maxd + 60)) $(load_cmd "$prefix" "$maxd" "$stopf" | sed "s/ -p PORT / -p $port /") \
    >"$prefix.out" 2>"$prefix.err" &
  WRK_PID=$!
  for ((i = 0; i < 600; i++)); do
    [[ -s $prefix.started ]] && break
    alive "$WRK_PID" || { cat "$prefix.err" >&2; die "the load client exited while starting (see $prefix.err)"; }
    sleep 0.1
  done
  [[ -s $prefix.started ]] || die "the load client did not start within 60 s"
  start=$(<"$prefix.started")
  if [[ $kind == reload ]]; then
    : >"$prefix.reloads"
    c=$start
    for ((k = 1; k <= RELOADS; k++)); do
      t0=$((start + (FIRST + (k - 1) * EVERY) * 1000))
      sleep_until "$t0"
      h=$(now_ms)
      if [[ $v == haproxy ]]; then
        haproxy_roll
        c=$(now_ms)
        gen="roll$k" status=completed pids=$(IFS=,; echo "${ROLL_PIDS[*]}") line="roll done:${ROLL_NOTE:- both workers replaced}"
      else
        hup_and_wait "$RELOAD_TIMEOUT"
        c=$(now_ms)
        line=${RELOAD_LINE#* INFO  }
        if [[ $RELOAD_LINE =~ reload\ ([0-9]+)\ (completed|aborted) ]]; then
          gen=${BASH_REMATCH[1]} status=${BASH_REMATCH[2]}
        else
          gen='?' status=timeout
        fi
        pids=""
        [[ $gen == '?' ]] || pids=$(grep -oE "\(pid [0-9]+, gen $gen\) started on" "$RUNNER_LOG" | awk '{print $2}' | tr -d , | paste -sd, -)
      fi
      printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$k" "$h" "$c" "$status" "$gen" "${pids:--}" "$line" >>"$prefix.reloads"
      printf '   reload %d: at %s s (scheduled %+d s), done at %s s, %s ms: %s\n' "$k" "$(rel "$h" "$start")" \
        $((FIRST + (k - 1) * EVERY)) "$(rel "$c" "$start")" $((c - h)) "$line"
      alive "$WRK_PID" || log "the load client ended during reload $k"
    done
    i=$((start + secs * 1000))
    (( c + TAIL * 1000 > i )) && i=$((c + TAIL * 1000))
    sleep_until "$i"
    touch "$stopf"
  fi
  wait "$WRK_PID" 2>/dev/null || log "the load client exited with $? (see $prefix.err)"
  WRK_PID=""
  grep -q '^total ' "$prefix.out" || die "the load client printed no totals (see $prefix.out, $prefix.err)"
  RUN_SECS=$(awk '/^total / { for (i = 2; i <= NF; i++) { split($i, kv, "="); if (kv[1] == "secs") print kv[2] } }' "$prefix.out")
  [[ $kind == warmup* ]] || record_run "$v" "$kind" "$prefix"
}

kv() { # file key: a value from the load client's totals line
  awk -v k="$2" '/^total / { for (i = 2; i <= NF; i++) { split($i, a, "="); if (a[1] == k) print a[2] } }' "$1"
}

# Per reload of a run: did each new worker answer on a connection opened before the reload, by
# SERVED_WITHIN s after the reload completed? Prints one line per worker; the last line is
# "gens OK TOTAL" (a generation is OK when its reload completed and every new worker passed).
gen_check() { # prefix
  local start
  start=$(<"$1.started")
  [[ -s $1.reloads ]] || { echo "gens 0 0"; return; }
  awk -F'\t' -v start="$start" -v within=$((SERVED_WITHIN * 1000)) '
    FNR == 1 { file++ }
    file == 1 { nr++; k[nr] = $1; h[nr] = $2 - start; c[nr] = $3 - start; st[nr] = $4; g[nr] = $5; pl[nr] = $6; next }
    file == 2 && !/^#/ { n++; op[n] = $2; pid[n] = $3; first[n] = $4 }
    END {
      ok = 0
      for (r = 1; r <= nr; r++) {
        good = (st[r] == "completed"); np = split(pl[r], ps, ",")
        if (pl[r] == "-") { np = 0; good = 0 }
        printf "   reload %s (gen %s, %s; begun at %.2f s, over at %.2f s of the run), new workers:", k[r], g[r], st[r],
          h[r] / 1000, c[r] / 1000
        for (j = 1; j <= np; j++) {
          any = ""; old = ""
          for (i = 1; i <= n; i++) if (pid[i] == ps[j]) {
            if (any == "" || first[i] < any) any = first[i]
            if (op[i] < h[r] && (old == "" || first[i] < old)) old = first[i]
          }
          pass = (old != "" && old <= c[r] + within)
          if (!pass) good = 0
          printf " pid %s first answered %s, on a connection opened before the reload %s [%s];", ps[j],
            (any == "" ? "never" : sprintf("at %.2f s", any / 1000)),
            (old == "" ? "never" : sprintf("at %.2f s", old / 1000)), (pass ? "ok" : "NO")
        }
        if (np == 0) printf " no new worker found"
        printf "\n"
        ok += good
      }
      printf "gens %d %d\n", ok, nr
    }' "$1.reloads" "$1.pairs.tsv"
}

record_run() { # variant kind prefix
  local f=$3.out gl
  gl=$(gen_check "$3" | tail -1)
  printf '%s\t%s' "$1" "$2" >>"$RUNS"
  for key in secs requests ok failed connect read timeout non2xx stale rps p50_ms p99_ms max_ms pids; do
    printf '\t%s' "$(kv "$f" "$key")" >>"$RUNS"
  done
  printf '\t%s\t%s\n' "$(cut -d' ' -f2 <<<"$gl")" "$(cut -d' ' -f3 <<<"$gl")" >>"$RUNS"
}

RUN_HEAD='%-12s %-7s %7s %9s %7s %8s %8s %8s %8s %9s %9s %9s %10s %5s %8s\n'
run_head() {
  printf "$RUN_HEAD" variant run secs requests failed connect read timeout non2xx req/s p50_ms p99_ms max_ms pids "gens_ok"
}
print_runs() { # variant
  awk -F'\t' -v v="$1" '$1 == v {
    printf "%-12s %-7s %7.1f %9d %7d %8d %8d %8d %8d %9.0f %9s %9s %10s %5d %8s\n", $1, $2, $3, $4, $6, $7, $8, $9, $10, $12,
      $13, $14, $15, $16, ($2 == "reload" ? $17 "/" $18 : "-") }' "$RUNS"
}

variant_run() { # variant
  local v=$1 port L
  log "$v: starting"
  if [[ $v == haproxy ]]; then
    start_haproxy
    port=$HAPROXY_PORT
  else
    start_runner "$v"
    port=$RUNNER_PORT
  fi
  echo "== $v"
  log "$v: warm-up ${WARMUP}s"
  (( WARMUP > 0 )) && load_run "$v" warmup "$WARMUP" "$port"
  log "$v: reload run (${DURATION}s at least, $RELOADS reloads)"
  load_run "$v" reload "$DURATION" "$port"
  gen_check "$OUT/$v-reload" | sed '$d'
  echo "   [ok]: it answered on a connection opened before its reload, at most ${SERVED_WITHIN} s after the reload was over"
  L=$(awk -v s="$RUN_SECS" 'BEGIN { printf "%d", (s == int(s)) ? s : int(s) + 1 }')
  (( WARMUP > 0 )) && { log "$v: warm-up ${WARMUP}s"; load_run "$v" warmup2 "$WARMUP" "$port"; }
  log "$v: no-reload run (${L}s, as long as the reload run)"
  load_run "$v" steady "$L" "$port"
  run_head
  print_runs "$v"
  if [[ $v == haproxy ]]; then
    echo "   haproxy log: $OUT/haproxy.log ($(grep -c 'ALERT' "$OUT/haproxy.log" || true) ALERT lines)"
    stop_haproxy
  else
    echo "   runner log: $RUNNER_LOG ($(grep -cE ' (WARN|ERROR) ' "$RUNNER_LOG" || true) WARN/ERROR lines)"
    grep -E ' (WARN|ERROR) ' "$RUNNER_LOG" | head -5 | cut -c1-200 | sed 's/^/     /' || true
    stop_runner
  fi
  echo
}

# ---- reports ------------------------------------------------------------------------------------
per_second_view() {
  local v f start h s0 cols=()
  echo "== per second around the first reload: req/s and p99 ms in each second of the load client,"
  echo "   second 0 being the one in which the first SIGHUP was sent (haproxy: its roll began); * = failures that second"
  printf '%5s' s
  for v in $VARIANTS; do printf ' %19s' "$v"; done
  echo
  for v in $VARIANTS; do
    f=$OUT/$v-reload
    if [[ -f $f.reloads && -s $f.reloads ]]; then
      start=$(<"$f.started"); h=$(head -1 "$f.reloads" | cut -f2)
      cols+=("$(( (h - start) / 1000 ))")
    else
      cols+=("-")
    fi
  done
  for ((s = -2; s <= 10; s++)); do
    printf '%5s' "$s"
    local i=0
    for v in $VARIANTS; do
      s0=${cols[$i]}; i=$((i + 1))
      if [[ $s0 == - ]]; then printf ' %19s' "-"; continue; fi
      awk -F'\t' -v want=$((s0 + s)) '!/^#/ && $1 == want { found = 1
          printf " %9d %8s%s", $2, $5, ($3 > 0 ? "*" : " ") }
        END { if (!found) printf " %19s", "-" }' "$OUT/$v-reload.seconds.tsv"
    done
    echo
  done
  printf '%5s' 'done'
  for v in $VARIANTS; do
    f=$OUT/$v-reload
    if [[ -s $f.reloads ]]; then
      start=$(<"$f.started"); h=$(head -1 "$f.reloads" | cut -f2)
      printf ' %19s' "$(awk -v c="$(head -1 "$f.reloads" | cut -f3)" -v h="$h" 'BEGIN { printf "+%.1f s", (c - h) / 1000 }')"
    else
      printf ' %19s' "-"
    fi
  done
  echo "   (when the first reload completed, after the SIGHUP)"
  echo
}

summary() {
  echo "== summary: $APP app, $CONNS kept-alive connections, $RELOADS reload(s) per reload run; latencies in ms"
  echo "   targets: p99 reload/no-reload <= 1.5, req/s reload/no-reload >= 0.85, 0 failed,"
  echo "   every new generation answered on a connection opened before its reload within ${SERVED_WITHIN} s of its completion"
  printf '%-12s %6s %8s %8s %9s %9s %11s %9s %9s %11s %9s %5s %8s  %s\n' variant secs failed_no failed_re \
    req/s_no req/s_re "ratio>=0.85" p99_no p99_re "ratio<=1.5" max_re pids gens_ok verdict
  local v
  for v in $VARIANTS; do
    awk -F'\t' -v v="$v" -v app="$APP" '
      $1 == v && $2 == "steady" { sf = $6; sr = $12; sp = $14; s = 1 }
      $1 == v && $2 == "reload" { secs = $3; rf = $6; rr = $12; rp = $14; rm = $15; pids = $16; go = $17; gt = $18; rt = $9; r = 1 }
      END {
        if (!s || !r) { printf "%-12s (incomplete)\n", v; exit }
        qr = (sr > 0) ? rr / sr : 0; qp = (sp > 0) ? rp / sp : 0
        why = ""
        if (qp > 1.5) why = why " p99"
        if (qr < 0.85) why = why " req/s"
        if (rf + sf > 0) why = why " failed"
        if (go < gt) why = why " generations"
        verdict = (why == "") ? "OK" : "FAIL:" why
        printf "%-12s %6.1f %8d %8d %9.0f %9.0f %11.2f %9.3f %9.3f %11.2f %9.3f %5d %8s  %s\n", v, secs, sf, rf, sr, rr, qr,
          sp, rp, qp, rm, pids, go "/" gt, verdict
        if (app == "spring") {
          sv = (rf == 0 && rt == 0 && rm + 0 < 2000) ? "OK: 0 failed and no request over 2 s across the reloads" : "FAIL"
          printf "%-12s   spring: %s (failed %d, of them over 2 s: %d; max %s ms)\n", "", sv, rf, rt, rm
        }
      }' "$RUNS"
  done
  echo "   failed = connect + read + timeout (> ${LOAD_TIMEOUT_MS} ms) + non-2xx; per-run details above, raw files in $OUT"
  echo
}

# ---- the commands used --------------------------------------------------------------------------
echo "== actor-runner deploy benchmark (issue 12)  $(date -u +'%Y-%m-%d %H:%M:%S UTC')  $(nproc) cpus, load average $(cut -d' ' -f1-3 /proc/loadavg)"
HAPROXY_VERSION=""
[[ $HAS_HAPROXY == 1 ]] && HAPROXY_VERSION="; $(haproxy -v | awk 'NR == 1')"
echo "   $(java -version 2>&1 | awk 'NR == 1')$HAPROXY_VERSION"
echo "   jar: $JAR ($(date -u -r "$JAR" +'%Y-%m-%d %H:%M UTC'))"
if [[ -n $STALE ]]; then echo "   WARNING: sources newer than the jar, e.g. ${STALE//$'\n'/ }: rebuild it (mvn -B -q package -DskipTests)"; fi
[[ $FORCE == 1 ]] && echo "   --force: load average at start $LOADAVG"
echo "   raw output: $OUT"
echo "commands:"
for v in $VARIANTS; do
  if [[ $v == haproxy ]]; then
    printf '   %-12s haproxy -db -f %s   (mode http, http-keep-alive, http-reuse always, forwardfor, roundrobin,\n' "$v" "$HAPROXY_CFG"
    printf '   %-12s backend be: w1 127.0.0.1:%s, w2 127.0.0.1:%s; stats socket %s level admin%s)\n' "" "$W1_PORT" "$W2_PORT" "$HAPROXY_SOCK" \
      "${HAPROXY_NBTHREAD:+; nbthread $HAPROXY_NBTHREAD}"
    printf '   %-12s workers: %s   (and PORT=%s)\n' "" "$(worker_cmd "$W1_PORT")" "$W2_PORT"
    printf '   %-12s a reload = one roll, per worker wN in turn: echo "set server be/wN state drain" | socat stdio unix-connect:SOCK;\n' ""
    printf '   %-12s wait until its scur in "show stat" is 0 (at most %ss); SIGTERM, wait (30 s, then SIGKILL);\n' "" "$DRAIN_WAIT"
    printf '   %-12s start a new worker on the same port; wait until GET / answers 200; "set server be/wN state ready"\n' ""
  else
    printf '   %-12s %s\n' "$v" "$(runner_cmd "$v")"
  fi
done
echo "   runner reload: kill -HUP RUNNER; wait for 'Master: reload N completed' (or aborted; at most ${RELOAD_TIMEOUT}s); new workers"
echo "                  = the log's '(pid P, gen N) started' lines"
echo "   load:     $(load_cmd PREFIX SECONDS)"
echo "             per variant: warm-up ${WARMUP}s; reload run: reloads at ${FIRST}s + k x ${EVERY}s (never before the"
echo "             previous completed), the load stopped (--stop-file) ${TAIL}s after the last completed, ${DURATION}s at least;"
echo "             warm-up ${WARMUP}s; no-reload run as long as the reload run"
echo

# ---- run ----------------------------------------------------------------------------------------
for v in $VARIANTS; do variant_run "$v"; done
per_second_view
summary
log "done"
