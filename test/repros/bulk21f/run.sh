#!/bin/bash
# usage (inside the sandbox, from the worktree, after make install):
#   test/repros/bulk21f/run.sh test/repros/bulk21f/01_owner_trigger_changes_alert.sql ...
# each file in a fresh database "att": test/sql/setup.sql, 00_fixture.sql, then the file.
D=$(cd "$(dirname "$0")" && pwd)
cd "$D/../../.."
for f in "$@"; do
  dropdb --if-exists att >/dev/null 2>&1; createdb att
  echo "===== $f"
  psql -X -q -d att -v ON_ERROR_STOP=0 -f test/sql/setup.sql >/dev/null 2>&1
  psql -X -q -d att -f "$D/../bulk21e/00_fixture.sql" -f "$f" 2>&1 | grep -v '^$'
done
