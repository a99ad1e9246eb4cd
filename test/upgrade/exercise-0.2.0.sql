-- After the update from 0.2.0 (and again after pg_dump | psql), what is
-- particular to it (run by updatecheck.py after exercise.sql): roles that
-- acted as themselves keep their workflows and shares under their 0.3.0
-- identity (role:<oid>), 0.2.0 shares keep working, a candidate a grantee
-- brought into the owner's job is the owner's tenant's, and
-- merge_into_tenant() puts 0.2.0 actors into one organization (refused,
-- naming the ids, while two of them use the same ids).
-- Prints one "ok - …" or "not ok - …" line per check.
\set ON_ERROR_STOP on
\set QUIET on
SET client_min_messages = warning;
RESET workflow_ext.actor;
GRANT SELECT ON public.hr_candidate TO wf_upgrade_owner, wf_upgrade_grantee, wf_upgrade_app;
SELECT 'role:' || oid AS owner_role FROM pg_roles WHERE rolname = 'wf_upgrade_owner' \gset
SELECT 'role:' || oid AS grantee_role FROM pg_roles WHERE rolname = 'wf_upgrade_grantee' \gset
-- 555 had no row in the facts table: give it one, so that it may move on.
INSERT INTO public.hr_candidate (id, name, years_experience, location) VALUES (555, 'Ivy', 9, 'Berlin');

-- The stage visit rows: built from the 0.2.0 history by the update (after a
-- restore: by the restored history), exactly the visits stage_visit derives.
SELECT upgrade_check.ok(count(*) > 0 AND count(*) = (SELECT count(*) FROM stage_visit)
                        AND NOT EXISTS (SELECT v.id, v.tenant, v.job_id, v.candidate_id, v.workflow_id, v.stage_id,
                                               v.entered_at, v.left_at, v.ended_by_transition_id, v.time_in_stage
                                          FROM stage_visit_row v
                                        EXCEPT
                                        SELECT s.transition_id, s.tenant, s.job_id, s.candidate_id, s.workflow_id, s.stage_id,
                                               s.entered_at, s.left_at, s.ended_by_transition_id, s.time_in_stage
                                          FROM stage_visit s),
                        'the stage visit rows are the visits of the 0.2.0 history (stage_visit)')
  FROM stage_visit_row;

-- A role that acted as itself: its name in 0.2.0, role:<oid> now.
SET ROLE wf_upgrade_owner;
SELECT upgrade_check.ok(current_actor() = :'owner_role', 'a role acting as itself is role:<oid> after the update');
SELECT upgrade_check.ok(count(*) = 1, 'a role that owned a workflow under its name in 0.2.0 still sees it (owner and tenant: its role:<oid>)')
  FROM workflow WHERE name = 'Role workflow' AND owner = :'owner_role' AND tenant = :'owner_role';
SELECT upgrade_check.ok(to_stage_name = 'Second', 'the role moves its candidate of 0.2.0 (7001 in job 7000)')
  FROM move_to_next_stage(7001, 7000);
WITH u AS (UPDATE workflow SET description = 'Edited after the update' WHERE name = 'Role workflow' RETURNING 1)
SELECT upgrade_check.ok(count(*) = 1, 'the role still edits its workflow') FROM u;
SELECT upgrade_check.ok(count(*) = 1, 'the role still reads its candidate profile (7001)')
  FROM candidate_profile WHERE candidate_id = 7001;
RESET ROLE;

-- A role that a workflow was shared with by its name.
SET ROLE wf_upgrade_grantee;
SELECT upgrade_check.ok(count(*) = 1, 'a role a workflow was shared with by its name in 0.2.0 still sees it')
  FROM workflow_with_stages WHERE name = 'Backend engineer';
SELECT upgrade_check.ok(count(*) > 0, 'the role still sees that workflow''s pipelines (job 1234)')
  FROM candidate_stage WHERE job_id = 1234;
SELECT upgrade_check.ok(upgrade_check.sqlstate(format('INSERT INTO workflow_stage (workflow_id, name, position) VALUES (%s, ''x'', 9)',
                            (SELECT id FROM workflow WHERE name = 'Backend engineer'))) = '42501',
                        'the role''s share stays read-only');
RESET ROLE;

-- 0.2.0 shares with actors.
SELECT upgrade_check.ok(count(*) > 0 AND bool_and(accepted_at = created_at AND declined_at IS NULL),
                        'every 0.2.0 share is accepted, since it was made (0.3.0 offers wait for their grantee)')
  FROM workflow_share;
SET ROLE wf_upgrade_app;
SET workflow_ext.actor = 'user:dee';
SELECT upgrade_check.ok(count(*) = 1, 'a 0.2.0 share keeps working (user:dee sees the role''s workflow)')
  FROM workflow_with_stages WHERE name = 'Role workflow';
