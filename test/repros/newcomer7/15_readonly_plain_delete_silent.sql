-- README Errors (last paragraph) documents it: a read-only grantee's plain DELETE (a removal through an
-- ORM) or UPDATE of a definition affects no rows, without an error. The same README argues (Bulk
-- moves, "Why a plain bulk UPDATE has no non-aborting mode") that a silently skipped row is "a
-- refusal nobody reads ... an ORM that checks nothing would report success". remove_candidate()
-- says 42501 not_editable; the ORM path says "DELETE 0".
-- Run: /work/tools/pgsandbox newcomer7 bash -c 'make -s -j2 install && psql -a -f test/repros/newcomer7/15_readonly_plain_delete_silent.sql'
\i test/repros/newcomer7/_setup.psql
SET workflow_ext.tenant = 'org:acme'; SET workflow_ext.actor = 'user:ann';
INSERT INTO workflow (name) VALUES ('Backend');
INSERT INTO workflow_stage (workflow_id, name, position) VALUES (1,'Applied',1),(1,'Screen',2);
SELECT share_workflow(1, NULL);
SELECT job_id FROM assign_workflow(1234, 1);
SELECT stage_id FROM add_candidate(456, 1234);
SET workflow_ext.actor = 'user:ivy';
SELECT count(*) AS ivy_sees FROM candidate_stage WHERE job_id = 1234 AND candidate_id = 456;
DELETE FROM candidate_stage WHERE job_id = 1234 AND candidate_id = 456;           -- DELETE 0, no error
UPDATE workflow_stage SET name = 'Phone screen' WHERE id = 2;                      -- UPDATE 0, no error
UPDATE stage_rule SET on_fail = 'warn' WHERE stage_id = 2;                         -- UPDATE 0
SELECT * FROM t.try('remove_candidate', '42501', 'not_editable', $$SELECT remove_candidate(456, 1234)$$);
SELECT count(*) AS still_there FROM candidate_stage WHERE job_id = 1234 AND candidate_id = 456;
