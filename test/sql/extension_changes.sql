-- Changes to the extension's own tables and schema that pg_dump or its
-- functions could not survive are refused up front (0A000, reason
-- extension_object_change), for superusers too: a column added to
-- candidate_stage, stage_transition or alert_event made pg_dump | psql lose
-- every row of the table (the restored table lacks the column its COPY names),
-- and a renamed schema broke every function.
\set SHOW_CONTEXT never
SELECT test_error('ALTER TABLE candidate_stage ADD COLUMN note text');
SELECT test_error('ALTER TABLE stage_transition ADD COLUMN note text');
SELECT test_error('ALTER TABLE alert_event ADD COLUMN IF NOT EXISTS note text, ADD COLUMN x int');
SELECT test_error('ALTER TABLE ONLY workflow ADD note text');
SELECT test_error('ALTER TABLE workflow DROP COLUMN description');
SELECT test_error('ALTER TABLE workflow ALTER COLUMN description TYPE varchar(10)');
SELECT test_error('ALTER TABLE workflow RENAME COLUMN description TO about');
SELECT test_error('ALTER TABLE workflow RENAME TO process');
CREATE SCHEMA elsewhere;
SELECT test_error('ALTER TABLE workflow SET SCHEMA elsewhere');
SELECT test_error(format('ALTER SCHEMA %I RENAME TO renamed', (SELECT n.nspname FROM pg_extension e
                         JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'workflow_ext')));
-- Nothing changed.
SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute
 WHERE attrelid = 'workflow'::regclass AND attname IN ('note', 'description', 'about') AND NOT attisdropped;
SELECT count(*) AS columns_named_note FROM pg_attribute
 WHERE attname IN ('note', 'x') AND attrelid IN ('candidate_stage'::regclass, 'stage_transition'::regclass, 'alert_event'::regclass);
SELECT to_regclass('workflow') IS NOT NULL AS workflow_still_there, to_regclass('elsewhere.workflow') AS moved;

-- What stays allowed: one's own indexes, constraints, triggers, statistics
-- targets on the tables; any change to objects that are not the extension's.
CREATE INDEX own_index ON stage_transition (moved_at);
ALTER TABLE workflow ADD CONSTRAINT own_check CHECK (length(description) < 100000);
ALTER TABLE workflow ALTER COLUMN description SET STATISTICS 200;
ALTER TABLE workflow DROP CONSTRAINT own_check;
DROP INDEX own_index;
CREATE TABLE own_table (id bigint);
ALTER TABLE own_table ADD COLUMN note text;
ALTER TABLE own_table RENAME TO own_table2;
ALTER TABLE IF EXISTS no_such_table ADD COLUMN note text;
ALTER SCHEMA elsewhere RENAME TO elsewhere2;
DROP TABLE own_table2;
DROP SCHEMA elsewhere2;

-- The guard fires only as an event trigger; nobody else may call it.
SELECT test_error('SELECT ddl_guard()');
SELECT has_function_privilege('public', 'ddl_guard()', 'EXECUTE') AS public_may_execute;
