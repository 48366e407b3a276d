#!/usr/bin/env bash
# Installs Debian's redis-server, the real Redis the response cache tests start on a free loopback port
# (they start and stop it themselves; the package's own service is not needed). Debian/Ubuntu; needs root
# (or sudo). Idempotent.
set -euo pipefail

if command -v redis-server >/dev/null 2>&1; then
    echo "redis-prereqs: redis-server already installed ($(redis-server --version | head -n 1))"
    exit 0
fi

sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi
echo "redis-prereqs: installing redis-server"
"${sudo_cmd[@]}" apt-get update
DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y --no-install-recommends redis-server
# The package may start its own service on 6379; the tests use their own instances, so it is not needed.
if command -v service >/dev/null 2>&1; then "${sudo_cmd[@]}" service redis-server stop >/dev/null 2>&1 || true; fi
redis-server --version | head -n 1
