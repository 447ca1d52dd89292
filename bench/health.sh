#!/usr/bin/env bash
# Hung-worker benchmarks of actor-runner (issue 13): how soon a frozen worker is found, and what
# the checks cost.
#
#   bench/health.sh            both scenarios below
#   bench/health.sh --freeze   2 demo workers under load (16 client threads, keep-alive), default
#                              health settings; one worker is frozen with SIGSTOP (what a JVM in a
#                              GC death spiral or a deadlocked accept loop looks like from outside).
#                              Per mode (tcp, http): seconds until it leaves rotation, until its
#                              replacement is ready and until the frozen process is gone; requests
#                              sent before and after it left rotation: failed, slower than
#                              response-timeout, slowest.
#   bench/health.sh --cost     the runner's CPU over 60 s with 8 idle demo workers: checks off,
#                              a tcp check every second, GET / every second; side by side, and the
#                              CPU per check
#   more: --modes "tcp http" (freeze), --load-seconds S (freeze, 90), --seconds S (cost window,
#   60), --build (mvn package first)
#
# Environment: JAR (target/actor-runner.jar), MAX_SECONDS (1200). Run it alone, on a quiet machine.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DO_FREEZE=0 DO_COST=0 MODES="tcp http" LOAD_SECONDS=90 WINDOW=60 BUILD=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --freeze) DO_FREEZE=1 ;;
    --cost) DO_COST=1 ;;
    --modes) MODES="$2"; shift ;;
    --load-seconds) LOAD_SECONDS="$2"; shift ;;
    --seconds) WINDOW="$2"; shift ;;
    --build) BUILD=1 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "health.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
if [[ $DO_FREEZE$DO_COST == 00 ]]; then DO_FREEZE=1 DO_COST=1; fi

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
JAR=${JAR:-target/actor-runner.jar}
MAX_SECONDS=${MAX_SECONDS:-1200}
CLK_TCK=$(getconf CLK_TCK)
OUT=$(mktemp -d /tmp/actor-runner-health.XXXXXX)
RUNNER_PID=""
FROZEN=""

stop_runner() {
  [[ -n $FROZEN ]] && kill -KILL "$FROZEN" 2>/dev/null
  stop_pid "$RUNNER_PID" 30
  wait "$RUNNER_PID" 2>/dev/null || true
  RUNNER_PID=""
}

bench_exit_path
build_if_needed

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

start_runner() { # log-file args...
  local log=$1
  shift
  java -jar "$JAR" --dump-dir "$OUT/dumps" "$@" --demo >"$log" 2>&1 &
  RUNNER_PID=$!
}

await_line() { # log-file regex seconds what
  local i
  for ((i = 0; i < $3 * 10; i++)); do
    grep -qE "$2" "$1" && return 0
    sleep 0.1
  done
  die "$4: not within $3 s (see $1)"
}

# The load: THREADS keep-alive clients for SECONDS, each request with a 70 s bound (above the
# default response-timeout); every request's start, end and outcome go to a CSV.
load() { # port seconds csv; run in the background, where exec makes $! the client's own pid
  exec python3 - "$@" <<'EOF'
import csv, http.client, sys, threading, time
port, seconds, out = int(sys.argv[1]), float(sys.argv[2]), sys.argv[3]
THREADS, rows, lock = 16, [], threading.Lock()
end = time.time() + seconds
def client():
    conn, mine = None, []
    while time.time() < end:
        t0 = time.time()
        try:
            if conn is None:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=70)
            conn.request("GET", "/")
            r = conn.getresponse()
            r.read()
            outcome = str(r.status)
            if r.getheader("connection", "").lower() == "close":
                conn.close(); conn = None
        except Exception as e:
            outcome = type(e).__name__
            if conn is not None:
                conn.close()
            conn = None
        mine.append((int(t0 * 1000), int(time.time() * 1000), outcome))
    with lock:
        rows.extend(mine)
threads = [threading.Thread(target=client) for _ in range(THREADS)]
for t in threads: t.start()
for t in threads: t.join()
with open(out, "w", newline="") as f:
    csv.writer(f).writerows(sorted(rows))
EOF
}

# Figures of one freeze run from the runner's log and the load's CSV.
report() { # mode log csv stop-epoch-ms gone-epoch-ms frozen-id
  python3 - "$@" <<'EOF'
import csv, datetime, re, sys
mode, log, csvf, stop_ms, gone_ms, frozen = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), sys.argv[6]
day = datetime.datetime.fromtimestamp(stop_ms / 1000).date()
def at(line):  # the log's HH:MM:SS.mmm, local time, as epoch ms
    t = datetime.datetime.strptime(line[:12], "%H:%M:%S.%f").time()
    return int(datetime.datetime.combine(day, t).timestamp() * 1000)
lines = open(log, errors="replace").read().splitlines()
out = next((l for l in lines if re.search(r"worker %s \(pid \d+.*unhealthy" % frozen, l)), None)
if out is None:
    print("%-4s  frozen worker never left rotation" % mode); sys.exit()