SELECT upgrade_check.ok(count(*) = 1, 'user:dee sees its pipeline (job 7000)') FROM candidate_stage WHERE job_id = 7000;
SET workflow_ext.actor = 'user:ben';
SELECT upgrade_check.ok(to_stage_name = 'Phone screen', 'an editing grantee of 0.2.0 moves the candidate it brought into the owner''s job (555)')
  FROM move_to_next_stage(555, 1234);
SELECT upgrade_check.ok(count(*) = 1, 'the grantee still sees the pipeline of the job it ran on the owner''s workflow (8001 in job 8000)')
  FROM candidate_stage WHERE job_id = 8000;
SET workflow_ext.actor = 'user:ann';
SELECT upgrade_check.ok(count(*) = 1, 'and so does the owner')
  FROM candidate_stage WHERE job_id = 8000;
RESET ROLE;
RESET workflow_ext.actor;
SELECT upgrade_check.ok(tenant = 'user:ann' AND assigned_by = 'user:ben',
                        'that job is the workflow owner''s tenant''s; assigned_by keeps who assigned it')
  FROM job_workflow WHERE job_id = 8000;
SELECT upgrade_check.ok(tenant = 'user:ann' AND added_by = 'user:ben',
                        'that pipeline row is the owner''s tenant''s; added_by keeps who brought the candidate in')
  FROM candidate_stage WHERE job_id = 1234 AND candidate_id = 555;
-- Facts from candidate_profile (the facts source unset for a moment): in
-- 0.2.0 ann's profile of 555 did not speak in a row ben added; now the
-- row's tenant's profile does.
BEGIN;
DELETE FROM facts_source;
SET LOCAL ROLE wf_upgrade_app;
SET LOCAL workflow_ext.actor = 'user:ben';
SELECT upgrade_check.ok(candidate_facts(555) = '{}', 'user:ben (its own tenant) does not read ann''s profile of 555');
SET LOCAL workflow_ext.actor = 'user:ann';
SELECT upgrade_check.ok(candidate_facts(555, 1234) -> 'candidate' ->> 'years_experience' = '9',
                        'ann''s profile is the facts of the candidate ben brought into her job');
ROLLBACK;

-- Putting 0.2.0 actors into one organization.  Until then each is its own
-- tenant: ann does not see the role's workflow nor its profiles.
SET ROLE wf_upgrade_app;
SET workflow_ext.actor = 'user:ann';
SELECT upgrade_check.ok(count(*) = 0, 'before the merge, ann sees neither the role''s workflow nor its profile')
  FROM (SELECT id FROM workflow WHERE name = 'Role workflow'
        UNION ALL SELECT id FROM candidate_profile WHERE candidate_id = 7001) x;
-- ann shares Designer with ben twice: with his whole tenant, and with him.
SELECT share_workflow(id, NULL, false, 'user:ben') FROM workflow WHERE name = 'Designer' \g /dev/null
SELECT share_workflow(id, 'user:ben', true) FROM workflow WHERE name = 'Designer' \g /dev/null
-- ben uses job 1234 and candidate 456 too, in his own tenant.
SET workflow_ext.actor = 'user:ben';
INSERT INTO workflow (name) VALUES ('Ben''s own');
INSERT INTO workflow_stage (workflow_id, name, position)
SELECT id, 'Only stage', 1 FROM workflow WHERE name = 'Ben''s own';
SELECT job_id FROM assign_workflow(1234, (SELECT id FROM workflow WHERE name = 'Ben''s own')) \g /dev/null
INSERT INTO candidate_profile (candidate_id, attributes) VALUES (456, '{"years_experience": 1}');
SELECT upgrade_check.ok(upgrade_check.sqlstate(format('SELECT merge_into_tenant(''org:acme'', ARRAY[''user:ann'', ''user:ben'', %L])',
                                                      :'owner_role')) = '42501',
                        'merge_into_tenant is refused to a role that is neither superuser nor database owner (42501)');
RESET ROLE;
RESET workflow_ext.actor;
DO $$
BEGIN
    PERFORM merge_into_tenant('org:acme', ARRAY['user:ann', 'user:ben',
                                                (SELECT 'role:' || oid FROM pg_roles WHERE rolname = 'wf_upgrade_owner')]);
    PERFORM set_config('upgrade_check.merge', 'merged', false);
EXCEPTION WHEN OTHERS THEN
    PERFORM set_config('upgrade_check.merge', SQLSTATE || ' ' || SQLERRM, false);
END $$;
SELECT upgrade_check.ok(current_setting('upgrade_check.merge') LIKE '23505 %'
                        AND current_setting('upgrade_check.merge') LIKE '%candidate_profile candidate_id 456 (user:ann, user:ben)%'
                        AND current_setting('upgrade_check.merge') LIKE '%job_workflow job_id 1234 (user:ann, user:ben)%',
                        'merging two actors that both use job 1234 and candidate 456 is refused (23505), naming them');
