-- What the extension offers to whom, and how its functions answer odd
-- arguments: PUBLIC executes no trigger function and only the SECURITY
-- DEFINER functions that check the caller themselves; a role that can only
-- log in counts nothing; a NULL where an id or a name is required is 22023
-- null_argument (naming it: test newcomer7_consistency), never a not-found, a
-- constraint's or a policy's error; a report names a job two sharing tenants
-- use by its workflow.
\set SHOW_CONTEXT never
SET client_min_messages = warning;
DROP ROLE IF EXISTS wf_surface_app;
DROP ROLE IF EXISTS wf_surface_login;
RESET client_min_messages;
CREATE ROLE wf_surface_app;
GRANT workflow_app TO wf_surface_app;
CREATE ROLE wf_surface_login;

\echo '== 1. PUBLIC: no trigger function; SECURITY DEFINER only where the function checks the caller'
SELECT p.oid::regprocedure AS executable_by_public, p.prosecdef AS security_definer
  FROM pg_proc p
  JOIN pg_depend d ON d.objid = p.oid AND d.classid = 'pg_proc'::regclass AND d.deptype = 'e'
 WHERE d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'workflow_ext')
   AND has_function_privilege('public', p.oid, 'EXECUTE')
   AND (p.prosecdef OR p.prorettype = 'trigger'::regtype)
 ORDER BY p.oid::regprocedure::text;

\echo '== 2. A role that can only log in: no trigger function of ours on its own table, no tenant count'
SET ROLE wf_surface_login;
CREATE TEMP TABLE stage_transition (id bigint);
SELECT test_error($$CREATE TRIGGER t AFTER DELETE ON pg_temp.stage_transition
                    FOR EACH ROW EXECUTE FUNCTION public.stage_visits_forget()$$);
SELECT test_error($$CREATE TRIGGER t AFTER DELETE ON pg_temp.stage_transition
                    FOR EACH ROW EXECUTE FUNCTION public.stamp_id()$$);
SELECT test_error($$SELECT * FROM shard_status()$$);
DROP TABLE pg_temp.stage_transition;
RESET ROLE;

\echo '== 3. NULL arguments: the extension''s error with its reason, for every required id and name'
SET ROLE wf_surface_app;
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:surface';
SET LOCAL workflow_ext.actor = 'user:sam';
SELECT test_workflow('Surface', 3) AS wf \gset
SELECT test_stage(:wf, 2) AS s2 \gset
SELECT job_id FROM assign_workflow(1234, :wf);
SELECT count(*) AS added FROM add_candidate(456, 1234);
CREATE TEMP TABLE null_call (call text);
INSERT INTO null_call VALUES
  ('move_to_next_stage(NULL, 1234)'), ('move_to_next_stage(456, NULL)'),
  ('move_to_stage(NULL, 1234, :s2)'), ('move_to_stage(456, NULL, :s2)'), ('move_to_stage(456, 1234, NULL)'),
  ('move_candidates(NULL, ARRAY[456], :s2)'), ('move_candidates(1234, NULL, :s2)'),
  ('add_candidate(NULL, 1234)'), ('add_candidate(458, NULL)'),
  ('reject_candidate(NULL, 1234)'), ('reject_candidate(456, NULL)'),
  ('withdraw_candidate(NULL, 1234)'), ('withdraw_candidate(456, NULL)'),
  ('reopen_candidate(NULL, 1234)'), ('reopen_candidate(456, NULL)'),
  ('set_candidate_status(NULL, 1234, ''rejected'', ''r'')'), ('set_candidate_status(456, NULL, ''rejected'', ''r'')'),
  ('set_candidate_status(456, 1234, NULL, ''r'')'),
  ('transfer_candidate(NULL, 1234, 1235)'), ('transfer_candidate(456, NULL, 1235)'), ('transfer_candidate(456, 1234, NULL)'),
  ('remove_candidate(NULL, 1234)'), ('remove_candidate(456, NULL)'),
  ('assign_workflow(NULL, :wf)'), ('assign_workflow(1234, NULL)'),
  ('share_workflow(NULL, ''user:x'')'), ('unshare_workflow(NULL, ''user:x'')'),
  ('accept_share(NULL)'), ('decline_share(NULL)'), ('leave_share(NULL)'),
  ('transfer_workflow_ownership(NULL, ''user:x'')'), ('transfer_workflow_ownership(:wf, NULL)'),
  ('archive_workflow(NULL)'), ('unarchive_workflow(NULL)'), ('archive_stage(NULL)'), ('unarchive_stage(NULL)'),
  ('clone_workflow(NULL, ''x'')'), ('clone_workflow(:wf, NULL)'),
  ('reorder_stages(NULL, ARRAY[1])'), ('reorder_stages(:wf, NULL)'),
  ('get_stage_rule(NULL)'), ('get_stage_alerts(NULL)'), ('acknowledge_alert(NULL)'),
  ('pipeline_funnel(NULL, NULL)'), ('workflow_events_since(NULL, NULL)'), ('validate_condition(NULL)');
SELECT c.call, split_part(r.e, ':', 1) AS sqlstate, substring(r.e FROM '"reason": "([a-z_]+)"') AS reason
  FROM null_call c,
       LATERAL (SELECT test_error('SELECT * FROM ' || replace(replace(c.call, ':s2', :'s2'), ':wf', :'wf')) AS e) r
 ORDER BY c.call;
ROLLBACK;
RESET ROLE;