out_ms = at(out)
ready = [at(l) for l in lines if re.search(r"worker \d+ \(pid .* listening on", l) and at(l) > out_ms]
rows = [(int(a), int(b), c) for a, b, c in csv.reader(open(csvf))]
def figures(sel):
    bad = [r for r in sel if not r[2].startswith("2")]
    slow = [r for r in sel if r[1] - r[0] > 61000]
    lat = sorted(r[1] - r[0] for r in sel)
    p99 = lat[int(len(lat) * 0.99)] if lat else 0
    return "%7d requests, %4d failed, %3d over 61 s, p99 %5d ms, slowest %6d ms" % (len(sel), len(bad), len(slow), p99, lat[-1] if lat else 0)
print("%-4s  out of rotation %.1f s after SIGSTOP, replacement ready %s s, frozen process gone %.1f s" % (
    mode, (out_ms - stop_ms) / 1000, "%.1f" % ((ready[0] - stop_ms) / 1000) if ready else "never",
    (gone_ms - stop_ms) / 1000))
print("      detail: " + out[out.find("unhealthy"):][:150])
print("      sent before it left: " + figures([r for r in rows if r[0] < out_ms]))
print("      sent after it left:  " + figures([r for r in rows if r[0] >= out_ms]))
kinds = {}
for r in rows:
    if not r[2].startswith("2"): kinds[r[2]] = kinds.get(r[2], 0) + 1
print("      failures by kind (all): " + (", ".join("%s %d" % kv for kv in sorted(kinds.items())) or "none"))
EOF
}

now_ms() { date +%s%3N; }

freeze() { # mode
  local mode=$1 log=$OUT/freeze-$1.log csvf=$OUT/freeze-$1.csv port pid id load_pid stop_ms gone_ms i
  port=$(free_port)
  start_runner "$log" -p "$port" -w 2 --mode "$mode"
  await_line "$log" "2 of 2 ready" 60 "$mode: 2 workers ready"
  load "$port" "$LOAD_SECONDS" "$csvf" &
  load_pid=$!
  PIDS+=("$load_pid")
  sleep 10 # warm: the JIT of runner and workers
  read -r id pid < <(sed -nE 's/.*worker ([0-9]+) \(pid ([0-9]+), gen 1\) listening on.*/\1 \2/p' "$log" | head -1)
  FROZEN=$pid
  stop_ms=$(now_ms)
  kill -STOP "$pid"
  log "$mode: worker $id (pid $pid) frozen"
  await_line "$log" "worker $id \\(pid $pid.*unhealthy" 120 "$mode: the frozen worker leaving rotation"
  for ((i = 0; i < 1800; i++)); do alive "$pid" || break; sleep 0.1; done
  gone_ms=$(now_ms)
  alive "$pid" && log "$mode: the frozen worker is still there after 180 s"
  FROZEN=""
  wait "$load_pid" || true
  stop_runner
  report "$mode" "$log" "$csvf" "$stop_ms" "$gone_ms" "$id"
}

cost() { # label health-args...
  local label=$1 log=$OUT/cost-${1//[^a-zA-Z0-9]/_}.log port t0 t1
  shift
  port=$(free_port)
  start_runner "$log" -p "$port" -w 8 "$@"
  await_line "$log" "8 of 8 ready" 120 "$label: 8 workers ready"
  sleep 10 # the start's JIT and GC settle
  t0=$(cpu_ticks "$RUNNER_PID")
  sleep "$WINDOW"
  t1=$(cpu_ticks "$RUNNER_PID")
  stop_runner
  COST_MS=$(( (t1 - t0) * 1000 / CLK_TCK ))
  printf '%-22s runner CPU %6d ms over %d s (%.2f%% of one core)\n' "$label" "$COST_MS" "$WINDOW" \
    "$(awk -v ms="$COST_MS" -v s="$WINDOW" 'BEGIN {print ms / s / 10}')"
}

echo "== actor-runner health  $(date -u +'%Y-%m-%d %H:%M:%S UTC')  $(nproc) cpus, load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "   $(java -version 2>&1 | head -1); jar: $JAR; logs: $OUT"

if [[ $DO_FREEZE == 1 ]]; then
  echo "-- a frozen worker (SIGSTOP) of 2, under 16 keep-alive clients for ${LOAD_SECONDS}s, default health settings"
  for mode in $MODES; do freeze "$mode"; done
fi

if [[ $DO_COST == 1 ]]; then
  echo "-- the cost of liveness checks: 8 idle demo workers, runner CPU over ${WINDOW}s"
  cost "checks off" --health off
  off=$COST_MS
  cost "tcp check every 1s" --health tcp --health-interval 1s
  tcp=$COST_MS
  cost "GET / every 1s" --health http:/ --health-interval 1s
  http=$COST_MS
  checks=$((8 * WINDOW))
  echo "   per check: tcp $(awk -v a="$tcp" -v b="$off" -v n="$checks" 'BEGIN {printf "%.0f", (a - b) * 1000 / n}') us," \
    "GET / $(awk -v a="$http" -v b="$off" -v n="$checks" 'BEGIN {printf "%.0f", (a - b) * 1000 / n}') us of runner CPU" \
    "($checks checks per window)"
fi
