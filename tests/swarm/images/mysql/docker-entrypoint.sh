#!/bin/bash
# Entrypoint of the MySQL stand-in (Debian's MariaDB), honouring the official mysql image's
# contract: MYSQL_ROOT_PASSWORD / MYSQL_ALLOW_EMPTY_PASSWORD / MYSQL_RANDOM_ROOT_PASSWORD,
# MYSQL_DATABASE, MYSQL_USER, MYSQL_PASSWORD, each *_FILE variant, and
# /docker-entrypoint-initdb.d/*.sh|*.sql|*.sql.gz run once, on an empty data directory only.
# Secret values are never printed and never stay in the server's environment.
set -euo pipefail

DATADIR=/var/lib/mysql
SOCKET=/run/mysqld/mysqld.sock
INITDB=/docker-entrypoint-initdb.d

log() { echo "docker-entrypoint: $*" >&2; }

# Set VAR from VAR or from the file named by VAR_FILE (both at once is an error, as upstream).
file_env() {
  local var="$1" file_var="${1}_FILE" value=""
  if [ -n "${!var:-}" ] && [ -n "${!file_var:-}" ]; then
    log "both $var and $file_var are set (but are exclusive)"
    exit 1
  fi
  if [ -n "${!var:-}" ]; then
    value="${!var}"
  elif [ -n "${!file_var:-}" ]; then
    value="$(<"${!file_var}")"
  fi
  export "$var"="$value"
  unset "$file_var"
}

# Quote a value as an SQL string literal (backslashes and quotes doubled/escaped).
sql_string() {
  local value="${1//\\/\\\\}"
  printf "'%s'" "${value//\'/\'\'}"
}

# Run SQL from stdin as root over the socket; upstream's helper name, for sourced *.sh scripts.
# MYSQL_PWD rather than an option file: option files give backslashes and quotes a meaning.
docker_process_sql() {
  MYSQL_PWD="$CLIENT_PASSWORD" mariadb -uroot --protocol=socket --socket="$SOCKET" "$@"
}

start_temporary_server() {
  mariadbd --user=mysql --datadir="$DATADIR" --skip-networking --socket="$SOCKET" &
  TEMP_PID=$!
  for _ in $(seq 1 120); do
    if echo 'SELECT 1' | docker_process_sql >/dev/null 2>&1; then return 0; fi
    kill -0 "$TEMP_PID" 2>/dev/null || { log "temporary server died"; exit 1; }
    sleep 0.5
  done
  log "temporary server did not start"
  exit 1
}

setup_accounts_sql() {
  local root_password
  root_password="$(sql_string "$MYSQL_ROOT_PASSWORD")"
  # mariadb-install-db adds anonymous users and password-less root@127.0.0.1/::1/<hostname>,
  # which would shadow root@'%' over TCP; upstream MySQL has only root@localhost and root@'%'.
  echo "DROP USER IF EXISTS ''@'localhost', ''@'$(hostname)';"
  echo "DROP USER IF EXISTS 'root'@'127.0.0.1', 'root'@'::1', 'root'@'$(hostname)';"
  echo "ALTER USER 'root'@'localhost' IDENTIFIED BY $root_password;"
  # Upstream's MYSQL_ROOT_HOST defaults to '%': root may connect over TCP.
  echo "CREATE USER 'root'@'${MYSQL_ROOT_HOST:-%}' IDENTIFIED BY $root_password;"
  echo "GRANT ALL ON *.* TO 'root'@'${MYSQL_ROOT_HOST:-%}' WITH GRANT OPTION;"
  if [ -n "${MYSQL_DATABASE:-}" ]; then
    echo "CREATE DATABASE IF NOT EXISTS \`$MYSQL_DATABASE\`;"
  fi
  if [ -n "${MYSQL_USER:-}" ] && [ -n "${MYSQL_PASSWORD:-}" ]; then
    echo "CREATE USER '$MYSQL_USER'@'%' IDENTIFIED BY $(sql_string "$MYSQL_PASSWORD");"
    if [ -n "${MYSQL_DATABASE:-}" ]; then
      echo "GRANT ALL ON \`$MYSQL_DATABASE\`.* TO '$MYSQL_USER'@'%';"
    fi
  fi
  echo "FLUSH PRIVILEGES;"
}

