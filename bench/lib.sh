#!/usr/bin/env bash
# Helpers shared by the benchmarks in bench/: sourced, not run. Each expects `set -euo pipefail`;
# run_wrk calls the script's own wrk_cmd.

# The script's opening comment, without its "#" marks.
usage() { awk 'NR == 1 {next} /^#/ {sub(/^# ?/, ""); print; next} {exit}' "$0"; }

log() { printf '%s %s\n' "$(date +%T)" "$*" >&2; }

die() { log "ERROR: $*"; exit 1; }

alive() { [[ -n ${1:-} ]] && kill -0 "$1" 2>/dev/null; }

stop_pid() { # pid grace-seconds
  local pid=$1 grace=$2 i
  alive "$pid" || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < grace * 10; i++)); do alive "$pid" || return 0; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
}

http_ok() { [[ $(curl -s -o /dev/null -m 2 -w '%{http_code}' "http://127.0.0.1:$1/" 2>/dev/null) == 200 ]]; }

wait_http() { # port seconds what [pid]
  local port=$1 secs=$2 what=$3 pid=${4:-} i
  for ((i = 0; i < secs * 5; i++)); do
    http_ok "$port" && return 0
    if [[ -n $pid ]] && ! alive "$pid"; then die "$what exited while starting"; fi
    sleep 0.2
  done
  die "$what not answering on 127.0.0.1:$port after ${secs}s"
}

cpu_ticks() { # utime+stime of a process (not its children)
  local s
  s=$(cat "/proc/$1/stat" 2>/dev/null) || { echo 0; return; }
  s=${s##*) }
  # shellcheck disable=SC2086
  set -- $s
  echo $(( ${12} + ${13} ))
}

thread_ticks() { # "tid ticks name" for every thread of a process
  local t st
  for t in /proc/"$1"/task/*; do
    st=$(cat "$t/stat" 2>/dev/null) || continue
    st=${st##*) }
    # shellcheck disable=SC2086
    set -- $st
    printf '%s %s %s\n' "${t##*/}" $(( ${12} + ${13} )) "$(tr ' ' '_' <"$t/comm" 2>/dev/null)"
  done
}

machine_ticks() { # busy jiffies of the whole machine (all CPUs; not idle, not iowait)
  awk '$1 == "cpu" { print $2 + $3 + $4 + $7 + $8 + $9; exit }' /proc/stat
}

# machine_record FILE TARGET TICKS0 TICKS1 REQUESTS: the whole machine's CPU per request of a run
# (load generator, workers and proxy together: work a proxy moves into kernel threads or softirqs
# of other processes shows here, where its own utime+stime would miss it).
machine_record() {
  awk -v t="$2" -v d=$(($4 - $3)) -v h="$(getconf CLK_TCK)" -v n="$5" \
    'BEGIN { if (n > 0) printf "%s\t%.2f\n", t, d / h * 1e6 / n }' >>"$1"
}

machine_median() { # FILE TARGET
  awk -F'\t' -v t="$2" '$1 == t { v[n++] = $2 + 0 }
    END { if (n == 0) { print "-"; exit }
          for (i = 0; i < n; i++) for (j = i + 1; j < n; j++) if (v[j] < v[i]) { x = v[i]; v[i] = v[j]; v[j] = x }
          print (n % 2) ? v[int(n / 2)] : (v[n / 2 - 1] + v[n / 2]) / 2 }' "$1" 2>/dev/null || echo -
}

rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }

to_ms() { # wrk latency (520.00us, 1.23ms, 1.02s, 2.00m) -> ms
  awk -v v="$1" 'BEGIN {
    if (v == "") { print "nan"; exit }
    n = v + 0; u = v; sub(/^[0-9.]+/, "", u)
    f = (u == "us") ? 0.001 : (u == "ms") ? 1 : (u == "s") ? 1000 : (u == "m") ? 60000 : (u == "h") ? 3600000 : 1
    printf "%.3f", n * f }'
}

# parse_wrk FILE: sets REQS RPS P50 P99 MAXLAT E_CONNECT E_READ E_WRITE E_TIMEOUT NON2XX
parse_wrk() {
  local f=$1 se
  REQS=$(awk '/ requests in / {print $1; exit}' "$f"); REQS=${REQS:-0}
  MAXLAT=$(to_ms "$(awk '$1 == "Latency" && NF >= 4 {print $4; exit}' "$f")")
  RPS=$(awk '/^Requests\/sec:/ {print $2; exit}' "$f"); RPS=${RPS:-0}
  P50=$(to_ms "$(awk '$1 == "50%" {print $2; exit}' "$f")")
  P99=$(to_ms "$(awk '$1 == "99%" {print $2; exit}' "$f")")
  se=$(grep -m1 'Socket errors:' "$f" || true)
  if [[ -n $se ]]; then
    E_CONNECT=$(sed -E 's/.*connect ([0-9]+).*/\1/' <<<"$se")
    E_READ=$(sed -E 's/.*read ([0-9]+).*/\1/' <<<"$se")
    E_WRITE=$(sed -E 's/.*write ([0-9]+).*/\1/' <<<"$se")
    E_TIMEOUT=$(sed -E 's/.*timeout ([0-9]+).*/\1/' <<<"$se")
  else
    E_CONNECT=0 E_READ=0 E_WRITE=0 E_TIMEOUT=0
  fi
  NON2XX=$(awk -F': *' '/Non-2xx or 3xx responses/ {print $2; exit}' "$f"); NON2XX=${NON2XX:-0}
}

