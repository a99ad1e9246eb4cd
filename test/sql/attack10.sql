-- attack10's findings.  1: a quantified group's explanation of its elements
-- ("elements_explained": one entry per element, with the results of its inner
-- leaves) is facts, like what a leaf saw: it is dropped from the DETAIL an
-- agency gets for a blocked move in a client's pipeline, from move_result's
-- warnings and from the history of a workflow shared across tenants.  2: the
-- front's reads candidate_history and alert_events (shard_call) name the job
-- job_tenant() resolves, never another tenant's job of the same id.  3: an
-- alert naming another tenant's rule (rule_id, rule_path) gets the foreign
-- key's 23503 whatever that tenant has, not the unique key's 23505.  5: a
-- transfer between a job on a workflow shared across tenants and a job on a
-- workflow the other tenant does not see names that job to no one but its
-- tenant: the shared side's history row records no related_job_id (the feed
-- no to_job_id / from_job_id), and a row written before the share that names
-- such a job is the tenant's alone.  6: the front's definition_write of a row
-- the actor sees but may not change is 42501 read_only, as the functions
-- answer; P0002 not_found for a row it does not see.
-- Everything runs as wf_a10_app, an ordinary role with the README's grant set.
\set SHOW_CONTEXT never
SET client_min_messages = warning;
DROP ROLE IF EXISTS wf_a10_app;
RESET client_min_messages;
CREATE ROLE wf_a10_app;
GRANT workflow_app TO wf_a10_app;
-- The DETAIL of a statement's error, as jsonb (NULL when it does not fail).
CREATE FUNCTION a10_detail(sql text) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    detail text;
BEGIN
    EXECUTE sql;
    RETURN NULL;
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS detail = PG_EXCEPTION_DETAIL;
    RETURN jsonb_build_object('sqlstate', SQLSTATE, 'detail', detail::jsonb);
END $$;
-- The keys of a document, at any depth, outside what an explanation shows
-- another tenant (README: Errors): each leaf's path, field, source, op,
-- expected operand (the rule's own, not walked), result, negated, passed,
-- ignore_case; the cap's truncated / not_listed.  Empty for what reaches
-- another tenant: a list of what stays, so a key added later shows here.
CREATE FUNCTION a10_fact_keys(doc jsonb) RETURNS text[] LANGUAGE sql AS $$
    WITH RECURSIVE walk(v) AS (
        SELECT doc
        UNION ALL
        SELECT c.value FROM walk,
               LATERAL (SELECT value FROM jsonb_each(CASE WHEN jsonb_typeof(walk.v) = 'object' THEN walk.v END)
                         WHERE key <> 'expected'
                        UNION ALL
                        SELECT value FROM jsonb_array_elements(CASE WHEN jsonb_typeof(walk.v) = 'array' THEN walk.v END)) c
    )
    SELECT coalesce(array_agg(DISTINCT k ORDER BY k), '{}')
      FROM walk, LATERAL jsonb_object_keys(CASE WHEN jsonb_typeof(walk.v) = 'object' THEN walk.v END) k
     WHERE k NOT IN ('leaves', 'path', 'field', 'source', 'op', 'expected', 'result', 'negated', 'passed',
                     'ignore_case', 'truncated', 'not_listed')
$$;
SET ROLE wf_a10_app;

\echo '== 1. a quantified group in a client''s rule: the agency gets no explanation of the elements'
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:a10-client';
SET LOCAL workflow_ext.actor = 'user:ann';
SELECT test_workflow('Shared', 3, false) AS w \gset
SELECT test_stage(:w, 2) AS s2, test_stage(:w, 3) AS s3 \gset
INSERT INTO stage_rule (stage_id, name, condition) VALUES (:s2, 'no recent fraud',
  '{"some": {"field": "convictions", "where": {"all": [{"field": "kind", "op": "eq", "value": "fraud"},
                                                        {"field": "year", "op": "gte", "value": 2010}]}}}');
INSERT INTO stage_rule (stage_id, name, condition, on_fail) VALUES (:s3, 'no theft',
  '{"none": {"field": "convictions", "where": {"field": "kind", "op": "eq", "value": "theft"}}}', 'warn');
SELECT job_id FROM assign_workflow(9101, :w);
INSERT INTO candidate_profile (candidate_id, attributes) VALUES (1, '{"convictions": [
  {"year": 2001, "kind": "fraud"}, {"year": 2015, "kind": "theft"}, {"year": 2020, "kind": "dui"}]}');
