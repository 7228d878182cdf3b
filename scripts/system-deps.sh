#!/usr/bin/env bash
# Install the Debian packages the full test suite needs, only those that are missing.
# Runs apt-get as root, or through sudo where that works without a password (GitHub's runners);
# otherwise it says what to install and exits non-zero.
set -euo pipefail

# command-to-check → Debian package
declare -A wanted=(
  [chromium]=chromium
  [mariadbd]=mariadb-server
  [dockerd]=docker.io
  [debootstrap]=debootstrap
  [npm]=npm
  # The simulated cluster (tests/cluster): its registry, `ip netns`, and promtool for the rules.
  [docker-registry]=docker-registry
  [ip]=iproute2
  [promtool]=prometheus
)
missing=()
for cmd in "${!wanted[@]}"; do
  if ! command -v "$cmd" >/dev/null 2>&1 && [ ! -x "/usr/sbin/$cmd" ]; then
    missing+=("${wanted[$cmd]}")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

as_root=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    as_root=(sudo -n)
  else
    echo "system-deps: missing Debian packages: ${missing[*]}; install them as root:" >&2
    echo "  apt-get update && apt-get install -y --no-install-recommends ${missing[*]}" >&2
    exit 1
  fi
fi
echo "system-deps: installing ${missing[*]}"
# Debian's packages start their daemons on install; none should run on the host (prometheus would
# listen on :9090; the tests start dockerd themselves). policy-rc.d denies that, for this install.
policy=/usr/sbin/policy-rc.d
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' | "${as_root[@]}" tee "$policy" >/dev/null
  "${as_root[@]}" chmod 755 "$policy"
  trap '"${as_root[@]}" rm -f "$policy"' EXIT
fi
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive \
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
