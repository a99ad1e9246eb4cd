-- attack10 D5: another tenant's rules (ids, and the JSON paths of their conditions' leaves) can be
-- told apart from nothing, from one's own stage. alert's unique key (rule_id, rule_path) is probed
-- when the row goes in, before alert_rule_fk (rule_id, stage_id) -> stage_rule is checked at the
-- end of the statement, and row-level security checks only the alert's stage (the caller's own).
-- So, with rule 1 = org:a's rule on its stage 2 (one leaf: its generated alert has path '$'):
--   org:c INSERT alert (own stage, rule_id 1, rule_path '$')          -> 23505 alert_rule_path_key
--   org:c INSERT alert (own stage, rule_id 1, rule_path '$.all[0]')   -> 23503 alert_rule_fk
--   org:c INSERT alert (own stage, rule_id 99, rule_path '$')         -> 23503 alert_rule_fk
--   ... ON CONFLICT (rule_id, rule_path) DO NOTHING                   -> INSERT 0 0 vs 23503
--   org:c UPDATE its own alert SET rule_id = 1, rule_path = '$'       -> 23505 vs 23503
-- Expected: the same answer (23503, the foreign key's) whatever another tenant has.
-- Probing paths ('$.all[0]', '$.all[1]', '$.any[2].not', ...) maps the structure of another
-- tenant's rule conditions (its private workflow's too: rule 1 could be any tenant's).
-- Fixed on branch attack10 (alert_validate checks the rule is the stage's first; test attack10 section 3).
-- Run from the worktree root on a fresh database.
\o /dev/null
\i test/repros/attack10/00_fixture.sql
\o
\set VERBOSITY verbose
\set SHOW_CONTEXT never
SET ROLE app;
SET workflow_ext.tenant = 'org:c'; SET workflow_ext.actor = 'user:cat';
INSERT INTO alert (stage_id, field_name, operator, value, message, rule_id, rule_path) VALUES (9, 'years', '>=', '3', 'm', 1, '$');
-- actual: 23505 duplicate key value violates unique constraint "alert_rule_path_key"   expected: 23503 alert_rule_fk
INSERT INTO alert (stage_id, field_name, operator, value, message, rule_id, rule_path) VALUES (9, 'years', '>=', '3', 'm', 1, '$.all[0]');
-- 23503 alert_rule_fk (no such path in rule 1)
INSERT INTO alert (stage_id, field_name, operator, value, message, rule_id, rule_path) VALUES (9, 'years', '>=', '3', 'm', 99, '$');
-- 23503 alert_rule_fk (no rule 99)
INSERT INTO alert (stage_id, field_name, operator, value, message, rule_id, rule_path) VALUES (9, 'years', '>=', '3', 'm', 1, '$')
    ON CONFLICT (rule_id, rule_path) DO NOTHING;
-- actual: INSERT 0 0   expected: 23503
INSERT INTO alert (stage_id, field_name, operator, value, message, rule_id, rule_path) VALUES (9, 'years', '>=', '3', 'm', 99, '$')
    ON CONFLICT (rule_id, rule_path) DO NOTHING;
-- 23503
UPDATE alert SET rule_id = 1, rule_path = '$' WHERE stage_id = 10;
-- actual: 23505   expected: 23503
UPDATE alert SET rule_id = 99, rule_path = '$' WHERE stage_id = 10;
-- 23503
RESET ROLE;