SELECT candidate_id FROM add_candidate(1, 9101);
SELECT candidate_id FROM add_candidate(2, 9101);
SELECT share_workflow(:w, NULL, false, 'org:a10-agency');
COMMIT;
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:a10-agency';
SET LOCAL workflow_ext.actor = 'user:bob';
SET LOCAL workflow_ext.tenant_admin = on;
SELECT accept_share(:w, true);
COMMIT;
-- the client itself gets the whole explanation (its own facts)
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:a10-client';
SET LOCAL workflow_ext.actor = 'user:ann';
SELECT e ->> 'sqlstate' AS sqlstate, a10_fact_keys(e -> 'detail' -> 'failed') AS fact_keys_for_the_client
  FROM a10_detail('SELECT move_to_next_stage(1, 9101)') e;
ROLLBACK;
-- the agency: the failed group without its elements
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:a10-agency';
SET LOCAL workflow_ext.actor = 'user:bea';
SELECT e ->> 'sqlstate' AS sqlstate, a10_fact_keys(e -> 'detail' -> 'failed') AS fact_keys_for_the_agency,
       jsonb_path_query_array(e, '$.detail.failed[*].op') AS failed_ops
  FROM a10_detail('SELECT move_to_next_stage(1, 9101)') e;
SELECT outcome, a10_fact_keys(detail -> 'failed') AS bulk_fact_keys FROM move_candidates(9101, ARRAY[1]::bigint[]);
-- a warn rule's group: the move's result and its history row
SELECT a10_fact_keys(warnings) AS result_fact_keys, jsonb_array_length(warnings) AS warned
  FROM move_to_stage(1, 9101, :s3);
COMMIT;
-- the client's own move in the shared workflow: its history row, as the agency reads it
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:a10-client';
SET LOCAL workflow_ext.actor = 'user:ann';
INSERT INTO candidate_profile (candidate_id, attributes) VALUES (2, '{"convictions": [{"kind": "theft"}]}');
SELECT jsonb_array_length(warnings) AS warned FROM move_to_stage(2, 9101, :s3);
COMMIT;
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:a10-agency';
SET LOCAL workflow_ext.actor = 'user:bea';
SELECT candidate_id, actor, a10_fact_keys(warnings) AS history_fact_keys, jsonb_path_query_array(warnings, '$[*].op') AS ops
  FROM stage_transition WHERE job_id = 9101 AND warnings <> '[]' ORDER BY id;
COMMIT;


\echo '== 2. the front''s candidate_history and alert_events: a job id is job_tenant()''s job, never another tenant''s of that id'
-- the agency runs its own job 9101 on a workflow of its own that only its administrator sees
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:a10-agency';
SET LOCAL workflow_ext.actor = 'user:bob';
SET LOCAL workflow_ext.tenant_admin = on;
SELECT test_workflow('Agency own', 2, false) AS aw \gset
SELECT j.job_id, c.candidate_id FROM assign_workflow(9101, :aw) j, add_candidate(1, 9101) c;
COMMIT;
-- an SLA event in the client's job 9101 (visible to the agency: the shared workflow)
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:a10-client';
SET LOCAL workflow_ext.actor = 'user:ann';
UPDATE workflow_stage SET sla = '1 microsecond' WHERE id = :s3;
SELECT raise_overdue_alerts() > 0 AS client_sla_events;
COMMIT;
-- bob: job 9101 is the agency's own job; the client's job of that id is not it
SELECT jsonb_path_query_array(result, '$[*].tenant') AS job_candidates
  FROM shard_call('org:a10-agency', 'user:bob', 'job_candidates', '{"job_id": 9101, "$tenant_admin": "on"}');
SELECT error_sqlstate, jsonb_path_query_array(result, '$[*].tenant') AS candidate_history
  FROM shard_call('org:a10-agency', 'user:bob', 'candidate_history', '{"candidate_id": 1, "job_id": 9101, "$tenant_admin": "on"}');
SELECT error_sqlstate, jsonb_path_query_array(result, '$[*].tenant') AS alert_events
  FROM shard_call('org:a10-agency', 'user:bob', 'alert_events', '{"job_id": 9101, "$tenant_admin": "on"}');
