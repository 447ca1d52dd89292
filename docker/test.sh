#!/usr/bin/env bash
# The container image, built from docker/Dockerfile and run as a user runs it (issue 16).
#
#   docker/test.sh                 builds localhost/actor-runner:test, checks it, then removes every
#                                  container and image it made
#   docker/test.sh --keep-cache    the same, but keeps the base images and the Maven repository it
#                                  made, for a quicker next run (in STORE; --clean removes them)
#   docker/test.sh --clean         removes what --keep-cache kept, and exits
#   more: --bases auto|official|debian (auto), --maven-repo DIR (share a Maven repository, e.g.
#         ~/.m2/repository, instead of the cache's own)
#
# Bases: the official ones (the Dockerfile's defaults) when they can be pulled; else (auto) bases
# made from Debian's packages and passed as BUILD_IMAGE and RUNTIME_IMAGE: a Debian bookworm made by
# debootstrap, + a JRE 17 (the runtime base), + a JDK 17 and Maven (the build base). Or your own:
# BUILD_IMAGE=... RUNTIME_IMAGE=... docker/test.sh.
#
# Checks: the image's user, entrypoint, command and stop signal; the demo answers on its port from
# both workers; tini is PID 1 and the runner its child, with the shipped JVM flags and the class
# archive made at build time (classes loaded from it, counted); every process runs as the
# unprivileged user; orphans are reaped (no zombie); `kill -s HUP` replaces every worker; `exec ...
# actor-runner reload --wait` exits 0 having replaced every worker; a worker killed inside the
# container is replaced; `stop` (grace 100 s, above drain + kill timeouts) ends with exit code 0
# and every worker stopped by SIGTERM, none by SIGKILL; a bad flag exits 2 with one line. Prints
# each check, the image's size and layers, and how long each phase took.
#
# Engine: podman (installed from Debian if missing; --runtime runc, cgroupfs, host networking: what
# works on the machines this was written on), in a storage of its own (STORE), so that it never
# touches another image or container on the machine; or docker when podman is absent and a docker
# daemon answers (ENGINE=docker), in the daemon's storage.
# Environment: ENGINE, BUILD_IMAGE and RUNTIME_IMAGE, STORE (/var/tmp/actor-runner-podman), MIRROR
# (Debian mirror; default: the one apt uses here), PORT (18580), MAX_SECONDS (900). Needs root
# (podman, debootstrap).
#
# Exit codes: 0 every check passed; 1 a check or a step failed (the line says which, the logs
# are kept); 2 a bad option or variable; 3 cannot run here (not root, the store or PORT in use).
set -euo pipefail
# shellcheck source=SCRIPTDIR/../bench/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../bench/lib.sh"

usage_error() { echo "test.sh: $*" >&2; exit 2; }
refuse() { echo "test.sh: $*" >&2; exit 3; }
# shellcheck disable=SC2016
port_free() { ! timeout 2 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1"' _ "$1" 2>/dev/null; }

KEEP=0 CLEAN=0 BASES=auto MAVEN_REPO=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --keep-cache) KEEP=1 ;;
    --clean) CLEAN=1 ;;
    --bases|--maven-repo)
      [[ $# -ge 2 ]] || usage_error "$1 needs a value (see --help)"
      if [[ $1 == --bases ]]; then BASES=$2; else MAVEN_REPO=$2; fi
      shift ;;
    -h|--help) usage; exit 0 ;;
    *) usage_error "unknown option $1 (see --help)" ;;
  esac
  shift
done
case "$BASES" in auto|official|debian) ;; *) usage_error "--bases: auto, official or debian, got \"$BASES\"" ;; esac
[[ -z $MAVEN_REPO || -d $MAVEN_REPO ]] || usage_error "--maven-repo: $MAVEN_REPO is not a directory"
case "${ENGINE:-}" in ""|podman|docker) ;; *) usage_error "ENGINE: podman or docker, got \"$ENGINE\"" ;; esac
[[ -z ${BUILD_IMAGE:-}${RUNTIME_IMAGE:-} || ( -n ${BUILD_IMAGE:-} && -n ${RUNTIME_IMAGE:-} ) ]] \
  || usage_error "give both BUILD_IMAGE and RUNTIME_IMAGE, or neither"
[[ ${MAX_SECONDS:-900} =~ ^[1-9][0-9]*$ ]] || usage_error "MAX_SECONDS: a number of seconds, got \"$MAX_SECONDS\""
[[ ${PORT:-18580} =~ ^[1-9][0-9]{0,4}$ && ${PORT:-18580} -le 65535 ]] || usage_error "PORT: a port number, got \"$PORT\""

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
MAX_SECONDS=${MAX_SECONDS:-900}
STORE=${STORE:-/var/tmp/actor-runner-podman}
IMAGE=localhost/actor-runner:test
CNAME=actor-runner-test-$$
SD_IMAGE=localhost/actor-runner:test-systemd
SD_NAME=actor-runner-test-systemd-$$
OFFICIAL_BUILD=docker.io/library/maven:3.9-eclipse-temurin-17
OFFICIAL_RUNTIME=docker.io/library/eclipse-temurin:17-jre
# The Debian-made bases. Bookworm: the last Debian release with a JDK 17.
DEBIAN_BASE=localhost/actor-runner-base:debian-bookworm
DEBIAN_RUNTIME=localhost/actor-runner-base:jre17
DEBIAN_BUILD=localhost/actor-runner-base:jdk17-maven
# With host networking the container shares the machine's ports: a public port and a block of
# worker ports of its own, below the kernel's ephemeral range and outside 20000-29999, which the
# integration tests and benchmarks use.
PORT=${PORT:-18580}
WORKER_PORTS=31000-31099
STOP_GRACE=100

