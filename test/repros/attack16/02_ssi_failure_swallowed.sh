#!/bin/bash
# attack16 #2: at SERIALIZABLE, an SSI failure (40001 "could not serialize
# access due to read/write dependencies", the row itself unchanged) raised by
# one candidate's UPDATE is swallowed by reject_candidates() as outcome
# 'refused' with an invented DETAIL {"reason": "concurrent_update"}; the single
# reject_candidate() raises it and the client retries the transaction
# (README Security: "Retry the transaction on 40001, as at any SERIALIZABLE level").
# move_candidates() classifies the same way ('stale'): src/pg/bulk_moves.c classify().
# Run inside the sandbox after test/repros/attack16/00_setup.sql (org:a job 100, candidates 1..20 active).
set -e
rm -f /tmp/a16_fifo; mkfifo /tmp/a16_fifo
psql -X -q < /tmp/a16_fifo > /tmp/a16_s1.out 2>&1 &
exec 3>/tmp/a16_fifo
echo "SET ROLE a16_app; SET workflow_ext.tenant='org:a'; SET workflow_ext.actor='user:ann';
BEGIN ISOLATION LEVEL SERIALIZABLE;
SELECT status FROM candidate_stage WHERE tenant='org:a' AND job_id=100 AND candidate_id=17;" >&3
sleep 1
psql -X -q <<SQL
SET ROLE a16_app; SET workflow_ext.tenant='org:a'; SET workflow_ext.actor='user:ann';
BEGIN ISOLATION LEVEL SERIALIZABLE;
SELECT status FROM candidate_stage WHERE tenant='org:a' AND job_id=100 AND candidate_id=16;
SELECT status FROM reject_candidate(17, 100);
COMMIT;
SQL
echo "SELECT candidate_id, outcome, sqlstate, detail FROM reject_candidates(100, ARRAY[16, 18]);
COMMIT;
SELECT candidate_id, status FROM candidate_stage WHERE tenant='org:a' AND job_id=100 AND candidate_id IN (16,17,18) ORDER BY 1;" >&3
exec 3>&-
wait
cat /tmp/a16_s1.out