-- bea does not see the agency's own job 9101: not found for a move, empty for the reads
SELECT error_sqlstate, error_detail FROM shard_call('org:a10-agency', 'user:bea', 'move_to_next_stage', '{"job_id": 9101, "candidate_id": 1}');
SELECT result AS job_candidates FROM shard_call('org:a10-agency', 'user:bea', 'job_candidates', '{"job_id": 9101}');
SELECT error_sqlstate, result AS candidate_history FROM shard_call('org:a10-agency', 'user:bea', 'candidate_history', '{"candidate_id": 1, "job_id": 9101}');
SELECT error_sqlstate, result AS alert_events FROM shard_call('org:a10-agency', 'user:bea', 'alert_events', '{"job_id": 9101}');
-- the client's own view of its job is unchanged
SELECT error_sqlstate, jsonb_array_length(result) AS client_history_rows
  FROM shard_call('org:a10-client', 'user:ann', 'candidate_history', '{"candidate_id": 1, "job_id": 9101}');
SELECT error_sqlstate, jsonb_path_query_array(result, '$[*].cause') AS client_alert_events
  FROM shard_call('org:a10-client', 'user:ann', 'alert_events', '{"job_id": 9101}');

\echo '== 3. an alert naming another tenant''s rule (rule_id, rule_path): the foreign key''s 23503, as for a rule nobody has'
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:a10-client';
SET LOCAL workflow_ext.actor = 'user:ann';
SELECT id AS client_rule FROM stage_rule WHERE stage_id = :s2 \gset
SELECT max(id) + 1000 AS no_rule FROM stage_rule \gset
SELECT count(*) AS client_alerts_at_root FROM alert WHERE rule_id = :client_rule AND rule_path = '$';
COMMIT;
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:a10-agency';
SET LOCAL workflow_ext.actor = 'user:bob';
SET LOCAL workflow_ext.tenant_admin = on;
SELECT test_stage(:aw, 1) AS as1 \gset
SELECT test_error(format('INSERT INTO alert (stage_id, field_name, operator, value, rule_id, rule_path) VALUES (%s, %L, %L, %L, %s, %L)',
                         :as1, 'x', 'eq', '1', r, p)) AS answer, which
  FROM (VALUES (:client_rule, '$', 'another tenant''s rule, a path it has'),
               (:client_rule, '$.all[7]', 'another tenant''s rule, a path it has not'),
               (:no_rule, '$', 'no such rule')) v(r, p, which);
SELECT test_error(format('INSERT INTO alert (stage_id, field_name, operator, value, rule_id, rule_path) VALUES (%s, %L, %L, %L, %s, %L) ON CONFLICT (rule_id, rule_path) DO NOTHING',
                         :as1, 'x', 'eq', '1', r, '$')) AS upsert_answer, which
  FROM (VALUES (:client_rule, 'another tenant''s rule'), (:no_rule, 'no such rule')) v(r, which);
INSERT INTO alert (stage_id, field_name, operator, value, message) VALUES (:as1, 'x', 'eq', '1', 'own') RETURNING message;
SELECT test_error(format('UPDATE alert SET rule_id = %s, rule_path = %L WHERE stage_id = %s', r, '$', :as1)) AS update_answer, which
  FROM (VALUES (:client_rule, 'another tenant''s rule'), (:no_rule, 'no such rule')) v(r, which);
-- its own rules keep their generated alerts, edits and clones as before
INSERT INTO stage_rule (stage_id, name, condition) VALUES (:as1, 'own', '{"all": [{"field": "a", "op": "exists"}, {"field": "b", "op": "exists"}]}');
UPDATE stage_rule SET condition = '{"all": [{"field": "a", "op": "exists"}, {"field": "c", "op": "exists"}]}' WHERE stage_id = :as1;
SELECT rule_path, field_name FROM alert WHERE stage_id = :as1 AND rule_id IS NOT NULL ORDER BY rule_path;
SELECT clone_workflow(:aw, 'Agency clone') AS clone \gset
SELECT count(*) AS cloned_rule_alerts FROM alert a JOIN workflow_stage s ON s.id = a.stage_id
 WHERE s.workflow_id = :clone AND a.rule_id IS NOT NULL;
SELECT test_error(format('INSERT INTO alert (stage_id, field_name, operator, value, rule_id, rule_path) VALUES (%s, %L, %L, %L, (SELECT id FROM stage_rule WHERE stage_id = %s), %L)',
                         :as1, 'x', 'eq', '1', :as1, '$.all[0]')) AS own_rule_taken_path;
