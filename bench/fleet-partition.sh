#!/usr/bin/env bash
# A network partition of the fleet (issue 15), by hand, as root: N runners, each in a network
# namespace of its own, joined by a bridge that lives in one more namespace (the "hub"), so that
# nothing here touches the host's network. Mid-roll, one node's link to the hub is cut: the
# majority goes on; the cut-off node's workers keep serving (a client in its namespace, one request
# every 200 ms, counts failures); a `fleet reload` asked on the cut-off side fails fast with exit 2;
# the link heals, the node rejoins and is brought to the release.
#
#   bench/fleet-partition.sh [--nodes N] [--cut-for S]
#     --nodes N     runners (3)
#     --cut-for S   how long the link stays cut (40)
#     -h, --help
#
# Needs target/actor-runner.jar. Creates namespaces arf<pid>-hub and arf<pid>-n1.., removed on exit
# with every process in them.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/lib.sh
. bench/lib.sh

NODES=3 CUT_FOR=40
while [[ $# -gt 0 ]]; do
  case $1 in
    --nodes) NODES=$2; shift 2 ;;
    --cut-for) CUT_FOR=$2; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) die "unknown option $1" ;;
  esac
done
[[ $(id -u) == 0 ]] || die "needs root (network namespaces)"
JAR=$PWD/target/actor-runner.jar
[[ -f $JAR ]] || die "no $JAR: mvn -o -q clean package -DskipTests"
WORK=$(mktemp -d /tmp/actor-runner-partition.XXXXXX)
cp "$JAR" "$WORK/actor-runner.jar"
P=arf$$
HUB=$P-hub
PIDS=()
log "work directory $WORK, namespaces $P-*"

cleanup() {
  local p ns
  for p in "${PIDS[@]}"; do stop_pid "$p" 20; done
  for ns in $(ip netns list | awk '{print $1}' | grep "^$P-" || true); do
    for p in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$p" 2>/dev/null || true; done
    ip netns delete "$ns" || true
  done
}
trap cleanup EXIT

ip netns add "$HUB"
ip -n "$HUB" link add br0 type bridge
ip -n "$HUB" link set br0 up
SEEDS=""
for ((i = 1; i <= NODES; i++)); do
  ns=$P-n$i
  ip netns add "$ns"
  ip -n "$ns" link set lo up
  ip link add "$P-$i" netns "$ns" type veth peer name "v$i" netns "$HUB"
  ip -n "$ns" link set "$P-$i" name eth0
  ip -n "$ns" addr add "10.77.0.$i/24" dev eth0
  ip -n "$ns" link set eth0 up
  ip -n "$HUB" link set "v$i" master br0
  ip -n "$HUB" link set "v$i" up
  SEEDS+="10.77.0.$i:2551,"
done
SEEDS=${SEEDS%,}
# A private network of namespaces made here: plain tcp on purpose.
printf 'actor-runner.fleet { insecure = on }\n' > "$WORK/fleet.conf"

printf 'Main-Class: dev.actorrunner.demo.HelloServer\nClass-Path: %s\nRelease: 1\n' "$WORK/actor-runner.jar" > "$WORK/m1"
printf 'Main-Class: dev.actorrunner.demo.HelloServer\nClass-Path: %s\nRelease: 2\n' "$WORK/actor-runner.jar" > "$WORK/m2"
mkdir -p "$WORK/r1" "$WORK/r2"
(cd "$WORK" && jar cfm r1/app.jar m1 && jar cfm r2/app.jar m2)

for ((i = 1; i <= NODES; i++)); do
  ip netns exec "$P-n$i" java -Xmx256m -jar "$WORK/actor-runner.jar" -w 2 -p 8080 --bind 0.0.0.0 --slow-start 0s \
    --jvm-opt -Xmx64m --config "$WORK/fleet.conf" --control-socket "$WORK/n$i.sock" \
    --fleet-bind "10.77.0.$i:2551" --fleet-seeds "$SEEDS" --fleet-name "n$i" "$WORK/r1/app.jar" > "$WORK/n$i.log" 2>&1 &
  PIDS+=($!)
done
fleet() { java -jar "$WORK/actor-runner.jar" fleet "$@"; }
t0=$SECONDS
until fleet status --control-socket "$WORK/n1.sock" 2>/dev/null | head -1 | grep -q "^$NODES node(s), $((NODES * 2)) worker"; do
  ((SECONDS - t0 < 240)) || die "the fleet did not form in 240s"; sleep 1
done
log "formed in $((SECONDS - t0))s"

CUT=$NODES
# A client in the cut-off node's namespace, on its public port: one request every 200 ms.
( ok=0 failed=0
  while [[ ! -f $WORK/stop-client ]]; do
    if [[ $(ip netns exec "$P-n$CUT" curl -s -o /dev/null -m 2 -w '%{http_code}' http://127.0.0.1:8080/) == 200 ]]; then
      ok=$((ok + 1)); else failed=$((failed + 1)); fi
    sleep 0.2
  done
  echo "client in n$CUT: $ok ok, $failed failed" > "$WORK/client.out" ) &
CLIENT=$!

fleet reload --jar "$WORK/r2/app.jar" --control-socket "$WORK/n1.sock"
until fleet status --control-socket "$WORK/n1.sock" | head -1 | grep -q " 1 of $NODES done"; do sleep 1; done
log "cutting n$CUT off for ${CUT_FOR}s"
ip -n "$HUB" link set "v$CUT" down
sleep 8
set +e
t1=$SECONDS; fleet reload --jar "$WORK/r2/app.jar" --control-socket "$WORK/n$CUT.sock"; code=$?
log "fleet reload on the cut-off side: exit $code after $((SECONDS - t1))s"
set -e
sleep $((CUT_FOR > 8 ? CUT_FOR - 8 : 0))
fleet status --control-socket "$WORK/n1.sock" || true
log "healing"
ip -n "$HUB" link set "v$CUT" up
t2=$SECONDS
until fleet status --control-socket "$WORK/n1.sock" 2>/dev/null | head -1 | grep -q "^$NODES node(s), $((NODES * 2)) worker(s) ready, 1 release(s)$"; do
  ((SECONDS - t2 < 300)) || { fleet status --control-socket "$WORK/n1.sock" || true; die "not one release 300s after healing"; }
  sleep 1
done
log "every node on one release $((SECONDS - t2))s after healing"
touch "$WORK/stop-client"; wait "$CLIENT" || true
cat "$WORK/client.out"
fleet status --control-socket "$WORK/n1.sock"
grep -h "Fleet: \|bringing" "$WORK"/n*.log | tail -6
