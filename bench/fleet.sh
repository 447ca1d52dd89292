#!/usr/bin/env bash
# The fleet's longer cases (issue 15), by hand: N runner JVMs on loopback with the built jar, each
# with W workers of a release jar that runs the runner's demo server. Not run in CI.
#
#   bench/fleet.sh kill-coordinator   SIGKILL the coordinator's node while the 2nd machine reloads:
#                                     the roll completes (prints when the coordinator resumed)
#   bench/fleet.sh stop-cont          kill -STOP one runner past the failure detector, then -CONT:
#                                     its fleet system restarts, its workers never stop
#   bench/fleet.sh canary             --canary 1: paused after one machine; promote; completes
#   bench/fleet.sh abort              --canary 1, then abort: a mixed fleet that status reports
#   bench/fleet.sh bad-jar            a release whose app exits at once: aborted at the first machine, exit 1
#   bench/fleet.sh rejoin             after a roll to release 2, SIGKILL the last node and start it again
#                                     on release 1: the coordinator brings it to release 2
#   bench/fleet.sh form               time to form and to converge on every node's status
#   bench/fleet.sh scale              for --nodes 8 --workers 1 and more: time to form and converge,
#                                     the runner CPU and RSS the fleet adds (each node beside one
#                                     runner of the same shape without a fleet, same 30 s window),
#                                     then a fleet reload --wait: its total and each machine's step
#                                     (the idle window starts WARMUP seconds after forming, 150)
#   bench/fleet.sh profile            where an idle fleet node's CPU goes: WARMUP s after forming, n1's
#                                     CPU per thread over 60 s, then async-profiler's CPU samples (60 s)
#                                     by thread and by self frame
#   options (before the case):
#     --nodes N      runners (3)
#     --workers W    workers per runner (2)
#     --keep         leave the runners running at the end (their pids are printed)
#     -h, --help
#
# Needs target/actor-runner.jar (mvn -o -q clean package -DskipTests). Work files go to a fresh
# directory under /tmp, printed at start; every runner is stopped at the end unless --keep.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/lib.sh
. bench/lib.sh

NODES=3 WORKERS=2 KEEP=0
while [[ $# -gt 0 ]]; do
  case $1 in
    --nodes) NODES=$2; shift 2 ;;
    --workers) WORKERS=$2; shift 2 ;;
    --keep) KEEP=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) break ;;
  esac
done
CASE=${1:-}
[[ -n $CASE ]] || { usage; exit 2; }
[[ $CASE == scale || $CASE == profile ]] && require_quiet # its figures: not beside other load (FORCE=1 to run anyway)
JAR=$PWD/target/actor-runner.jar
[[ -f $JAR ]] || die "no $JAR: mvn -o -q clean package -DskipTests"
WORK=$(mktemp -d /tmp/actor-runner-fleet.XXXXXX)
log "work directory $WORK"
cp "$JAR" "$WORK/actor-runner.jar"

release() { # n [main-class]: $WORK/releases/n/app.jar, its bytes its own
  local dir=$WORK/releases/$1 main=${2:-dev.actorrunner.demo.HelloServer}
  mkdir -p "$dir"
  printf 'Main-Class: %s\nClass-Path: %s\nRelease: %s\n' "$main" "$WORK/actor-runner.jar" "$1" > "$dir/manifest.txt"
  (cd "$dir" && jar cfm app.jar manifest.txt)
  echo "$dir/app.jar"
}

PIDS=()
BASE=$((12000 + RANDOM % 7000))
SEEDS=$(for ((i = 1; i <= NODES; i++)); do printf '127.0.0.1:%d,' $((BASE + i)); done); SEEDS=${SEEDS%,}