ROLLBACK;
\echo '== 4. an explanation abridged for size (a size of the client''s facts) reaches the agency without the mark'
-- 120 failing eq leaves on long texts: past the explanation's budget the
-- entries are marked "abridged", which tells the facts were large; the
-- redaction keeps a list of what stays, so the mark, like any key not on it,
-- stays with the client.
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:a10-client';
SET LOCAL workflow_ext.actor = 'user:ann';
SELECT test_workflow('Shared big', 2, false) AS wb \gset
SELECT test_stage(:wb, 2) AS b2 \gset
INSERT INTO stage_rule (stage_id, name, condition, on_fail)
SELECT :b2, 'many', jsonb_build_object('all', jsonb_agg(jsonb_build_object('field', 'f' || i, 'op', 'eq', 'value', 'x'))), 'warn'
  FROM generate_series(1, 120) i;
SELECT job_id FROM assign_workflow(9102, :wb);
INSERT INTO candidate_profile (candidate_id, attributes) VALUES (3,
  (SELECT jsonb_object_agg('f' || i, repeat('long text ', 40)) FROM generate_series(1, 120) i))
  ON CONFLICT (tenant, candidate_id) DO UPDATE SET attributes = EXCLUDED.attributes;
SELECT candidate_id FROM add_candidate(3, 9102);
SELECT share_workflow(:wb, NULL, false, 'org:a10-agency');
-- not yet accepted: the client's own move explains in full, the mark included
SELECT jsonb_path_exists(warnings, '$[*] ? (@.abridged == true)') AS client_sees_abridged,
       a10_fact_keys(warnings) AS client_keys
  FROM move_to_next_stage(3, 9102);
COMMIT;
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:a10-agency';
SET LOCAL workflow_ext.actor = 'user:bob';
SET LOCAL workflow_ext.tenant_admin = on;
SELECT accept_share(:wb, true);
COMMIT;
-- shared: the client's move of another candidate with the same facts
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:a10-client';
SET LOCAL workflow_ext.actor = 'user:ann';
INSERT INTO candidate_profile (candidate_id, attributes)
SELECT 4, attributes FROM candidate_profile WHERE candidate_id = 3;
SELECT candidate_id FROM add_candidate(4, 9102);
SELECT jsonb_array_length(warnings) AS warned FROM move_to_next_stage(4, 9102);
COMMIT;
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:a10-agency';
SET LOCAL workflow_ext.actor = 'user:bea';
SELECT candidate_id, a10_fact_keys(warnings) AS history_fact_keys, jsonb_array_length(warnings) AS warned
  FROM stage_transition WHERE job_id = 9102 AND warnings <> '[]' ORDER BY id;
COMMIT;

\echo '== 5. a transfer between a shared job and a job the agency does not see: the agency reads no id of it'
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:a10-client';
SET LOCAL workflow_ext.actor = 'user:ann';
SELECT test_workflow('Client private', 2, false) AS pw \gset
SELECT test_workflow('Later shared', 2, false) AS lw \gset
SELECT j.job_id FROM assign_workflow(9103, :pw) j;
SELECT j.job_id FROM assign_workflow(9104, :w) j;
SELECT j.job_id FROM assign_workflow(9105, :lw) j;
SELECT j.job_id FROM assign_workflow(9106, :lw) j;
SELECT candidate_id FROM add_candidate(5, 9103);
SELECT candidate_id FROM add_candidate(6, 9105);
SELECT candidate_id FROM add_candidate(7, 9105);
-- before 'Later shared' is shared: out of it into the private job, and into its other job
SELECT job_id FROM transfer_candidate(6, 9105, 9103, NULL, 'before the share, out');
SELECT job_id FROM transfer_candidate(7, 9105, 9106, NULL, 'before the share, same workflow');
SELECT share_workflow(:lw, NULL, false, 'org:a10-agency');
-- shared: out of the shared job into the private one, from the private one into it, and between two shared jobs
SELECT job_id FROM transfer_candidate(2, 9101, 9103, NULL, 'out');
SELECT job_id FROM transfer_candidate(5, 9103, 9101, NULL, 'in');
SELECT candidate_id FROM add_candidate(8, 9101);
SELECT job_id FROM transfer_candidate(8, 9101, 9104, NULL, 'same workflow');
COMMIT;
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:a10-agency';
SET LOCAL workflow_ext.actor = 'user:bob';
SET LOCAL workflow_ext.tenant_admin = on;
SELECT accept_share(:lw, true);
COMMIT;
-- the client: the private job's rows name the shared jobs; the shared side names only a job on its own workflow
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:a10-client';
SET LOCAL workflow_ext.actor = 'user:ann';
SELECT job_id, candidate_id, to_status, related_job_id, reason FROM stage_transition
 WHERE related_job_id IS NOT NULL OR reason IN ('out', 'in', 'same workflow') OR reason LIKE 'before%'
 ORDER BY id;
