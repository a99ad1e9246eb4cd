-- Organizations and hiring teams (0.3.0): the tenant apart from the actor,
-- candidate data per organization, application and job facts, administrators,
-- sharing within and across tenants, identities that survive renames.
-- Everything runs as wf_org_app, an ordinary role: row-level security applies.
\set SHOW_CONTEXT never
SET client_min_messages = warning;
DROP ROLE IF EXISTS wf_org_app;
DROP ROLE IF EXISTS wf_org_trusted;
RESET client_min_messages;
CREATE ROLE wf_org_app;
CREATE ROLE wf_org_trusted;
GRANT wf_org_trusted TO wf_org_app;
GRANT workflow_app TO wf_org_app;
SET ROLE wf_org_app;

\echo '== 1. A team of one company: the recruiter builds the process and shares it with the company'
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:acme';
SET LOCAL workflow_ext.actor = 'user:ann';
INSERT INTO workflow (name) VALUES ('Backend') RETURNING id AS acme_wf, tenant, owner \gset
SELECT :'tenant' AS tenant, :'owner' AS owner;
INSERT INTO workflow_stage (workflow_id, name, position) VALUES
  (:acme_wf, 'Applied', 1), (:acme_wf, 'Screen', 2), (:acme_wf, 'Onsite', 3), (:acme_wf, 'Offer', 4);
SELECT test_stage(:acme_wf, 2) AS screen, test_stage(:acme_wf, 3) AS onsite, test_stage(:acme_wf, 4) AS offer \gset
INSERT INTO stage_rule (stage_id, name, condition) VALUES (:screen, 'experienced, within budget',
  '{"all": [{"field": "years_experience", "op": "gte", "value": 3},
            {"field": "expected_salary", "op": "lte", "value": {"field": "budget", "source": "job"}}]}');
INSERT INTO stage_rule (stage_id, name, condition) VALUES (:onsite, 'two scorecards',
  '{"field": "scorecards", "op": "gte", "value": 2, "source": "application"}');
INSERT INTO stage_rule (stage_id, name, condition, on_fail) VALUES (:offer, 'offer approved',
  '{"field": "offer_approved", "op": "eq", "value": true, "source": "application"}', 'warn');
-- a hand-made alert on a job fact, and one on an application fact
INSERT INTO alert (stage_id, field_name, source, operator, value, message)
VALUES (:onsite, 'remote', 'job', 'eq', 'true', 'remote role: plan a video onsite'),
       (:onsite, 'red_flags', 'application', 'gt', '0', 'an interviewer raised a red flag');
SELECT field_name, source, fires_on FROM alert WHERE stage_id IN (:screen, :onsite) ORDER BY id;
SELECT share_workflow(:acme_wf, NULL);
SELECT grantee_tenant, grantee IS NULL AS whole_tenant, can_edit FROM workflow_share WHERE workflow_id = :acme_wf;
-- a private workflow of ann's, not shared
INSERT INTO workflow (name) VALUES ('Ann private draft') RETURNING id AS ann_private \gset
SELECT job_id, assigned_by FROM assign_workflow(1234, :acme_wf);
COMMIT;

\echo '== 2. Another company uses the same job and candidate ids'
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:globex';
SET LOCAL workflow_ext.actor = 'user:gus';
SELECT test_workflow('Globex sales', 2, false) AS globex_wf \gset
SELECT job_id FROM assign_workflow(1234, :globex_wf);
INSERT INTO candidate_profile (candidate_id, attributes) VALUES (456, '{"years_experience": 0, "city": "Springfield"}');
INSERT INTO job_profile (job_id, attributes) VALUES (1234, '{"budget": 1}');
SELECT candidate_id, status FROM add_candidate(456, 1234);
SELECT count(*) AS globex_sees_workflows FROM workflow;
SELECT count(*) AS globex_sees_jobs FROM job_workflow;
SELECT candidate_facts(456) AS globex_facts;
COMMIT;

\echo '== 3. The coordinator imports the candidate and the job; the profile is the company''s'
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:acme';
SET LOCAL workflow_ext.actor = 'user:cole';
INSERT INTO candidate_profile (candidate_id, attributes)
VALUES (456, '{"years_experience": 5, "expected_salary": 90000}'),
       (789, '{"years_experience": 1, "expected_salary": 50000}');
