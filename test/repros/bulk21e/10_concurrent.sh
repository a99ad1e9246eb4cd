#!/bin/bash
# 10: two sessions bulk-moving overlapping candidates (RC, RR, SERIALIZABLE); job 9001 row by row, 9002 bulk.
cd "$(dirname "$0")/../../.."
dropdb --if-exists att >/dev/null 2>&1; createdb att
psql -X -q -d att -f test/sql/setup.sql >/dev/null 2>&1
psql -X -q -d att -f test/repros/bulk21e/00_fixture.sql >/dev/null 2>&1
psql -X -q -d att -c "GRANT SELECT ON ALL TABLES IN SCHEMA public TO att_app"
pre="SET ROLE att_app; SET workflow_ext.tenant = 'org:a'; SET workflow_ext.actor = 'user:x';"
for iso in 'READ COMMITTED' 'REPEATABLE READ' 'SERIALIZABLE'; do
  for pair in "9001 1" "9002 1000"; do
    set -- $pair; j=$1; b=$2
    psql -X -q -d att -c "$pre SET workflow_ext.history_batch_size = $b; BEGIN ISOLATION LEVEL $iso; UPDATE candidate_stage SET stage_id = (SELECT test_stage(workflow_id, CASE WHEN stage_id = test_stage(workflow_id, 2) THEN 3 ELSE 2 END) FROM job_workflow WHERE job_id = $j) WHERE job_id = $j; SELECT pg_sleep(1); COMMIT;" >/tmp/att_10_a.out 2>&1 &
    sleep 0.3
    psql -X -q -d att -c "$pre SET workflow_ext.history_batch_size = $b; BEGIN ISOLATION LEVEL $iso; SELECT count(*) FROM move_candidates($j, ARRAY[1,2,3,3,4], NULL, 'b'); UPDATE candidate_stage SET stage_id = (SELECT test_stage(workflow_id, 2) FROM job_workflow WHERE job_id = $j) WHERE job_id = $j AND candidate_id BETWEEN 5 AND 8; COMMIT;" 2>&1 | tr '\n' ' ' | sed "s/^/  $iso $j B: /"; echo
    wait
    sed "s/^/  $iso $j A: /" /tmp/att_10_a.out | tr '\n' ' '; echo
  done
  psql -X -q -d att -c "SELECT '$iso' AS iso, * FROM att_diff()"
done