\echo '== 4. pipeline_funnel: a job id two sharing tenants use is named by its workflow'
SET ROLE wf_surface_app;
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:acme-s';
SET LOCAL workflow_ext.actor = 'user:ann';
SELECT test_workflow('Acme', 3) AS acme_wf \gset
SELECT job_id FROM assign_workflow(1234, :acme_wf);
SELECT count(*) FROM generate_series(1, 3) g, add_candidate(g, 1234);
SELECT share_workflow(:acme_wf, 'user:agent', false, 'org:agency-s');
SET LOCAL workflow_ext.tenant = 'org:globex-s';
SET LOCAL workflow_ext.actor = 'user:gil';
SELECT test_workflow('Globex', 4) AS globex_wf \gset
SELECT job_id FROM assign_workflow(1234, :globex_wf);
SELECT count(*) FROM generate_series(1, 5) g, add_candidate(g, 1234);
SELECT share_workflow(:globex_wf, 'user:agent', false, 'org:agency-s');
SET LOCAL workflow_ext.tenant = 'org:agency-s';
SET LOCAL workflow_ext.actor = 'user:agent';
SELECT accept_share(:acme_wf) IS NOT NULL AS acme_accepted, accept_share(:globex_wf) IS NOT NULL AS globex_accepted;
-- without the workflow: ambiguous, and the hint says what to name
SELECT test_error('SELECT * FROM pipeline_funnel(1234)');
DO $$ DECLARE h text; BEGIN PERFORM * FROM pipeline_funnel(1234); EXCEPTION WHEN cardinality_violation THEN
  GET STACKED DIAGNOSTICS h = PG_EXCEPTION_HINT; RAISE NOTICE 'hint: %', h; END $$;
-- with it: each client's funnel of its job 1234
SELECT "position", entered, "current" FROM pipeline_funnel(1234, :acme_wf) ORDER BY "position";
SELECT "position", entered, "current" FROM pipeline_funnel(1234, :globex_wf) ORDER BY "position";
-- a job id only one of them shares, named with the other's workflow: that
-- workflow's tenant's job, which the caller cannot see (not the other's job
-- read on a workflow it never followed)
SET LOCAL workflow_ext.tenant = 'org:acme-s';
SET LOCAL workflow_ext.actor = 'user:ann';
SELECT job_id FROM assign_workflow(1300, :acme_wf);
SELECT count(*) FROM generate_series(1, 2) g, add_candidate(g, 1300);
SET LOCAL workflow_ext.tenant = 'org:agency-s';
SET LOCAL workflow_ext.actor = 'user:agent';
SELECT "position", entered FROM pipeline_funnel(1300) ORDER BY "position";
SELECT "position", entered FROM pipeline_funnel(1300, :acme_wf) ORDER BY "position";
SELECT test_error(format('SELECT * FROM pipeline_funnel(1300, %s)', :globex_wf));
-- a workflow the caller cannot see: not found, as before
SELECT test_error('SELECT * FROM pipeline_funnel(1234, -1)');
ROLLBACK;
RESET ROLE;

\echo '== 5. Roles in a team are the application''s: a trigger of its own on moves only (the README version covers status changes too: newcomer7_role_trigger)'
CREATE SCHEMA app_surface;
GRANT USAGE ON SCHEMA app_surface TO workflow_app;
CREATE TABLE app_surface.team_role (tenant text, actor text, role text, PRIMARY KEY (tenant, actor));
GRANT SELECT ON app_surface.team_role TO workflow_app;
CREATE FUNCTION app_surface.only_recruiters_move() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM app_surface.team_role r WHERE r.tenant = public.current_tenant()
                      AND r.actor = public.current_actor() AND r.role IN ('recruiter', 'coordinator')) THEN
        RAISE EXCEPTION '% may not move candidates', public.current_actor() USING ERRCODE = '42501';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER only_recruiters_move BEFORE UPDATE OF stage_id ON candidate_stage
    FOR EACH ROW WHEN (OLD.stage_id IS DISTINCT FROM NEW.stage_id) EXECUTE FUNCTION app_surface.only_recruiters_move();
INSERT INTO app_surface.team_role VALUES ('org:team-s', 'user:rita', 'recruiter'), ('org:team-s', 'user:ivy', 'interviewer');
SET ROLE wf_surface_app;
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:team-s';
SET LOCAL workflow_ext.actor = 'user:rita';
SELECT test_workflow('Team', 4) AS team_wf \gset
SELECT share_workflow(:team_wf, NULL);
SELECT job_id FROM assign_workflow(77, :team_wf);
SELECT count(*) FROM generate_series(1, 3) g, add_candidate(g, 77);
SET LOCAL workflow_ext.actor = 'user:ivy';
-- the interviewer: refused every move, the rejection still hers to record (this trigger's choice)
SELECT test_error('SELECT * FROM move_to_next_stage(1, 77)');
SELECT test_error(format('SELECT * FROM move_to_stage(1, 77, %s)', test_stage(:team_wf, 4)));
SELECT test_error('SELECT * FROM move_candidates(77, ARRAY[1, 2]::bigint[])');
SELECT test_error(format('UPDATE candidate_stage SET stage_id = %s WHERE job_id = 77 AND candidate_id = 3', test_stage(:team_wf, 2)));
SELECT status FROM reject_candidate(3, 77);
-- the recruiter moves
SET LOCAL workflow_ext.actor = 'user:rita';
SELECT to_stage_name FROM move_to_next_stage(1, 77);
SELECT stage_id = test_stage(:team_wf, 2) AS moved, actor FROM candidate_stage c
  JOIN stage_transition t ON t.id = c.transition_id WHERE c.job_id = 77 AND c.candidate_id = 1;
ROLLBACK;
RESET ROLE;
DROP TRIGGER only_recruiters_move ON candidate_stage;
DROP SCHEMA app_surface CASCADE;

DROP ROLE wf_surface_app;
DROP ROLE wf_surface_login;