start_node() { # i jar
  local i=$1
  java -Xmx256m -jar "$WORK/actor-runner.jar" -w "$WORKERS" -p $((BASE + 100 + i)) --slow-start 0s \
    --worker-ports "$((20000 + 100 * (i + BASE % 50)))-$((20099 + 100 * (i + BASE % 50)))" \
    --jvm-opt -Xmx64m --control-socket "$WORK/n$i.sock" \
    --fleet-bind 127.0.0.1:$((BASE + i)) --fleet-seeds "$SEEDS" --fleet-name "n$i" "$2" >> "$WORK/n$i.log" 2>&1 &
  PIDS[$i]=$!
}
cleanup() {
  if ((KEEP)); then log "left running: ${PIDS[*]}"; return; fi
  local p; for p in "${PIDS[@]}"; do stop_pid "$p" 30; done
}
trap cleanup EXIT

fleet() { java -jar "$WORK/actor-runner.jar" fleet "$@"; }
status_line() { fleet status --control-socket "$WORK/n$1.sock" 2>/dev/null | head -1 || true; }
wait_formed() { # node
  local t0=$SECONDS
  until status_line "$1" | grep -q "^$NODES node(s), $((NODES * WORKERS)) worker(s) ready"; do
    ((SECONDS - t0 < 180)) || die "n$1 did not see the whole fleet in 180s"
    sleep 0.5
  done
  echo $((SECONDS - t0))
}

R1=$(release 1)
R2=$(release 2)
T0=$SECONDS
for ((i = 1; i <= NODES; i++)); do start_node "$i" "$R1"; done
log "formed: n1 saw the whole fleet after $(wait_formed 1)s"
for ((i = 2; i <= NODES; i++)); do log "n$i converged $(wait_formed "$i")s later"; done

