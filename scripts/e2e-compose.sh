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
#               returns 0 pass, 1 fail, $SKIP (= 3) not applicable ("TODO"):
#     probes          /readyz + /healthz 200 on every published HTTP port
#     remoting        every node listens on 9876 (probed inside its container)
#     routed          brokers registered with all nodes routed by each; b-one, registered
#                     with ns1 only, routed by ns2/ns3 too (time until visible per node)
#     rogue           a rogue node (own CA, own secret) dialing ns1/ns2 fails to join and
#                     its broker is routed nowhere; a broker without the broker token and
#                     a client without the admin token (delete-topic) are refused; every
#                     live route stays; refusals counted in namesrv_auth_refusals_total
#     rocketmq        ali-ons asks each published remoting port: route; TOPIC_NOT_EXIST
#     pause broker    `docker pause` of a broker (declared expiry PAUSE_EXPIRY_MS): gone
#                     from every node within expiry + 1 s; routed again after unpause
#     kill/start ns2  `docker kill ns2`: ns1/ns3 keep answering; `docker start ns2`:
#                     every route present at its first /readyz 200 (time printed)
#     partition ns3   `docker network disconnect` for PARTITION_MS: no eviction of a
#                     broker ns1/ns2 still hear; a broker killed meanwhile is evicted
#                     everywhere after the heal; ns3 converges (times printed)
#   Brokers are broker agents (`namesrv broker`) in containers of the built image on the
#   compose network, named $E2E_PROJECT-brk-<name> and labelled
#   gossip-namesrv-e2e.project=<project>; scripts/e2e-probe.mjs (host node) polls and measures.
# The cluster runs as docker-compose.yml has it: cluster secret, TLS (https/wss) and broker /
# admin tokens from the `credentials` volume. Host-side probes trust its CA (copied out after
# `up`, NODE_EXTRA_CA_CERTS); broker containers mount the volume for the CA and broker token.
# The trap on EXIT always removes the broker containers and runs `$COMPOSE down -v`
# (after printing ps + logs on failure).
# Last line: "e2e: N passed, N failed, N skipped".
#
# Environment:
#   E2E_PROJECT           compose project name          (default gossip-namesrv-e2e)
#   HEALTHY_TIMEOUT_S     wait for healthy              (default 120)
#   E2E_REQUIRE_REMOTING=0  a node without a remoting listener is TODO, not a failure
#   PAUSE_EXPIRY_MS       expiry the paused broker declares  (default 3000)
#   KILL_HOLD_MS          how long ns2 stays killed          (default 4000)
#   RESTART_READY_BUDGET_MS  ns2 must be ready within this after `docker start` (default 10000)
#   PARTITION_MS          how long ns3 is cut off (default 8000: past the 3 s peer-down
#                         time, within the nodes' 10 s expiry). Longer than the expiry,
#                         ns3 hears no broker long enough to expire them itself: its own
#                         evictions are then printed, not failed (see check_partition_ns3)
#   NS{1,2,3}_HTTP_PORT / NS{1,2,3}_REMOTING_PORT   host ports (defaults in docker-compose.yml)
#   BASE_IMAGE            passed to make-base-image.sh and the build
#   KEEP_UP=1             skip the teardown (brokers and cluster stay up)
# Needs node >= 20 on the host, and `npm ci` done for the RocketMQ client check (ali-ons).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

export BASE_IMAGE="${BASE_IMAGE:-node:20-bookworm-slim}"
export COMPOSE_PROJECT_NAME="${E2E_PROJECT:-gossip-namesrv-e2e}"
HEALTHY_TIMEOUT_S="${HEALTHY_TIMEOUT_S:-120}"
KEEP_UP="${KEEP_UP:-0}"
PAUSE_EXPIRY_MS="${PAUSE_EXPIRY_MS:-3000}"
KILL_HOLD_MS="${KILL_HOLD_MS:-4000}"
RESTART_READY_BUDGET_MS="${RESTART_READY_BUDGET_MS:-10000}"
PARTITION_MS="${PARTITION_MS:-8000}"
NODE_EXPIRY_MS=10000   # brokerExpiryMs in cluster-config/ns*.json
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
    local b
    for b in $(docker ps -aq --filter "label=$BROKER_LABEL" 2>/dev/null); do
      say "broker container $(docker inspect -f '{{.Name}} {{.State.Status}}' "$b" 2>/dev/null):"
      docker logs --tail=15 "$b" 2>&1
    done
  fi
  if [ "$KEEP_UP" = "1" ]; then
    say "KEEP_UP=1: leaving project $COMPOSE_PROJECT_NAME running ($COMPOSE down -v to stop)"
  elif [ -n "${COMPOSE:-}" ]; then
    local t; t="$(now_ms)"
    remove_brokers
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

# --- brokers, probes and helpers for the checks ------------------------------------

