#!/usr/bin/env bash
# End-to-end test of the three-node cluster in docker-compose.yml.
#
#   scripts/e2e-compose.sh            # engine + base image + build + up + checks + down -v
#   KEEP_UP=1 scripts/e2e-compose.sh  # leave the cluster running afterwards
#
# Steps (each printed with how long it took):
#   engine      scripts/docker-env.sh (installs/starts Docker, exports COMPOSE)
#   base image  scripts/make-base-image.sh (official image, or one made from local node)
#   build       $COMPOSE build ns1 (all services share the image gossip-namesrv:local)
#   up          $COMPOSE up -d ns1 ns2 ns3
#   healthy     until all three containers report health "healthy", or HEALTHY_TIMEOUT_S
#   checks      one function per check (check_*); each prints what it measured and
#               returns 0 pass, 1 fail, $SKIP (= 3) not written yet ("TODO")
# The trap on EXIT always runs `$COMPOSE down -v` (after printing ps + logs on failure).
# Last line: "e2e: N passed, N failed, N skipped".
#
# Environment:
#   E2E_PROJECT           compose project name          (default gossip-namesrv-e2e)
#   HEALTHY_TIMEOUT_S     wait for healthy              (default 120)
#   E2E_REQUIRE_REMOTING=1  a node without a remoting listener fails (default: TODO)
#   NS{1,2,3}_HTTP_PORT / NS{1,2,3}_REMOTING_PORT   host ports (defaults in docker-compose.yml)
#   BASE_IMAGE            passed to make-base-image.sh and the build
#   KEEP_UP=1             skip the teardown
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

export BASE_IMAGE="${BASE_IMAGE:-node:20-bookworm-slim}"
export COMPOSE_PROJECT_NAME="${E2E_PROJECT:-gossip-namesrv-e2e}"
HEALTHY_TIMEOUT_S="${HEALTHY_TIMEOUT_S:-120}"
KEEP_UP="${KEEP_UP:-0}"
NODES=(ns1 ns2 ns3)
SKIP=3

# Host HTTP port of each node (must match docker-compose.yml's defaults).
declare -A HTTP_PORT=(
  [ns1]="${NS1_HTTP_PORT:-9877}"
  [ns2]="${NS2_HTTP_PORT:-19877}"
  [ns3]="${NS3_HTTP_PORT:-29877}"
)
declare -A REMOTING_PORT=(
  [ns1]="${NS1_REMOTING_PORT:-9876}"
  [ns2]="${NS2_REMOTING_PORT:-19876}"
  [ns3]="${NS3_REMOTING_PORT:-29876}"
)

# --- output helpers ------------------------------------------------------------
now_ms() { date +%s%3N; }
T0="$(now_ms)"
say() { printf '[e2e %6.1fs] %s\n' "$(( $(now_ms) - T0 ))e-3" "$*"; }

# step NAME CMD...: run one step, print its duration; a failing step fails the run.
step() {
  local name="$1"; shift
  local t; t="$(now_ms)"
  say "step: $name ..."
  if "$@"; then
    say "step: $name ok ($(( $(now_ms) - t )) ms)"
  else
    local rc=$?
    say "step: $name FAILED rc=$rc ($(( $(now_ms) - t )) ms)"
    return "$rc"
  fi
}

PASSED=0 FAILED=0 SKIPPED=0
RESULTS=()
# check NAME FN: run one check function, record pass/fail/skip with its duration.
check() {
  local name="$1" fn="$2" rc=0 t
  t="$(now_ms)"
  say "check: $name"
  "$fn" || rc=$?
  local dt=$(( $(now_ms) - t ))
  case "$rc" in
    0) PASSED=$((PASSED + 1)); RESULTS+=("PASS  $name (${dt} ms)") ;;
    "$SKIP") SKIPPED=$((SKIPPED + 1)); RESULTS+=("TODO  $name") ;;
    *) FAILED=$((FAILED + 1)); RESULTS+=("FAIL  $name (${dt} ms, rc=$rc)") ;;
  esac
}

todo() { say "  TODO: $*"; return "$SKIP"; }

# http_get URL -> prints "STATUS BODY" (body cut to 300 chars); rc 0 if it got an answer.
# Uses the host's node (no curl needed).
http_get() {
  node -e '
    const url = process.argv[1];
    fetch(url, { signal: AbortSignal.timeout(3000) })
      .then(async (r) => { const b = (await r.text()).replace(/\s+/g, " ").slice(0, 300); console.log(r.status + " " + b); })
      .catch((e) => { console.log("000 " + (e.cause?.code ?? e.message)); process.exit(1); });
  ' "$1"
}

container_of() { $COMPOSE ps -q "$1"; }
health_of() {
  local id; id="$(container_of "$1")"
  [ -n "$id" ] || { echo missing; return; }
  docker inspect -f '{{if .State.Health}}{{.State.Health.Status}}{{else}}no-healthcheck{{end}}' "$id"
}

# --- teardown ------------------------------------------------------------------
teardown() {
  local rc=$?
  set +e
  if [ "$rc" -ne 0 ] || [ "$FAILED" -gt 0 ]; then
    say "failure: compose ps and last log lines"
    $COMPOSE ps
    $COMPOSE logs --no-color --tail=60
  fi
  if [ "$KEEP_UP" = "1" ]; then
    say "KEEP_UP=1: leaving project $COMPOSE_PROJECT_NAME running ($COMPOSE down -v to stop)"
  elif [ -n "${COMPOSE:-}" ]; then
    local t; t="$(now_ms)"
    $COMPOSE --profile demo down -v --remove-orphans >/dev/null 2>&1 ||
      $COMPOSE down -v --remove-orphans >/dev/null 2>&1
    say "step: down -v ok ($(( $(now_ms) - t )) ms)"
  fi
  exit "$rc"
}