case $CASE in
  form) ;;
  kill-coordinator)
    fleet reload --jar "$R2" --control-socket "$WORK/n$NODES.sock"
    until fleet status --control-socket "$WORK/n$NODES.sock" | grep -q "n2 reloading"; do sleep 0.5; done
    coord=$(grep -l "Singleton manager starting singleton actor" "$WORK"/n*.log | head -1); coord=${coord##*/n}; coord=${coord%.log}
    log "killing n$coord (the coordinator's node) while n2 reloads"
    kill -KILL "${PIDS[$coord]}"
    t0=$SECONDS
    until ! fleet status --control-socket "$WORK/n$NODES.sock" | head -1 | grep -q roll; do
      ((SECONDS - t0 < 600)) || die "the roll did not end in 600s"; sleep 1
    done
    log "roll over $((SECONDS - t0))s after the kill"; grep -h "fleet coordinator" "$WORK"/n*.log | tail -3
    fleet status --control-socket "$WORK/n$NODES.sock" ;;
  stop-cont)
    log "kill -STOP n$NODES for 30s"; kill -STOP "${PIDS[$NODES]}"; sleep 30; kill -CONT "${PIDS[$NODES]}"
    log "CONT; waiting for it to rejoin"; log "rejoined after $(wait_formed "$NODES")s"
    grep -h "Fleet:" "$WORK/n$NODES.log" | tail -3
    grep -c "exited" "$WORK/n$NODES.log" || true ;;
  canary)
    fleet reload --jar "$R2" --canary 1 --control-socket "$WORK/n1.sock"
    until fleet status --control-socket "$WORK/n1.sock" | head -1 | grep -q paused; do sleep 1; done
    fleet status --control-socket "$WORK/n1.sock" | head -1
    fleet promote --control-socket "$WORK/n2.sock"
    until ! fleet status --control-socket "$WORK/n1.sock" | head -1 | grep -q roll; do sleep 1; done
    fleet status --control-socket "$WORK/n1.sock" ;;
  abort)
    fleet reload --jar "$R2" --canary 1 --control-socket "$WORK/n1.sock"
    until fleet status --control-socket "$WORK/n1.sock" | head -1 | grep -q paused; do sleep 1; done
    fleet abort --control-socket "$WORK/n2.sock"; sleep 3
    fleet status --control-socket "$WORK/n1.sock" ;;
  bad-jar)
    BAD=$(release 3 no.such.Main)
    set +e; fleet reload --jar "$BAD" --wait --control-socket "$WORK/n1.sock"; log "exit $?"; set -e
    fleet status --control-socket "$WORK/n1.sock" ;;
  rejoin)
    fleet reload --jar "$R2" --wait --control-socket "$WORK/n1.sock"
    log "SIGKILL n$NODES, start it again on release 1"
    kill -KILL "${PIDS[$NODES]}"; sleep 2; start_node "$NODES" "$R1"
    t0=$SECONDS
    until grep -h "bringing \[n$NODES\]" -A1000 "$WORK"/n*.log | grep -q "fleet coordinator: plan .*: completed"; do
      ((SECONDS - t0 < 600)) || die "n$NODES not brought to release 2 in 600s"; sleep 1
    done
    log "n$NODES brought back to release 2 $((SECONDS - t0))s after its restart"
    grep -h "bringing\|fleet coordinator: plan" "$WORK"/n*.log | tail -3
    fleet status --control-socket "$WORK/n1.sock" ;;
  scale)
    # The same runner without a fleet, beside the fleet nodes, over the same idle window.
    java -Xmx256m -jar "$WORK/actor-runner.jar" -w "$WORKERS" -p $((BASE + 100)) --slow-start 0s \
      --worker-ports "$((20000 + 100 * (BASE % 50)))-$((20099 + 100 * (BASE % 50)))" --jvm-opt -Xmx64m \
      --control-socket "$WORK/plain.sock" "$R1" >> "$WORK/plain.log" 2>&1 &
    PIDS[0]=$!
    wait_http $((BASE + 100)) 120 "the runner without a fleet" "${PIDS[0]}"
    # Past both kinds' start-up work: a profile of a node 20-50 s after forming was 44% JIT compiling.
    sleep "${WARMUP:-150}"
    hz=$(getconf CLK_TCK)
    declare -A c0; for i in "${!PIDS[@]}"; do c0[$i]=$(cpu_ticks "${PIDS[$i]}"); done
    sleep 30
    fleet_cpu=() fleet_rss=() fleet_threads=()
    for ((i = 1; i <= NODES; i++)); do
      fleet_cpu+=("$(awk -v d=$(( $(cpu_ticks "${PIDS[$i]}") - c0[$i] )) -v h="$hz" 'BEGIN {printf "%.2f", 100 * d / h / 30}')")
      fleet_rss+=("$(( $(rss_kb "${PIDS[$i]}") / 1024 ))")
      fleet_threads+=("$(ls "/proc/${PIDS[$i]}/task" | wc -l)")
    done
    plain_cpu=$(awk -v d=$(( $(cpu_ticks "${PIDS[0]}") - c0[0] )) -v h="$hz" 'BEGIN {printf "%.2f", 100 * d / h / 30}')
    median() { printf '%s\n' "$@" | sort -n | awk '{a[NR] = $1} END {print (NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2)}'; }
    log "idle, 30 s: runner CPU % of a core: fleet nodes median $(median "${fleet_cpu[@]}") (${fleet_cpu[*]}), without a fleet $plain_cpu"
    log "RSS MiB: fleet nodes median $(median "${fleet_rss[@]}") (${fleet_rss[*]}), without a fleet $(( $(rss_kb "${PIDS[0]}") / 1024 ))"
    log "threads: fleet nodes median $(median "${fleet_threads[@]}"), without a fleet $(ls "/proc/${PIDS[0]}/task" | wc -l)"
    t0=$SECONDS
    fleet reload --jar "$R2" --wait --control-socket "$WORK/n1.sock" > "$WORK/reload.out" 2>&1 || log "fleet reload exit $?"
    log "fleet reload --wait over $NODES machines: $((SECONDS - t0))s ($(tail -1 "$WORK/reload.out"))"
    for ((i = 1; i <= NODES; i++)); do
      a=$(grep -m1 'reloading this machine to' "$WORK/n$i.log" | cut -d' ' -f1); b=$(grep -m1 'this machine is done' "$WORK/n$i.log" | cut -d' ' -f1)
      [[ -n $a && -n $b ]] && printf 'n%d %s\n' "$i" "$(awk -v a="$a" -v b="$b" 'function ms(t, p) { split(t, p, /[:.]/); return ((p[1] * 60 + p[2]) * 60 + p[3]) * 1000 + p[4] }
        BEGIN {printf "%.1f", (ms(b) - ms(a)) / 1000}')"
    done > "$WORK/steps"
    log "machine steps (s, from 'reloading this machine' to 'done'): $(tr '\n' ' ' < "$WORK/steps")median $(median $(awk '{print $2}' "$WORK/steps"))" ;;
  profile)
    AP_VERSION=4.2
    AP_JAR=$HOME/.m2/repository/tools/profiler/async-profiler/$AP_VERSION/async-profiler-$AP_VERSION.jar
    [[ -f $AP_JAR ]] || mvn -B -q dependency:get -Dartifact=tools.profiler:async-profiler:$AP_VERSION >/dev/null \
      || die "cannot fetch tools.profiler:async-profiler:$AP_VERSION"
    unzip -q -o "$AP_JAR" 'linux-x64/*' -d "$WORK/ap"
    sleep "${WARMUP:-150}"
    pid=${PIDS[1]} hz=$(getconf CLK_TCK)
    thread_ticks "$pid" > "$WORK/threads0"; sleep 60; thread_ticks "$pid" > "$WORK/threads1"
    log "n1, idle, 60 s: CPU ms by thread (digits folded), total $(( ($(awk '{s += $2} END {print s}' "$WORK/threads1") \
      - $(awk '{s += $2} END {print s}' "$WORK/threads0")) * 1000 / hz ))"
    awk -v hz="$hz" 'NR == FNR {t0[$1] = $2; next} {n = $3; gsub(/[0-9]+/, "N", n); ms[n] += ($2 - t0[$1]) * 1000 / hz}
      END {for (n in ms) if (ms[n] > 0) printf "%8d  %s\n", ms[n], n}' "$WORK/threads0" "$WORK/threads1" | sort -rn | head -15
    out=$WORK/profile.collapsed
    jcmd "$pid" JVMTI.agent_load "$WORK/ap/linux-x64/libasyncProfiler.so" "\"start,event=itimer,interval=1ms,threads\"" > /dev/null
    sleep 60
    jcmd "$pid" JVMTI.agent_load "$WORK/ap/linux-x64/libasyncProfiler.so" "\"stop,file=$out,collapsed\"" > /dev/null
    total=$(awk '{s += $NF} END {print s}' "$out")
    log "async-profiler, 60 s, $total samples of 1 ms; by thread:"
    awk '{n = $NF; split($1, f, ";"); t = f[1]; gsub(/[0-9]+/, "N", t); c[t] += n} END {for (t in c) printf "%7d  %s\n", c[t], t}' "$out" | sort -rn | head -12
    log "by self frame:"
    awk '{n = $NF; $NF = ""; k = split($0, f, ";"); c[f[k]] += n} END {for (t in c) printf "%7d  %s\n", c[t], t}' "$out" | sort -rn | head -25
    log "by frame anywhere on the stack (akka, io.netty, dev.actorrunner):"
    awk '{n = $NF; $NF = ""; k = split($0, f, ";"); delete seen; for (i = 1; i <= k; i++) { g = f[i]; sub(/ *$/, "", g)
      if (g ~ /^(akka|io\/netty|io\.netty|dev\/actorrunner|dev\.actorrunner)/ && !(g in seen)) { seen[g] = 1; c[g] += n } } }
      END {for (t in c) printf "%7d  %s\n", c[t], t}' "$out" | sort -rn | head -30
    log "collapsed stacks: $out" ;;
  *) die "unknown case $CASE" ;;
esac
log "total ${SECONDS}s since the first start ($((SECONDS - T0))s)"
