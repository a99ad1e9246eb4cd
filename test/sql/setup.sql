-- Shared set-up of the SQL suites: the extension, pgTAP, test roles and helpers.
SET client_min_messages = warning;
CREATE EXTENSION workflow_ext;
CREATE EXTENSION pgtap;
DROP ROLE IF EXISTS wf_alice;
DROP ROLE IF EXISTS wf_bob;
CREATE ROLE wf_alice LOGIN;
CREATE ROLE wf_bob LOGIN;
RESET client_min_messages;

\i test/sql/include/app_grants.psql
GRANT workflow_app TO wf_alice, wf_bob;

-- Runs a statement and returns "SQLSTATE: message" (and DETAIL when there is one).
CREATE FUNCTION test_error(sql text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    detail text;
BEGIN
    EXECUTE sql;
    RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS detail = PG_EXCEPTION_DETAIL;
    -- "Failing row contains (...)" holds timestamps: leave it out.
    IF detail LIKE 'Failing row contains%' THEN
        detail := '';
    END IF;
    RETURN SQLSTATE || ': ' || SQLERRM || coalesce(nullif(' | ' || detail, ' | '), '');
END $$;
GRANT EXECUTE ON FUNCTION test_error(text) TO PUBLIC;

-- A workflow of n stages named s1..sn, the last one 'hired' when asked; returns its id.
CREATE FUNCTION test_workflow(name text, n integer, last_hired boolean DEFAULT true)
RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    wid bigint;
BEGIN
    INSERT INTO workflow (name) VALUES (name) RETURNING id INTO wid;
    INSERT INTO workflow_stage (workflow_id, name, position, kind)
    SELECT wid, 's' || i, i, CASE WHEN last_hired AND i = n THEN 'hired' ELSE 'normal' END
      FROM generate_series(1, n) i;
    RETURN wid;
END $$;
GRANT EXECUTE ON FUNCTION test_workflow(text, integer, boolean) TO PUBLIC;

-- The id of stage s<k> of workflow wid.
CREATE FUNCTION test_stage(wid bigint, k integer) RETURNS bigint LANGUAGE sql STABLE AS
$$ SELECT id FROM workflow_stage WHERE workflow_id = wid AND position = k $$;
GRANT EXECUTE ON FUNCTION test_stage(bigint, integer) TO PUBLIC;

SELECT extname, extversion FROM pg_extension WHERE extname = 'workflow_ext';
