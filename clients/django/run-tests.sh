#!/usr/bin/env bash
# The API's tests (DRF's APIClient) against a real server: run it inside a
# throwaway cluster, e.g.  pg_virtualenv -t -v 15 clients/django/run-tests.sh
# (any PG* environment naming a superuser works).  Needs workflow_ext
# installed (make install) and Debian's python3-django,
# python3-djangorestframework, python3-psycopg2, python3-django-filters,
# python3-uritemplate, python3-yaml and pgbouncer (test_pgbouncer starts one in
# front of the cluster, as user postgres when run as root).  Ends with
# "# N passed, M failed".
# Test labels may follow (default: workflows), e.g. workflows.tests.test_orm.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
"$here/setup-db.sh" --recreate wf_django wf_django_app django-test-secret
cd "$here"
export WF_DB_NAME=wf_django WF_DB_USER=wf_django_app WF_DB_PASSWORD=django-test-secret
# the README's collectstatic works (into a scratch directory)
static=$(mktemp -d)
trap 'rm -rf "$static"' EXIT
WF_STATIC_ROOT="$static" /usr/bin/python3 manage.py collectstatic --noinput --verbosity 0
for f in rest_framework/css/bootstrap.min.css board/board.js; do
  [ -s "$static/$f" ] || { echo "collectstatic did not copy $f" >&2; exit 1; }
done
# without labels: the API's tests and the board's page tests (board/test_pages.py)
[ $# -gt 0 ] || set -- workflows board
timeout 600 /usr/bin/python3 manage.py test --verbosity "${VERBOSITY:-1}" "$@"
