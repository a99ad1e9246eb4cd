#!/usr/bin/env bash
# The API on a scaled-out deployment (README: REST API on a scaled-out
# deployment; docs/scale-out.md): stands up the tenant layout with
# scripts/scale-out.sh (a front and three shards on loopback, in
# $WF_SCALE_DIR, ports $WF_SCALE_PORT..+3; defaults /tmp/wf-django-scale and
# 5721), prepares the front as Django's database (its own tables in schema
# "app", role wf_django) and a shard role for the API (wf_django_shard, a
# member of the shards' trusted role), then runs
# workflows.tests.test_scale with WF_SCALE_OUT=1, and takes the clusters
# down.  Needs workflow_ext and workflow_ext_proxy installed for $PG_BIN's
# PostgreSQL (make install) and PL/Proxy.  Ends with "# N passed, M failed".
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
export PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
export WF_SCALE_DIR=${WF_SCALE_DIR:-/tmp/wf-django-scale}
export WF_SCALE_PORT=${WF_SCALE_PORT:-5721}
export WF_SCALE_SOCK=$WF_SCALE_DIR/sock
secret=django-scale-secret

trap '"$root/scripts/scale-out.sh" down >/dev/null 2>&1 || true' EXIT
if ! "$root/scripts/scale-out.sh" up >"$WF_SCALE_DIR.up.log" 2>&1; then
  cat "$WF_SCALE_DIR.up.log"; echo "# 0 passed, 1 failed"; exit 1
fi
as_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
psql_at() {   # psql_at PORT: as the superuser, database wf
  as_pg "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$WF_SCALE_SOCK" -p "$1" -U postgres -d wf
}
# The front: Django's own tables (auth, tokens, sessions, Membership) in
# schema app, owned by the API's role; it reads the placement (route_tenant,
# shard_conninfo: PUBLIC) and calls no front function.
psql_at "$WF_SCALE_PORT" <<SQL
CREATE ROLE wf_django LOGIN PASSWORD '$secret';
CREATE SCHEMA app AUTHORIZATION wf_django;
ALTER ROLE wf_django IN DATABASE wf SET search_path = app, public;
-- how long a request waits for a move's copy before 503 tenant_moving (default 5s; the test's bound)
ALTER ROLE wf_django IN DATABASE wf SET workflow_ext_proxy.move_wait = '300ms';
SQL
# Each shard: the API's role, a member of the trusted role wf_app (which holds
# the README's application grant set: scripts/scale-out.sh).
for i in 1 2 3; do
  psql_at $((WF_SCALE_PORT + i)) <<SQL
CREATE ROLE wf_django_shard LOGIN PASSWORD '$secret' IN ROLE wf_app;
SQL
done
cd "$here"
export WF_DB_NAME=wf WF_DB_USER=wf_django WF_DB_PASSWORD=$secret PGHOST=$WF_SCALE_SOCK PGPORT=$WF_SCALE_PORT
export WF_SCALE_OUT=1 WF_SHARD_USER=wf_django_shard WF_SHARD_PASSWORD=$secret
/usr/bin/python3 manage.py migrate --verbosity 0
timeout 300 /usr/bin/python3 manage.py test --verbosity "${VERBOSITY:-1}" workflows.tests.test_scale