IMAGE=gossip-namesrv:local
# Broker containers carry this label and the project prefix; teardown removes them.
BROKER_LABEL="gossip-namesrv-e2e.project=$COMPOSE_PROJECT_NAME"
NET=""                      # the compose network, from ns1's container (set after up)
declare -A CID=()           # node -> container id, cached after up: v2's `ps -q` omits stopped ones
declare -A BCID=()          # broker name -> container id
declare -A BT=()            # broker name -> epoch ms just before its docker run
ALL_NS="ns1:9877,ns2:9877,ns3:9877"
CREDS_VOLUME=""             # the compose volume with the development CA, secret and tokens
CA_FILE=""                  # its CA certificate, copied to the host (public, mode 0644)

sleep_ms() { [ "$1" -le 0 ] || sleep "$(printf '%d.%03d' $(( $1 / 1000 )) $(( $1 % 1000 )))"; }
probe() { node "$ROOT/scripts/e2e-probe.mjs" "$@"; }
# fmt JSON EXPR: evaluate a JS expression over the JSON value `o` (for printing).
fmt() { probe fmt --json "$1" --expr "$2"; }
# "ns1 812 ms, ns2 830 ms, ns3 829 ms" from {"ns1":812,...}
FMT_TIMES='Object.entries(o).filter(([k]) => !["last", "firstAnswer"].includes(k)).map(([k, v]) => k + " " + (v === null ? "NEVER" : v + " ms") +
  ((o.firstAnswer?.[k] ?? 0) > 300 ? " (unreachable until " + o.firstAnswer[k] + " ms)" : "")).join(", ") + (o.last ? " (last answers: " + JSON.stringify(o.last) + ")" : "")'
url_of() { echo "https://127.0.0.1:${HTTP_PORT[$1]}"; }
# nodes_arg ns1 ns3 -> "ns1=https://127.0.0.1:9877,ns3=https://127.0.0.1:29877"
nodes_arg() { local n out=""; for n in "$@"; do out+="${out:+,}$n=$(url_of "$n")"; done; echo "$out"; }

# start_broker NAME NAMESRVS AGENT_ARGS...: a broker agent in its own container on the
# compose network (so it can be paused, killed and partitioned), addr NAME:10911.
start_broker() {
  local name="$1" namesrvs="$2"; shift 2
  BT[$name]="$(now_ms)"
  BCID[$name]="$(docker run -d --init --name "$COMPOSE_PROJECT_NAME-brk-$name" --hostname "$name" \
    --label "$BROKER_LABEL" --network "$NET" -v "$CREDS_VOLUME:/credentials:ro" "$IMAGE" \
    broker --namesrv "$namesrvs" --cluster E2E --broker-name "$name" --broker-id 0 \
    --addr "$name:10911" --tls-ca-file /credentials/ca.pem --token-file /credentials/broker.token "$@")"
}

# metric_lines NODE NAME: the node's /metrics lines of one metric, joined with "; ".
metric_lines() {
  node -e '
    fetch(process.argv[1], { signal: AbortSignal.timeout(3000) }).then((r) => r.text()).then((t) =>
      console.log(t.split("\n").filter((l) => l.startsWith(process.argv[2] + "{")).join("; ")),
      (e) => console.log("unreachable: " + e.message));
  ' "$(url_of "$1")/metrics" "$2"
}

# rogue_run NAME DOCKER_RUN_ARGS... -- IMAGE_ARGS...: a container that holds only the public CA
# certificate (at /tmp/trusted-ca.pem), none of the cluster's secrets or tokens. Prints its id.
rogue_run() {
  local name="$1"; shift
  local run_args=()
  while [ "$1" != "--" ]; do run_args+=("$1"); shift; done
  shift
  local id
  id="$(docker create --init --name "$COMPOSE_PROJECT_NAME-rogue-$name" --hostname "$name" \
    --label "$BROKER_LABEL" --network "$NET" "${run_args[@]}" "$IMAGE" "$@")"
  docker cp "$CA_FILE" "$id:/tmp/trusted-ca.pem" >/dev/null
  echo "$id"
}

remove_brokers() {
  local ids
  ids="$(docker ps -aq --filter "label=$BROKER_LABEL")"
  [ -z "$ids" ] || docker rm -f -v $ids >/dev/null 2>&1 || true
}

# offline_lines NODE SINCE_MS MATCH: the node's "broker offline" log lines since SINCE_MS
# whose line contains MATCH, as {"count":N,"hits":[{atMs,brokerKey,reason}]}.
offline_lines() {
  docker logs "${CID[$1]}" 2>&1 | probe loglines --since "$2" --msg "broker offline" --match "$3"
}

