#!/bin/sh
# Like the official image: options alone (`--providers.swarm=true`, `healthcheck`) run traefik.
set -e
case "${1:-}" in
  -*|healthcheck|version) set -- traefik "$@" ;;
esac
exec "$@"
