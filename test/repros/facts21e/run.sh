#!/bin/bash
# usage (inside the sandbox, after make install):
#   test/repros/facts21e/run.sh test/repros/facts21e/01_*.sql ...
# each repro in a fresh database: test/sql/setup.sql, then 00_fixture.psql, then the repro.
# The .spec files are isolation specs: copy into test/specs and run
#   make installcheck REGRESS= ISOLATION=<name> ISOLATION_OPTS="--inputdir=test --outputdir=/tmp/out"
here=$(cd "$(dirname "$0")" && pwd)
cd "${SRC:-$(git -C "$here" rev-parse --show-toplevel)}"
for f in "$@"; do
  f=$(realpath "$f")
  db=r$RANDOM
  createdb $db
  echo "######## $f"
  psql -X -q -d $db -f test/sql/setup.sql >/dev/null 2>&1
  psql -X -d $db -v ON_ERROR_STOP=0 -f "$here/00_fixture.psql" >/dev/null
  psql -X -d $db -v ON_ERROR_STOP=0 -f "$f" 2>&1
done
