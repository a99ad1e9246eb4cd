-- attack10 D4 (low; inherent to the history's references, README documents it for whole
-- workflows only): the client learns, stage by stage, how far the agency's OWN jobs on the
-- client's shared workflow got. history_keeps_definitions() (SECURITY DEFINER) refuses the
-- delete of a stage that any history row names, the rows the deleting role cannot see included,
-- so a DELETE in a rolled-back transaction tells the client whether some other tenant's
-- candidate ever entered that stage (say, "Hired"): README, Organizations and teams: "the
-- agency's own jobs on the client's workflow are the agency's: the client does not see them".
-- Expected (one reading): the client cannot tell its own history from the agency's, e.g. the
-- stage is archived instead, or the refusal is the same whether or not anyone used the stage;
-- actual: 23503 stage_in_history for a stage that none of the client's history names, and
-- DELETE 1 for a stage nobody used.
-- Run from the worktree root on a fresh database.
\o /dev/null
\i test/repros/attack10/00_fixture.sql
\o
\set VERBOSITY verbose
\set SHOW_CONTEXT never
SET ROLE app;
-- the agency hires its own candidate 1 in its own job 301 on the client's workflow 1
SET workflow_ext.tenant = 'org:b'; SET workflow_ext.actor = 'user:bob'; SET workflow_ext.tenant_admin = on;
UPDATE candidate_profile SET attributes = '{"years": 9}' WHERE candidate_id = 1;
SELECT to_stage_id FROM move_to_stage(1, 301, 4);
RESET workflow_ext.tenant_admin;
-- the client probes
SET workflow_ext.tenant = 'org:a'; SET workflow_ext.actor = 'user:ann';
SELECT count(*) AS client_history_naming_stage_4 FROM stage_transition WHERE 4 IN (from_stage_id, to_stage_id);  -- 0
BEGIN;
DELETE FROM workflow_stage WHERE id = 4;     -- actual: 23503 stage 4 of workflow 1 has history: someone else hired through it
ROLLBACK;
BEGIN;
INSERT INTO workflow_stage (workflow_id, name, position) VALUES (1, 'Unused', 5);
DELETE FROM workflow_stage WHERE name = 'Unused';   -- DELETE 1: nobody used it
ROLLBACK;
RESET ROLE;