INSERT INTO job_profile (job_id, attributes) VALUES (1234, '{"budget": 100000, "remote": false}');
SELECT candidate_id, status, tenant, added_by FROM add_candidate(456, 1234);
SELECT candidate_id FROM add_candidate(789, 1234);
-- the same ids as globex's, another candidate: both pipelines exist
SELECT count(*) AS acme_rows_of_job_1234 FROM candidate_stage WHERE job_id = 1234;
COMMIT;

\echo '== 4. Every member gets the same facts and the same answer; history names each user'
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:acme';
SET LOCAL workflow_ext.actor = 'user:hank';
SELECT candidate_facts(456) AS hank_reads, candidate_facts(456, 1234) AS hank_reads_all;
SELECT to_stage_name FROM move_to_next_stage(456, 1234);
SELECT test_error('SELECT move_to_next_stage(789, 1234)');
SET LOCAL workflow_ext.actor = 'user:ann';
SELECT test_error('SELECT move_to_next_stage(789, 1234)');
-- the onsite needs two scorecards for this application
SELECT test_error('SELECT move_to_next_stage(456, 1234)');
SELECT evaluate_condition(condition, 456, 1234) -> 'leaves' -> 0 ->> 'source' AS explained_source,
       evaluate_condition(condition, 456, 1234) -> 'leaves' -> 0 ->> 'reason' AS reason
  FROM stage_rule WHERE stage_id = :onsite;
COMMIT;

\echo '== 5. Application facts: an ORM full-row save of the scorecards, then the move'
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:acme';
SET LOCAL workflow_ext.actor = 'user:ivy';
UPDATE candidate_stage SET attributes = '{"scorecards": 2, "red_flags": 0}'
 WHERE job_id = 1234 AND candidate_id = 456;
SELECT to_stage_name, alerts_raised FROM move_to_next_stage(456, 1234);
-- a red flag arrives while the candidate stands in the onsite: the alert fires once
UPDATE candidate_stage SET attributes = attributes || '{"red_flags": 1}' WHERE job_id = 1234 AND candidate_id = 456;
UPDATE candidate_stage SET attributes = attributes || '{"red_flags": 2}' WHERE job_id = 1234 AND candidate_id = 456;
SELECT message, cause FROM alert_event WHERE candidate_id = 456 ORDER BY id;
-- the job becomes remote: its alert fires for the candidates standing in the onsite
UPDATE job_profile SET attributes = attributes || '{"remote": true}' WHERE job_id = 1234;
UPDATE job_profile SET attributes = attributes || '{"remote": true, "x": 1}' WHERE job_id = 1234;
SELECT message, cause FROM alert_event WHERE candidate_id = 456 ORDER BY id;
-- the warn rule of the offer reads the application: the move happens with a warning
SELECT to_stage_name, jsonb_array_length(warnings) AS warnings FROM move_to_next_stage(456, 1234);
SELECT actor, reason FROM stage_transition WHERE job_id = 1234 AND candidate_id = 456 ORDER BY id;
-- globex's candidate 456 in its job 1234 is untouched by any of it
SET LOCAL workflow_ext.tenant = 'org:globex';
SET LOCAL workflow_ext.actor = 'user:gus';
SELECT s.name, c.attributes, (SELECT count(*) FROM alert_event) AS globex_events
  FROM candidate_stage c JOIN workflow_stage s ON s.id = c.stage_id;
COMMIT;

