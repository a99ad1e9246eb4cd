#!/bin/bash
# usage inside the sandbox, after make install: test/repros/attack7/run.sh test/repros/attack7/01_hot_row_order.sql ...
# each file in a fresh database "att": test/sql/setup.sql, 00_fixture.sql, then the file (as the superuser; files SET ROLE att_app).

D=$(cd "$(dirname "$0")" && pwd); cd "$D/../../.."
for f in "$@"; do
  dropdb --if-exists att >/dev/null 2>&1; createdb att
  echo "===== $f"
  psql -X -q -d att -v ON_ERROR_STOP=0 -f test/sql/setup.sql >/dev/null 2>&1
  psql -X -q -d att -v ON_ERROR_STOP=0 -f $D/00_fixture.sql -f "$f" 2>&1 | grep -v '^$'
done