# exec_get NODE PATH: GET from inside the node's container (works while it is cut off).
exec_get() {
  docker exec "${CID[$1]}" node -e '
    fetch("https://127.0.0.1:9877" + process.argv[1], { signal: AbortSignal.timeout(2000) })
      .then(async (r) => console.log(r.status + " " + (await r.text()).slice(0, 200)), (e) => console.log("000 " + e.message));
  ' "$2" 2>&1
}

# Route specs (TOPIC=BROKER+BROKER): what every node must answer while the broker lives.
S_ALL="e2e-all=b-all-a+b-all-b"   # two brokers registered with all three nodes
S_A="e2e-a=b-all-a"
S_ONE="e2e-one=b-one"             # registered with ns1 only
S_PART="e2e-part=b-part"          # keeps heartbeating to ns1/ns2 while ns3 is cut off
S_KILL="e2e-kill=b-kill"          # killed during the partition
LIVE_SPECS="$S_ALL,$S_A,$S_ONE,$S_PART"

# --- checks: each prints what it measured ----------------------------------------

# /readyz and /healthz answer 200 on every node's published HTTP port.
check_probes() {
  local n path out ok=0
  for n in "${NODES[@]}"; do
    for path in readyz healthz; do
      out="$(http_get "$(url_of "$n")/$path")" || true
      say "  $n :${HTTP_PORT[$n]}/$path -> $out"
      [ "${out%% *}" = "200" ] || ok=1
    done
  done
  return "$ok"
}

# Each node listens on its remoting port. Probed from inside the container: on the host,
# docker-proxy accepts a connection on a published port even when nothing listens behind it.
# Required (E2E_REQUIRE_REMOTING=0 turns a node with no remoting listener at all into TODO).
check_remoting_listening() {
  local n listening=0 missing=0
  for n in "${NODES[@]}"; do
    if docker exec "${CID[$n]}" node -e '
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
  if [ "$listening" -eq 0 ] && [ "${E2E_REQUIRE_REMOTING:-1}" != "1" ]; then
    todo "no node has a remoting listener (E2E_REQUIRE_REMOTING=0)"
    return
  fi
  return 1
}

# Brokers registered with all three nodes are routed by each; b-one, registered with ns1
# only, is routed by ns2 and ns3 too (gossip). Starts the brokers the later checks use.
check_broker_routed_everywhere() {
  local ok=0 out spec n expect="" file pid t_one
  file="$(mktemp "${TMPDIR:-/tmp}/e2e-routed.XXXXXX")"
  # One watcher, polling before the first docker run (a cold node process needs ~1 s).
  probe watch-all --nodes "$(nodes_arg "${NODES[@]}")" --specs "$S_A,$S_ALL,$S_PART,$S_KILL" --deadline 30000 >"$file" &
  pid=$!
  sleep 1
  start_broker b-all-a "$ALL_NS" --topic e2e-all:8 --topic e2e-a:4
  start_broker b-all-b "$ALL_NS" --topic e2e-all:8
  start_broker b-part "$ALL_NS" --topic e2e-part:4
  start_broker b-kill "$ALL_NS" --topic e2e-kill:4
  wait "$pid" || ok=1
  out="$(cat "$file")"
  say "  4 brokers registered with ns1, ns2 and ns3; ms from their \`docker run\` until routed by each node:"
  say "    e2e-a (b-all-a): $(fmt "$out" 'Object.entries(o["e2e-a"]).map(([k, v]) => k + " " + (v === null ? "NEVER" : (v - '"${BT[b-all-a]}"') + " ms")).join(", ")')"
  say "    e2e-all (b-all-a+b-all-b): $(fmt "$out" 'Object.entries(o["e2e-all"]).map(([k, v]) => k + " " + (v === null ? "NEVER" : (v - '"${BT[b-all-b]}"') + " ms")).join(", ")') (from b-all-b's run)"
  say "    e2e-part (b-part): $(fmt "$out" 'Object.entries(o["e2e-part"]).map(([k, v]) => k + " " + (v === null ? "NEVER" : (v - '"${BT[b-part]}"') + " ms")).join(", ")')"
  say "    e2e-kill (b-kill): $(fmt "$out" 'Object.entries(o["e2e-kill"]).map(([k, v]) => k + " " + (v === null ? "NEVER" : (v - '"${BT[b-kill]}"') + " ms")).join(", ")')"
  # b-one reaches ns1 only: ns2 and ns3 can only learn it by gossip.
  probe watch --nodes "$(nodes_arg "${NODES[@]}")" --spec "$S_ONE" --t0 0 --deadline 20000 --interval 10 >"$file" &
  pid=$!
  sleep 1
  start_broker b-one "ns1:9877" --topic e2e-one:4
  t_one="${BT[b-one]}"
  wait "$pid" || ok=1
  out="$(cat "$file")"
  rm -f "$file"
  say "  b-one registered with ns1 ONLY; e2e-one routed, ms from its \`docker run\`: $(fmt "$out" '["ns1","ns2","ns3"].map((k) => k + " " + (o[k] === null ? "NEVER" : (o[k] - '"$t_one"') + " ms")).join(", ")')"
  say "    -> visible on ns2/ns3 after ns1 (gossip; polled every 10 ms): $(fmt "$out" '["ns2","ns3"].map((k) => k + " +" + (o[k] - o.ns1) + " ms").join(", ")')"
  for n in "${NODES[@]}"; do
    out="$(docker logs "${CID[$n]}" 2>&1 | probe loglines --since "$t_one" --msg "broker alive" --match "@b-one:")"
    expect+="${expect:+, }$n +$(fmt "$out" 'o.count ? o.hits[0].atMs + " ms" : "none"')"
  done
  say "    nodes' own log 'broker alive' for b-one (ms from docker run): $expect"
  # The route content (broker names and addresses) is the same on every node.
  for spec in "e2e-all=b-all-a@b-all-a:10911+b-all-b@b-all-b:10911" "e2e-one=b-one@b-one:10911"; do
    out="$(probe show --nodes "$(nodes_arg "${NODES[@]}")" --topic "${spec%%=*}")"
    expect="${spec#*=}"
    say "  GET /v1/routes/${spec%%=*}: $out"
    for n in "${NODES[@]}"; do
      [ "$(fmt "$out" "o.$n")" = "$expect" ] || { say "  $n: expected $expect"; ok=1; }
    done
  done
  return "$ok"
}