\echo '== 6. Administrators see and edit every workflow of their tenant, and transfer ownership'
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:acme';
SET LOCAL workflow_ext.actor = 'user:hank';
SELECT name FROM workflow ORDER BY id;
SELECT test_error(format('SELECT transfer_workflow_ownership(%s, %L)', :acme_wf, 'user:hank'));
SET LOCAL workflow_ext.actor = 'user:ann';
SELECT test_error(format('UPDATE workflow SET owner = %L WHERE id = %s', 'user:hank', :acme_wf));
SET LOCAL workflow_ext.actor = 'user:ada';
SET LOCAL workflow_ext.tenant_admin = on;
SELECT name FROM workflow ORDER BY id;
SELECT transfer_workflow_ownership(:ann_private, 'user:hank');
SELECT transfer_workflow_ownership(:acme_wf, 'user:hank');
SELECT name, owner FROM workflow ORDER BY id;
-- an administrator of acme is nobody in globex (the application says, per
-- request, whom the actor administers: the current tenant)
SET LOCAL workflow_ext.tenant_admin = off;
SET LOCAL workflow_ext.tenant = 'org:globex';
SELECT count(*) AS admin_sees_in_globex FROM workflow WHERE tenant = 'org:acme';
SELECT test_error(format('SELECT transfer_workflow_ownership(%s, %L)', :globex_wf, 'user:ada'));
COMMIT;
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:acme';
SET LOCAL workflow_ext.actor = 'user:ann';
-- ann left the company: her former workflows are hank's
SELECT count(*) AS ann_owns FROM workflow WHERE owner = 'user:ann';
SELECT count(*) AS ann_still_sees_shared FROM workflow WHERE id = :acme_wf;
COMMIT;

\echo '== 7. Engine-stamped columns: a written value is overwritten or refused'
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:acme';
SET LOCAL workflow_ext.actor = 'user:hank';
INSERT INTO workflow (name, tenant, owner) VALUES ('forged', 'org:globex', 'user:gus') RETURNING tenant, owner;
INSERT INTO candidate_profile (candidate_id, tenant, attributes) VALUES (999, 'org:globex', '{}') RETURNING tenant;
INSERT INTO job_workflow (job_id, workflow_id, assigned_by, assigned_at, tenant)
VALUES (77, :acme_wf, 'user:nobody', '2000-01-01', 'org:globex') RETURNING tenant, assigned_by, assigned_at > '2000-01-02' AS stamped_now;
SELECT test_error('UPDATE candidate_profile SET tenant = ''org:globex'' WHERE candidate_id = 999');
SELECT test_error('UPDATE candidate_stage SET tenant = ''org:globex'' WHERE candidate_id = 789');
SELECT test_error(format('UPDATE workflow SET tenant = %L WHERE id = %s', 'org:globex', :acme_wf));
-- a full-row save writing back what it read is fine
UPDATE job_workflow SET workflow_id = workflow_id, tenant = tenant, assigned_by = 'user:forged' WHERE job_id = 77
RETURNING assigned_by;
ROLLBACK;

\echo '== 8. Upserts, bulk statements and PL/pgSQL keep to the tenant'
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:acme';
SET LOCAL workflow_ext.actor = 'user:hank';
INSERT INTO candidate_stage (job_id, candidate_id) VALUES (1234, 456)
ON CONFLICT (tenant, job_id, candidate_id) DO NOTHING;
INSERT INTO candidate_profile (candidate_id, attributes) VALUES (456, '{"years_experience": 6, "expected_salary": 90000}')
ON CONFLICT (tenant, candidate_id) DO UPDATE SET attributes = EXCLUDED.attributes;
SELECT candidate_facts(456) ->> 'years_experience' AS acme_years;
UPDATE candidate_stage SET stage_id = test_stage(:acme_wf, 1)
 WHERE job_id = 1234 AND status = 'active' AND stage_id <> test_stage(:acme_wf, 1)
RETURNING candidate_id, tenant;
DO $$
DECLARE r record;
BEGIN
    FOR r IN SELECT candidate_id, job_id FROM candidate_stage WHERE job_id = 1234 AND status = 'active' LOOP
        BEGIN
            PERFORM move_to_next_stage(r.candidate_id, r.job_id);
        EXCEPTION WHEN check_violation THEN
            RAISE NOTICE 'candidate % blocked', r.candidate_id;
        END;
    END LOOP;
END $$;
ROLLBACK;
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:globex';
SET LOCAL workflow_ext.actor = 'user:gus';
SELECT candidate_facts(456) ->> 'years_experience' AS globex_years_unchanged;
SELECT count(*) AS globex_history FROM stage_transition;
COMMIT;