SELECT upgrade_check.ok(count(*) = 0, 'the refused merge moved nothing') FROM workflow WHERE tenant = 'org:acme';
-- The application renumbers (here: ben's job and profile go), then merges.
SET ROLE wf_upgrade_app;
SET workflow_ext.actor = 'user:ben';
DELETE FROM job_workflow WHERE job_id = 1234;
DELETE FROM candidate_profile WHERE candidate_id = 456;
RESET ROLE;
RESET workflow_ext.actor;
SELECT sum(rows_moved) AS moved, sum(rows_removed) AS removed
  FROM merge_into_tenant('org:acme', ARRAY['user:ann', 'user:ben', :'owner_role']) \gset
SELECT upgrade_check.ok(:moved > 0 AND NOT EXISTS (SELECT 1 FROM workflow WHERE tenant IN ('user:ann', 'user:ben', :'owner_role'))
                        AND NOT EXISTS (SELECT 1 FROM candidate_stage WHERE tenant IN ('user:ann', 'user:ben', :'owner_role')),
                        'the merge moves every row of the three tenants into org:acme');
SELECT upgrade_check.ok(:removed = 1 AND count(*) = 1 AND bool_and(can_edit AND grantee = 'user:ben'),
                        'the two shares of Designer with ben are one share within org:acme (can_edit kept)')
  FROM workflow_share s JOIN workflow w ON w.id = s.workflow_id
 WHERE w.name = 'Designer' AND s.grantee_tenant = 'org:acme';
SELECT upgrade_check.ok(count(*) = 1, 'the share with another tenant (the role a workflow was shared with) stays as it was')
  FROM workflow_share WHERE grantee_tenant = :'grantee_role' AND grantee = :'grantee_role' AND tenant = 'org:acme';

-- The actors now act for the organization.
SELECT count(*) AS ann_workflows FROM workflow WHERE owner = 'user:ann' \gset
SELECT count(*) AS events_for_ben FROM alert_event e JOIN workflow w ON w.id = e.workflow_id
 WHERE w.owner = 'user:ben'
    OR w.id IN (SELECT s.workflow_id FROM workflow_share s WHERE s.grantee_tenant = 'org:acme'
                   AND (s.grantee IS NULL OR s.grantee = 'user:ben')) \gset
SET ROLE wf_upgrade_app;
SET workflow_ext.tenant = 'org:acme';
SET workflow_ext.actor = 'user:ann';
SELECT upgrade_check.ok(count(*) = :ann_workflows, 'ann, acting for org:acme, sees all her workflows') FROM workflow WHERE owner = 'user:ann';
SELECT upgrade_check.ok(count(*) = 1, 'the candidates of the merged actors are the organization''s: ann reads the role''s profile (7001)')
  FROM candidate_profile WHERE candidate_id = 7001;
SELECT share_workflow(id, NULL) FROM workflow WHERE name = 'Designer' \g /dev/null
SET workflow_ext.actor = 'user:ben';
SELECT upgrade_check.ok(count(*) = :events_for_ben AND count(*) > 0,
                        'ben, a grantee of 0.2.0, sees every alert event of the workflows shared with him again (facts recorded)')
  FROM alert_event;
SELECT upgrade_check.ok(to_stage_name = 'Onsite', 'ben still moves candidates in ann''s job (555)')
  FROM move_to_next_stage(555, 1234);
RESET ROLE;
SET ROLE wf_upgrade_owner;
RESET workflow_ext.actor;
SELECT upgrade_check.ok(count(*) = 1, 'the role, acting for org:acme, sees ann''s workflow shared with the organization')
  FROM workflow WHERE name = 'Designer';
SELECT upgrade_check.ok(count(*) = 0, 'and not her workflows shared with no one in it') FROM workflow WHERE name = 'Unused';
SELECT upgrade_check.ok(count(*) = 1, 'the role reads ann''s profile (456)') FROM candidate_profile WHERE candidate_id = 456;
SELECT share_workflow(id, NULL) FROM workflow WHERE name = 'Role workflow' \g /dev/null
RESET ROLE;
SET ROLE wf_upgrade_app;
SET workflow_ext.actor = 'user:ann';
SELECT upgrade_check.ok(count(*) = 1, 'ann sees the role''s workflow once it is shared with the organization')
  FROM workflow_with_stages WHERE name = 'Role workflow';
SELECT upgrade_check.ok(count(*) = 1, 'and its pipeline (7001 in job 7000)') FROM candidate_stage WHERE job_id = 7000;
RESET workflow_ext.tenant;
SELECT upgrade_check.ok(count(*) = 0, 'without workflow_ext.tenant, ann is her own tenant again and sees none of it')
  FROM workflow WHERE owner = 'user:ann';
RESET ROLE;
RESET workflow_ext.actor;
