#!/usr/bin/env bash
# Prepares a NEW database for the API, connecting as a superuser through the
# PG* environment (PGHOST, PGPORT, PGUSER naming a superuser, PGPASSWORD or
# ~/.pgpass; pg_virtualenv sets them): creates the database, the extension and
# the application role with exactly the README's grants
# (clients/common/app-database.sql), then Django's own tables (auth, tokens,
# sessions) as that role, in its schema "app".
#   clients/django/setup-db.sh [--recreate] DBNAME APPROLE APPPASSWORD
# An existing database is refused (nothing is changed) unless --recreate is
# given, which DROPs it and everything in it first.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
recreate=no
if [ "${1:-}" = "--recreate" ]; then recreate=yes; shift; fi
db=${1:?usage: setup-db.sh [--recreate] DBNAME APPROLE APPPASSWORD}
role=${2:?usage: setup-db.sh [--recreate] DBNAME APPROLE APPPASSWORD}
password=${3:?usage: setup-db.sh [--recreate] DBNAME APPROLE APPPASSWORD}
exists=$(psql -q -X -At -d postgres -v db="$db" <<'SQL'
SELECT count(*) FROM pg_database WHERE datname = :'db';
SQL
)
if [ "$exists" != 0 ]; then
  if [ "$recreate" != yes ]; then
    echo "setup-db.sh: database \"$db\" already exists; nothing changed." >&2
    echo "  Pass --recreate to DROP it (and all its data) and create it again." >&2
    exit 1
  fi
  psql -q -X -d postgres -c "DROP DATABASE \"$db\""
fi
psql -q -X -d postgres -c "CREATE DATABASE \"$db\""
psql -q -X -d "$db" -v app_role="$role" -v app_password="$password" \
     -f "$here/../common/app-database.sql"
cd "$here"
WF_DB_NAME="$db" WF_DB_USER="$role" WF_DB_PASSWORD="$password" \
  /usr/bin/python3 manage.py migrate --verbosity 0
echo "setup-db.sh: database \"$db\" ready: workflow_ext, the application role \"$role\" with the README's grant set, Django's tables migrated."
