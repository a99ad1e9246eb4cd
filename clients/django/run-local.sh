#!/usr/bin/env bash
# Starts the REST API on a throwaway PostgreSQL 15 cluster with demo data:
#   clients/django/run-local.sh          # then, in another terminal, the README's curl lines
# Ctrl-C stops the server and drops the cluster.  Needs workflow_ext installed
# (scripts/setup.sh, or make install) and Debian's python3-django,
# python3-djangorestframework, python3-psycopg2, python3-django-filters,
# python3-uritemplate, python3-yaml (scripts/setup.sh installs them).
# PORT (default 8000) picks the API's port; the cluster gets a free one.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
port=${PORT:-8000}
if [ "${1:-}" != "--inside-cluster" ]; then
  sharedir=$(/usr/lib/postgresql/15/bin/pg_config --sharedir)
  [ -f "$sharedir/extension/workflow_ext.control" ] ||
    { echo "workflow_ext is not installed: run scripts/setup.sh (or make install) first" >&2; exit 1; }
  exec pg_virtualenv -t -v 15 "$0" --inside-cluster
fi
password=$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
"$here/setup-db.sh" --recreate wf_local wf_local_app "$password" >/dev/null
cd "$here"
export WF_DB_NAME=wf_local WF_DB_USER=wf_local_app WF_DB_PASSWORD="$password"
/usr/bin/python3 manage.py demo
# The pipeline board (board/) at /board/: ann (password ann) has job 2001 on it.
/usr/bin/python3 manage.py board_demo --user ann --job 2001 >/dev/null
cat <<MSG
The API is on http://127.0.0.1:$port/ (PostgreSQL on port $PGPORT, dropped on exit). Try:
  curl -H 'Authorization: Token ann-demo-token' http://127.0.0.1:$port/stage/2/rule/
  curl -H 'Authorization: Token ann-demo-token' http://127.0.0.1:$port/stage/2/alert/
  curl -X PATCH -H 'Authorization: Token ann-demo-token' -H 'Content-Type: application/json' \\
       -d '{"candidate_id": 456, "job_id": 1234}' http://127.0.0.1:$port/move-to-nextstage/
  curl -X PATCH -H 'Authorization: Token ann-demo-token' -H 'Content-Type: application/json' \\
       -d '{"candidate_id": 789, "job_id": 1234}' http://127.0.0.1:$port/move-to-nextstage/   # 409, failed leaves
  curl -H 'Authorization: Token ann-demo-token' http://127.0.0.1:$port/jobs/1234/pipeline/
  curl -H 'Authorization: Token bob-demo-token' http://127.0.0.1:$port/workflows/               # bob: count 0
In a browser: http://127.0.0.1:$port/api-auth/login/ (ann / ann), then http://127.0.0.1:$port/jobs/;
the OpenAPI schema: http://127.0.0.1:$port/schema/
MSG
echo "The pipeline board: http://127.0.0.1:$port/board/ (log in as ann, password ann; job 2001)"
# --insecure: the browsable API's CSS and JavaScript from Django's staticfiles (DEBUG is off)
exec /usr/bin/python3 manage.py runserver "127.0.0.1:$port" --noreload --insecure