# A rogue on the compose network, holding only the public CA certificate:
#   - a node with its own development CA and its own cluster secret dials ns1 and ns2 as a
#     peer and registers broker rogue-node with itself: it must never become a peer, and
#     e2e-rogue-node must be routed by no real node;
#   - a broker agent without the broker token registers with ns1: refused, never routed;
#   - `namesrv delete-topic e2e-all` without the admin token: exit 1, e2e-all still routed.
# ns1's namesrv_auth_refusals_total counts each kind.
check_rogue() {
  local ok=0 rogue_node rogue_broker out n rc=0 text
  rogue_node="$(rogue_run rogue-node --entrypoint /bin/sh -- -c '
    node dist/cli/main.js dev-credentials --out /tmp/rogue --name rogue-node >/dev/null || exit 1
    node dist/cli/main.js start --id rogue --remoting-port off --peer ns1:9877 --peer ns2:9877 \
      --cluster-secret-file /tmp/rogue/cluster.secret --tls-cert-file /tmp/rogue/node.pem \
      --tls-key-file /tmp/rogue/node-key.pem --tls-ca-file /tmp/trusted-ca.pem &
    exec node dist/cli/main.js broker --namesrv localhost:9877 --tls-ca-file /tmp/rogue/ca.pem \
      --cluster E2E --broker-name rogue-node --broker-id 0 --addr rogue-node:10911 --topic e2e-rogue-node:4')"
  docker start "$rogue_node" >/dev/null
  rogue_broker="$(rogue_run rogue-broker -- broker --namesrv ns1:9877 --tls-ca-file /tmp/trusted-ca.pem \
    --cluster E2E --broker-name rogue-broker --broker-id 0 --addr rogue-broker:10911 --topic e2e-rogue-broker:4)"
  docker start "$rogue_broker" >/dev/null
  local client
  client="$(rogue_run rogue-client -- delete-topic e2e-all --namesrv ns1:9877 --tls-ca-file /tmp/trusted-ca.pem)"
  out="$(docker start -a "$client" 2>&1)" || rc=$?
  say "  rogue client: namesrv delete-topic e2e-all without the admin token -> exit $rc: $out"
  [ "$rc" -eq 1 ] && [[ "$out" == *"needs an admin token"* ]] || ok=1
  # Give the rogue node a few dial rounds (backoff 100 ms .. 5 s) and its broker time to register.
  sleep 8
  out="$(docker logs "$rogue_node" 2>&1 | probe loglines --since 0 --msg "registered with name server")"
  say "  rogue node's own broker registered with the rogue node: $(fmt "$out" 'o.count ? "yes" : "no"')"
  for n in "${NODES[@]}"; do
    for topic in e2e-rogue-node e2e-rogue-broker; do
      out="$(http_get "$(url_of "$n")/v1/routes/$topic")" || true
      say "  $n /v1/routes/$topic -> ${out:0:60}"
      [ "${out%% *}" = "404" ] || ok=1
    done
    out="$(http_get "$(url_of "$n")/v1/routes/e2e-all")" || true
    say "  $n /v1/routes/e2e-all -> ${out%% *}"
    [ "${out%% *}" = "200" ] || ok=1
  done
  text="$(metric_lines ns1 namesrv_auth_refusals_total)"
  say "  ns1 $text"
  for reason in peerCertificateMissing brokerTokenRequired adminRequired; do
    [[ "$text" == *"reason=\"$reason\""* ]] || { say "  ns1 counted no refusal with reason $reason"; ok=1; }
  done
  out="$(docker logs "${CID[ns1]}" 2>&1 | probe loglines --since 0 --msg "request refused" --match "peerCertificateMissing")"
  say "  ns1 log 'request refused' reason=peerCertificateMissing: $(fmt "$out" 'o.count') lines"
  for n in "${NODES[@]}"; do
    out="$(metric_lines "$n" namesrv_peer_up)"
    say "  $n $out"
    [[ "$out" != *'peer="rogue"'* ]] || { say "  $n knows the rogue as a peer"; ok=1; }
  done
  docker rm -f "$rogue_node" "$rogue_broker" "$client" >/dev/null 2>&1 || true
  return "$ok"
}

