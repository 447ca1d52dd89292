#!/usr/bin/env bash
# Replacing the runner itself under load (issue 17): what clients see across a restart of the
# runner, across `actor-runner upgrade --wait`, and across a restart under socket activation.
#
#   bench/upgrade.sh                 every mode (auto, tcp, http) x every way (restart, upgrade, activation)
#   bench/upgrade.sh --modes http --ways restart,upgrade
#   more: --window S (seconds of load around each replacement, 20), --build (mvn package first)
#
# Each run: a runner of 2 demo workers on one port, wrk -t2 -c16 (kept-alive connections) and a
# probe that opens a new connection every 50 ms (curl), for --window seconds; the replacement
# starts 5 s in. Ways:
#   restart     SIGTERM to the runner, wait for its exit, start it again (what a restart is without
#               any of the below: the port is closed in between)
#   upgrade     actor-runner upgrade --wait: the new runner takes the socket over (SCM_RIGHTS)
#   activation  a holder keeps the listening socket and starts each runner with it as fd 3
#               (LISTEN_FDS, as systemd's socket activation does); SIGTERM, wait, start again
# Printed per run: wrk's requests, socket errors (connect/read/write/timeout) and non-2xx; the
# probe's failures and longest failing stretch; how long the replacement took, and for upgrade
# how much of that was the new workers' own start; leftovers (an old runner or worker alive).
# Environment: JAR (target/actor-runner.jar), PORT (18480), MAX_SECONDS (1800), FORCE=1 to
# measure at a load average of 1 or more (figures then mean little). Run it alone.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

MODES=auto,tcp,http WAYS=restart,upgrade,activation WINDOW=20 BUILD=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --modes) MODES="$2"; shift ;;
    --ways) WAYS="$2"; shift ;;
    --window) WINDOW="$2"; shift ;;
    --build) BUILD=1 ;;
    --force) FORCE=1 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "upgrade.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
JAR=${JAR:-target/actor-runner.jar}
PORT=${PORT:-18480}
MAX_SECONDS=${MAX_SECONDS:-1800}
OUT=$(mktemp -d /tmp/actor-runner-upgrade.XXXXXX)
RUNNER_PID="" HOLDER_PID=""

wrk_cmd() { echo "wrk -t2 -c16 -d${1}s --latency --timeout 5s http://127.0.0.1:$2/"; }

# Whatever runner holds the pid file now, and the holder, stop at exit.
stop_runner() {
  local pid
  pid=$(cat "$OUT/pid" 2>/dev/null || true)
  [[ -n $pid ]] && stop_pid "$pid" 30
  [[ -n $RUNNER_PID ]] && stop_pid "$RUNNER_PID" 30
  [[ -n $HOLDER_PID ]] && stop_pid "$HOLDER_PID" 5
  RUNNER_PID="" HOLDER_PID=""
  rm -f "$OUT/pid"
}

bench_exit_path
require_quiet
need_commands wrk curl python3
build_if_needed

runner_args() { # mode
  echo "-Xmx256m -jar $JAR -w 2 --mode $1 --port $PORT --slow-start 0s --control-socket $OUT/ctl.sock --pid-file $OUT/pid --demo"
}

# A socket holder as systemd's socket activation: binds the port once, and starts the runner with
# the socket as fd 3 (LISTEN_FDS=1, LISTEN_PID its pid) at its own start and at each SIGUSR1.
HOLDER=$(cat <<'PY'
import os, signal, socket, subprocess, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(1024); s.setblocking(False)
os.dup2(s.fileno(), 3); os.set_inheritable(3, True)
signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # runners that exit are reaped by the kernel
def start(*_):
    # LISTEN_PID must be the runner's own pid: sh sets it to its pid and execs java in place.
    subprocess.Popen(["sh", "-c", 'LISTEN_PID=$$ LISTEN_FDS=1 exec "$0" "$@"'] + sys.argv[2:], pass_fds=(3,))
signal.signal(signal.SIGUSR1, start)
start()
while True: signal.pause()
PY
)

start_runner() { # mode way log
  if [[ $2 == activation && -n $HOLDER_PID ]]; then
    kill -USR1 "$HOLDER_PID"
  elif [[ $2 == activation ]]; then
    # shellcheck disable=SC2046
    python3 -c "$HOLDER" "$PORT" java $(runner_args "$1") >>"$3" 2>&1 &
    HOLDER_PID=$!
  else
    # shellcheck disable=SC2046
    java $(runner_args "$1") >>"$3" 2>&1 &
    RUNNER_PID=$!
  fi
  local i
  for ((i = 0; i < 600; i++)); do
    [[ -s $OUT/pid ]] && http_ok "$PORT" && return 0
    sleep 0.1
  done
  die "runner ($1, $2) not serving within 60 s (log: $3)"
}

