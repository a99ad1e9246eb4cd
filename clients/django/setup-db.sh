#!/usr/bin/env bash
# Prepares a database for the API, connecting as a superuser through the PG*
# environment (pg_virtualenv sets it): creates the database, the extension and
# the application role with exactly the README's grants
# (clients/common/app-database.sql), then Django's own tables (auth, tokens,
# sessions) as that role, in its schema "app".
#   clients/django/setup-db.sh DBNAME APPROLE APPPASSWORD
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
db=${1:?database} role=${2:?role} password=${3:?password}
psql -q -X -d postgres -c "DROP DATABASE IF EXISTS \"$db\"" -c "CREATE DATABASE \"$db\""
psql -q -X -d "$db" -v app_role="$role" -v app_password="$password" \
     -f "$here/../common/app-database.sql"
cd "$here"
WF_DB_NAME="$db" WF_DB_USER="$role" WF_DB_PASSWORD="$password" \
  /usr/bin/python3 manage.py migrate --verbosity 0
