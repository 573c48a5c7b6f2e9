#!/usr/bin/env bash
# Make sure the Java base image named by JRE_IMAGE exists locally, building it from this
# machine's own JDK (17 or newer) when it does not: no image registry is needed.
#
#   1. `docker image inspect $JRE_IMAGE` succeeds and the image was made by this script's
#      current layout (or by anyone else) -> nothing to do;
#   2. otherwise copy the local Java runtime into a root file system and `docker import` it.
#
# The image holds: the runtime at /opt/java/openjdk (the JDK directory of `java` on PATH,
# symbolic links into /etc dereferenced; without jmods, headers, man pages and sources), the
# shared libraries `ldd` names for java, libjvm and the runtime's headless native libraries
# (the AWT, sound and smart-card ones are left out, with the X11 and ALSA libraries they
# need), the rest of glibc's and the C++ runtime (for native code in jars), /etc/passwd +
# /etc/group with root and `rocketmq` (uid/gid 1000), /etc/nsswitch.conf and a
# world-writable /tmp. There is no shell
# and no coreutils: images built on it use exec-form ENTRYPOINT/CMD and run java directly.
# It sets JAVA_HOME=/opt/java/openjdk and puts its bin on PATH, as the eclipse-temurin
# images do, so a Dockerfile written for one builds on the other (JRE_IMAGE=eclipse-temurin:17-jre).
#
# Environment:
#   JRE_IMAGE          image name to provide       (default gossip-namesrv-jre:17)
#   JAVA_BIN           the java whose runtime is copied (default: `java` on PATH)
#   FORCE_LOCAL_JRE=1  make the image again even if JRE_IMAGE exists
#
# Needs a running Docker engine (see scripts/docker-env.sh) and a JDK or JRE 17+ (Debian:
# apt-get install openjdk-17-jdk-headless). Idempotent.
set -euo pipefail

JRE_IMAGE="${JRE_IMAGE:-gossip-namesrv-jre:17}"
FORCE_LOCAL_JRE="${FORCE_LOCAL_JRE:-0}"
# The oldest Java the RocketMQ 5.x broker and the test programs (maven.compiler.release) run on.
JAVA_MAJOR_MIN=17

log() { printf '[make-jre-image] %s\n' "$*" >&2; }
# shellcheck source=scripts/rootfs-lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/rootfs-lib.sh"
rootfs_require_docker

# Bumped when the image's contents change, so an older one is made again.
LAYOUT=1
# Native libraries of the runtime that only the desktop modules (AWT, Java Sound) and smart
# cards load; their X11, ALSA, font and PC/SC dependencies stay out of the image.
GUI_LIBS="libawt_xawt.so libatk-wrapper.so libjawt.so libsplashscreen.so libjsound.so libfontmanager.so liblcms.so libjavajpeg.so libmlib_image.so libj2pcsc.so"

if [ "$FORCE_LOCAL_JRE" != "1" ] && docker image inspect "$JRE_IMAGE" >/dev/null 2>&1; then
  made="$(docker image inspect -f '{{index .Config.Labels "gossip-namesrv.jre-layout"}}' "$JRE_IMAGE" 2>/dev/null || true)"
  if [ -z "$made" ] || [ "$made" = "$LAYOUT" ]; then
    log "$JRE_IMAGE present locally: $(docker image inspect -f '{{.Id}}' "$JRE_IMAGE")"
    exit 0
  fi
  log "$JRE_IMAGE was made here by an older layout ($made); making layout $LAYOUT"
fi

# --- locate the local runtime -------------------------------------------------
JAVA_BIN="${JAVA_BIN:-$(command -v java || true)}"
[ -n "$JAVA_BIN" ] || die "java not found in PATH (Debian: apt-get install openjdk-17-jdk-headless)"
JAVA_BIN="$(readlink -f "$JAVA_BIN")"
JAVA_DIR="$(dirname "$(dirname "$JAVA_BIN")")"
[ -f "$JAVA_DIR/release" ] && [ -f "$JAVA_DIR/lib/server/libjvm.so" ] ||
  die "$JAVA_DIR does not look like a Java runtime (no release file or lib/server/libjvm.so)"
JAVA_VERSION="$(sed -n 's/^JAVA_VERSION="\(.*\)"$/\1/p' "$JAVA_DIR/release")"
JAVA_MAJOR="${JAVA_VERSION%%.*}"
[[ "$JAVA_MAJOR" =~ ^[0-9]+$ ]] || die "cannot read JAVA_VERSION from $JAVA_DIR/release (got '$JAVA_VERSION')"
[ "$JAVA_MAJOR" -ge "$JAVA_MAJOR_MIN" ] || die "$JAVA_DIR is Java $JAVA_VERSION; $JAVA_MAJOR_MIN or newer is needed"

STAGE="$(mktemp -d "${TMPDIR:-/tmp}/namesrv-jre.XXXXXX")"
cleanup() { rm -rf "$STAGE"; }
trap cleanup EXIT
R="$STAGE/rootfs"
JH=/opt/java/openjdk
mkdir -p "$R$JH" "$R"/{etc,tmp,root,home/rocketmq,lib64}
chmod 1777 "$R/tmp"
chmod 700 "$R/root"

# --- the runtime (links into /etc, such as conf/ and lib/security/cacerts, dereferenced) --
tar -C "$JAVA_DIR" -chf - --exclude=./jmods --exclude=./include --exclude=./man --exclude=./docs \
  --exclude=./demo --exclude=./lib/src.zip --exclude=./lib/ct.sym . | tar -C "$R$JH" -xf - ||
  die "copying $JAVA_DIR failed"
for name in $GUI_LIBS; do rm -f "$R$JH/lib/$name"; done
"$R$JH/bin/java" -version >/dev/null 2>&1 || die "the copied runtime does not run on this machine"

# --- shared libraries named by ldd (the runtime's own are already there) ------
rootfs_copy_libs "$JAVA_BIN" "$JAVA_DIR"
while IFS= read -r -d '' so; do
  rootfs_copy_libs "$so" "$JAVA_DIR" "$R"
done < <(find "$R$JH/lib" -name '*.so' -print0)
rootfs_copy_named_libs "${ROOTFS_RUNTIME_LIBS[@]}"

# --- users, name service: no shell in the image ---------------------------------
rootfs_users rocketmq /sbin/nologin

TAR="$STAGE/rootfs.tar"
rootfs_tar rocketmq "$TAR"
log "rootfs: Java $JAVA_VERSION from $JAVA_DIR, $(du -sh "$TAR" | cut -f1) tar"

docker import \
  --change "ENV JAVA_HOME=$JH" \
  --change "ENV PATH=$JH/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
  --change "ENV JAVA_VERSION=$JAVA_VERSION" \
  --change 'CMD ["java", "-version"]' \
  --change "LABEL gossip-namesrv.jre-layout=$LAYOUT" \
  --message "gossip-namesrv local JRE: Java $JAVA_VERSION from the host runtime" \
  "$TAR" "$JRE_IMAGE" >&2

# Smoke test: java starts in the new image as uid 1000, whom it knows by name.
docker run --rm --user 1000:1000 "$JRE_IMAGE" java -Xshare:auto -XX:+UseSerialGC \
  -XshowSettings:properties -version 2>&1 | grep -E '^\s+(java\.(runtime\.)?version|user\.name) =' >&2 ||
  die "smoke test of $JRE_IMAGE failed"
log "made $JRE_IMAGE from the local runtime"
