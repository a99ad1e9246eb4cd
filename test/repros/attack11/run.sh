#!/bin/bash
# run.sh DIR FILE: in a sandbox, build+install DIR, make database t with test/sql/setup.sql, run FILE (psql, as postgres)
D=$1; F=$2
cd $D && make -s -j2 install >/dev/null 2>&1 || { echo BUILD FAILED; exit 1; }
psql -X -q -d postgres -c 'CREATE DATABASE t'
cd $D && psql -X -q -d t -f test/sql/setup.sql >/dev/null 2>&1
psql -X -d t -f $F 2>&1 | sed -E 's/PID [0-9]+//'
