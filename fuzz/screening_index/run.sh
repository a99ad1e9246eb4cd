#!/bin/bash
# Differential check of screening through an index (README: Screening through an index):
# random conditions over random documents, condition_matches by a scan against the same
# query through a GIN jsonb_path_ops and a jsonb_ops index, custom and generic plans, the
# two- and three-argument forms, and condition_matches_leakproof the same ways (the same
# answers; a generic plan's invalid parameter matches nothing) (driver.sql lists any difference,
# errors included);
# pairs.py checks every (leaf, fact) pair of awkward values against the jsonpath itself;
# digits.py checks facts past 1,024 digits against exact numeric comparison.
# Run inside the sandbox, after make install:
#   /work/tools/pgsandbox NAME bash -c 'fuzz/screening_index/run.sh [seed] [docs] [conditions] [focus]'
set -eu
cd "$(dirname "$0")"
T=$(mktemp -d)
python3 gen.py "${1:-1}" "${2:-250}" "${3:-1000}" ${4:-} > $T/data.sql
psql -X -q -f setup.sql -f $T/data.sql -f driver.sql
python3 pairs.py > $T/pairs.sql && psql -X -q -f $T/pairs.sql
python3 digits.py > $T/digits.sql && psql -X -q -f $T/digits.sql
rm -rf $T
