-- Fixture and probes of bench/share_offers.sh (issue 18, item 3: shares
-- nobody asked for).  Run by a superuser in an empty database; the
-- measurements run as wf_offer_app (not superuser: row-level security applies).
\set ON_ERROR_STOP on
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS workflow_ext;
DROP ROLE IF EXISTS wf_offer_app;
CREATE ROLE wf_offer_app;
-- (the probes read the clock; nothing of the extension's)
CREATE FUNCTION bench_probe(what text, rounds integer) RETURNS double precision
    LANGUAGE plpgsql AS $$
DECLARE
    t0 timestamptz;
    s1 bigint := (SELECT w.id FROM workflow_stage w JOIN workflow f ON f.id = w.workflow_id
                   WHERE f.name = 'own' AND w.position = 1);
    s2 bigint := (SELECT w.id FROM workflow_stage w JOIN workflow f ON f.id = w.workflow_id
                   WHERE f.name = 'own' AND w.position = 2);
    n bigint;
BEGIN
    t0 := clock_timestamp();
    FOR i IN 1 .. rounds LOOP
        IF what = 'move' THEN           -- a move there and back: two moves
            PERFORM move_to_stage(1 + i % 50, 1, s2);
            PERFORM move_to_stage(1 + i % 50, 1, s1);
        ELSIF what = 'list' THEN        -- her list of workflows, with their stages
            SELECT count(*) INTO n FROM workflow_with_stages;
        ELSIF what = 'read' THEN        -- her pipeline rows of the job
            SELECT count(*) INTO n FROM candidate_stage WHERE job_id = 1;
        END IF;
    END LOOP;
    RETURN extract(epoch FROM clock_timestamp() - t0) * 1e6 / rounds;   -- µs per round
END $$;
GRANT EXECUTE ON FUNCTION bench_probe(text, integer) TO wf_offer_app;

SET ROLE wf_offer_app;
-- Two actors alike: user:bea of org:bee (who will be offered 50,000
-- workflows) and user:bella of org:bella (offered nothing, the control),
-- each with her own workflow 'own' of 3 stages and job 1 with 50 candidates.
SELECT set_config('workflow_ext.tenant', 'org:bee', false), set_config('workflow_ext.actor', 'user:bea', false);
INSERT INTO workflow (name) VALUES ('own');
INSERT INTO workflow_stage (workflow_id, name, position)
SELECT id, 's' || i, i FROM workflow, generate_series(1, 3) i WHERE name = 'own';
SELECT assign_workflow(1, (SELECT id FROM workflow WHERE name = 'own')) IS NOT NULL AS assigned;
SELECT count(*) AS added FROM (SELECT add_candidate(c, 1) FROM generate_series(1, 50) c) x;
SELECT set_config('workflow_ext.tenant', 'org:bella', false), set_config('workflow_ext.actor', 'user:bella', false);
INSERT INTO workflow (name) VALUES ('own');
INSERT INTO workflow_stage (workflow_id, name, position)
SELECT id, 's' || i, i FROM workflow, generate_series(1, 3) i WHERE name = 'own';
SELECT assign_workflow(1, (SELECT id FROM workflow WHERE name = 'own')) IS NOT NULL AS assigned;
SELECT count(*) AS added FROM (SELECT add_candidate(c, 1) FROM generate_series(1, 50) c) x;
RESET ROLE;
