#!/usr/bin/env bash
# Installs what the test suite needs beyond the Python environment: Debian's chromium (Playwright drives
# it; `playwright install` cannot download browsers here) and the SDK's npm packages.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v chromium >/dev/null 2>&1; then
    echo "setup-test: installing Debian's chromium"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq chromium >/dev/null
fi

if [ -f sdk/package-lock.json ]; then
    if [ ! -d sdk/node_modules ] || [ sdk/package-lock.json -nt sdk/node_modules/.package-lock.json ]; then
        echo "setup-test: npm ci in sdk/"
        (cd sdk && npm ci --no-audit --no-fund --loglevel=error)
    fi
fi

# checkov pins its own dependency versions: it gets a venv of its own so it cannot disturb ours.
if [ ! -x .venv-checkov/bin/checkov ]; then
    echo "setup-test: installing checkov into .venv-checkov"
    python3 -m venv .venv-checkov
    .venv-checkov/bin/pip install -q checkov
fi
