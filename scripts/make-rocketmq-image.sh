#!/usr/bin/env bash
# Build the image of the compose profile "rocketmq" (a real Apache RocketMQ broker and the
# demo producer and consumer) without any image registry:
#
#   1. the JRE base image: scripts/make-jre-image.sh (from the local JDK);
#   2. the jars: `mvn compile dependency:copy-dependencies` on test/interop/pom.xml (RocketMQ
#      from Maven Central into ~/.m2, the same artifacts the interop tests use) and the
#      compiled test programs, staged with deploy/rocketmq/ into test/interop/target/rocketmq-image;
#   3. `docker build` of deploy/rocketmq/Dockerfile on that context, tagged $ROCKETMQ_IMAGE.
#
# Then: docker compose --profile rocketmq up -d   (docker-compose.yml says what runs).
#
# Environment:
#   ROCKETMQ_IMAGE    tag of the result                 (default gossip-namesrv-rocketmq:local)
#   JRE_IMAGE         base image, passed on             (default gossip-namesrv-jre:17;
#                     eclipse-temurin:17-jre works where a registry is reachable)
#   INTEROP_MVN_ARGS  extra Maven arguments, e.g. -o or -Dmaven.repo.local=...
#
# Needs a running Docker engine (scripts/docker-env.sh), java 17+ and mvn: when either is
# missing and this runs as root with apt-get, it installs openjdk-17-jdk-headless and maven.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export JRE_IMAGE="${JRE_IMAGE:-gossip-namesrv-jre:17}"
ROCKETMQ_IMAGE="${ROCKETMQ_IMAGE:-gossip-namesrv-rocketmq:local}"
INTEROP="$ROOT/test/interop"
STAGE="$INTEROP/target/rocketmq-image"

log() { printf '[make-rocketmq-image] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

if ! command -v java >/dev/null 2>&1 || ! command -v mvn >/dev/null 2>&1; then
  if [ "$(id -u)" != "0" ] || ! command -v apt-get >/dev/null 2>&1; then
    die "java and mvn are needed (Debian: apt-get install openjdk-17-jdk-headless maven)"
  fi
  log "apt-get install -y openjdk-17-jdk-headless maven"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openjdk-17-jdk-headless maven >&2
fi

"$ROOT/scripts/make-jre-image.sh"

# --- the jars and the test programs ------------------------------------------
rm -rf "$STAGE"
mkdir -p "$STAGE"
# shellcheck disable=SC2086 # INTEROP_MVN_ARGS is a list of arguments
mvn -B -q -f "$INTEROP/pom.xml" ${INTEROP_MVN_ARGS:-} compile dependency:copy-dependencies \
  -DincludeScope=runtime -DoutputDirectory="$STAGE/lib" >&2 ||
  die "mvn on test/interop/pom.xml failed (into an empty ~/.m2 it downloads about 130 MiB from Maven Central)"
[ -d "$INTEROP/target/classes/interop" ] || die "no compiled test programs in $INTEROP/target/classes"
cp -r "$INTEROP/target/classes" "$STAGE/classes"
cp "$ROOT/deploy/rocketmq/Dockerfile" "$ROOT/deploy/rocketmq/logback.xml" "$STAGE/"
log "staged $(find "$STAGE/lib" -name '*.jar' | wc -l) jars ($(du -sh "$STAGE/lib" | cut -f1)) and the test programs in $STAGE"

# --- the image ------------------------------------------------------------------
docker build -q --build-arg JRE_IMAGE="$JRE_IMAGE" -t "$ROCKETMQ_IMAGE" "$STAGE" >&2 ||
  die "docker build of $ROCKETMQ_IMAGE failed"
# Smoke test: the broker's main class loads from the entrypoint's classpath and prints its usage.
docker run --rm "$ROCKETMQ_IMAGE" -Xmx64m -XX:TieredStopAtLevel=1 org.apache.rocketmq.broker.BrokerStartup -h 2>&1 |
  grep -q 'usage: mqbroker' || die "smoke test of $ROCKETMQ_IMAGE failed: BrokerStartup -h printed no usage"
log "built $ROCKETMQ_IMAGE ($(docker image inspect -f '{{.Size}}' "$ROCKETMQ_IMAGE" | awk '{ printf "%.0f MB", $1 / 1e6 }')) on $JRE_IMAGE"
