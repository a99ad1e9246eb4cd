-- attack11 02: the probe runs the unique index's btree support function (a
-- superuser's operator class whose equality operator is pg_catalog.= but
-- whose comparison function is its own) as the CALLER, with the caller's
-- search_path and without SECURITY_RESTRICTED_OPERATION; the replaced query
-- ran it inside wf_become_owner (the tables' owner, restricted, search_path
-- pg_catalog, pg_temp).  probe_decide checks only the equality operators.
-- expected (main 4ad9093): NOTICE  cmp as postgres, search_path pg_catalog, pg_temp (the query's index scan)
-- actual (attack11):       NOTICE  cmp as app, search_path pg_catalog, pg_temp (the probe, as the caller;
--   the path is the record trigger's pin, not the owner's)
-- Low severity: only a superuser can make such an operator class; no privilege is gained
-- (the caller runs a superuser's function with its own rights), but the facts read is no
-- longer "as the tables' owner" for that code, and a function that reads what only the
-- owner may read fails (42501) for the application role where the query succeeded.
\set VERBOSITY terse
SET client_min_messages = notice;
CREATE ROLE app LOGIN; GRANT workflow_app TO app;
CREATE FUNCTION my_int8_cmp(a bigint, b bigint) RETURNS int LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
  IF current_setting('t.trace', true) = 'on' THEN
    RAISE NOTICE 'cmp as %, search_path %', current_user, current_setting('search_path');
  END IF;
  RETURN btint8cmp(a, b);
END $$;
CREATE OPERATOR CLASS my_int8_ops FOR TYPE bigint USING btree AS
  OPERATOR 1 <, OPERATOR 2 <=, OPERATOR 3 =, OPERATOR 4 >=, OPERATOR 5 >,
  FUNCTION 1 my_int8_cmp(bigint, bigint);
SET ROLE app;
SET workflow_ext.tenant = 'org:a'; SET workflow_ext.actor = 'user:x';
SELECT test_workflow('W', 4) AS wf \gset
SELECT test_stage(:wf,1) s1, test_stage(:wf,2) s2 \gset
INSERT INTO stage_rule (stage_id, name, condition, on_fail) VALUES (:s2, 'score', '{"field":"score","op":"gte","value":2}', 'warn');
SELECT job_id FROM assign_workflow(10, :wf);
INSERT INTO candidate_profile (candidate_id, attributes) SELECT g, '{"score": 5}' FROM generate_series(1, 5000) g;
SELECT count(*) FROM add_candidate(1, 10);
RESET ROLE;
ALTER TABLE candidate_profile DROP CONSTRAINT candidate_profile_candidate_id_key;
CREATE UNIQUE INDEX cp_my ON candidate_profile (tenant, candidate_id my_int8_ops);
ANALYZE candidate_profile;
SET ROLE app;
SET t.trace = on;
SELECT (move_to_next_stage(1, 10)).warnings;