\echo '== 9. An agency on a client''s jobs: definitions and pipelines, never the client''s facts'
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:acme';
SET LOCAL workflow_ext.actor = 'user:hank';
SELECT share_workflow(:acme_wf, 'user:agent', false, 'org:agency');
-- (across tenants a share is an offer until the agent accepts it)
SET LOCAL workflow_ext.tenant = 'org:agency';
SET LOCAL workflow_ext.actor = 'user:agent';
SELECT workflow_name, tenant, grantee FROM pending_shares();
SELECT accept_share(:acme_wf);
SET LOCAL workflow_ext.tenant = 'org:acme';
SET LOCAL workflow_ext.actor = 'user:hank';
SELECT candidate_id FROM add_candidate(790, 1234);
SELECT job_id FROM assign_workflow(1235, :acme_wf);
COMMIT;
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:agency';
SET LOCAL workflow_ext.actor = 'user:agent';
SELECT name FROM workflow;
SELECT count(*) AS agency_sees_rules FROM stage_rule;
SELECT candidate_id, tenant FROM candidate_stage ORDER BY candidate_id;
SELECT count(*) AS agency_sees_profiles FROM candidate_profile;
SELECT candidate_facts(456) AS agency_reads;
-- the client's job: refused, not the agency's own 456 shown as its applicant (newcomer6)
SELECT test_error('SELECT candidate_facts(456, 1234)') AS agency_reads_in_job;
-- the agency moves the client's candidates; the client's facts decide, but the
-- agency's DETAIL names the failed leaves without the values they saw
SELECT test_error('SELECT move_to_next_stage(789, 1234)');
SELECT test_error('SELECT move_to_next_stage(790, 1234)');
-- nor does its HINT send it to evaluate_condition(), which cannot read the client's facts
DO $$
DECLARE
    hint text;
BEGIN
    PERFORM move_to_next_stage(789, 1234);
EXCEPTION WHEN check_violation THEN
    GET STACKED DIAGNOSTICS hint = PG_EXCEPTION_HINT;
    RAISE NOTICE 'agency''s hint: %', hint;
END $$;
SELECT to_stage_name FROM move_to_stage(456, 1234, :screen);
SELECT actor FROM stage_transition WHERE candidate_id = 456 ORDER BY id DESC LIMIT 1;
-- it cannot change the definition, nor reach the client's other workflows
SELECT test_error(format('INSERT INTO workflow_stage (workflow_id, name, position) VALUES (%s, %L, 9)', :acme_wf, 'x'));
SELECT test_error(format('SELECT share_workflow(%s, %L)', :acme_wf, 'user:friend'));
-- its own job on the client's workflow: its own tenant's
SELECT job_id, tenant FROM assign_workflow(1234, :acme_wf);
INSERT INTO candidate_profile (candidate_id, attributes) VALUES (456, '{"years_experience": 9, "expected_salary": 1}');
INSERT INTO job_profile (job_id, attributes) VALUES (1234, '{"budget": 10}');
SELECT candidate_id, tenant FROM add_candidate(456, 1234);
-- 456 is now in the agency's own job 1234 and in the client's: its own comes first
SELECT to_stage_name FROM move_to_next_stage(456, 1234);
SELECT c.tenant, c.candidate_id, s.name FROM candidate_stage c JOIN workflow_stage s ON s.id = c.stage_id
 ORDER BY c.tenant, c.candidate_id;
COMMIT;
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:acme';
SET LOCAL workflow_ext.actor = 'user:hank';
-- the client does not see the agency's own pipeline, nor its facts
SELECT tenant, candidate_id FROM candidate_stage ORDER BY candidate_id;
SELECT candidate_facts(456) ->> 'years_experience' AS acme_years;
-- a workflow shared across tenants records no fact values in history and events
UPDATE candidate_stage SET attributes = '{"scorecards": 3, "red_flags": 0}' WHERE job_id = 1234 AND candidate_id = 790;
SELECT to_stage_name FROM move_to_stage(790, 1234, :onsite);
SELECT warnings -> 0 ? 'actual' AS warning_has_value, warnings -> 0 ->> 'field' AS warning_field
  FROM move_to_stage(790, 1234, :offer);
SELECT facts FROM alert_event WHERE candidate_id = 790 ORDER BY id;
COMMIT;

