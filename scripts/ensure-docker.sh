#!/usr/bin/env bash
# Makes sure a Docker engine answers; installs and starts one when it does not. Idempotent.
#   scripts/ensure-docker.sh            # CI and the README quick start call this
# Environment:
#   HYBRID_GYM_DOCKERD_LOG   dockerd's log file   (default /tmp/hybrid-gym-dockerd.log)
#   HYBRID_GYM_DOCKERD_ARGS  dockerd's arguments  (default "--bridge=none --iptables=false":
#                            sandboxes run with network "none", and this works where iptables does not)
#   HYBRID_GYM_DOCKER_WAIT   seconds to wait for the engine (default 60)
set -euo pipefail

LOG=${HYBRID_GYM_DOCKERD_LOG:-/tmp/hybrid-gym-dockerd.log}
ARGS=${HYBRID_GYM_DOCKERD_ARGS:---bridge=none --iptables=false}
WAIT=${HYBRID_GYM_DOCKER_WAIT:-60}
SOCKET=/var/run/docker.sock
if [[ ${DOCKER_HOST:-} == unix://* ]]; then SOCKET=${DOCKER_HOST#unix://}; fi

say() { echo "ensure-docker: $*" >&2; }

# True when the engine answers: the docker CLI if present, else a /_ping on the socket.
engine_answers() {
  if command -v docker >/dev/null 2>&1; then
    timeout 10 docker info >/dev/null 2>&1 && return 0
    [[ -n ${DOCKER_HOST:-} && ${DOCKER_HOST} != unix://* ]] && return 1
  fi
  [[ -S $SOCKET ]] || return 1
  if command -v curl >/dev/null 2>&1; then
    [[ $(timeout 10 curl -fsS --unix-socket "$SOCKET" http://localhost/_ping 2>/dev/null) == OK ]]
  elif command -v node >/dev/null 2>&1; then
    timeout 10 node -e '
      require("http").get({ socketPath: process.argv[1], path: "/_ping" }, (r) => process.exit(r.statusCode === 200 ? 0 : 1))
        .on("error", () => process.exit(1));' "$SOCKET"
  else
    return 1
  fi
}

if engine_answers; then
  say "the Docker engine answers"
  exit 0
fi
if [[ -n ${DOCKER_HOST:-} && ${DOCKER_HOST} != unix://* ]]; then
  say "DOCKER_HOST=$DOCKER_HOST does not answer; start that engine or unset DOCKER_HOST"
  exit 1
fi

SUDO=()
if [[ $(id -u) -ne 0 ]]; then
  if command -v sudo >/dev/null 2>&1; then
    SUDO=(sudo)
  else
    say "no engine answers at $SOCKET, and starting one needs root (run this script as root)"
    exit 1
  fi
fi

if ! command -v dockerd >/dev/null 2>&1 && [[ ! -x /usr/sbin/dockerd && ! -x /usr/bin/dockerd ]]; then
  if ! command -v apt-get >/dev/null 2>&1; then
    say "dockerd is not installed and this is not a Debian-like system: install Docker (https://docs.docker.com/engine/install/)"
    exit 1
  fi
  say "installing Debian's docker.io"
  "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends docker.io >&2
  # On systemd machines the package starts the service itself.
  if engine_answers; then say "the Docker engine answers"; exit 0; fi
fi
DOCKERD=$(command -v dockerd || echo /usr/sbin/dockerd)

# An engine still starting on the default socket: wait for it rather than start a second one.
if [[ $SOCKET == /var/run/docker.sock && -f /var/run/docker.pid ]] && kill -0 "$(cat /var/run/docker.pid)" 2>/dev/null; then
  say "dockerd is already running; waiting for it to answer"
else
  say "starting dockerd $ARGS (log: $LOG)"
  # shellcheck disable=SC2086 # ARGS is a list of words on purpose.
  "${SUDO[@]}" nohup "$DOCKERD" $ARGS >>"$LOG" 2>&1 </dev/null &
fi

for ((i = 0; i < WAIT * 2; i++)); do
  if engine_answers; then
    say "the Docker engine answers (after $((i / 2)) s)"
    exit 0
  fi
  sleep 0.5
done

say "the Docker engine did not answer within ${WAIT} s; last lines of $LOG:"
tail -n 40 "$LOG" >&2 2>/dev/null || true
exit 1