[[ $(id -u) == 0 ]] || refuse "run as root (debootstrap, and podman in a store of its own, need it)"
if [[ $CLEAN == 1 ]]; then
  [[ -d $STORE ]] || { log "nothing to remove at $STORE"; exit 0; }
  exec 9<"$STORE"
  flock -n 9 || refuse "a docker/test.sh is using $STORE"
  rm -rf "$STORE" && log "removed $STORE"
  exit 0
fi
port_free "$PORT" || refuse "port $PORT is taken on this machine: PORT=... docker/test.sh"
OUT=$(mktemp -d /tmp/actor-runner-docker-test.XXXXXX)

ENG=() ENGINE_NAME="" STORE_MADE=0 PULLED=() CHECKS=() PHASES=() PHASE="" PHASE_T0=0 T_START=$(date +%s)

# ---- the engine ---------------------------------------------------------------------------------
choose_engine() {
  ENGINE_NAME=${ENGINE:-}
  if [[ -z $ENGINE_NAME ]]; then
    if command -v podman >/dev/null; then ENGINE_NAME=podman
    elif command -v docker >/dev/null && timeout 10 docker info >/dev/null 2>&1; then ENGINE_NAME=docker
    else ENGINE_NAME=podman
    fi
  fi
  case "$ENGINE_NAME" in
    podman)
      need_commands podman runc
      mkdir -p "$STORE"
      printf '[containers]\n# crun and the default ulimits fail here (setrlimit RLIMIT_NOFILE).\ndefault_ulimits = []\n' \
        >"$STORE/containers.conf"
      export CONTAINERS_CONF=$STORE/containers.conf
      ENG=(podman --root "$STORE/storage" --runroot "$STORE/run" --runtime runc --cgroup-manager cgroupfs) ;;
    docker) ENG=(docker) ;;
  esac
}

# eng SECONDS ARGS...: the engine, bounded in time.
eng() { local secs=$1; shift; timeout -k 10 "$secs" "${ENG[@]}" "$@"; }

image_exists() { eng 60 image inspect "$1" >/dev/null 2>&1; }

# ---- phases and checks --------------------------------------------------------------------------
phase() { # name: ends the current phase, starts the next
  local now
  now=$(date +%s)
  if [[ -n $PHASE ]]; then PHASES+=("$(printf '%-28s %4ss' "$PHASE" $((now - PHASE_T0)))"); fi
  PHASE=$1 PHASE_T0=$now
  [[ -n $PHASE ]] && log "== $PHASE"
  return 0
}

words() { tr '\n' ' ' <<<"$1" | sed 's/ *$//'; } # lines as one line

ok() { CHECKS+=("ok    $*"); log "ok: $*"; }

fail() { CHECKS+=("FAIL  $*"); die "$*"; }

# until_true SECONDS WHAT COMMAND...: polls COMMAND every 0.5 s until it succeeds.
until_true() {
  local secs=$1 what=$2 i
  shift 2
  for ((i = 0; i < secs * 2; i++)); do
    "$@" && return 0
    container_running || fail "$what: the container exited (log: $OUT/container.log)"
    sleep 0.5
  done
  fail "$what: not within ${secs}s"
}

# ---- the container ------------------------------------------------------------------------------
container_running() {
  [[ $(eng 30 inspect --format '{{.State.Running}}' "$CNAME" 2>/dev/null) == true ]]
}

save_log() { eng 60 logs "$CNAME" >"$OUT/container.log" 2>&1 || true; }

in_c() { eng 60 exec "$CNAME" "$@"; } # a command inside the container, as its user

log_count() { save_log; grep -cE "$1" "$OUT/container.log" || true; }

# The pids of the workers `actor-runner status` shows ready, one a line, sorted.
ready_pids() { in_c actor-runner status 2>/dev/null | awk '$4 == "ready" {print $2}' | sort -n; }

ready_count_is() { [[ $(ready_pids | wc -l) == "$1" ]]; }

# Two workers ready, and the worker with pid $1 not among them.
replaced() { local p; p=$(ready_pids); [[ $(wc -l <<<"$p") == 2 ]] && ! grep -qx "$1" <<<"$p"; }

more_lines_than() { [[ $(log_count "$1") -gt $2 ]]; } # regex n

no_sleep_left() { ! in_c ps -eo comm | grep -qx sleep; }

# An HTTP GET of / on the public port, without curl (a bare machine may lack it).
http_get() {
  # shellcheck disable=SC2016
  timeout 5 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1" && printf "GET / HTTP/1.0\r\nHost: x\r\n\r\n" >&3 && cat <&3' \
    _ "$PORT" 2>/dev/null | tr -d '\r' | tail -1
}


