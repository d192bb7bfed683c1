#!/usr/bin/env bash
# Everything a fresh clone on a fresh machine needs before the demo or the tests: dependencies,
# the build, a running Docker engine and the default sandbox image. Idempotent and quick when done.
set -euo pipefail
cd "$(dirname "$0")/.."

[ -d node_modules ] || npm ci --no-audit --no-fund
bash scripts/ensure-docker.sh
npm run --silent build >/dev/null
node dist/cli/main.js image build >/dev/null
