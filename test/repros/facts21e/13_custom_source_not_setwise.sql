-- Repro facts21e/13 (after setup.sql and 00_fixture.psql; superuser session), low (performance,
-- a documented claim): a statement changing many rows of the table set with
-- set_candidate_source is not evaluated set-wise at all.  Each row's facts trigger runs
-- require_facts_table()'s SPI query on facts_source; its ExecutorStart (the new hook) evaluates
-- the changes recorded so far, i.e. the previous row's, alone (read_visits_one).  auto_explain
-- shows 4 one-change reads ("SELECT c.job_id, ...") and no set-wise read ("SELECT r.ord, ...").
SET workflow_ext.actor = 'user:x';
SET workflow_ext.tenant = 'org:a';
CREATE TABLE src (id bigint, org text, level int);
SELECT set_candidate_source('src', 'id', 'org');
INSERT INTO src SELECT g, 'org:a', 0 FROM generate_series(1, 4) g;
LOAD 'auto_explain';
SET auto_explain.log_min_duration = 0;
SET auto_explain.log_nested_statements = on;
SET auto_explain.log_level = notice;
SET client_min_messages = notice;
UPDATE src SET level = 2 WHERE id BETWEEN 1 AND 4;
