#!/usr/bin/env bash
# Make sure the Docker base image named by BASE_IMAGE exists locally.
#
#   1. `docker image inspect $BASE_IMAGE` succeeds  -> nothing to do;
#   2. `docker pull $BASE_IMAGE` succeeds within PULL_TIMEOUT_S -> done;
#   3. otherwise (no image registry reachable) build a minimal image from this
#      machine's own Node.js runtime and tag it as $BASE_IMAGE, so the project's
#      Dockerfile builds unchanged.
#
# The locally made image holds: node, npm (lib/node_modules/npm, with npm/npx links),
# /usr/bin/env, /bin/sh, the shared libraries that `ldd` names for those three,
# /etc/ssl/certs, and /etc/passwd + /etc/group with root and `node` (uid/gid 1000,
# as in the official node images). It sets
# NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt so npm in a build stage
# trusts the same CAs as this machine.
#
# Environment:
#   BASE_IMAGE       image name to provide           (default node:20-bookworm-slim)
#   PULL_TIMEOUT_S   how long to try `docker pull`   (default 20; 0 = do not try)
#   FORCE_LOCAL_BASE=1  rebuild the local image even if BASE_IMAGE exists
#
# Needs a running Docker engine (see scripts/docker-env.sh). Idempotent.
set -euo pipefail

BASE_IMAGE="${BASE_IMAGE:-node:20-bookworm-slim}"
PULL_TIMEOUT_S="${PULL_TIMEOUT_S:-20}"
FORCE_LOCAL_BASE="${FORCE_LOCAL_BASE:-0}"

log() { printf '[make-base-image] %s\n' "$*" >&2; }
# shellcheck source=scripts/rootfs-lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/rootfs-lib.sh"
rootfs_require_docker

# Bumped when the locally made image's contents change, so an older one is made again.
LAYOUT=2

if [ "$FORCE_LOCAL_BASE" != "1" ]; then
  if docker image inspect "$BASE_IMAGE" >/dev/null 2>&1; then
    # An image made here by an older version of this script is made again; any other is kept.
    comment="$(docker image inspect -f '{{.Comment}}' "$BASE_IMAGE" 2>/dev/null || true)"
    made="$(docker image inspect -f '{{index .Config.Labels "gossip-namesrv.base-layout"}}' "$BASE_IMAGE" 2>/dev/null || true)"
    if [[ "$comment" != "gossip-namesrv local base"* || "$made" == "$LAYOUT" ]]; then
      log "$BASE_IMAGE present locally: $(docker image inspect -f '{{.Id}}' "$BASE_IMAGE")"
      exit 0
    fi
    log "$BASE_IMAGE was made here by an older layout (${made:-1}); making layout $LAYOUT"
  fi
  if [ "$PULL_TIMEOUT_S" != "0" ]; then
    log "trying: docker pull $BASE_IMAGE (timeout ${PULL_TIMEOUT_S}s)"
    if timeout "$PULL_TIMEOUT_S" docker pull "$BASE_IMAGE" >&2; then
      log "pulled $BASE_IMAGE"
      exit 0
    fi
    log "pull failed; making $BASE_IMAGE from the local Node.js runtime"
  fi
fi

# --- locate the local runtime -------------------------------------------------
NODE_BIN="$(command -v node)" || die "node not found in PATH"
NODE_BIN="$(readlink -f "$NODE_BIN")"
NODE_VERSION="$("$NODE_BIN" -p 'process.versions.node')"
NODE_MAJOR="${NODE_VERSION%%.*}"
case "$BASE_IMAGE" in
  node:"$NODE_MAJOR"|node:"$NODE_MAJOR"-*|node:"$NODE_MAJOR".*) ;;
  node:*) log "warning: local node is v$NODE_VERSION but the tag is $BASE_IMAGE" ;;
esac

# npm's package directory: `npm root -g` gives <prefix>/lib/node_modules.
NPM_DIR=""
if command -v npm >/dev/null 2>&1; then
  NPM_DIR="$(npm root -g 2>/dev/null)/npm"
fi
if [ ! -f "$NPM_DIR/bin/npm-cli.js" ]; then
  NPM_DIR="$(dirname "$(dirname "$NODE_BIN")")/lib/node_modules/npm"
fi
[ -f "$NPM_DIR/bin/npm-cli.js" ] || die "npm not found (looked at $NPM_DIR)"
NPM_VERSION="$("$NODE_BIN" "$NPM_DIR/bin/npm-cli.js" --version)"

SH_BIN="$(readlink -f /bin/sh)"
ENV_BIN="$(readlink -f "$(command -v env)")"
CA_DIR=/etc/ssl/certs
[ -f "$CA_DIR/ca-certificates.crt" ] || die "$CA_DIR/ca-certificates.crt not found"

STAGE="$(mktemp -d "${TMPDIR:-/tmp}/namesrv-base.XXXXXX")"
cleanup() { rm -rf "$STAGE"; }
trap cleanup EXIT
R="$STAGE/rootfs"
mkdir -p "$R"/{usr/local/bin,usr/local/lib/node_modules,usr/bin,bin,etc,tmp,root,home/node,lib64}
chmod 1777 "$R/tmp"
chmod 700 "$R/root"

# --- programs -----------------------------------------------------------------
# Same layout as the official node images: /usr/local/bin/node, /usr/local/lib/node_modules/npm.
cp "$NODE_BIN" "$R/usr/local/bin/node"
cp -a "$NPM_DIR" "$R/usr/local/lib/node_modules/npm"
ln -s ../lib/node_modules/npm/bin/npm-cli.js "$R/usr/local/bin/npm"
ln -s ../lib/node_modules/npm/bin/npx-cli.js "$R/usr/local/bin/npx"
cp "$SH_BIN" "$R/bin/sh"
cp "$ENV_BIN" "$R/usr/bin/env"

# --- shared libraries named by ldd (copied dereferenced, at the path ldd names) -
rootfs_copy_libs "$NODE_BIN"
rootfs_copy_libs "$SH_BIN"
rootfs_copy_libs "$ENV_BIN"
rootfs_copy_named_libs "${ROOTFS_RUNTIME_LIBS[@]}"

# --- CA certificates ----------------------------------------------------------
mkdir -p "$R/etc/ssl"
# -h dereferences the per-CA links into /usr/share/ca-certificates.
tar -C / -chf - "${CA_DIR#/}" 2>/dev/null | tar -C "$R" -xf - || true
[ -s "$R$CA_DIR/ca-certificates.crt" ] || die "copying $CA_DIR failed"

# --- users, name service ------------------------------------------------------
rootfs_users node /bin/sh

TAR="$STAGE/rootfs.tar"
rootfs_tar node "$TAR"
log "rootfs: node v$NODE_VERSION, npm $NPM_VERSION, $(du -sh "$TAR" | cut -f1) tar"

docker import \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt' \
  --change "ENV NODE_VERSION=$NODE_VERSION" \
  --change 'CMD ["node"]' \
  --change "LABEL gossip-namesrv.base-layout=$LAYOUT" \
  --message "gossip-namesrv local base: node v$NODE_VERSION from the host runtime" \
  "$TAR" "$BASE_IMAGE" >&2

# Smoke test: node, npm, sh and env all run in the new image.
docker run --rm "$BASE_IMAGE" /bin/sh -c 'node --version && npm --version && /usr/bin/env node -e "process.exit(0)"' >&2 ||
  die "smoke test of $BASE_IMAGE failed"
log "made $BASE_IMAGE from the local runtime"
