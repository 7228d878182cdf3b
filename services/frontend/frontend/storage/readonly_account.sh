#!/bin/bash
# Create the SQL console's read-only account: SELECT on the application's database, nothing else.
#
# Contract (the stack's mysql:8.4 initialisation and the test harness both run this file):
#   MYSQL_DATABASE                   the application's database (the mysql image's own variable)
#   DATABASE_READONLY_USER           the account to create (default: ut_readonly)
#   DATABASE_READONLY_PASSWORD_FILE  file holding its password, trailing newline ignored
#                                    (default: /run/secrets/db_readonly_password)
# In the mysql image: mount it NON-executable under /docker-entrypoint-initdb.d/ (a Swarm config's
# default mode 0444 is right): the entrypoint then *sources* it and docker_process_sql runs the SQL
# as root over the init socket (https://hub.docker.com/_/mysql, "Initializing a fresh instance").
# Elsewhere: `bash readonly_account.sh [mysql client options]` pipes the SQL into
# `mysql -uroot [options]`, e.g. `bash readonly_account.sh --socket=/tmp/db.sock`.
# Re-running it is safe: it only (re)sets the password and the grant.
# No `set -eu` here: a sourced file would change the image entrypoint's own shell options.

# Usage: _ut_create_readonly_account CLIENT_COMMAND... (the SQL goes to its standard input)
_ut_create_readonly_account() {
    local user="${DATABASE_READONLY_USER:-ut_readonly}"
    local password_file="${DATABASE_READONLY_PASSWORD_FILE:-/run/secrets/db_readonly_password}"
    local database="${MYSQL_DATABASE:-}"
    local password
    # Names go into SQL as identifiers: allow only the characters that need no quoting rules.
    if [[ ! "$database" =~ ^[A-Za-z0-9_]+$ ]]; then
        echo "readonly_account: MYSQL_DATABASE must be set to a plain name ([A-Za-z0-9_])" >&2
        return 1
    fi
    if [[ ! "$user" =~ ^[A-Za-z0-9_]+$ ]]; then
        echo "readonly_account: DATABASE_READONLY_USER must be a plain name ([A-Za-z0-9_])" >&2
        return 1
    fi
    if [[ ! -r "$password_file" ]]; then
        echo "readonly_account: cannot read the password file $password_file" >&2
        return 1
    fi
    password="$(<"$password_file")"  # $(<...) drops the trailing newline(s)
    # The password goes into a string literal: refuse the characters that could end or escape it.
    if [[ -z "$password" || "$password" == *"'"* || "$password" == *\\* ]]; then
        echo "readonly_account: the password must be non-empty, without ' or \\" >&2
        return 1
    fi
    # Database-level SELECT, because MySQL refuses a table-level grant before the table exists
    # (migrations create it later); the database holds only the application's tables. No FILE,
    # PROCESS or SUPER privilege: LOAD_FILE, INTO OUTFILE and other sessions stay out of reach.
    "$@" <<SQL
CREATE USER IF NOT EXISTS '${user}'@'%' IDENTIFIED BY '${password}' WITH MAX_USER_CONNECTIONS 10;
ALTER USER '${user}'@'%' IDENTIFIED BY '${password}';
GRANT SELECT ON \`${database}\`.* TO '${user}'@'%';
SQL
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
    _ut_create_readonly_account mysql -uroot "$@"  # executed: the arguments are for the client
else
    # Sourced by the mysql image's entrypoint: root over its initialisation socket.
    _ut_create_readonly_account docker_process_sql
fi
