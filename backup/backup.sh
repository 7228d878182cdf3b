#!/bin/bash
# The stack's backup job (stack.yml: service backup, a replicated-job). Each run writes one
# consistent, compressed dump of the translations database to /backups and keeps the newest
# BACKUP_KEEP dumps. --single-transaction reads an InnoDB snapshot: no table is locked, the site
# keeps saving while the dump runs. --no-tablespaces: the application's account lacks PROCESS.
# Restore: docs/operations.md ("Backups").
set -euo pipefail

target_dir=/backups
keep="${BACKUP_KEEP:-14}"
stamp="$(date -u +%Y%m%dT%H%M%SZ)"
target="$target_dir/translate-$stamp.sql.gz"

MYSQL_PWD="$(cat "$DATABASE_PASSWORD_FILE")" mysqldump \
  --host="$DATABASE_HOST" --user="$DATABASE_USER" \
  --single-transaction --no-tablespaces --routines --triggers \
  "$DATABASE_NAME" | gzip >"$target.partial"
# Only a complete dump gets the name restores look for.
mv "$target.partial" "$target"
echo "backup: wrote $target ($(stat -c %s "$target") bytes)"

# The UTC stamps sort by time: newest first, everything after the first $keep goes.
mapfile -t dumps < <(printf '%s\n' "$target_dir"/translate-*.sql.gz | sort -r)
for old in "${dumps[@]:keep}"; do
  rm -f -- "$old"
  echo "backup: removed $old"
done