\echo '== 9b. The agency reads the application facts of the client''s pipeline, never writes them;'
\echo '       history recorded before the share (with fact values) stays the client''s'
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:agency';
SET LOCAL workflow_ext.actor = 'user:agent';
SELECT test_error($$UPDATE candidate_stage SET attributes = '{"scorecards": 9}' WHERE candidate_id = 789 AND tenant = 'org:acme'$$);
-- (entering a candidate into the client's job at all is the client's alone: newcomer6)
SELECT test_error($$INSERT INTO candidate_stage (job_id, candidate_id, attributes) VALUES (1235, 791, '{"referral": "planted"}')$$);
SELECT test_error('SELECT add_candidate(791, 1235)');
-- a full-row save writing back what it read is no change
UPDATE candidate_stage SET attributes = attributes WHERE candidate_id = 789 AND tenant = 'org:acme' RETURNING candidate_id;
-- history: 456's rows recorded before the share carry values (warnings of the
-- offer's warn rule, the red-flag and remote alerts) and stay hidden
SELECT count(*) FILTER (WHERE warnings @? '$[*].actual') AS rows_with_values,
       count(*) AS rows_seen FROM stage_transition WHERE tenant = 'org:acme';
SELECT count(*) FILTER (WHERE facts <> '{}') AS events_with_values, count(*) AS events_seen
  FROM alert_event WHERE tenant = 'org:acme';
ROLLBACK;
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:acme';
SET LOCAL workflow_ext.actor = 'user:hank';
SELECT count(*) FILTER (WHERE warnings @? '$[*].actual') AS rows_with_values FROM stage_transition;
SELECT count(*) FILTER (WHERE facts <> '{}') AS events_with_values FROM alert_event;
ROLLBACK;

\echo '== 10. A custom facts table shared by two tenants, with a tenant column'
RESET ROLE;
CREATE TABLE org_candidates (org text NOT NULL, id bigint NOT NULL, years_experience int,
                             expected_salary int, PRIMARY KEY (org, id));
INSERT INTO org_candidates VALUES ('org:acme', 456, 7, 80000), ('org:globex', 456, 0, 1),
                                  ('org:acme', 789, 4, 70000);
GRANT SELECT, INSERT, UPDATE ON org_candidates TO wf_org_app;
SELECT set_candidate_source('org_candidates', 'id', 'org');
SET ROLE wf_org_app;
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:acme';
SET LOCAL workflow_ext.actor = 'user:hank';
SELECT candidate_facts(456) ->> 'years_experience' AS acme_custom_years;
SELECT to_stage_name FROM move_to_next_stage(789, 1234);
SET LOCAL workflow_ext.tenant = 'org:globex';
SET LOCAL workflow_ext.actor = 'user:gus';
SELECT candidate_facts(456) ->> 'years_experience' AS globex_custom_years;
SELECT candidate_facts(789) AS globex_has_no_789;
ROLLBACK;
-- The table's owner cannot make the readers run its code: row-level
-- security on it, or the table swapped for a view under its name, is refused
-- before any read.
RESET ROLE;
ALTER TABLE org_candidates ENABLE ROW LEVEL SECURITY;
SET ROLE wf_org_app;
SET workflow_ext.tenant = 'org:acme';
SET workflow_ext.actor = 'user:hank';
SELECT test_error('SELECT candidate_facts(456)');
RESET ROLE;
ALTER TABLE org_candidates DISABLE ROW LEVEL SECURITY;
ALTER TABLE org_candidates RENAME TO org_candidates_data;
CREATE VIEW org_candidates AS SELECT * FROM org_candidates_data;
GRANT SELECT ON org_candidates TO wf_org_app;
SET ROLE wf_org_app;
SELECT test_error('SELECT candidate_facts(456)');
RESET workflow_ext.tenant;
RESET workflow_ext.actor;
RESET ROLE;
DROP VIEW org_candidates;
ALTER TABLE org_candidates_data RENAME TO org_candidates;
SET ROLE wf_org_app;
RESET ROLE;
DELETE FROM facts_source;
DROP TRIGGER workflow_ext_facts_changed ON org_candidates;
DROP TABLE org_candidates;
SET ROLE wf_org_app;

\echo '== 11. A role''s identity survives ALTER ROLE RENAME and is not inherited by its old name'
RESET ROLE;
CREATE ROLE wf_org_old;
GRANT workflow_app TO wf_org_old;
SET ROLE wf_org_old;
INSERT INTO workflow (name) VALUES ('made by a role') RETURNING owner = role_identity('wf_org_old') AS owner_is_role;
RESET ROLE;
ALTER ROLE wf_org_old RENAME TO wf_org_new;
SET ROLE wf_org_new;
SELECT count(*) AS renamed_role_keeps FROM workflow WHERE name = 'made by a role';
RESET ROLE;
CREATE ROLE wf_org_old;
GRANT workflow_app TO wf_org_old;
SET ROLE wf_org_old;
SELECT count(*) AS new_role_of_old_name_sees FROM workflow WHERE name = 'made by a role';
RESET ROLE;