# ali-ons (a RocketMQ client from npm) asks each node's published remoting port for the
# routes (e2e-one only reached ns1 by registration) and for an unknown topic.
check_rocketmq_client_query() {
  local out rc=0 n addrs=""
  for n in "${NODES[@]}"; do addrs+="${addrs:+,}127.0.0.1:${REMOTING_PORT[$n]}"; done
  out="$(probe ons --addrs "$addrs" --specs "$S_ALL,$S_ONE" --missing e2e-no-such-topic)" || rc=1
  if [ "$rc" -ne 0 ] && [ "$(fmt "$out" 'o.error ?? ""')" != "" ]; then
    say "  $(fmt "$out" 'o.error')"
    return 1
  fi
  fmt "$out" 'Object.entries(o).map(([addr, r]) => r.error ? "  " + addr + ": ERROR " + r.error :
      Object.entries(r).filter(([k]) => k !== "unknownTopic").map(([topic, x]) =>
        "  " + addr + " " + topic + " -> " + x.brokers + " queues " + x.queues + " (" + x.ms + " ms)" + (x.ok ? "" : " WRONG")).join("\n") +
      "\n  " + addr + " e2e-no-such-topic -> code " + r.unknownTopic.code + (r.unknownTopic.code === 17 ? " (TOPIC_NOT_EXIST)" : " (expected 17 TOPIC_NOT_EXIST)")).join("\n")' |
    while IFS= read -r line; do say "$line"; done
  return "$rc"
}

# `docker pause` of a broker container: a silent death (no FIN). The agent declares
# --heartbeat-timeout-ms PAUSE_EXPIRY_MS (the nodes' own brokerExpiryMs is 10000) and
# beats every 500 ms; every node must evict it within that expiry + 1 s of the pause.
check_pause_broker() {
  local ok=0 t out budget=$((PAUSE_EXPIRY_MS + 1000)) n worst lines
  local file pid
  file="$(mktemp "${TMPDIR:-/tmp}/e2e-pause.XXXXXX")"
  probe watch --nodes "$(nodes_arg "${NODES[@]}")" --spec e2e-pause=b-pause --t0 0 --deadline 20000 >"$file" &
  pid=$!
  sleep 1
  start_broker b-pause "$ALL_NS" --topic e2e-pause:4 --heartbeat-ms 500 --heartbeat-timeout-ms "$PAUSE_EXPIRY_MS"
  wait "$pid" || ok=1
  out="$(cat "$file")"; rm -f "$file"
  say "  b-pause (heartbeat 500 ms, declared expiry ${PAUSE_EXPIRY_MS} ms) routed, ms from docker run: $(fmt "$out" '["ns1","ns2","ns3"].map((k) => k + " " + (o[k] === null ? "NEVER" : (o[k] - '"${BT[b-pause]}"') + " ms")).join(", ")')"
  [ "$ok" -eq 0 ] || return 1
  sleep 1
  t="$(now_ms)"
  docker pause "${BCID[b-pause]}" >/dev/null
  out="$(probe watch --nodes "$(nodes_arg "${NODES[@]}")" --spec e2e-pause=b-pause --absent --t0 "$t" --deadline $((budget + 5000)))" || ok=1
  say "  docker pause b-pause: evicted after $(fmt "$out" "$FMT_TIMES") (expiry ${PAUSE_EXPIRY_MS} ms, budget ${budget} ms)"
  worst="$(fmt "$out" 'Math.max(...["ns1","ns2","ns3"].map((k) => o[k] ?? Infinity))')"
  if ! [[ "$worst" =~ ^[0-9]+$ ]] || [ "$worst" -gt "$budget" ]; then
    say "  slowest node took ${worst} ms > ${budget} ms"
    ok=1
  fi
  for n in "${NODES[@]}"; do
    lines="$(offline_lines "$n" "$t" "@b-pause:")"
    say "  $n log 'broker offline' for b-pause: $(fmt "$lines" 'o.hits.map((h) => "+" + h.atMs + " ms reason=" + h.reason).join(", ") || "none"')"
  done
  t="$(now_ms)"
  docker unpause "${BCID[b-pause]}" >/dev/null
  out="$(probe watch --nodes "$(nodes_arg "${NODES[@]}")" --spec e2e-pause=b-pause --t0 "$t" --deadline 15000)" || ok=1
  say "  docker unpause b-pause: routed again after $(fmt "$out" "$FMT_TIMES")"
  docker rm -f "${BCID[b-pause]}" >/dev/null
  return "$ok"
}

