-- The kept verdict across sessions: att_app's long-lived session moves; another session
-- (dblink, superuser, autocommit) changes alert_event between two moves. An owner's unique
-- index "one event per alert and candidate" makes a re-entry's events repeats: ON CONFLICT
-- skips them (no error); a stale plain INSERT fails 23505.
CREATE EXTENSION IF NOT EXISTS dblink;
SELECT format('dbname=%s port=%s host=%s user=postgres', current_database(), current_setting('port'), coalesce(nullif(current_setting('unix_socket_directories'), ''), 'localhost')) AS conn \gset
SELECT dblink_connect('ddl', :'conn');
UPDATE candidate_profile SET attributes = '{"level": 3}';
CREATE TABLE ddl_log (step text); GRANT ALL ON ddl_log TO PUBLIC;
-- a C function of the library as a BEFORE INSERT trigger (superuser): counts as extension code
CREATE FUNCTION my_guard() RETURNS trigger LANGUAGE C AS '$libdir/workflow_ext', 'wf_history_write_guard';
DELETE FROM alert_event;   -- earlier events would violate the owner's index
CREATE FUNCTION step(c bigint, j bigint, st bigint) RETURNS text LANGUAGE plpgsql AS $$
BEGIN RETURN test_error(format('SELECT move_to_stage(%s, %s, %s)', c, j, st)); END $$;
CREATE FUNCTION ddl(sql text) RETURNS text LANGUAGE sql SECURITY DEFINER AS $$ SELECT dblink_exec('ddl', sql) $$;
GRANT EXECUTE ON FUNCTION ddl(text) TO PUBLIC;
SET ROLE att_app;
-- 1: verdict kept (plain), then the owner's index from another session
SELECT step(1, 100, :s2), step(1, 100, :s1);   -- warm, plain INSERT kept
SELECT ddl('CREATE UNIQUE INDEX one_per_alert ON alert_event (tenant, candidate_id, alert_id)');
SELECT '1 index' AS c, step(1, 100, :s2), step(1, 100, :s1), (SELECT count(*) FROM ev WHERE candidate_id = 1) AS events;
SELECT ddl('DROP INDEX one_per_alert');
DELETE FROM candidate_stage WHERE false;
-- 2: index made, dropped and made again between moves
SELECT step(2, 100, :s2), step(2, 100, :s1);
SELECT ddl('CREATE UNIQUE INDEX one_per_alert ON alert_event (tenant, candidate_id, alert_id) WHERE candidate_id <> 1');
SELECT '2 partial' AS c, step(2, 100, :s2), step(2, 100, :s1);
SELECT ddl('DROP INDEX one_per_alert');
SELECT step(2, 100, :s2);
-- 3: a disabled owner's BEFORE INSERT trigger enabled (ENABLE, ENABLE REPLICA, ENABLE ALWAYS)
RESET ROLE;
CREATE FUNCTION dup_event() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.alert_id := (SELECT min(id) FROM public.alert); RETURN NEW; END $$;
CREATE UNIQUE INDEX one_per_alert ON alert_event (tenant, candidate_id, transition_id, alert_id);
CREATE TRIGGER z_dup BEFORE INSERT ON alert_event FOR EACH ROW EXECUTE FUNCTION dup_event();
ALTER TABLE alert_event DISABLE TRIGGER z_dup;
SET ROLE att_app;
SELECT step(3, 100, :s2), step(3, 100, :s1);
SELECT ddl('ALTER TABLE alert_event ENABLE TRIGGER z_dup');
SELECT '3 enable' AS c, step(3, 100, :s2), step(3, 100, :s1);
SELECT ddl('ALTER TABLE alert_event DISABLE TRIGGER z_dup');
SELECT step(3, 100, :s2), step(3, 100, :s1);
SELECT ddl('ALTER TABLE alert_event ENABLE ALWAYS TRIGGER z_dup');
SELECT '3 always' AS c, step(3, 100, :s2), step(3, 100, :s1);
SELECT ddl('ALTER TABLE alert_event DISABLE TRIGGER z_dup');
SELECT step(3, 100, :s2), step(3, 100, :s1);
SELECT ddl('ALTER TABLE alert_event ENABLE REPLICA TRIGGER z_dup');
SELECT '3 replica (not firing)' AS c, step(3, 100, :s2), step(3, 100, :s1);
-- 4: a superuser's trigger function replaced: C (the library) -> plpgsql
SELECT ddl('DROP TRIGGER z_dup ON alert_event');
SELECT ddl('CREATE TRIGGER z_dup BEFORE INSERT ON alert_event FOR EACH ROW EXECUTE FUNCTION my_guard()');
SELECT step(4, 100, :s2), step(4, 100, :s1);
SELECT ddl('CREATE OR REPLACE FUNCTION my_guard() RETURNS trigger LANGUAGE plpgsql AS $b$ BEGIN NEW.alert_id := (SELECT min(id) FROM public.alert); RETURN NEW; END $b$');
SELECT '4 replaced' AS c, step(4, 100, :s2), step(4, 100, :s1);
SELECT ddl('DROP TRIGGER z_dup ON alert_event');
-- 5: a rule
SELECT step(1, 101, :s2), step(1, 101, :s1);
SELECT ddl('CREATE RULE r AS ON INSERT TO alert_event WHERE NEW.cause = ''never'' DO INSTEAD NOTHING');
SELECT '5 rule' AS c, step(1, 101, :s2), step(1, 101, :s1);
SELECT ddl('DROP RULE r ON alert_event');
-- 6: statement trigger + session_replication_role in the other session does not matter
SELECT ddl('CREATE FUNCTION raise_first() RETURNS trigger LANGUAGE plpgsql AS $b$ BEGIN RETURN NULL; END $b$');
SELECT ddl('CREATE TRIGGER s_first BEFORE INSERT ON alert_event FOR EACH STATEMENT EXECUTE FUNCTION raise_first()');
SELECT '6 stmt trigger' AS c, step(4, 100, :s2), step(4, 100, :s1);
-- 7: REINDEX / ALTER INDEX / CIC
SELECT ddl('DROP TRIGGER s_first ON alert_event');
SELECT step(2, 100, :s2), step(2, 100, :s1);
SELECT ddl('REINDEX TABLE alert_event');
SELECT '7 reindex' AS c, step(2, 100, :s2), step(2, 100, :s1);
SELECT ddl('DROP INDEX one_per_alert');
SELECT step(2, 100, :s2), step(2, 100, :s1);
SELECT ddl('CREATE UNIQUE INDEX CONCURRENTLY one_per_alert2 ON alert_event (tenant, candidate_id, alert_id)');
SELECT '7 cic' AS c, step(2, 100, :s2), step(2, 100, :s1);
SELECT ddl('ALTER INDEX one_per_alert2 RENAME TO opa');
SELECT '7 rename' AS c, step(2, 100, :s2), step(2, 100, :s1);
RESET ROLE;
SELECT candidate_id, job_id, count(*), count(DISTINCT alert_id) FROM alert_event GROUP BY 1, 2 ORDER BY 1, 2;
