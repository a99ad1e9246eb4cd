CREATE FUNCTION evs() RETURNS text LANGUAGE sql AS $$ SELECT coalesce(string_agg(format('%s/%s/%s/%s', job_id, candidate_id, message, cause), ' ' ORDER BY n), '-') FROM ev $$;
CREATE FUNCTION att_switch(cid bigint, name text, val text) RETURNS jsonb LANGUAGE plpgsql AS $$
BEGIN IF cid = 2 THEN PERFORM set_config(name, val, true); END IF; RETURN jsonb_build_object('level', cid); END $$;
CREATE ROLE att_other; GRANT workflow_app TO att_other; GRANT att_other TO att_app;
CREATE FUNCTION att_role(cid bigint) RETURNS jsonb LANGUAGE plpgsql AS $$
BEGIN IF cid = 2 THEN SET LOCAL ROLE att_other; END IF; RETURN jsonb_build_object('level', cid); END $$;
SET ROLE att_app;
\pset format unaligned
\pset tuples_only on

BEGIN;
SET LOCAL workflow_ext.history_batch_size = 1;
UPDATE candidate_profile SET attributes = att_switch(candidate_id, 'workflow_ext.tenant', 'org:b') WHERE candidate_id IN (1, 2, 3, 4);
SELECT set_config('workflow_ext.tenant', 'org:a', true);
SELECT 'tenant_in_set', '1', evs();
ROLLBACK;
BEGIN;
SET LOCAL workflow_ext.history_batch_size = 1000;
UPDATE candidate_profile SET attributes = att_switch(candidate_id, 'workflow_ext.tenant', 'org:b') WHERE candidate_id IN (1, 2, 3, 4);
SELECT set_config('workflow_ext.tenant', 'org:a', true);
SELECT 'tenant_in_set', '1000', evs();
ROLLBACK;
BEGIN;
SET LOCAL workflow_ext.history_batch_size = 1;
UPDATE candidate_profile SET attributes = att_switch(candidate_id, 'workflow_ext.actor', 'user:y') WHERE candidate_id IN (1, 2, 3, 4);
SELECT set_config('workflow_ext.actor', 'user:x', true);
SELECT 'actor_in_set', '1', evs();
ROLLBACK;
BEGIN;
SET LOCAL workflow_ext.history_batch_size = 1000;
UPDATE candidate_profile SET attributes = att_switch(candidate_id, 'workflow_ext.actor', 'user:y') WHERE candidate_id IN (1, 2, 3, 4);
SELECT set_config('workflow_ext.actor', 'user:x', true);
SELECT 'actor_in_set', '1000', evs();
ROLLBACK;
BEGIN;
SET LOCAL workflow_ext.history_batch_size = 1;
UPDATE candidate_profile SET attributes = att_role(candidate_id) WHERE candidate_id IN (1, 2, 3, 4);
RESET ROLE; SET ROLE att_app;
SELECT 'role_in_set', '1', evs();
ROLLBACK;
BEGIN;
SET LOCAL workflow_ext.history_batch_size = 1000;
UPDATE candidate_profile SET attributes = att_role(candidate_id) WHERE candidate_id IN (1, 2, 3, 4);
RESET ROLE; SET ROLE att_app;
SELECT 'role_in_set', '1000', evs();
ROLLBACK;
BEGIN;
SET LOCAL workflow_ext.history_batch_size = 1;
UPDATE candidate_profile SET attributes = att_switch(candidate_id, 'workflow_ext.history_batch_size', '1') WHERE candidate_id IN (1, 2, 3, 4);
SELECT 'batch_in_set', '1', evs();
ROLLBACK;
BEGIN;
SET LOCAL workflow_ext.history_batch_size = 1000;
UPDATE candidate_profile SET attributes = att_switch(candidate_id, 'workflow_ext.history_batch_size', '1') WHERE candidate_id IN (1, 2, 3, 4);
SELECT 'batch_in_set', '1000', evs();
ROLLBACK;