# `docker kill ns2`: ns1 and ns3 keep serving every route. `docker start ns2`: at the
# first /readyz 200 it already routes every broker (also b-one, which never talks to ns2:
# that state can only come from a peer's snapshot), within RESTART_READY_BUDGET_MS.
check_kill_restart_ns2() {
  local ok=0 t out ready_ms reconnect n lines first="" stop
  stop="$(mktemp -u "${TMPDIR:-/tmp}/e2e-stop.XXXXXX")"
  t="$(now_ms)"
  docker kill "${CID[ns2]}" >/dev/null
  say "  docker kill ns2 ($(( $(now_ms) - t )) ms); polling ns1 and ns3 for ${KILL_HOLD_MS} ms"
  out="$(probe steady --nodes "$(nodes_arg ns1 ns3)" --specs "$LIVE_SPECS,$S_KILL" --duration "$KILL_HOLD_MS" --stop-file "$stop")" || ok=1
  say "  while ns2 is down (/readyz + 5 routes per poll): $(fmt "$out" 'Object.entries(o).map(([k, s]) => k + " " + s.polls + " polls, " + s.bad + " bad" + (s.firstBad ? " first " + JSON.stringify(s.firstBad) : "")).join("; ")')"
  say "  ns2 state: $(docker inspect -f '{{.State.Status}} exit={{.State.ExitCode}}' "${CID[ns2]}")"
  t="$(now_ms)"
  docker start "${CID[ns2]}" >/dev/null
  out="$(probe ready --url "$(url_of ns2)" --specs "$LIVE_SPECS,$S_KILL" --t0 "$t" --deadline 30000)" || ok=1
  ready_ms="$(fmt "$out" 'o.readyMs')"
  say "  docker start ns2: /readyz 200 after ${ready_ms} ms (earlier polls: $(fmt "$out" 'JSON.stringify(o.before)')); routes fetched by +$(fmt "$out" 'o.checkedMs') ms: $(fmt "$out" 'JSON.stringify(o.routes)')"
  if ! [[ "$ready_ms" =~ ^[0-9]+$ ]] || [ "$ready_ms" -gt "$RESTART_READY_BUDGET_MS" ]; then
    say "  ns2 not ready within ${RESTART_READY_BUDGET_MS} ms"
    ok=1
  fi
  lines="$(docker logs "${CID[ns2]}" 2>&1 | probe loglines --since "$t" --msg "node ready")"
  say "  ns2 log: $(fmt "$lines" 'o.hits.map((h) => "node ready +" + h.atMs + " ms, reason: " + h.reason).join("; ") || "no node ready line"')"
  out="$(probe same --urls "$(url_of ns1),$(url_of ns2),$(url_of ns3)" --t0 "$t" --deadline 10000)" || ok=1
  say "  /v1/cluster identical on ns1, ns2, ns3 at +$(fmt "$out" 'o.sameMs') ms after docker start"
  # When did the agents re-register with ns2? They redial with backoff (b-one never does).
  for n in b-all-a b-all-b b-part b-kill; do
    lines="$(docker logs "${BCID[$n]}" 2>&1 | probe loglines --since "$t" --msg "name server reconnected" --match '"addr":"ns2:9877"')"
    reconnect="$(fmt "$lines" 'o.hits.length ? "+" + o.hits[0].atMs + " ms" : "not yet"')"
    first+="${first:+, }$n $reconnect"
  done
  say "  agents reconnected to ns2 (after docker start): $first; ns2 was ready at +${ready_ms} ms"
  return "$ok"
}