# Every 50 ms a new connection: one line per probe, "ms-since-start ok|fail".
probe() { # seconds outfile
  local end=$((SECONDS + $1)) t0 now code
  t0=$(date +%s%3N)
  while ((SECONDS < end)); do
    code=$(curl -s -o /dev/null -m 2 -w '%{http_code}' "http://127.0.0.1:$PORT/" 2>/dev/null || true)
    now=$(date +%s%3N)
    if [[ $code == 200 ]]; then echo "$((now - t0)) ok"; else echo "$((now - t0)) fail"; fi
    sleep 0.05
  done >"$2"
}

echo "== actor-runner upgrade  $(date -u +'%Y-%m-%d %H:%M:%S UTC')  $(nproc) cpus, load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "   $(java -version 2>&1 | head -1); jar: $JAR; logs: $OUT"
echo "   load: $(wrk_cmd "$WINDOW" "$PORT") + a new-connection probe every 50 ms (curl); replacement 5 s in"
printf '\n   %-5s %-10s %8s %8s %6s %6s %6s %7s %7s %9s %9s %10s %s\n' mode way requests connect read write timeout non2xx \
  probeFail longestMs replaceMs workersMs leftovers
for mode in ${MODES//,/ }; do
  for way in ${WAYS//,/ }; do
    log="$OUT/$mode-$way.log"
    start_runner "$mode" "$way" "$log"
    old=$(cat "$OUT/pid")
    old_workers=$(pgrep -P "$old" | tr '\n' ' ')
    sleep 3 # the demo's first requests: its JIT, not the replacement
    run_wrk "$WINDOW" "$PORT" "$OUT/$mode-$way.wrk" &
    WRK_PID=$!
    probe "$WINDOW" "$OUT/$mode-$way.probe" &
    probe_pid=$!
    sleep 5
    t0=$(date +%s%3N)
    case $way in
      restart|activation)
        kill -TERM "$old"
        for ((i = 0; i < 1200; i++)); do alive "$old" || break; sleep 0.05; done
        [[ $way == restart ]] && wait "$RUNNER_PID" 2>/dev/null || true
        rm -f "$OUT/pid"
        start_runner "$mode" "$way" "$log" ;;
      upgrade)
        java -jar "$JAR" upgrade --wait --control-socket "$OUT/ctl.sock" >>"$OUT/$mode-$way.client" 2>&1 \
          || log "upgrade --wait failed: $(cat "$OUT/$mode-$way.client")" ;;
    esac
    t1=$(date +%s%3N)
    wait "$WRK_PID" || true
    WRK_PID=""
    wait "$probe_pid" || true
    parse_wrk "$OUT/$mode-$way.wrk"
    read -r pfail plong < <(awk '$2 == "fail" {n++; if (!s) s = $1; e = $1; if (e - s > m) m = e - s; next} {s = 0}
      END {printf "%d %d\n", n, (n ? m + 50 : 0)}' "$OUT/$mode-$way.probe")
    workers=-
    if [[ $way == upgrade ]]; then
      # The new runner's own workers: from its "starting 2 worker(s)" to its "(2 of 2 ready)".
      w2=$(awk '/upgrade: started the next runner/ {f = 1} f' "$log" | grep -m1 -E 'starting 2 worker' | cut -d' ' -f1 || true)
      w3=$(awk '/upgrade: started the next runner/ {f = 1} f' "$log" | grep -m1 -E '2 of 2 ready' | cut -d' ' -f1 || true)
      if [[ -n $w2 && -n $w3 ]]; then
        workers=$(awk -v a="$w2" -v b="$w3" 'function ms(t, p) { split(t, p, /[:.]/); return ((p[1] * 60 + p[2]) * 60 + p[3]) * 1000 + p[4] }
          BEGIN {print ms(b) - ms(a)}')
      fi
      for ((i = 0; i < 1200; i++)); do alive "$old" || break; sleep 0.05; done
    fi
    left=""
    alive "$old" && left+="runner $old "
    for w in $old_workers; do alive "$w" && left+="worker $w "; done
    [[ -e $(dirname "$OUT/ctl.sock")/.ctl.sock.$old ]] && left+="socket "
    printf '   %-5s %-10s %8s %8s %6s %6s %6s %7s %7s %9s %9s %10s %s\n' "$mode" "$way" "$REQS" "$E_CONNECT" "$E_READ" \
      "$E_WRITE" "$E_TIMEOUT" "$NON2XX" "$pfail" "$plong" "$((t1 - t0))" "$workers" "${left:-none}"
    stop_runner
    sleep 2
  done
done
echo
echo "   requests: wrk's, all kept-alive; connect..timeout: wrk's socket errors; non2xx: wrk's non-2xx answers;"
echo "   probeFail: new-connection probes not answered 200, longestMs: the longest run of them;"
echo "   replaceMs: from the SIGTERM (or the upgrade request) until the new runner serves; workersMs: of that,"
echo "   the new runner's workers from their start to ready; leftovers: the old runner or its workers still alive after."
