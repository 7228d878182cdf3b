#!/usr/bin/env bash
# Create every secret file stack.yml needs that does not exist yet; never overwrite one.
#
#   secrets/create.sh                      # then: docker stack deploy -c stack.yml translate
#   ADMIN_PASSWORD=... secrets/create.sh   # choose the admin password instead of generating it
#
# Values are random (openssl rand), written without a trailing newline, readable by this user only.
# `docker stack deploy` turns each file into a Swarm secret (stack.yml, `secrets:`); the files are
# ignored by git. The admin's password is printed once, when it is generated, and stored only as a
# hash. secrets/README.md explains each secret and how to rotate it.
#
# Environment: SECRETS_DIR (default: this script's folder), ADMIN_USER (default: admin),
# ADMIN_PASSWORD (default: generated and printed).
set -euo pipefail
umask 077
# A second guard against overwriting: `>` refuses an existing file.
set -o noclobber

dir="${SECRETS_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)}"
admin_user="${ADMIN_USER:-admin}"
mkdir -p "$dir"

if ! command -v openssl >/dev/null 2>&1; then
    echo "create.sh: openssl is required (Debian: apt-get install openssl)" >&2
    exit 1
fi
if [[ ! "$admin_user" =~ ^[A-Za-z0-9_.-]+$ ]]; then
    echo "create.sh: ADMIN_USER must be letters, digits, '.', '_' or '-'" >&2
    exit 1
fi

# write NAME VALUE: create $dir/NAME holding VALUE unless it exists; say which.
write() {
    local path="$dir/$1"
    if [[ -e "$path" ]]; then
        echo "kept     $path"
        return 1
    fi
    printf '%s' "$2" >"$path"
    echo "created  $path"
}

# Hex only: safe inside SQL string literals, URLs and shell words without any quoting rules.
random_hex() {
    openssl rand -hex "$1"
}

write mysql_root_password "$(random_hex 32)" || true
write mysql_password "$(random_hex 32)" || true
write mysql_readonly_password "$(random_hex 32)" || true
# The frontend signs its session cookie (CSRF token) with this key.
write secret_key "$(random_hex 48)" || true
# Prometheus scrapes the frontends' /metrics with this bearer token (it opens nothing else).
write metrics_token "$(random_hex 32)" || true

# basic auth for /query, /history, /metrics and Traefik's dashboard: an htpasswd line with an
# apr1 (MD5-crypt) hash, which Traefik verifies; the password reaches openssl on stdin, not argv.
if [[ ! -e "$dir/basic_auth_users" ]]; then
    generated=false
    password="${ADMIN_PASSWORD:-}"
    if [[ -z "$password" ]]; then
        password="$(random_hex 12)"
        generated=true
    fi
    hash="$(printf '%s\n' "$password" | openssl passwd -apr1 -stdin)"
    write basic_auth_users "$admin_user:$hash"
    if [[ "$generated" == true ]]; then
        echo
        echo "Admin login for /query, /history and /traefik/ (shown once, stored only as a hash):"
        echo "  user:     $admin_user"
        echo "  password: $password"
        echo
    fi
else
    echo "kept     $dir/basic_auth_users"
fi
