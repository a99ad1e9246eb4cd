-- The fixture of bench/tenant_move.py, the same in a 0.2.0 and a 0.3.0
-- database.  Run as the (non-superuser) application role, through the API,
-- as an application would build it.  psql variables:
--   :v3          true in the 0.3.0 database (tenants), false in 0.2.0's
--   :candidates  candidates in the measured job
--
-- org:acme (0.3.0) / the actors ann and hank (0.2.0):
--   workflow 'bench' made by user:ann: 6 normal stages, each with a blocking
--   3-leaf rule every candidate passes (so moves never fail) and 2 alerts
--   (one every candidate fires, one a tenth of them fire);
--   0.3.0: shared with the whole tenant org:acme (share_workflow(id, NULL));
--   0.2.0: shared with user:hank (share_workflow(id, 'user:hank')), the
--   only way a second actor sees it there;
--   job 1 on it; :candidates profiles and pipeline rows, added by ann (in
--   0.2.0 a grantee's rule reads the owner's profile only when the owner
--   added the candidate).
-- A second organization, so that every lookup has rows to filter out:
--   org:other / user:olga: the same workflow, job 2, 1,000 other candidates
--   (ids 100001.., since 0.2.0's candidate ids are unique across actors).
\set ON_ERROR_STOP on
SET client_min_messages = warning;

\if :v3
SET workflow_ext.tenant = 'org:acme';
\endif
SET workflow_ext.actor = 'user:ann';
INSERT INTO workflow (name) VALUES ('bench');
SELECT max(id) AS wf FROM workflow \gset
\ir tenant_fixture_definitions.sql
\if :v3
SELECT share_workflow(:wf, NULL);
\else
SELECT share_workflow(:wf, 'user:hank');
\endif
SELECT assign_workflow(1, :wf);
INSERT INTO candidate_profile (candidate_id, attributes)
SELECT c, jsonb_build_object(
         'years_experience', c % 15,
         'location', (ARRAY['Berlin', 'Remote', 'Paris', 'Lisbon', 'Warsaw'])[1 + c % 5],
         'skills', jsonb_build_array('sql', (ARRAY['go', 'rust', 'python', 'java'])[1 + c % 4]),
         'email', 'candidate' || c || '@example.com',
         'salary_expectation', 40000 + (c * 37) % 140000,
         'visa_required', c % 10 = 0)
  FROM generate_series(1, :candidates) c;
-- Through the triggers: every row enters stage 1 (its rule evaluated), with
-- its history row, as add_candidate() would do it.
INSERT INTO candidate_stage (job_id, candidate_id) SELECT 1, c FROM generate_series(1, :candidates) c;

\if :v3
SET workflow_ext.tenant = 'org:other';
\endif
SET workflow_ext.actor = 'user:olga';
INSERT INTO workflow (name) VALUES ('bench');
SELECT max(id) AS wf FROM workflow \gset
\ir tenant_fixture_definitions.sql
SELECT assign_workflow(2, :wf);
INSERT INTO candidate_profile (candidate_id, attributes)
SELECT c, jsonb_build_object(
         'years_experience', c % 15,
         'location', (ARRAY['Berlin', 'Remote', 'Paris', 'Lisbon', 'Warsaw'])[1 + c % 5],
         'skills', jsonb_build_array('sql', 'go'),
         'email', 'candidate' || c || '@example.com',
         'salary_expectation', 40000 + (c * 37) % 140000,
         'visa_required', c % 10 = 0)
  FROM generate_series(100001, 101000) c;
INSERT INTO candidate_stage (job_id, candidate_id) SELECT 2, c FROM generate_series(100001, 101000) c;
