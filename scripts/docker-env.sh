#!/usr/bin/env bash
# Make a Docker engine and Compose available, then export COMPOSE.
#
# Source it:   . scripts/docker-env.sh && $COMPOSE ps
# or run it:   scripts/docker-env.sh        (prints the COMPOSE command)
#
# Idempotent. Steps:
#   1. docker CLI, dockerd or a compose command missing -> `apt-get install docker.io
#      docker-compose` (only when root and apt-get exists; otherwise fail with a hint);
#   2. `docker info` fails -> start `dockerd` in the background (setsid, logging to
#      $DOCKERD_LOG) unless a dockerd is already starting, and wait until `docker info`
#      answers or DOCKER_START_TIMEOUT_S passes;
#   3. COMPOSE="docker compose" when the v2 plugin works, else "docker-compose" (v1).
#
# Environment:
#   DOCKERD_LOG              (default ${TMPDIR:-/tmp}/dockerd.log)
#   DOCKER_START_TIMEOUT_S   (default 60)

_de_log() { printf '[docker-env] %s\n' "$*" >&2; }

_de_apt_install() {
  if [ "$(id -u)" != "0" ] || ! command -v apt-get >/dev/null 2>&1; then
    _de_log "missing: $*; install it (e.g. apt-get install -y docker.io docker-compose as root)"
    return 1
  fi
  _de_log "apt-get install -y $*"
  # Update only when the package is not known yet (an update is slow and needs the network).
  if ! apt-cache show "$1" >/dev/null 2>&1; then
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2 || return 1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >&2 || {
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2 &&
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >&2
  }
}

_de_pick_compose() {
  if docker compose version >/dev/null 2>&1; then
    COMPOSE="docker compose"
  elif command -v docker-compose >/dev/null 2>&1; then
    COMPOSE="docker-compose"
  else
    return 1
  fi
}

_de_main() {
  local timeout_s="${DOCKER_START_TIMEOUT_S:-60}"
  local log_file="${DOCKERD_LOG:-${TMPDIR:-/tmp}/dockerd.log}"

  # 1. packages
  if ! command -v docker >/dev/null 2>&1; then
    _de_apt_install docker.io || return 1
  fi
  if ! docker info >/dev/null 2>&1 && ! command -v dockerd >/dev/null 2>&1; then
    _de_apt_install docker.io || return 1
  fi
  if ! _de_pick_compose; then
    _de_apt_install docker-compose || return 1
    _de_pick_compose || { _de_log "no docker compose / docker-compose after install"; return 1; }
  fi

  # 2. engine
  if ! docker info >/dev/null 2>&1; then
    if pgrep -x dockerd >/dev/null 2>&1; then
      _de_log "dockerd already running; waiting for it"
    else
      if [ "$(id -u)" != "0" ]; then
        _de_log "docker engine not reachable and not root: cannot start dockerd"
        return 1
      fi
      _de_log "starting dockerd in the background (log: $log_file)"
      setsid dockerd >"$log_file" 2>&1 </dev/null &
    fi
    local start=$SECONDS
    until docker info >/dev/null 2>&1; do
      if [ $((SECONDS - start)) -ge "$timeout_s" ]; then
        _de_log "docker engine not up after ${timeout_s}s; last lines of $log_file:"
        tail -n 20 "$log_file" >&2 2>/dev/null || true
        return 1
      fi
      sleep 1
    done
    _de_log "docker engine up after $((SECONDS - start))s"
  fi

  export COMPOSE
  _de_log "engine $(docker version -f '{{.Server.Version}}' 2>/dev/null); COMPOSE='$COMPOSE' ($($COMPOSE version --short 2>/dev/null || echo '?'))"
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  # Executed, not sourced.
  set -euo pipefail
  _de_main
  printf '%s\n' "$COMPOSE"
else
  _de_main
fi