# ---- cleanup: whatever happens, nothing this run made is left -----------------------------------
WATCHDOG_PID=""
test_cleanup() {
  local rc=$? p
  set +e
  trap - EXIT INT TERM HUP
  if [[ -n $WATCHDOG_PID ]]; then pkill -P "$WATCHDOG_PID" sleep 2>/dev/null; kill "$WATCHDOG_PID" 2>/dev/null; fi
  phase ""
  if [[ ${#ENG[@]} -gt 0 ]]; then
    if eng 30 inspect "$CNAME" >/dev/null 2>&1; then
      save_log
      eng 60 rm -f "$CNAME" >/dev/null 2>&1 || log "could not remove container $CNAME"
    fi
    eng 60 rm -f "$CNAME-bad" "$CNAME-du" >/dev/null 2>&1
    if eng 30 inspect "$SD_NAME" >/dev/null 2>&1; then
      eng 60 exec "$SD_NAME" journalctl --no-pager >"$OUT/systemd-journal.log" 2>&1
      eng 60 rm -f -t 0 "$SD_NAME" >/dev/null 2>&1 || log "could not remove container $SD_NAME"
    fi
    eng 120 rmi -f "$SD_IMAGE" "$IMAGE" >/dev/null 2>&1
    if [[ $ENGINE_NAME == podman ]]; then
      # The store is this script's own: its dangling images are the build stage's layers.
      eng 120 image prune -f >/dev/null 2>&1
      if [[ $STORE_MADE == 1 && $KEEP == 0 ]]; then
        rm -rf "$STORE" && log "removed $STORE (the bases and caches this run made)"
      elif [[ -d $STORE ]]; then
        log "kept $STORE for the next run: $(du -sh "$STORE" 2>/dev/null | cut -f1) (docker/test.sh --clean removes it)"
      fi
    elif [[ $KEEP == 0 ]]; then
      for p in "${PULLED[@]}"; do eng 120 rmi "$p" >/dev/null 2>&1; done
    fi
  fi
  echo
  echo "checks:"
  printf '  %s\n' "${CHECKS[@]}"
  echo "phases (engine: ${ENGINE_NAME:-none}):"
  printf '  %s\n' "${PHASES[@]}"
  printf '  %-28s %4ss\n' total $(($(date +%s) - T_START))
  if [[ $rc == 0 ]]; then echo "PASS"; else echo "FAILED (exit $rc)"; fi
  echo "logs: $OUT" >&2
  exit "$rc"
}

trap test_cleanup EXIT
trap 'log "interrupted"; exit 130' INT
trap 'log "terminated by SIGTERM (the MAX_SECONDS=$MAX_SECONDS limit, or from outside)"; exit 143' TERM
trap 'exit 129' HUP
# The watchdog ends the script, and whatever it is waiting for, after MAX_SECONDS.
( sleep "$MAX_SECONDS"; kill -TERM $$ 2>/dev/null; pkill -TERM -P $$ 2>/dev/null ) >/dev/null 2>&1 &
WATCHDOG_PID=$!

# ---- 1. bases -----------------------------------------------------------------------------------
phase "engine"
[[ -d $STORE ]] || STORE_MADE=1
choose_engine
if [[ $ENGINE_NAME == podman ]]; then
  exec 9<"$STORE"
  flock -n 9 || { ENG=(); refuse "another docker/test.sh uses $STORE (STORE=... for a store of your own)"; } # touch none of its images
fi
log "$("${ENG[@]}" --version)"

debian_mirror() {
  local m
  m=$(grep -hsE '^URIs:' /etc/apt/sources.list.d/*.sources | awk '{print $2}' | grep -v security | head -1 || true)
  [[ -n $m ]] || m=$(grep -hsE '^deb ' /etc/apt/sources.list | awk '{print $2}' | grep -v security | head -1 || true)
  echo "${m:-http://deb.debian.org/debian}"
}

# A base from a Containerfile on stdin, with host networking for apt-get.
build_base() { # tag what
  local tag=$1 what=$2 t0
  t0=$(date +%s)
  local net=()
  [[ $ENGINE_NAME == podman ]] && net=(--network=host)
  eng 900 build "${net[@]}" -t "$tag" -f - "$OUT/empty" >"$OUT/base-${tag##*:}.log" 2>&1 \
    || fail "building the $what base (see $OUT/base-${tag##*:}.log)"
  log "$what base $tag: $(($(date +%s) - t0))s"
}

make_debian_bases() {
  local mirror rootfs
  mkdir -p "$OUT/empty"
  if ! image_exists "$DEBIAN_BASE"; then
    need_commands debootstrap
    mirror=${MIRROR:-$(debian_mirror)}
    rootfs=$(mktemp -d /var/tmp/actor-runner-rootfs.XXXXXX)
    log "debootstrap bookworm from $mirror"
    timeout -k 10 900 debootstrap --variant=minbase bookworm "$rootfs" "$mirror" >"$OUT/debootstrap.log" 2>&1 \
      || { rm -rf "$rootfs"; fail "debootstrap (see $OUT/debootstrap.log)"; }
    # What debootstrap leaves for apt, not for an image: the packages, their lists and caches.
    rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/cache/apt/*.bin "$rootfs"/var/lib/apt/lists/*
    # As Debian's and Ubuntu's official images: apt keeps no package or cache file in a layer, and
    # dpkg does not sync every file it writes.
    cat >"$rootfs/etc/apt/apt.conf.d/docker-clean" <<'EOF2'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
EOF2
    echo force-unsafe-io >"$rootfs/etc/dpkg/dpkg.cfg.d/docker-apt-speedup"
    tar -C "$rootfs" -c . | eng 300 import - "$DEBIAN_BASE" >"$OUT/import.log" 2>&1 || { rm -rf "$rootfs"; fail "import of the Debian base"; }
    rm -rf "$rootfs"
  fi
  if ! image_exists "$DEBIAN_RUNTIME"; then
    build_base "$DEBIAN_RUNTIME" "runtime (JRE 17)" <<EOF
FROM $DEBIAN_BASE
RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \\
    openjdk-17-jre-headless && rm -rf /var/lib/apt/lists/*
EOF
  fi
  if ! image_exists "$DEBIAN_BUILD"; then
    build_base "$DEBIAN_BUILD" "build (JDK 17, Maven)" <<EOF
FROM $DEBIAN_RUNTIME
RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \\
    openjdk-17-jdk-headless maven && rm -rf /var/lib/apt/lists/*
EOF
  fi
}

pull_official() {
  local img
  for img in "$OFFICIAL_BUILD" "$OFFICIAL_RUNTIME"; do
    image_exists "$img" && continue
    eng 600 pull "$img" >>"$OUT/pull.log" 2>&1 || return 1
    PULLED+=("$img")
  done
}

phase "bases"
BUILD_ARGS=() BUILD_BASE=$OFFICIAL_BUILD
if [[ -n ${BUILD_IMAGE:-}${RUNTIME_IMAGE:-} ]]; then
  BUILD_BASE=$BUILD_IMAGE
  BUILD_ARGS=(--build-arg "BUILD_IMAGE=$BUILD_IMAGE" --build-arg "RUNTIME_IMAGE=$RUNTIME_IMAGE")
  log "bases given: $BUILD_IMAGE, $RUNTIME_IMAGE"
elif [[ $BASES != debian ]] && pull_official; then
  log "bases: the official ones (the Dockerfile's defaults)"
else
  [[ $BASES == official ]] && fail "the official bases cannot be pulled (see $OUT/pull.log)"
  log "bases: the official ones cannot be pulled ($(tail -1 "$OUT/pull.log" 2>/dev/null | cut -c1-120)); making them from Debian's packages"
  make_debian_bases
  BUILD_ARGS=(--build-arg "BUILD_IMAGE=$DEBIAN_BUILD" --build-arg "RUNTIME_IMAGE=$DEBIAN_RUNTIME")
  BUILD_BASE=$DEBIAN_BUILD
fi

# ---- 2. the image -------------------------------------------------------------------------------
phase "image build"
MOUNTS=()
if [[ $ENGINE_NAME == podman ]]; then
  MOUNTS+=(--network=host --jobs 2)
  # Maven inside the build fetches from Maven Central over HTTPS: it must trust what this machine
  # trusts (a proxy's CA, as behind many corporate proxies, is in the host's store only).
  [[ -d /etc/ssl/certs ]] && MOUNTS+=(-v /etc/ssl/certs:/etc/ssl/certs:ro)
  # The build stage's Maven repository, kept beside the bases: a warm build downloads nothing.
  # Maven resolves the same versions from the same repository with or without it.
  MAVEN_REPO=${MAVEN_REPO:-$STORE/maven-repository}
  mkdir -p "$MAVEN_REPO"
  MOUNTS+=(-v "$(realpath "$MAVEN_REPO"):/root/.m2/repository")
fi
t0=$(date +%s)
# Each line of the build's output with the seconds since it started: which step takes the time.
eng 1200 build "${MOUNTS[@]}" "${BUILD_ARGS[@]}" -f docker/Dockerfile -t "$IMAGE" . 2>&1 \
  | while IFS= read -r line; do printf '%4ds %s\n' $(($(date +%s) - t0)) "$line"; done >"$OUT/build.log" \
  || fail "image build (see $OUT/build.log)"
grep -E '^ *[0-9]+s \[[0-9]/[0-9]\] STEP' "$OUT/build.log" | cut -c1-110 >&2 || true
ok "image built from docker/Dockerfile in $(($(date +%s) - t0))s: $IMAGE"

phase "image facts"
fmt='{{.Config.User}}|{{json .Config.Entrypoint}}|{{json .Config.Cmd}}|{{.Config.StopSignal}}'
IFS='|' read -r user entry cmd stopsig < <(eng 60 image inspect --format "$fmt" "$IMAGE")
[[ $user == runner ]] || fail "image user: $user, expected runner"
[[ $entry == '["/usr/bin/tini","--","/opt/actor-runner/bin/actor-runner"]' ]] || fail "entrypoint: $entry"
[[ $cmd == '["--bind","0.0.0.0","--port","8080","--demo"]' ]] || fail "command: $cmd"
[[ $stopsig == SIGTERM || $stopsig == 15 ]] || fail "stop signal: $stopsig"
ok "image: USER runner, ENTRYPOINT tini -- bin/actor-runner, CMD $cmd, STOPSIGNAL SIGTERM"
size=$(eng 60 image inspect --format '{{.Size}}' "$IMAGE")
ok "image size: $((size / 1000000)) MB ($((size / 1048576)) MiB); layers above 1 MB:"
eng 60 history --format '{{.Size}}|{{.CreatedBy}}' "$IMAGE" | awk -F'|' '
  { s = $1; n = s + 0; u = s; sub(/^[0-9.]+ ?/, "", u)
    if ((u ~ /^[kK]/) || (u ~ /^B/) || n == 0) next
    c = $2; gsub(/[ \t]+/, " ", c); printf "        %9s  %s\n", s, substr(c, 1, 96) }' | tee "$OUT/layers.txt" >&2 || true
# Inside the image, in MiB: the JRE (Debian's under /usr/lib/jvm, Temurin's under /opt/java), the
# runner (jar, class archive), and the rest of the system. du counts a file once: /usr/lib is
# what the JRE leaves of it. The JRE path that does not exist only makes du complain.
# shellcheck disable=SC2016
eng 120 run --rm --name "$CNAME-du" --network=host --user root --entrypoint /bin/sh "$IMAGE" -c \
  'du -xsm /usr/lib/jvm /opt/java /opt/actor-runner/* /usr/lib /usr/share /usr/bin /var /etc 2>/dev/null; true' \
  >"$OUT/du.txt" 2>&1
grep -q 'actor-runner.jar$' "$OUT/du.txt" || fail "du inside the image (see $OUT/du.txt)"
ok "inside the image, MiB: $(awk '{printf "%s%s %s", (NR > 1 ? ", " : ""), $2, $1}' "$OUT/du.txt")"

# ---- 3. the container ---------------------------------------------------------------------------
phase "start"
port_free "$PORT" || refuse "port $PORT is taken on this machine: PORT=... docker/test.sh"
# The runner's class loading goes to a file inside the container, to count what the class
# archive served; JAVA_OPTS only add that (they come after the launcher's flags). One file per
# JVM (%p: its pid), since every `exec ... actor-runner` client reads JAVA_OPTS too.
eng 120 run -d --name "$CNAME" --network=host --stop-timeout "$STOP_GRACE" \
  -e 'JAVA_OPTS=-Xlog:class+load=info:file=/tmp/class-load-%p.log' \
  "$IMAGE" --bind 127.0.0.1 --port "$PORT" --worker-ports "$WORKER_PORTS" --demo >/dev/null \
  || fail "podman run"
until_true 90 "2 workers ready" ready_count_is 2
ok "container up, 2 workers ready ($(($(date +%s) - PHASE_T0))s after run)"

phase "demo, PID 1, user"
pids=$(ready_pids)
answers=""
for i in $(seq 10); do answers+="$(http_get)"$'\n'; done
want=$(awk '{print "hello from pid " $0}' <<<"$pids" | sort -u)
got=$(printf '%s' "$answers" | grep -v '^$' | sort -u)
[[ $got == "$want" ]] || fail "the demo on 127.0.0.1:$PORT answered [$got], expected both workers [$want]"
ok "the demo answers on 127.0.0.1:$PORT, from both workers: $(words "$pids")"

in_c ps -eo pid,ppid,uid,stat,args >"$OUT/ps-start.txt" || fail "exec ps"
[[ $(in_c cat /proc/1/comm) == tini ]] || fail "PID 1 is $(in_c cat /proc/1/comm), not tini"
runner_line=$(awk '$2 == 1 && $5 ~ /java$/' "$OUT/ps-start.txt")
[[ -n $runner_line ]] || fail "no java child of PID 1 (see $OUT/ps-start.txt)"
RUNNER_PID=$(awk '{print $1}' <<<"$runner_line")
ok "PID 1 is tini; the runner (java, pid $RUNNER_PID) is its child"
for flag in -XX:+UseSerialGC -Xms16m -Xmx256m -XX:SharedArchiveFile=/opt/actor-runner/bin/../actor-runner.jsa \
  "-jar /opt/actor-runner/bin/../actor-runner.jar"; do
  [[ $runner_line == *" $flag"* ]] || fail "the runner's command line lacks $flag: $runner_line"
done
ok "the runner runs with the launcher's flags: -XX:+UseSerialGC -Xms16m -Xmx256m -XX:SharedArchiveFile=.../actor-runner.jsa"
others=$(awk 'NR > 1 && $3 != 10001' "$OUT/ps-start.txt")
[[ -z $others ]] || fail "processes not run by uid 10001: $others"
[[ $(in_c id -un) == runner ]] || fail "exec runs as $(in_c id -un)"
ok "every process runs as runner (uid 10001), exec too"

in_c cat "/tmp/class-load-$RUNNER_PID.log" >"$OUT/class-load.log" || fail "no class-loading log of the runner"
top=$(grep -c 'source: shared objects file (top)' "$OUT/class-load.log" || true)
base=$(grep -cE 'source: shared objects file$' "$OUT/class-load.log" || true)
total=$(grep -c 'source: ' "$OUT/class-load.log" || true)
(( top >= 1000 )) || fail "only $top classes from the image's class archive (see $OUT/class-load.log)"
ok "class archive used: of the runner's $total classes, $top came from actor-runner.jsa, $base from the JDK's archive, $((total - top - base)) were loaded"

phase "zombies"
# Orphans: each sleep's parent exits at once, so the kernel gives the sleep to PID 1 (tini). Long
# enough to be seen adopted by a slow exec on a busy machine; without a reaper as PID 1 each
# would stay a zombie once it ends.
in_c sh -c 'for i in 1 2 3 4 5; do (sleep 6 &); done' || fail "exec: the orphans"
adopted=$(in_c ps -eo ppid,comm | awk '$2 == "sleep" && $1 == 1' | wc -l)
[[ $adopted == 5 ]] || fail "$adopted of 5 orphans adopted by PID 1"
until_true 20 "the orphans reaped" no_sleep_left
zombies=$(in_c ps -eo stat,pid,comm | awk '$1 ~ /^Z/')
[[ -z $zombies ]] || fail "zombies: $zombies"
ok "5 orphans adopted by tini and reaped; no zombie"

phase "HUP"
before=$(ready_pids)
n0=$(log_count 'reload [0-9]+ completed')
eng 30 kill -s HUP "$CNAME" >/dev/null || fail "kill -s HUP"
until_true 90 "the HUP's reload to complete" more_lines_than 'reload [0-9]+ completed' "$n0"
after=$(ready_pids)
[[ $(wc -l <<<"$after") == 2 ]] || fail "after HUP: $(wc -l <<<"$after") ready"
[[ -z $(comm -12 <(echo "$before") <(echo "$after")) ]] || fail "after HUP, old workers still ready: $before -> $after"
ok "kill -s HUP replaced every worker: $(words "$before") -> $(words "$after")"

phase "reload --wait"
before=$after
in_c actor-runner reload --wait >"$OUT/reload-wait.txt" 2>&1 || fail "exec actor-runner reload --wait exited $? ($(tail -1 "$OUT/reload-wait.txt"))"
after=$(ready_pids)
[[ $(wc -l <<<"$after") == 2 && -z $(comm -12 <(echo "$before") <(echo "$after")) ]] \
  || fail "after reload --wait: $before -> $after"
ok "exec actor-runner reload --wait exited 0: $(tail -1 "$OUT/reload-wait.txt" | cut -c1-80)"

phase "worker killed"
before=$after
victim=$(head -1 <<<"$before")
in_c kill -KILL "$victim" || fail "exec kill -KILL $victim"
until_true 60 "a replacement for worker pid $victim" replaced "$victim"
save_log
grep -q "pid $victim, .*signal 9" "$OUT/container.log" || fail "the kill of $victim is not in the log"
ok "worker pid $victim, killed inside the container, was replaced: $(words "$(ready_pids)")"
zombies=$(in_c ps -eo stat,pid,comm | awk '$1 ~ /^Z/')
[[ -z $zombies ]] || fail "zombies: $zombies"
ok "no zombie after 2 reloads and a kill"

phase "stop"
last=$(ready_pids)
t0=$(date +%s)
eng $((STOP_GRACE + 30)) stop "$CNAME" >/dev/null || fail "stop"
stop_s=$(($(date +%s) - t0))
code=$(eng 30 inspect --format '{{.State.ExitCode}}' "$CNAME")
save_log
[[ $code == 0 ]] || fail "exit code $code after stop (log: $OUT/container.log)"
(( stop_s < STOP_GRACE )) || fail "stop took ${stop_s}s: the grace ran out"
for p in $last; do
  grep -qE "pid $p, gen [0-9]+\) exited after stop: exit code 0" "$OUT/container.log" \
    || fail "worker pid $p: no 'exited after stop: exit code 0' (log: $OUT/container.log)"
done
stop_line=$(grep -n 'stopping [0-9]* worker' "$OUT/container.log" | head -1 | cut -d: -f1)
if tail -n +"${stop_line:-1}" "$OUT/container.log" | grep -E 'after SIGTERM: SIGKILL|signal 9'; then
  fail "a worker was SIGKILLed during the stop"
fi
grep -q 'all workers stopped' "$OUT/container.log" || fail "no 'all workers stopped' in the log"
ok "stop (grace ${STOP_GRACE}s) took ${stop_s}s, exit code 0; workers $(words "$last") exited after SIGTERM with 0, none SIGKILLed"

phase "bad flag"
set +e
eng 120 run --name "$CNAME-bad" --network=host "$IMAGE" --demo --workers abc >"$OUT/bad.out" 2>"$OUT/bad.err"
code=$?
set -e
[[ $code == 2 ]] || fail "a bad flag exited $code, expected 2 ($(head -3 "$OUT/bad.err"))"
[[ $(wc -l <"$OUT/bad.err") == 1 && ! -s $OUT/bad.out ]] \
  || fail "a bad flag: expected one line on stderr, got: $(cat "$OUT/bad.out" "$OUT/bad.err")"
ok "a bad flag exits 2 with one line: $(cat "$OUT/bad.err")"

# ---- 4. the systemd unit, under a real systemd (PID 1 of a container) ----------------------------
# conf/actor-runner.service as shipped (my-service, its user and paths) over the image's
# /opt/actor-runner; its app is the demo, in a jar whose manifest names the demo's class.
if [[ $ENGINE_NAME != podman ]]; then # --systemd=always is podman's
  CHECKS+=("skip  the systemd unit under a real systemd: podman only (engine: $ENGINE_NAME)")
  exit 0
fi
phase "systemd image"
mkdir -p "$OUT/systemd"
cp conf/actor-runner.service "$OUT/systemd/my-service.service"
cp conf/actor-runner.conf "$OUT/systemd/actor-runner.conf"
cat >"$OUT/systemd/Containerfile" <<CONTAINERFILE
FROM $BUILD_BASE AS jars
RUN printf 'Main-Class: dev.actorrunner.demo.HelloServer\nClass-Path: /opt/actor-runner/actor-runner.jar\n' >/tmp/demo.mf \\
    && printf 'Main-Class: no.such.Main\n' >/tmp/boots-never.mf \\
    && jar cfm /tmp/demo.jar /tmp/demo.mf && jar cfm /tmp/boots-never.jar /tmp/boots-never.mf
FROM $IMAGE
USER root
RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends systemd systemd-sysv \\
    && rm -rf /var/lib/apt/lists/* \\
    && useradd --system --user-group --home-dir /opt/my-service --no-create-home --shell /usr/sbin/nologin my-service \\
    && mkdir -p /opt/my-service /etc/my-service
COPY --from=jars /tmp/demo.jar /opt/my-service/app.jar
COPY --from=jars /tmp/boots-never.jar /opt/my-service/boots-never.jar
COPY actor-runner.conf /etc/my-service/actor-runner.conf
COPY my-service.service /etc/systemd/system/my-service.service
ENTRYPOINT []
CMD ["/sbin/init"]
STOPSIGNAL SIGRTMIN+3
CONTAINERFILE
sd_net=()
[[ $ENGINE_NAME == podman ]] && sd_net=(--network=host)
eng 600 build "${sd_net[@]}" -t "$SD_IMAGE" "$OUT/systemd" >"$OUT/systemd-build.log" 2>&1 \
  || fail "building the systemd image (see $OUT/systemd-build.log)"
ok "systemd image: the test image + systemd, conf/actor-runner.service as my-service.service"

phase "systemd"
in_sd() { eng 60 exec "$SD_NAME" "$@"; }
unit() { in_sd systemctl show my-service -p "$1" --value; } # a property of the unit
unit_is() { [[ $(unit ActiveState) == "$1" ]]; }
restarts_are() { [[ $(unit NRestarts) == "$1" ]]; }
sd_ready_pids() {
  in_sd runuser -u my-service -- /opt/actor-runner/bin/actor-runner status --control-socket /run/my-service/control.sock \
    2>/dev/null | awk '$4 == "ready" {print $2}' | sort -n
}
sd_two_ready() { [[ $(sd_ready_pids | wc -l) == 2 ]]; }
sd_replaced() { local p; p=$(sd_ready_pids); [[ $(wc -l <<<"$p") == 2 && -z $(comm -12 <(echo "$1") <(echo "$p")) ]]; }
sd_within() { # seconds command...: polls the command every 0.5 s; false if it never succeeded
  local secs=$1 i
  shift
  for ((i = 0; i < secs * 2; i++)); do "$@" && return 0; sleep 0.5; done
  return 1
}
sd_until() { # seconds what command...: as until_true, for the systemd container
  local secs=$1 what=$2
  shift 2
  sd_within "$secs" "$@" && return 0
  in_sd journalctl -u my-service --no-pager >"$OUT/my-service.log" 2>&1 || true
  fail "systemd: $what: not within ${secs}s (journal: $OUT/my-service.log)"
}
# Its own network namespace (lo only): the unit's port 8080 and worker ports meet nobody's.
eng 120 run -d --name "$SD_NAME" --network=none --systemd=always "$SD_IMAGE" >/dev/null || fail "run the systemd container"
sd_booted() { state=$(in_sd systemctl is-system-running 2>&1 || true); [[ $state == running || $state == degraded ]]; }
state=""
for ((i = 0; i < 120; i++)); do sd_booted && break; sleep 0.5; done
sd_booted || fail "systemd in the container did not boot within 60s: $state"
ok "systemd $(in_sd systemctl --version | awk 'NR == 1 {print $2}') is PID 1 of a container ($state)"
verify=$(in_sd systemd-analyze verify /etc/systemd/system/my-service.service 2>&1) || fail "systemd-analyze verify: $verify"
[[ -z $verify ]] || fail "systemd-analyze verify: $verify"
ok "systemd-analyze verify accepts the unit (its paths exist here)"

in_sd systemctl start my-service || fail "systemctl start my-service"
sd_until 60 "2 workers ready" sd_two_ready
main=$(unit MainPID)
[[ $(in_sd cat "/proc/$main/comm") == java && $(in_sd stat -c %U "/proc/$main") == my-service ]] \
  || fail "the unit's main process $main is not java run by my-service"
# shellcheck disable=SC2016
answer=$(in_sd bash -c 'exec 3<>/dev/tcp/127.0.0.1/8080 && printf "GET / HTTP/1.0\r\n\r\n" >&3 && cat <&3' | tr -d '\r' | tail -1)
[[ $answer == "hello from pid "* ]] || fail "the unit's port 8080 answered: $answer"
ok "systemctl start: active, main process java (the launcher exec'd it) run by my-service, 2 workers, port 8080 answers"

before=$(sd_ready_pids)
in_sd systemctl reload my-service || fail "systemctl reload"
sd_until 60 "the reload to replace both workers" sd_replaced "$before"
ok "systemctl reload replaced every worker: $(words "$before") -> $(words "$(sd_ready_pids)")"

last=$(sd_ready_pids)
t0=$(date +%s)
in_sd systemctl stop my-service || fail "systemctl stop"
stop_s=$(($(date +%s) - t0))
in_sd journalctl -u my-service --no-pager >"$OUT/my-service.log" 2>&1 || fail "journalctl"
[[ $(unit Result) == success && $(unit ExecMainStatus) == 0 ]] \
  || fail "after systemctl stop: Result=$(unit Result), ExecMainStatus=$(unit ExecMainStatus)"
for p in $last; do
  grep -qE "pid $p, gen [0-9]+\) exited after stop: exit code 0" "$OUT/my-service.log" \
    || fail "systemd: worker pid $p: no 'exited after stop: exit code 0' (journal: $OUT/my-service.log)"
done
if grep -E 'after SIGTERM: SIGKILL|signal 9|timed out|Killing process' "$OUT/my-service.log"; then
  fail "systemd: something was SIGKILLed during the stop"
fi
ok "systemctl stop took ${stop_s}s (TimeoutStopSec $(unit TimeoutStopUSec)): exit code 0, workers $(words "$last") exited after SIGTERM with 0"

in_sd systemctl start my-service || fail "systemctl start my-service"
sd_until 60 "2 workers ready" sd_two_ready
old=$(sd_ready_pids)
t0=$(date +%s)
in_sd systemctl kill -s KILL --kill-whom=main my-service || fail "systemctl kill"
# Seen in 3 of the 6 runs that got this far: systemd SIGKILLed a process still in the unit's
# cgroup after the main process died (a `sh` beside a worker, itself dying with the runner), then
# stayed "deactivating (stop-sigkill)" with an empty cgroup until TimeoutStopSec (100 s) ended the
# wait, and only then restarted the unit: under podman's cgroupfs on this cgroup v1 host, systemd
# in the container is not told that the cgroup emptied (a systemd that is the host's PID 1 is, by
# its own cgroup notifications; not tested here). So its state after 30 s goes to a file, and the
# wait goes on past TimeoutStopSec.
restart_note=""
if ! sd_within 30 restarts_are 1; then
  { in_sd systemctl status my-service --no-pager; in_sd ps -eo pid,ppid,stat,args; } >"$OUT/systemd-after-kill.txt" 2>&1 || true
  restart_note=" (systemd was stuck in $(unit ActiveState)/$(unit SubState) with an empty cgroup until TimeoutStopSec: see $OUT/systemd-after-kill.txt)"
  log "systemd: no restart 30s after the runner's SIGKILL$restart_note; waiting on"
  sd_until 120 "a restart after the runner's SIGKILL" restarts_are 1
fi
restart_s=$(($(date +%s) - t0))
sd_until 60 "2 new workers ready after the restart" sd_replaced "$old"
for p in $old; do
  ! in_sd test -d "/proc/$p" || fail "worker pid $p outlived its runner's SIGKILL"
done
ok "a runner killed by SIGKILL is restarted (Restart=on-failure) after ${restart_s}s$restart_note; its workers did not outlive it"

# The runner upgraded under systemd: the unit made Type=notify (the variant the shipped unit
# describes in a comment), so `systemctl start` returns at READY=1, and at `actor-runner upgrade`
# the old runner tells systemd MAINPID= of the new one before it exits. systemd 252 cannot wait for
# a main process that is not its child ("We'll most likely not notice when it exits"): without
# ExecStop it sent SIGTERM and SIGKILL at once at the next stop (Result=signal, seen here), so the
# variant stops through `actor-runner stop --wait` first.
in_sd systemctl stop my-service || fail "systemctl stop"
in_sd sh -c 'mkdir -p /etc/systemd/system/my-service.service.d && printf "[Service]\nType=notify\nTimeoutStartSec=300\nExecStop=/opt/actor-runner/bin/actor-runner stop --wait --control-socket /run/my-service/control.sock\n" >/etc/systemd/system/my-service.service.d/notify.conf && systemctl daemon-reload' \
  || fail "the Type=notify drop-in"
in_sd systemctl start my-service || fail "systemctl start my-service (Type=notify: waits for READY=1)"
sd_two_ready || fail "systemctl start (Type=notify) returned before 2 workers were ready"
main=$(unit MainPID)
upgrade_out=$(in_sd runuser -u my-service -- /opt/actor-runner/bin/actor-runner upgrade --wait \
  --control-socket /run/my-service/control.sock 2>&1) || fail "actor-runner upgrade --wait under systemd: $upgrade_out"
main_is_not() { [[ $(unit MainPID) != "$1" && $(unit MainPID) != 0 ]]; }
pid_gone() { ! in_sd test -d "/proc/$1"; }
sd_until 60 "systemd to follow the new main pid" main_is_not "$main"
new_main=$(unit MainPID)
sd_until 60 "the old runner $main to exit" pid_gone "$main"
unit_is active || fail "after the upgrade: ActiveState=$(unit ActiveState)"
[[ $(in_sd cat "/proc/$new_main/comm") == java ]] || fail "the new main pid $new_main is not java"
# shellcheck disable=SC2016
answer=$(in_sd bash -c 'exec 3<>/dev/tcp/127.0.0.1/8080 && printf "GET / HTTP/1.0\r\n\r\n" >&3 && cat <&3' | tr -d '\r' | tail -1)
[[ $answer == "hello from pid "* ]] || fail "after the upgrade, port 8080 answered: $answer"
ok "Type=notify: start waited for READY=1; actor-runner upgrade moved the main pid $main -> $new_main, the old runner exited, the unit stayed active, port 8080 answers"
in_sd systemctl stop my-service || fail "systemctl stop"
in_sd journalctl -u my-service --no-pager >"$OUT/my-service-upgrade.log" 2>&1 || true
[[ $(unit Result) == success ]] || fail "stop after the upgrade: Result=$(unit Result) (journal: $OUT/my-service-upgrade.log)"
grep -q "actor-runner\[$new_main\].*all workers stopped" "$OUT/my-service-upgrade.log" \
  || fail "stop after the upgrade: the new runner did not stop its workers itself (journal: $OUT/my-service-upgrade.log)"
ok "systemctl stop after the upgrade (ExecStop: actor-runner stop --wait): the new runner stopped its workers itself, Result=success"
in_sd sh -c 'rm -r /etc/systemd/system/my-service.service.d && systemctl daemon-reload' || fail "removing the drop-in"

in_sd sh -c 'cp /etc/my-service/actor-runner.conf /tmp/good.conf && echo "actor-runner { workers = abc }" >/etc/my-service/actor-runner.conf' || fail "writing a bad config"
in_sd systemctl start my-service || true
sd_until 30 "the unit to fail on a bad config" unit_is failed
[[ $(unit ExecMainStatus) == 2 && $(unit NRestarts) == 0 ]] \
  || fail "bad config: ExecMainStatus=$(unit ExecMainStatus), NRestarts=$(unit NRestarts)"
ok "a config error: exit code 2, the unit failed and was not restarted (RestartPreventExitStatus)"

in_sd sh -c 'cp /tmp/good.conf /etc/my-service/actor-runner.conf && cp /opt/my-service/boots-never.jar /opt/my-service/app.jar' || fail "installing an app that cannot boot"
in_sd systemctl reset-failed my-service || fail "systemctl reset-failed"
in_sd systemctl start my-service || true
sd_until 60 "the unit to fail on an app that cannot boot" unit_is failed
[[ $(unit ExecMainStatus) == 3 && $(unit NRestarts) == 0 ]] \
  || fail "an app that cannot boot: ExecMainStatus=$(unit ExecMainStatus), NRestarts=$(unit NRestarts)"
ok "an app that cannot boot: exit code 3, the unit failed and was not restarted (RestartPreventExitStatus)"