COMMIT;
-- the agency (bea: the client's shared pipelines only): no id of job 9103, in the history or the feed
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:a10-agency';
SET LOCAL workflow_ext.actor = 'user:bea';
SELECT job_tenant(9103) AS job_9103_for_the_agency;
SELECT job_id, candidate_id, to_status, related_job_id, reason FROM stage_transition
 WHERE tenant = 'org:a10-client' AND job_id IN (9101, 9104, 9105, 9106) AND candidate_id IN (2, 5, 6, 7, 8)
 ORDER BY id;
SELECT count(*) AS rows_naming_9103 FROM stage_transition WHERE related_job_id = 9103;
SELECT event ->> 'kind' AS kind, event ->> 'job_id' AS job_id, event ->> 'candidate_id' AS candidate_id,
       event -> 'to_job_id' AS to_job_id, event -> 'from_job_id' AS from_job_id
  FROM workflow_events_since(NULL, 100000)
 WHERE event ->> 'kind' IN ('transfer', 'enter') AND (event ->> 'candidate_id')::bigint IN (2, 5, 6, 7, 8)
   AND (event ->> 'job_id')::bigint IN (9101, 9104, 9105, 9106)
 ORDER BY (event ->> 'transition_id')::bigint;
COMMIT;

\echo '== 6. the front''s definition_write: a row the actor sees but may not change is 42501 read_only'
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:a10-client';
SET LOCAL workflow_ext.actor = 'user:ann';
SELECT share_workflow(:w, 'user:rita', false);
SELECT id AS jw9101 FROM job_workflow WHERE job_id = 9101 \gset
COMMIT;
SELECT caller, action, tbl, error_sqlstate, error_detail::jsonb - 'id' - 'workflow_id' AS detail,
       (error_detail::jsonb ->> 'workflow_id')::bigint = :w AS names_the_workflow
  FROM (VALUES ('user:rita', 'org:a10-client', 'update', 'workflow_stage', :s2, '{"name": "x"}'::jsonb),
               ('user:rita', 'org:a10-client', 'delete', 'workflow_stage', :s2, NULL),
               ('user:rita', 'org:a10-client', 'update', 'workflow', :w, '{"name": "x"}'),
               ('user:rita', 'org:a10-client', 'delete', 'workflow', :w, NULL),
               ('user:rita', 'org:a10-client', 'update', 'job_workflow', :jw9101, '{"job_id": 1}'),
               ('user:rita', 'org:a10-client', 'delete', 'stage_rule', :client_rule, NULL),
               ('user:rita', 'org:a10-client', 'delete', 'workflow_stage', (SELECT 0), NULL),
               ('user:bea', 'org:a10-agency', 'update', 'workflow_stage', :s2, '{"name": "x"}'),
               ('user:bea', 'org:a10-agency', 'delete', 'workflow', :w, NULL)) v(caller, tenant, action, tbl, id, r),
       LATERAL shard_call(tenant, caller, 'definition_write',
                          jsonb_strip_nulls(jsonb_build_object('table_name', tbl, 'action', action, 'id', id, 'row', r))) c
 ORDER BY caller, tbl, action, error_sqlstate;
-- the direct statements of the same rows change nothing, without an error (README: Errors)
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:a10-client';
SET LOCAL workflow_ext.actor = 'user:rita';
WITH u AS (UPDATE workflow_stage SET name = 'x' WHERE id = :s2 RETURNING 1) SELECT count(*) AS updated FROM u;
WITH d AS (DELETE FROM workflow_stage WHERE id = :s2 RETURNING 1) SELECT count(*) AS deleted FROM d;
ROLLBACK;
RESET ROLE;
DROP FUNCTION a10_detail(text);
DROP FUNCTION a10_fact_keys(jsonb);
DROP ROLE wf_a10_app;
