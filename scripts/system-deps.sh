#!/usr/bin/env bash
# Install the Debian packages the full test suite needs, only those that are missing.
# Needs root (CI and our machines run as root); elsewhere it says what to install and exits non-zero.
set -euo pipefail

# command-to-check → Debian package
declare -A wanted=(
  [chromium]=chromium
  [mariadbd]=mariadb-server
  [dockerd]=docker.io
  [debootstrap]=debootstrap
)
missing=()
for cmd in "${!wanted[@]}"; do
  if ! command -v "$cmd" >/dev/null 2>&1 && [ ! -x "/usr/sbin/$cmd" ]; then
    missing+=("${wanted[$cmd]}")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "system-deps: missing Debian packages: ${missing[*]}; install them as root:" >&2
  echo "  apt-get update && apt-get install -y --no-install-recommends ${missing[*]}" >&2
  exit 1
fi
echo "system-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
