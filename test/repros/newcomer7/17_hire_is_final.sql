-- A hire cannot be undone: a mis-click into the Hired stage, or an offer accepted then reneged, leaves
-- only remove_candidate() (edit rights) and a new entry at the first stage; the funnel keeps the hire.
-- README (Functions, Errors) says "hired and transferred are final"; it gives no way to record a
-- reneged hire (withdrawn after hired).
-- Run: /work/tools/pgsandbox newcomer7 bash -c 'make -s -j2 install && psql -a -f test/repros/newcomer7/17_hire_is_final.sql'
\i test/repros/newcomer7/_setup.psql
SET workflow_ext.tenant = 'org:acme'; SET workflow_ext.actor = 'user:ann';
INSERT INTO workflow (name) VALUES ('Backend');
INSERT INTO workflow_stage (workflow_id, name, position, kind) VALUES (1,'Applied',1,'normal'),(1,'Offer',2,'normal'),(1,'Hired',3,'hired');
SELECT job_id FROM assign_workflow(1234, 1);
SELECT stage_id FROM add_candidate(456, 1234);
SELECT to_stage_name FROM move_to_stage(456, 1234, 3);     -- mis-click: straight to Hired
SELECT * FROM t.try('move back to Offer', '55000', 'not_active', $$SELECT move_to_stage(456, 1234, 2)$$);
SELECT * FROM t.try('withdraw (reneged)', '55000', 'not_active', $$SELECT withdraw_candidate(456, 1234, 'reneged')$$);
SELECT * FROM t.try('reopen', '55000', 'not_reopenable', $$SELECT reopen_candidate(456, 1234)$$);
SELECT * FROM t.try('UPDATE status', '55000', NULL, $$UPDATE candidate_stage SET status = 'withdrawn' WHERE job_id = 1234 AND candidate_id = 456$$);
SELECT remove_candidate(456, 1234, 'hired by mistake');
SELECT stage_id FROM add_candidate(456, 1234);
SELECT to_stage_name FROM move_to_stage(456, 1234, 2);
SELECT stage_name, entered, current, hired FROM pipeline_funnel(1234);   -- the mistaken hire stays counted
