#!/usr/bin/env bash
# CPU and allocation profiles of actor-runner's front under the bench load (issue 14), with
# async-profiler (tools.profiler:async-profiler from Maven Central: it sees the native and kernel
# frames that JFR misses).
#
#   bench/profile.sh                 tcp and http mode: warm-up, then a CPU and an allocation profile each
#   bench/profile.sh --modes http    one mode (tcp, http or auto; comma-separated)
#   bench/profile.sh --cold          no profiler: CPU per request of a freshly started runner, per 5 s
#                                    round of the same load (how long its JIT takes to pay off)
#   more: --warmup S (25), --seconds S (15, each profile), --rounds N (--cold: 12), --io-threads N (1),
#         --build, --force; environment TRANSPORT (auto: the runner's transport setting)
#
# Per mode it starts `java -jar JAR -w 2 --demo` (io-threads N), warms it with wrk for --warmup
# seconds (a fresh runner's relay code is still interpreted: its first seconds cost several times
# more per request), then loads the agent into the runner with jcmd JVMTI.agent_load and profiles
# CPU (itimer, Java and kernel frames), then allocations, each for --seconds under the same wrk
# load (64 kept-alive connections, as bench/front.sh). Prints the top self frames and where the
# flame graphs are (HTML). Refuses to run at a load average of 1 or more (--force runs anyway:
# its figures then mean nothing). Listens on 127.0.0.1 only; stops all it starts.
# Environment: JAR, RUNNER_PORT (30280), RUNNER_WORKER_PORTS (25000-25999), MAX_SECONDS (900).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

MODES="tcp,http" WARMUP=25 SECONDS_EACH=15 IO=1 BUILD=0 FORCE=0 CONNS=64 COLD=0 ROUNDS=12
while [[ $# -gt 0 ]]; do
  case "$1" in
    --modes) MODES="$2"; shift ;;
    --warmup) WARMUP="$2"; shift ;;
    --seconds) SECONDS_EACH="$2"; shift ;;
    --io-threads) IO="$2"; shift ;;
    --cold) COLD=1 ;;
    --rounds) ROUNDS="$2"; shift ;;
    --build) BUILD=1 ;;
    --force) FORCE=1 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "profile.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
