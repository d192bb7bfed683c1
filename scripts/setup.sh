#!/usr/bin/env bash
# Everything a fresh clone on a fresh machine needs before the demo or the tests: dependencies,
# the build, a running Docker engine and the default sandbox image. Idempotent and quick when done.
#   DEBUG=hybrid-gym*   shows the full log of an image build (debootstrap, apt, docker build)
set -euo pipefail
cd "$(dirname "$0")/.."

say() { echo "setup: $*" >&2; }

[ -d node_modules ] || npm ci --no-audit --no-fund
bash scripts/ensure-docker.sh
npm run --silent build >/dev/null

TAG=$(node --input-type=module -e "import('./dist/index.js').then((m) => console.log(m.DEFAULT_IMAGE))")
if ! docker image inspect "$TAG" >/dev/null 2>&1; then
  # Where no registry answers, the image is built offline with debootstrap: install it the way
  # ensure-docker.sh installs Docker (root on a Debian-like system). `image build` would do the
  # same; doing it here keeps the apt output out of the build's few status lines.
  if ! command -v debootstrap >/dev/null 2>&1 && [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
    say "installing debootstrap (for the offline image build)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -qq --no-install-recommends debootstrap >/dev/null 2>&1 ||
      { apt-get update -qq && apt-get install -y -qq --no-install-recommends debootstrap >/dev/null; }
  fi
  say "building the sandbox image $TAG (a first build takes a few minutes)"
fi
node dist/cli/main.js image build >/dev/null