\echo '== 12. trusted_role governs the tenant and administration exactly as the actor'
SET workflow_ext.trusted_role = 'wf_org_trusted';
SET ROLE wf_org_old;
SELECT test_error('SELECT set_config(''workflow_ext.tenant'', ''org:acme'', false), current_tenant()');
SELECT test_error('SELECT set_config(''workflow_ext.tenant_admin'', ''on'', false), is_tenant_admin()');
RESET workflow_ext.tenant;
RESET workflow_ext.tenant_admin;
SELECT current_tenant() = role_identity('wf_org_old') AS own_tenant;
RESET ROLE;
SET ROLE wf_org_app;      -- a member of the trusted role
SET workflow_ext.tenant = 'org:acme';
SET workflow_ext.actor = 'user:hank';
SELECT current_tenant(), current_actor();
RESET workflow_ext.tenant;
RESET workflow_ext.actor;
RESET ROLE;
RESET workflow_ext.trusted_role;

\echo '== 13. require_tenant'
SET workflow_ext.require_tenant = on;
SET ROLE wf_org_app;
SET workflow_ext.actor = 'user:hank';
SELECT test_error('SELECT count(*) FROM workflow');
SELECT test_error('SELECT candidate_facts(456)');
SET workflow_ext.tenant = '   ';
SELECT test_error('SELECT add_candidate(1, 1234)');
SET workflow_ext.tenant = 'org:acme';
SELECT count(*) > 0 AS works_with_a_tenant FROM workflow;
RESET workflow_ext.tenant;
RESET workflow_ext.actor;
RESET ROLE;
-- a role that bypasses row-level security is held to it too, in every function
SET workflow_ext.actor = 'user:sweeper';
SELECT test_error('SELECT raise_overdue_alerts()');
SELECT test_error('SELECT get_stage_rule(1)');
SELECT test_error('SELECT count(*) FROM workflow_events_since(NULL, 1)');
RESET workflow_ext.actor;
RESET workflow_ext.require_tenant;

\echo '== 14. Repros of the red-team round on the tenant boundary'
SET ROLE wf_org_app;
-- a setting left by an earlier request of a pooled session counts as unset when one is required
RESET ROLE;
SET workflow_ext.require_tenant = on;
SET ROLE wf_org_app;
BEGIN;
SET workflow_ext.tenant = 'org:acme';          -- session-level: counts in this transaction
SET workflow_ext.actor = 'user:hank';
SELECT count(*) > 0 AS set_in_this_transaction_counts FROM workflow;
COMMIT;
SELECT test_error('SELECT count(*) FROM workflow');   -- a later transaction: a leftover
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:acme';
SELECT count(*) > 0 AS set_local_counts FROM workflow;
COMMIT;
-- blank-looking tenants name no one
BEGIN;
SELECT set_config('workflow_ext.tenant', U&'\200D\2060\00AD\3164', true);
SELECT test_error('SELECT current_tenant()');
ROLLBACK;
RESET workflow_ext.tenant;
RESET workflow_ext.actor;
RESET ROLE;
RESET workflow_ext.require_tenant;
SET ROLE wf_org_app;
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:acme';
SET LOCAL workflow_ext.actor = 'user:ada';
SET LOCAL workflow_ext.tenant_admin = on;
SELECT test_error(format('SELECT transfer_workflow_ownership(%s, %L)', :acme_wf, U&'\00A0'));
SELECT test_error(format('SELECT share_workflow(%s, %L)', :acme_wf, U&'\200B\200D'));
-- a status change keeps the visit's entered_at whatever the statement says
UPDATE candidate_stage SET status = 'rejected', entered_at = '2000-01-01'
 WHERE job_id = 1234 AND candidate_id = 789 AND tenant = 'org:acme'