run_init_scripts() {
  local file database=()
  [ -n "${MYSQL_DATABASE:-}" ] && database=(--database="$MYSQL_DATABASE")
  for file in "$INITDB"/*; do
    case "$file" in
      *.sh)
        log "running $file"
        if [ -x "$file" ]; then "$file"; else . "$file"; fi ;;
      *.sql) log "running $file"; docker_process_sql "${database[@]}" <"$file" ;;
      *.sql.gz) log "running $file"; gunzip -c "$file" | docker_process_sql "${database[@]}" ;;
      "$INITDB/*") ;;
      *) log "ignoring $file" ;;
    esac
  done
}

initialise() {
  if [ -z "$MYSQL_ROOT_PASSWORD" ] && [ -z "${MYSQL_ALLOW_EMPTY_PASSWORD:-}" ] \
      && [ -z "${MYSQL_RANDOM_ROOT_PASSWORD:-}" ]; then
    log "database is uninitialised and no root password option is set:"
    log "set MYSQL_ROOT_PASSWORD(_FILE), MYSQL_ALLOW_EMPTY_PASSWORD or MYSQL_RANDOM_ROOT_PASSWORD"
    exit 1
  fi
  if [ -n "${MYSQL_RANDOM_ROOT_PASSWORD:-}" ] && [ -z "$MYSQL_ROOT_PASSWORD" ]; then
    MYSQL_ROOT_PASSWORD="$(head -c 24 /dev/urandom | base64)"
    log "generated a random root password (printed nowhere, as asked)"
  fi
  log "initialising an empty data directory"
  mariadb-install-db --user=mysql --datadir="$DATADIR" --skip-test-db \
    --auth-root-authentication-method=normal >/dev/null
  CLIENT_PASSWORD=""
  start_temporary_server
  setup_accounts_sql | docker_process_sql
  CLIENT_PASSWORD="$MYSQL_ROOT_PASSWORD"
  # Sourced scripts written for upstream use "${mysql[@]}" or docker_process_sql.
  # shellcheck disable=SC2034
  mysql=(docker_process_sql)
  run_init_scripts
  MYSQL_PWD="$CLIENT_PASSWORD" mariadb-admin -uroot --socket="$SOCKET" shutdown
  wait "$TEMP_PID"
  unset CLIENT_PASSWORD
  log "initialisation done"
}

# Options alone (`--character-set-server=...`) are options of the server, as upstream.
if [ "${1:0:1}" = "-" ]; then set -- mysqld "$@"; fi
if [ "$1" != "mysqld" ] && [ "$1" != "mariadbd" ]; then exec "$@"; fi
shift

mkdir -p "$DATADIR" /run/mysqld
chown mysql:mysql "$DATADIR" /run/mysqld
file_env MYSQL_ROOT_PASSWORD
file_env MYSQL_PASSWORD
if [ ! -d "$DATADIR/mysql" ]; then initialise; fi
unset MYSQL_ROOT_PASSWORD MYSQL_PASSWORD
# MySQL 8.4 options MariaDB lacks must not stop the server: --loose- makes unknown ones warnings.
server_args=()
for arg in "$@"; do
  case "$arg" in
    --loose-*) server_args+=("$arg") ;;
    --*) server_args+=("--loose-${arg#--}") ;;
    *) server_args+=("$arg") ;;
  esac
done
exec mariadbd --user=mysql --datadir="$DATADIR" --socket="$SOCKET" --bind-address=0.0.0.0 \
  --skip-name-resolve "${server_args[@]}"
