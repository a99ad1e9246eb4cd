#!/usr/bin/env bash
# The SQLAlchemy checks (SQLAlchemy 1.4 and psycopg2 from Debian:
# python3-sqlalchemy, python3-psycopg2) against a real server: run it inside a
# throwaway cluster, e.g.  pg_virtualenv -t -v 15 clients/sqlalchemy/run-tests.sh
# (PG* naming a superuser).  Prepares the database as that superuser with
# clients/common/app-database.sql (the extension, the application role with
# exactly the README's grants), then runs checks.py as the application role.
# Ends with "# N passed, M failed".
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
db=wf_sqlalchemy role=wf_sqlalchemy_app password=sqlalchemy-test-secret
psql -q -X -d postgres -c "DROP DATABASE IF EXISTS \"$db\"" -c "CREATE DATABASE \"$db\""
psql -q -X -d "$db" -v app_role="$role" -v app_password="$password" -f "$here/../common/app-database.sql"
cd "$here"
export WF_DB_NAME=$db WF_DB_USER=$role WF_DB_PASSWORD=$password
exec timeout 300 /usr/bin/python3 checks.py
