#!/bin/bash
# usage: run.sh file.sql...   (inside sandbox) fresh DB each run
cd /work/wt/attack8
for f in "$@"; do
  dropdb --if-exists a8 ; createdb a8
  echo "######## $f"
  psql -X -d a8 -f test/repros/attack8/held/00_fixture.sql >/tmp/attack8/fixture.out 2>&1 || cat /tmp/attack8/fixture.out
  psql -X -d a8 -v VERBOSITY=verbose -f "$f" 2>&1
done