run_wrk() { # seconds port outfile   (foreground, bounded)
  # shellcheck disable=SC2046
  timeout -k 5 $(( $1 + 30 )) $(wrk_cmd "$1" "$2") >"$3" 2>&1 || log "wrk exited with $? (see $3)"
}

# ---- the exit path ------------------------------------------------------------------------------
# Whatever a script started stops when it exits, however it exits, and no run outlives MAX_SECONDS.
# The script defines stop_runner (its runner's graceful stop) and OUT; it may add pids to PIDS
# (TERM, then KILL after 5 s) and keep the load generator's pid in WRK_PID.
PIDS=()
WRK_PID=""
WATCHDOG_PID=""

bench_cleanup() {
  local rc=$? p
  set +e
  trap - EXIT INT TERM HUP
  if [[ -n $WATCHDOG_PID ]]; then pkill -P "$WATCHDOG_PID" sleep 2>/dev/null; kill "$WATCHDOG_PID" 2>/dev/null; fi
  # WRK_PID may be the timeout wrapping wrk: it passes TERM on to wrk.
  [[ -n $WRK_PID ]] && kill -TERM "$WRK_PID" 2>/dev/null
  stop_runner
  for p in "${PIDS[@]}"; do stop_pid "$p" 5; done
  wait 2>/dev/null
  echo "logs and raw output: $OUT" >&2
  exit "$rc"
}

bench_exit_path() {
  trap bench_cleanup EXIT
  trap 'log "interrupted"; exit 130' INT
  trap 'log "terminated by SIGTERM (the MAX_SECONDS=$MAX_SECONDS limit, or from outside)"; exit 143' TERM
  trap 'exit 129' HUP
  ( sleep "$MAX_SECONDS"; kill -TERM $$ 2>/dev/null ) >/dev/null 2>&1 &
  WATCHDOG_PID=$!
}

# The runner's graceful stop, for scripts whose one runner is RUNNER_PID.
stop_runner() {
  local pid=$RUNNER_PID
  [[ -n $pid ]] || return 0
  RUNNER_PID=""
  stop_pid "$pid" 30
  wait "$pid" 2>/dev/null || true
}

# Refuses to measure at a load average of 1 or more, unless FORCE=1: figures taken beside other
# load decide nothing.
require_quiet() {
  local load
  load=$(cut -d' ' -f1 /proc/loadavg)
  if [[ ${FORCE:-0} == 0 ]] && awk -v l="$load" 'BEGIN {exit !(l >= 1)}'; then
    die "load average $load: measure only on a quiet machine (or --force, and the figures mean little)"
  fi
}

build_if_needed() { # builds JAR with Maven when asked (BUILD=1) or when it is missing
  if [[ ${BUILD:-0} == 1 || ! -f $JAR ]]; then
    log "building $JAR"
    mvn -B -q package -DskipTests || die "build failed"
  fi
}

need_commands() { # command...: installs the missing ones from Debian (their packages bear their names)
  local missing=() c
  for c in "$@"; do command -v "$c" >/dev/null || missing+=("$c"); done
  [[ ${#missing[@]} == 0 ]] && return 0
  log "installing ${missing[*]} from Debian"
  apt-get update -qq && apt-get install -y -qq "${missing[@]}" >"$OUT/apt.log" 2>&1 \
    || die "apt-get install ${missing[*]} failed (see $OUT/apt.log)"
}

# ---- reloads ------------------------------------------------------------------------------------
count() { grep -cE "$1" "$RUNNER_LOG" 2>/dev/null || true; } # lines of RUNNER_LOG matching a regex

# One SIGHUP to RUNNER_PID, then waits up to $1 seconds for the reload it started to complete or
# abort in RUNNER_LOG. Sets RELOAD_LINE (that log line, or why none came) and RELOAD_MS.
hup_and_wait() { # timeout-seconds
  local done0 ab0 t0
  done0=$(count 'Master: reload [0-9]+ completed')
  ab0=$(count 'Master: reload [0-9]+ aborted')
  t0=$(date +%s%N)
  kill -HUP "$RUNNER_PID"
  RELOAD_LINE=""
  while true; do
    if (( $(count 'Master: reload [0-9]+ completed') > done0 )); then
      RELOAD_LINE=$(grep -E 'Master: reload [0-9]+ completed' "$RUNNER_LOG" | tail -1); break
    fi
    if (( $(count 'Master: reload [0-9]+ aborted') > ab0 )); then
      RELOAD_LINE=$(grep -E 'Master: reload [0-9]+ aborted' "$RUNNER_LOG" | tail -1); break
    fi
    alive "$RUNNER_PID" || die "runner died during a reload (log: $RUNNER_LOG)"
    if (( ($(date +%s%N) - t0) / 1000000000 > $1 )); then RELOAD_LINE="(no completion after $1 s)"; break; fi
    sleep 0.05
  done
  RELOAD_MS=$((($(date +%s%N) - t0) / 1000000))
}
