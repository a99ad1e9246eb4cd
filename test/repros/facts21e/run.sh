#!/bin/bash
# usage (inside the sandbox): run.sh repro.sql...  — each in a fresh database
cd ${SRC:-$(git -C $(dirname $0) rev-parse --show-toplevel)}
for f in "$@"; do
  db=r$RANDOM
  createdb $db
  echo "######## $f"
  psql -X -q -d $db -f test/sql/setup.sql >/dev/null 2>&1
  psql -X -d $db -v ON_ERROR_STOP=0 -f $(dirname $0)/00_fixture.psql >/dev/null 2>/tmp/facts21e/fixture.err
  psql -X -d $db -v ON_ERROR_STOP=0 -f "$f" 2>&1
done