RETURNING status, entered_at > '2000-01-02' AS entered_at_kept;
ROLLBACK;
-- an agency with can_edit may not move a stage of its own into the client's workflow
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:acme';
SET LOCAL workflow_ext.actor = 'user:hank';
SELECT share_workflow(:acme_wf, 'user:agent', true, 'org:agency');
SET LOCAL workflow_ext.tenant = 'org:agency';
SET LOCAL workflow_ext.actor = 'user:agent';
SELECT test_workflow('agency scratch', 1, false) AS scratch \gset
SELECT test_error(format('UPDATE workflow_stage SET workflow_id = %s, position = 9 WHERE id = %s',
                         :acme_wf, test_stage(:scratch, 1)));
-- a quantified rule it writes in the client's workflow: its DETAIL shows no element's values
INSERT INTO workflow_stage (workflow_id, name, position) VALUES (:acme_wf, 'probe', 9) RETURNING id AS probe \gset
INSERT INTO stage_rule (stage_id, name, condition) VALUES (:probe, 'probe',
  '{"some": {"field": "jobs", "where": {"field": "salary", "op": "gt", "value": 999999999}}}');
-- (the agency has a job 1234 of its own: the client's is named with its tenant)
SELECT test_error(format('UPDATE candidate_stage SET stage_id = %s WHERE job_id = 1234 AND candidate_id = 789 AND tenant = %L',
                         :probe, 'org:acme'));
ROLLBACK;
RESET ROLE;
\echo '== 15. Repros of the second red-team round'
-- the facts table's owner cannot make readers plan its functions: an index
-- predicate calling a function of its own is refused before any read
CREATE ROLE wf_org_factsowner;
GRANT workflow_app TO wf_org_factsowner;
CREATE TABLE org_facts2 (org text NOT NULL, id bigint NOT NULL, years_experience int);
-- (owned by the superuser: a table whose owner is not trusted is refused whatever is on it)
INSERT INTO org_facts2 VALUES ('org:acme', 456, 7);
GRANT SELECT ON org_facts2 TO wf_org_app;
SELECT set_candidate_source('org_facts2', 'id', 'org');
CREATE FUNCTION org_facts_pwn() RETURNS boolean LANGUAGE sql IMMUTABLE AS $$ SELECT true $$;
CREATE INDEX org_facts2_partial ON org_facts2 (id) WHERE org_facts_pwn();
SET ROLE wf_org_app;
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:acme';
SET LOCAL workflow_ext.actor = 'user:hank';
SELECT test_error('SELECT candidate_facts(456)');
ROLLBACK;
RESET ROLE;
DROP INDEX org_facts2_partial;
SET ROLE wf_org_app;
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:acme';
SET LOCAL workflow_ext.actor = 'user:hank';
SELECT candidate_facts(456) ->> 'years_experience' AS read_again_once_dropped;
ROLLBACK;
RESET ROLE;
DELETE FROM facts_source;
DROP TRIGGER workflow_ext_facts_changed ON org_facts2;
DROP TABLE org_facts2;
DROP FUNCTION org_facts_pwn();
DROP ROLE wf_org_factsowner;
-- a NULL condition is 22023 null_argument, not a crash
SELECT test_error('SELECT evaluate_condition(NULL::jsonb, 456, 1234)') AS null_condition;   -- 22023 null_argument (newcomer6)
-- in a database requiring a tenant, an administrator's claim left by an
-- earlier request of the session claims nothing
SET workflow_ext.require_tenant = on;
SET ROLE wf_org_app;
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:acme';
SET LOCAL workflow_ext.actor = 'user:ada';
SET workflow_ext.tenant_admin = on;
SELECT is_tenant_admin() AS claimed_in_this_transaction;
COMMIT;
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:acme';
SET LOCAL workflow_ext.actor = 'user:intern';
SELECT is_tenant_admin() AS leftover_claim;
COMMIT;
RESET workflow_ext.tenant_admin;
-- more invisible identities
BEGIN;
SELECT set_config('workflow_ext.tenant', U&'\2066\2069\202A\FE0F\034F', true) IS NOT NULL AS set;
SELECT test_error('SELECT current_tenant()');
ROLLBACK;
RESET ROLE;
RESET workflow_ext.require_tenant;
-- a superuser's COPY with row security on is an ordinary write: the tenant is stamped
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:acme';
SET LOCAL workflow_ext.actor = 'user:importer';
COPY candidate_profile (candidate_id, tenant, attributes) FROM stdin;
4242	org:globex	{}
\.
SELECT tenant FROM candidate_profile WHERE candidate_id = 4242;
ROLLBACK;
-- a job id of one's own tenant is never resolved to another tenant's shared job
SET ROLE wf_org_app;
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:evil';
SET LOCAL workflow_ext.actor = 'user:eve';
SELECT test_workflow('pushed template', 2, false) AS evil_wf \gset
SELECT job_id FROM assign_workflow(1234, :evil_wf);
SELECT candidate_id FROM add_candidate(456, 1234);
SELECT share_workflow(:evil_wf, NULL, false, 'org:acme');
SET LOCAL workflow_ext.tenant = 'org:acme';
SET LOCAL workflow_ext.actor = 'user:ada';
SET LOCAL workflow_ext.tenant_admin = on;
SELECT accept_share(:evil_wf, true);            -- (even once acme accepts it)
SET LOCAL workflow_ext.tenant_admin = off;
SET LOCAL workflow_ext.actor = 'user:bob';
SELECT job_tenant(1234) AS bob_resolves_1234;   -- acme's own job 1234, not evil's
SELECT tenant FROM reject_candidate(456, 1234, 'a reason');
ROLLBACK;
RESET ROLE;
-- merge_into_tenant runs at READ COMMITTED only
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT test_error('SELECT * FROM merge_into_tenant(''org:x'', ARRAY[''user:nobody''])');
ROLLBACK;
\echo '== 16. Error paths of the review: ambiguous ids, the facts trigger on a table one may not trigger'
SET ROLE wf_org_app;
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:c1';
SET LOCAL workflow_ext.actor = 'user:c1';
SELECT test_workflow('c1', 2, false) AS c1_wf \gset
SELECT job_id FROM assign_workflow(9000, :c1_wf);
SELECT candidate_id FROM add_candidate(1, 9000);
SELECT share_workflow(:c1_wf, NULL, false, 'org:agency2');
SET LOCAL workflow_ext.tenant = 'org:c2';
SET LOCAL workflow_ext.actor = 'user:c2';
SELECT test_workflow('c2', 2, false) AS c2_wf \gset
SELECT job_id FROM assign_workflow(9000, :c2_wf);
SELECT candidate_id FROM add_candidate(1, 9000);
SELECT share_workflow(:c2_wf, NULL, false, 'org:agency2');
SET LOCAL workflow_ext.tenant = 'org:agency2';
SET LOCAL workflow_ext.actor = 'user:a2';
SET LOCAL workflow_ext.tenant_admin = on;
SELECT accept_share(:c1_wf, true), accept_share(:c2_wf, true);
SET LOCAL workflow_ext.tenant_admin = off;
-- both clients use job 9000 and candidate 1: a function cannot tell which
SELECT test_error('SELECT job_tenant(9000)');
SELECT test_error('SELECT move_to_next_stage(1, 9000)');
-- a plain statement naming the tenant can
UPDATE candidate_stage SET stage_id = test_stage(:c1_wf, 2)
 WHERE job_id = 9000 AND candidate_id = 1 AND tenant = 'org:c1' RETURNING tenant;
ROLLBACK;
RESET ROLE;
-- a database owner who is no superuser may set the facts source only on a
-- table it owns or may put triggers on
CREATE ROLE wf_org_dbo;
CREATE ROLE wf_org_other;
GRANT workflow_app TO wf_org_dbo, wf_org_other;
CREATE TABLE org_hr (id bigint PRIMARY KEY, org text, salary int);
ALTER TABLE org_hr OWNER TO wf_org_other;
SELECT current_database() AS db \gset
ALTER DATABASE :"db" OWNER TO wf_org_dbo;
SET ROLE wf_org_dbo;
SELECT test_error('SELECT set_candidate_source(''org_hr'', ''id'', ''org'')');
RESET ROLE;
ALTER DATABASE :"db" OWNER TO CURRENT_USER;
DROP TABLE org_hr;
DROP ROLE wf_org_dbo;
DROP ROLE wf_org_other;
DROP ROLE wf_org_old;
DROP ROLE wf_org_new;
DROP ROLE wf_org_app;
DROP ROLE wf_org_trusted;