MODES=${MODES//,/ }
for m in $MODES; do [[ $m == tcp || $m == http || $m == auto ]] || { echo "profile.sh: unknown mode $m" >&2; exit 2; }; done

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
JAR=${JAR:-target/actor-runner.jar}
RUNNER_PORT=${RUNNER_PORT:-30280}
RUNNER_WORKER_PORTS=${RUNNER_WORKER_PORTS:-25000-25999}
MAX_SECONDS=${MAX_SECONDS:-900}
AP_VERSION=4.2
TRANSPORT=${TRANSPORT:-auto}
OUT=$(mktemp -d /tmp/actor-runner-profile.XXXXXX)
RUNNER_PID=""
bench_exit_path

require_quiet
need_commands wrk
command -v jcmd >/dev/null || die "jcmd not found (a JDK is needed)"
build_if_needed
[[ -f $JAR ]] || die "$JAR not found"
[[ -z $(ss -Hltn "sport = :$RUNNER_PORT" 2>/dev/null) ]] || die "port $RUNNER_PORT is already in use"

AP_JAR=$HOME/.m2/repository/tools/profiler/async-profiler/$AP_VERSION/async-profiler-$AP_VERSION.jar
[[ -f $AP_JAR ]] || mvn -B -q dependency:get -Dartifact=tools.profiler:async-profiler:$AP_VERSION >/dev/null \
  || die "cannot fetch tools.profiler:async-profiler:$AP_VERSION"
unzip -q -o "$AP_JAR" 'linux-x64/*' -d "$OUT/ap" || die "no linux-x64 library in $AP_JAR"
LIB=$OUT/ap/linux-x64/libasyncProfiler.so
# Kernel frames need perf events open to root; itimer works anyway (without kernel frames).
[[ -w /proc/sys/kernel/perf_event_paranoid ]] && echo 1 >/proc/sys/kernel/perf_event_paranoid 2>/dev/null || true

wrk_cmd() { echo "wrk -t1 -c$CONNS -d${1}s --latency http://127.0.0.1:$2/"; }
agent() { # async-profiler command (its errors go to the runner's log; jcmd says "return code: N")
  local r
  r=$(jcmd "$RUNNER_PID" JVMTI.agent_load "$LIB" "\"$1\"" 2>&1) || die "jcmd agent_load $1 failed: $r"
  echo "$1: $r" >>"$OUT/jcmd.log"
  ! grep -q 'return code: [1-9]' <<<"$r" || die "async-profiler refused $1 (see the runner's log: $OUT/runner-*.log)"
}

echo "== actor-runner front profile  $(date -u +'%Y-%m-%d %H:%M:%S UTC')  $(nproc) cpus, load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "   $(java -version 2>&1 | head -1); async-profiler $AP_VERSION; jar $JAR ($(date -u -r "$JAR" +'%Y-%m-%d %H:%M UTC'))"
echo "   runner: java -Xmx256m -jar $JAR -w 2 -p $RUNNER_PORT --mode MODE --io-threads... --demo (conf: io-threads = $IO)"
echo "   load:   $(wrk_cmd "$SECONDS_EACH" "$RUNNER_PORT") after ${WARMUP}s of the same"
echo "   output: $OUT"
for mode in $MODES; do
  conf=$OUT/runner-$mode.conf log=$OUT/runner-$mode.log
  printf 'actor-runner {\n  worker-ports = "%s"\n  jvm-options = ["-Xmx256m"]\n  io-threads = %s\n  mode = %s\n  transport = %s\n}\n' \
    "$RUNNER_WORKER_PORTS" "$IO" "$mode" "$TRANSPORT" >"$conf"
  java -Xmx256m -jar "$JAR" -c "$conf" -w 2 -p "$RUNNER_PORT" --demo >"$log" 2>&1 &
  RUNNER_PID=$!
  for ((i = 0; i < 450; i++)); do
    alive "$RUNNER_PID" || die "runner exited while starting (log: $log)"
    grep -q '(2 of 2 ready)' "$log" && http_ok "$RUNNER_PORT" && break
    sleep 0.2
  done
  if [[ $COLD == 1 ]]; then
    echo
    echo "== $mode: a fresh runner's CPU per request, 5 s rounds of $(wrk_cmd 5 "$RUNNER_PORT")"
    for ((r = 1; r <= ROUNDS; r++)); do
      t0=$(cpu_ticks "$RUNNER_PID")
      run_wrk 5 "$RUNNER_PORT" "$OUT/cold-$mode-$r.txt"
      t1=$(cpu_ticks "$RUNNER_PID")
      parse_wrk "$OUT/cold-$mode-$r.txt"
      awk -v r="$r" -v d=$((t1 - t0)) -v h="$(getconf CLK_TCK)" -v n="$REQS" -v rps="$RPS" \
        'BEGIN {printf "   round %2d (%3d-%3d s): %8.0f req/s  %6.1f us CPU/request\n", r, (r - 1) * 5, r * 5, rps, (n > 0) ? d / h * 1e6 / n : 0}'
    done
    stop_runner
    continue
  fi
  timeout -k 5 $((WARMUP + 30)) $(wrk_cmd "$WARMUP" "$RUNNER_PORT") >"$OUT/warmup-$mode.txt" 2>&1 || true
  for what in cpu alloc; do
    if [[ $what == cpu ]]; then ev="event=cpu,interval=500us"; else ev="event=alloc"; fi
    agent "start,$ev"
    run_wrk "$SECONDS_EACH" "$RUNNER_PORT" "$OUT/wrk-$mode-$what.txt"
    agent "dump,file=$OUT/$mode-$what.html"
    agent "stop,file=$OUT/$mode-$what.txt,flat=25,traces=0"
    agent "dump,collapsed,file=$OUT/$mode-$what.collapsed" 2>/dev/null || true
    parse_wrk "$OUT/wrk-$mode-$what.txt"
    echo
    echo "== $mode: $what ($RPS req/s, p99 $P99 ms under the profiler)  flame graph: $OUT/$mode-$what.html"
    sed -n "/percent  *samples  *top/,\$p" "$OUT/$mode-$what.txt" | head -27
  done
  stop_runner
done
