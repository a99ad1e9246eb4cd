-- attack16 #1: reject_candidates() takes one subtransaction per id; each
-- subtransaction that changes a row gets its own xid, whose lock is kept
-- until the top transaction ends.  100,000 ids (as the application role)
-- exhaust the shared lock table: 53200 out of shared memory, the whole call
-- undone, and other sessions' lock requests fail meanwhile.
-- Setup: /tmp/a16_setup.sql (job 300 of org:a with candidates 1..100000).
SET ROLE a16_app;
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:a';
SET LOCAL workflow_ext.actor = 'user:ann';
SELECT outcome, count(*) FROM reject_candidates(300, (SELECT array_agg(c) FROM generate_series(1, 100000) c), 'closed') GROUP BY 1;
ROLLBACK;
RESET ROLE;
SHOW max_locks_per_transaction;