# --- steps -----------------------------------------------------------------------
do_engine() { . "$ROOT/scripts/docker-env.sh"; }
do_base_image() { "$ROOT/scripts/make-base-image.sh"; }
do_build() { $COMPOSE build ns1; }
do_up() { $COMPOSE up -d --no-build "${NODES[@]}"; }

wait_healthy() {
  local start=$SECONDS n h all line
  while :; do
    all=1 line=""
    for n in "${NODES[@]}"; do
      h="$(health_of "$n")"
      line+="$n=$h "
      [ "$h" = "healthy" ] || all=0
    done
    if [ "$all" = 1 ]; then
      say "  all healthy after $((SECONDS - start))s: $line"
      return 0
    fi
    if [ $((SECONDS - start)) -ge "$HEALTHY_TIMEOUT_S" ]; then
      say "  not healthy after ${HEALTHY_TIMEOUT_S}s: $line"
      return 1
    fi
    sleep 1
  done
}

# --- checks: each prints what it measured ----------------------------------------

# /readyz and /healthz answer 200 on every node's published HTTP port.
check_probes() {
  local n path out ok=0
  for n in "${NODES[@]}"; do
    for path in readyz healthz; do
      out="$(http_get "http://127.0.0.1:${HTTP_PORT[$n]}/$path")" || true
      say "  $n :${HTTP_PORT[$n]}/$path -> $out"
      [ "${out%% *}" = "200" ] || ok=1
    done
  done
  return "$ok"
}

# Each node listens on its remoting port. Probed from inside the container: on the host,
# docker-proxy accepts a connection on a published port even when nothing listens behind it.
# TODO(remoting): while the remoting listener is not wired into the server yet, a node
# without it counts as TODO, not as a failure; set E2E_REQUIRE_REMOTING=1 (and make it
# the default here) once `namesrv start` listens on 9876.
check_remoting_listening() {
  local n listening=0 missing=0
  for n in "${NODES[@]}"; do
    if docker exec "$(container_of "$n")" node -e '
      const s = require("net").connect(9876, "127.0.0.1");
      s.setTimeout(3000, () => process.exit(1));
      s.on("connect", () => { s.destroy(); process.exit(0); });
      s.on("error", () => process.exit(1));
    '; then
      say "  $n listens on remoting 9876 (published on host :${REMOTING_PORT[$n]})"
      listening=$((listening + 1))
    else
      say "  $n: nothing listens on remoting 9876"
      missing=$((missing + 1))
    fi
  done
  [ "$missing" -eq 0 ] && return 0
  if [ "$listening" -eq 0 ] && [ "${E2E_REQUIRE_REMOTING:-0}" != "1" ]; then
    todo "no node has a remoting listener yet"
    return
  fi
  return 1
}

# TODO(gossip): start broker-a/broker-b ($COMPOSE --profile demo up -d broker-a broker-b),
# then wait until `GET /v1/routes/demo-topic` on every node's published port lists both
# brokers; print the time from broker start to routed-everywhere per node.
check_broker_routed_everywhere() {
  todo "broker registered via all three nodes is routed by ns1, ns2 and ns3"
}

# TODO(gossip): `docker kill` the ns2 container, check ns1/ns3 stay ready and keep the
# route; `docker start` it, measure time until ns2 is healthy and answers the same
# route/cluster/KV as ns1 (one anti-entropy round).
check_kill_restart_ns2() {
  todo "docker kill ns2 / docker start ns2: ns2 complete again after restart"
}

# TODO(gossip): `docker network disconnect <project>_default <ns3>`, register or evict
# something on ns1, reconnect, measure time until ns3 converges; self-preservation
# (`degraded` on ns3's /healthz) while cut off.
check_partition_ns3() {
  todo "network partition of ns3 heals and converges"
}

# TODO(gossip): `docker pause` broker-a (silent failure, no FIN), measure time until
# every node drops it from the route (<= brokerExpiryMs + 1 s), `docker unpause` and
# measure until it is routed again.
check_pause_broker() {
  todo "docker pause broker-a: evicted everywhere within expiry + 1 s"
}

# TODO(remoting): query GET_ROUTEINFO_BY_TOPIC over the RocketMQ remoting port of any node
# (a RocketMQ client or our remoting codec from the host) and compare with /v1/routes.
check_rocketmq_client_query() {
  todo "RocketMQ remoting client gets the route from any node"
}

# --- main ---------------------------------------------------------------------------
main() {
  trap teardown EXIT
  step "engine (docker-env.sh)" do_engine
  say "project $COMPOSE_PROJECT_NAME, compose: $COMPOSE, base: $BASE_IMAGE"
  # Leftovers of an earlier interrupted run.
  $COMPOSE --profile demo down -v --remove-orphans >/dev/null 2>&1 || true
  step "base image (make-base-image.sh)" do_base_image
  step "build gossip-namesrv:local" do_build
  step "up -d ${NODES[*]}" do_up
  step "wait healthy (deadline ${HEALTHY_TIMEOUT_S}s)" wait_healthy

  check "readyz+healthz on published ports" check_probes
  check "remoting listening" check_remoting_listening
  check "broker routed everywhere" check_broker_routed_everywhere
  check "kill/start ns2" check_kill_restart_ns2
  check "partition ns3" check_partition_ns3
  check "pause broker" check_pause_broker
  check "rocketmq client query" check_rocketmq_client_query

  say "results:"
  local r
  for r in "${RESULTS[@]}"; do say "  $r"; done
  echo "e2e: $PASSED passed, $FAILED failed, $SKIPPED skipped"
  [ "$FAILED" -eq 0 ]
}

main "$@"