# Partition ns3 (`docker network disconnect`) for PARTITION_MS. b-part keeps heartbeating
# to ns1 and ns2: they must route it (and every other live broker) at every poll, during
# the partition and after the heal, and never log "broker offline" for it; neither may
# ns3 while PARTITION_MS < the nodes' expiry (beyond it ns3, hearing nobody, expires
# brokers itself, bounded by self-preservation: printed, not failed). b-kill is killed
# 1 s into the partition: ns3's last claim that it holds b-kill's connection still
# vouches for it, so it is evicted everywhere once ns3 is back (or by expiry), with
# per-node times. ns3 converges after the heal (time printed).
check_partition_ns3() {
  local ok=0 t_part t_kill t_heal out aliases alias_args=() n lines stop steady_file kill_file
  local conv_kill conv_part conv_same
  stop="$(mktemp -u "${TMPDIR:-/tmp}/e2e-stop.XXXXXX")"
  steady_file="$(mktemp "${TMPDIR:-/tmp}/e2e-steady.XXXXXX")"
  kill_file="$(mktemp "${TMPDIR:-/tmp}/e2e-kill.XXXXXX")"
  aliases="$(docker inspect -f "{{range \$k, \$v := .NetworkSettings.Networks}}{{if eq \$k \"$NET\"}}{{range \$v.Aliases}}{{.}} {{end}}{{end}}{{end}}" "${CID[ns3]}")"
  for n in $aliases; do alias_args+=(--alias "$n"); done
  [ "${#alias_args[@]}" -gt 0 ] || alias_args=(--alias ns3)

  t_part="$(now_ms)"
  docker network disconnect "$NET" "${CID[ns3]}"
  say "  docker network disconnect $NET ns3 ($(( $(now_ms) - t_part )) ms); partition for ${PARTITION_MS} ms"
  probe steady --nodes "$(nodes_arg ns1 ns2)" --specs "$S_ALL,$S_A,$S_ONE,$S_PART" --stop-file "$stop" --t0 "$t_part" >"$steady_file" &
  local steady_pid=$!
  # Watch b-kill on ns1/ns2 from before the kill (absolute times: the kill time is not known yet).
  probe watch --nodes "$(nodes_arg ns1 ns2)" --spec "$S_KILL" --absent --t0 0 --deadline $((PARTITION_MS + 30000)) >"$kill_file" &
  local kill_pid=$!
  sleep_ms $(( 1000 - ($(now_ms) - t_part) ))
  t_kill="$(now_ms)"
  docker kill "${BCID[b-kill]}" >/dev/null
  say "  docker kill b-kill at +$((t_kill - t_part)) ms"
  # Look at ns3 from inside (docker exec, ~1 s each, slower on a loaded machine) in the
  # background, so that the heal stays on time.
  sleep_ms $(( PARTITION_MS - 3000 - ($(now_ms) - t_part) ))
  local peek_file; peek_file="$(mktemp "${TMPDIR:-/tmp}/e2e-peek.XXXXXX")"
  ( h="$(exec_get ns3 /healthz)"; r="$(exec_get ns3 /v1/routes/e2e-part | cut -c1-3)"
    echo "+$(( $(now_ms) - t_part )) ms: /healthz $h; /v1/routes/e2e-part -> $r" >"$peek_file" ) &
  local peek_pid=$!
  sleep_ms $(( PARTITION_MS - ($(now_ms) - t_part) ))
  t_heal="$(now_ms)"
  docker network connect "${alias_args[@]}" "$NET" "${CID[ns3]}"
  say "  docker network connect ns3 (aliases: ${aliases:-ns3}) after $((t_heal - t_part)) ms of partition"
  wait "$peek_pid" || true
  say "  ns3 seen from inside while cut off, answered at $(cat "$peek_file")"
  rm -f "$peek_file"

  # ns3 converges: routes b-part again, drops b-kill, same cluster view as ns1 and ns2.
  conv_part="$(probe watch --nodes "$(nodes_arg ns3)" --spec "$S_PART" --t0 "$t_heal" --deadline 15000)" || ok=1
  conv_kill="$(probe watch --nodes "$(nodes_arg ns3)" --spec "$S_KILL" --absent --t0 "$t_heal" --deadline 15000)" || ok=1
  conv_same="$(probe same --urls "$(url_of ns1),$(url_of ns2),$(url_of ns3)" --t0 "$t_heal" --deadline 15000)" || ok=1
  say "  after heal, ns3 (ms after docker network connect): first answer on its published port +$(fmt "$conv_part" 'o.firstAnswer.ns3'), routes b-part +$(fmt "$conv_part" 'o.ns3'), b-kill gone +$(fmt "$conv_kill" 'o.ns3'), /v1/cluster identical on all three +$(fmt "$conv_same" 'o.sameMs')"
  # Keep polling ns1/ns2 a little past convergence: ns3's stale verdicts arrive after the heal.
  sleep 2
  touch "$stop"
  wait "$steady_pid" || ok=1
  wait "$kill_pid" || ok=1
  rm -f "$stop"
  out="$(cat "$steady_file")"
  say "  ns1/ns2 polled from partition to heal+convergence+2 s (/readyz + 4 live routes per poll): $(fmt "$out" 'Object.entries(o).map(([k, s]) => k + " " + s.polls + " polls, " + s.bad + " bad" + (s.firstBad ? " first " + JSON.stringify(s.firstBad) : "")).join("; ")')"
  out="$(cat "$kill_file")"
  say "  b-kill (killed during the partition) evicted, ms after the kill: $(fmt "$out" '["ns1","ns2"].map((k) => k + " " + (o[k] === null ? "NEVER" : (o[k] - '"$t_kill"') + " ms")).join(", ")'), ns3 $(( t_heal - t_kill + $(fmt "$conv_kill" 'o.ns3 ?? 0') )) ms (= heal +$(fmt "$conv_kill" 'o.ns3') ms)"
  rm -f "$steady_file" "$kill_file"
  for n in "${NODES[@]}"; do
    lines="$(offline_lines "$n" "$t_part" "@b-part:")"
    say "  $n log 'broker offline' for b-part since the partition: $(fmt "$lines" 'o.count ? o.hits.map((h) => "+" + h.atMs + " ms reason=" + h.reason).join(", ") : "none"')"
    if [ "$(fmt "$lines" 'o.count')" != 0 ]; then
      if [ "$n" != ns3 ] || [ $((t_heal - t_part)) -lt "$NODE_EXPIRY_MS" ]; then ok=1; fi
    fi
    lines="$(offline_lines "$n" "$t_part" "")"
    say "  $n all 'broker offline' since the partition: $(fmt "$lines" 'o.count ? o.hits.map((h) => h.brokerKey + " +" + h.atMs + " ms " + h.reason).join(", ") : "none"')"
    # Other live brokers (all but b-kill) evicted anywhere: not failed (the check is about
    # b-part), but called out: e.g. ns3 expiring brokers before its peer links are back.
    lines="$(fmt "$lines" 'o.hits.filter((h) => !h.brokerKey.includes("@b-kill:")).map((h) => h.brokerKey + " +" + h.atMs + " ms").join(", ")')"
    [ -z "$lines" ] || say "  WARNING: $n evicted live brokers (heal was at +$((t_heal - t_part)) ms): $lines"
  done
  lines="$(docker logs "${CID[ns3]}" 2>&1 | probe loglines --since "$t_part" --msg "self-preservation on: cut off from peers, evictions held")"
  say "  ns3 self-preservation (holds evictions when cut off from every peer): $(fmt "$lines" 'o.count ? "on at +" + o.hits[0].atMs + " ms after the disconnect" : "not engaged"')"
  return "$ok"
}

# --- main ---------------------------------------------------------------------------
main() {
  trap teardown EXIT
  step "engine (docker-env.sh)" do_engine
  say "project $COMPOSE_PROJECT_NAME, compose: $COMPOSE, base: $BASE_IMAGE"
  # Leftovers of an earlier interrupted run.
  remove_brokers
  $COMPOSE --profile demo down -v --remove-orphans >/dev/null 2>&1 || true
  step "base image (make-base-image.sh)" do_base_image
  step "build gossip-namesrv:local" do_build
  step "up -d ${NODES[*]}" do_up
  step "wait healthy (deadline ${HEALTHY_TIMEOUT_S}s)" wait_healthy
  local n
  for n in "${NODES[@]}"; do CID[$n]="$(container_of "$n")"; done
  NET="$(docker inspect -f '{{range $k, $v := .NetworkSettings.Networks}}{{$k}} {{end}}' "${CID[ns1]}")"
  NET="${NET%% *}"
  say "network $NET; containers: $(for n in "${NODES[@]}"; do printf '%s=%.12s ' "$n" "${CID[$n]}"; done)"
  CREDS_VOLUME="$(docker inspect -f '{{range .Mounts}}{{if eq .Destination "/credentials"}}{{.Name}}{{end}}{{end}}' "${CID[ns1]}")"
  CA_FILE="$(mktemp "${TMPDIR:-/tmp}/e2e-ca.XXXXXX")"
  docker exec "${CID[ns1]}" node -e 'process.stdout.write(require("fs").readFileSync("/credentials/ca.pem", "utf8"))' >"$CA_FILE"
  chmod 644 "$CA_FILE"
  export NODE_EXTRA_CA_CERTS="$CA_FILE"   # host-side node (http_get, e2e-probe.mjs) trusts the dev CA
  say "credentials volume $CREDS_VOLUME; CA copied to $CA_FILE (TLS + cluster secret + tokens on)"

  check "readyz+healthz on published ports" check_probes
  check "remoting listening" check_remoting_listening
  check "broker routed everywhere" check_broker_routed_everywhere
  check "rogue node, broker and client refused" check_rogue
  check "rocketmq client query" check_rocketmq_client_query
  check "pause broker" check_pause_broker
  check "kill/start ns2" check_kill_restart_ns2
  check "partition ns3" check_partition_ns3

  say "results:"
  local r
  for r in "${RESULTS[@]}"; do say "  $r"; done
  echo "e2e: $PASSED passed, $FAILED failed, $SKIPPED skipped"
  [ "$FAILED" -eq 0 ]
}

main "$@"
