#!/usr/bin/env bash
# What the database around a client must know, checked on a throwaway
# cluster: run it inside one, e.g.  pg_virtualenv -t -v 15 clients/database/run-tests.sh
# (PG* naming a superuser).  Needs psycopg2 (python3-psycopg2) and, for the
# pooler checks, PgBouncer (Debian's pgbouncer).
#   - a database cloned from a template (CREATE DATABASE … TEMPLATE, as test
#     runners do) loses the template's ALTER DATABASE … SET and ALTER ROLE …
#     IN DATABASE … SET settings: require_actor is off there until set again;
#   - LISTEN through PgBouncer in transaction mode hears nothing; a direct
#     connection (or a session-mode pool) does.
# Prepares the template database with clients/common/app-database.sql and
# runs checks.py (the application's connections as the application role).
# Ends with "# N passed, M failed".
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
db=wf_database role=wf_database_app password=database-test-secret
psql -q -X -d postgres -c "DROP DATABASE IF EXISTS \"$db\"" -c "CREATE DATABASE \"$db\""
psql -q -X -d "$db" -v app_role="$role" -v app_password="$password" -f "$here/../common/app-database.sql"
cd "$here"
export WF_DB_NAME=$db WF_DB_USER=$role WF_DB_PASSWORD=$password WF_APP_DATABASE_SQL="$here/../common/app-database.sql"
exec timeout 300 /usr/bin/python3 checks.py
