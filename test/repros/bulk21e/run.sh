#!/bin/bash
# usage: run.sh file.sql...  (inside the sandbox); fresh db per run
cd /work/wt/attack-bulk21e
for f in "$@"; do
  dropdb --if-exists att >/dev/null 2>&1; createdb att
  echo "===== $f"
  psql -X -q -d att -v ON_ERROR_STOP=0 -f test/sql/setup.sql >/dev/null 2>&1
  psql -X -q -d att -f /tmp/bulk21e/00_fixture.sql -f "$f" 2>&1 | grep -v '^$'
done
