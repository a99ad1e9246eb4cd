-- pg_dump | psql into a second database keeps every row of every table, and
-- the restored pipeline keeps working.
CREATE FUNCTION test_checksum() RETURNS text LANGUAGE sql AS $$
    SELECT string_agg(t || ':' || n, ' ' ORDER BY t)
      FROM (SELECT 'workflow' t, count(*) || '/' || md5(string_agg(x::text, ',' ORDER BY id)) n FROM workflow x
            UNION ALL SELECT 'workflow_share', count(*) || '/' || md5(string_agg(x::text, ',' ORDER BY id)) FROM workflow_share x
            UNION ALL SELECT 'workflow_stage', count(*) || '/' || md5(string_agg(x::text, ',' ORDER BY id)) FROM workflow_stage x
            UNION ALL SELECT 'stage_rule', count(*) || '/' || md5(string_agg(x::text, ',' ORDER BY id)) FROM stage_rule x
            UNION ALL SELECT 'alert', count(*) || '/' || md5(string_agg(x::text, ',' ORDER BY id)) FROM alert x
            UNION ALL SELECT 'job_workflow', count(*) || '/' || md5(string_agg(x::text, ',' ORDER BY id)) FROM job_workflow x
            UNION ALL SELECT 'candidate_profile', count(*) || '/' || md5(string_agg(x::text, ',' ORDER BY id)) FROM candidate_profile x
            UNION ALL SELECT 'candidate_stage', count(*) || '/' || md5(string_agg(x::text, ',' ORDER BY id)) FROM candidate_stage x
            UNION ALL SELECT 'stage_transition', count(*) || '/' || md5(string_agg(x::text, ',' ORDER BY id)) FROM stage_transition x
            UNION ALL SELECT 'alert_event', count(*) || '/' || md5(string_agg(x::text, ',' ORDER BY id)) FROM alert_event x
            UNION ALL SELECT 'sequences', md5(string_agg(last_value::text, ',' ORDER BY sequencename))
                        FROM pg_sequences WHERE schemaname = 'public') s
$$;
SELECT count(*) > 0 AS have_history FROM stage_transition;
\! dropdb --if-exists wf_restore_check 2>/dev/null; createdb wf_restore_check
\! pg_dump -d contrib_regression | psql -X -q -v ON_ERROR_STOP=1 -d wf_restore_check > /dev/null && echo restore succeeded
\! sh -c 'a=$(psql -XAtc "SELECT test_checksum()" -d contrib_regression); b=$(psql -XAtc "SELECT test_checksum()" -d wf_restore_check); if [ -n "$a" ] && [ "$a" = "$b" ]; then echo restored data identical; else echo "DIFFERENT: $a | $b"; fi'
-- The restored database moves candidates, with new history ids after the old ones.
\! psql -XAtc "SET workflow_ext.actor = 'user:pipe'; SELECT to_stage_name, transition_id > (SELECT max(id) FROM stage_transition WHERE id < transition_id) FROM move_to_next_stage(900, 1234)" -d wf_restore_check
-- README (Changing the extension's tables): an index, a CHECK and a comment of
-- one's own on an extension's table are not dumped; the script of them, run
-- again after the restore, brings them back.
CREATE INDEX candidate_profile_mine ON candidate_profile USING gin (attributes jsonb_path_ops);
ALTER TABLE candidate_profile ADD CONSTRAINT candidate_profile_mine_check CHECK (candidate_id > 0) NOT VALID;
COMMENT ON INDEX candidate_profile_mine IS 'mine';
\! dropdb --if-exists wf_restore_check 2>/dev/null; createdb wf_restore_check
\! pg_dump -d contrib_regression | psql -X -q -v ON_ERROR_STOP=1 -d wf_restore_check > /dev/null && echo restore succeeded
\! psql -XAtc "SELECT to_regclass('candidate_profile_mine') IS NULL AS index_lost, NOT EXISTS (SELECT FROM pg_constraint WHERE conname = 'candidate_profile_mine_check') AS check_lost" -d wf_restore_check
\! psql -X -q -v ON_ERROR_STOP=1 -d wf_restore_check -c "CREATE INDEX IF NOT EXISTS candidate_profile_mine ON candidate_profile USING gin (attributes jsonb_path_ops)" -c "ALTER TABLE candidate_profile ADD CONSTRAINT candidate_profile_mine_check CHECK (candidate_id > 0) NOT VALID" -c "COMMENT ON INDEX candidate_profile_mine IS 'mine'" && psql -XAtc "SELECT obj_description('candidate_profile_mine'::regclass), (SELECT count(*) FROM pg_constraint WHERE conname = 'candidate_profile_mine_check')" -d wf_restore_check
\! dropdb wf_restore_check
DROP INDEX candidate_profile_mine;
ALTER TABLE candidate_profile DROP CONSTRAINT candidate_profile_mine_check;
