-- After the update (and again after pg_dump | psql): moves, rules, alerts,
-- facts and row-level security keep working on the data that 0.1.0 wrote.
-- Prints one "ok - …" or "not ok - …" line per check (updatecheck.py counts them).
\set ON_ERROR_STOP on
\set QUIET on
SET client_min_messages = warning;
SET workflow_ext.actor = 'user:ann';
CREATE TEMP VIEW st AS
SELECT w.name AS workflow, s.name AS stage, s.id FROM workflow_stage s JOIN workflow w ON w.id = s.workflow_id;
SELECT max(id) AS old_transition FROM stage_transition \gset
-- Facts come from hr_candidate since 0.1.0 made it the source.
INSERT INTO public.hr_candidate (id, name, years_experience, location) VALUES
    (102, 'Gus', 7, 'Berlin'), (105, 'Hal', 1, 'Oslo');

SELECT upgrade_check.ok(to_stage_name = 'Hired' AND transition_id > :old_transition,
                        'a candidate of 0.1.0 moves on (103: Onsite -> Hired), new history after the old')
  FROM move_to_next_stage(103, 1234);
SELECT upgrade_check.ok(status = 'hired', 'entering the hired stage sets the status')
  FROM candidate_stage WHERE job_id = 1234 AND candidate_id = 103;
SELECT upgrade_check.ok(to_stage_name = 'Phone screen', 'a reopened candidate passes the rule (102)')
  FROM move_to_next_stage(102, 1234);
SELECT id FROM add_candidate(105, 1234) \g /dev/null
SELECT upgrade_check.ok(upgrade_check.sqlstate('SELECT move_to_next_stage(105, 1234)') = '23514',
                        'a rule of 0.1.0 still blocks (23514)');
SELECT upgrade_check.ok(upgrade_check.sqlstate('SELECT move_to_next_stage(456, 1234)') = '55000',
                        'a hired candidate of 0.1.0 does not move (55000)');
SELECT upgrade_check.ok(upgrade_check.sqlstate('UPDATE stage_transition SET reason = ''rewritten''') <> 'ok',
                        'the history of 0.1.0 stays immutable');

INSERT INTO stage_rule (stage_id, name, condition, on_fail)
SELECT id, 'Hire only the senior', '{"all": [{"field": "years", "op": "gte", "value": 8}, {"field": "name", "op": "exists"}]}', 'warn'
  FROM st WHERE workflow = 'Designer' AND stage = 'Hired';
SELECT upgrade_check.ok(count(*) = 2, 'a new rule generates one alert per leaf')
  FROM alert a JOIN stage_rule r ON r.id = a.rule_id WHERE r.name = 'Hire only the senior';
UPDATE stage_rule SET condition = '{"field": "location", "op": "in", "value": ["Berlin", "Remote", "Oslo"], "ignore_case": true}'
 WHERE name = 'Experienced and local';
SELECT upgrade_check.ok(count(*) = 1, 'editing a rule of 0.1.0 regenerates its alerts')
  FROM alert a JOIN stage_rule r ON r.id = a.rule_id WHERE r.name = 'Experienced and local';
SELECT upgrade_check.ok(to_stage_name = 'Phone screen', 'the edited rule lets 105 through')
  FROM move_to_next_stage(105, 1234);

SELECT upgrade_check.ok(candidate_facts(201) ->> 'name' = 'Dana', 'facts still come from the custom source (hr_candidate)');
-- 203 entered the portfolio review under 0.1.0 and its agency alert fired
-- there.  After the update the facts trigger still sees that visit (a new
-- alert fires) and remembers what fired in it (the agency alert does not).
INSERT INTO alert (stage_id, field_name, operator, value, message)
SELECT id, 'name', 'eq', '"Fay"', 'Fay is in review' FROM st WHERE workflow = 'Designer' AND stage = 'Portfolio review';
SELECT count(*) AS events_203 FROM alert_event WHERE candidate_id = 203 \gset
UPDATE public.hr_candidate SET salary = salary + 1 WHERE id = 203;
SELECT upgrade_check.ok(count(*) = :events_203 + 1 AND count(*) FILTER (WHERE message = 'Fay is in review') = 1,
                        'in a stage visit of 0.1.0, a facts change raises a new alert once and the old ones not again')
  FROM alert_event WHERE candidate_id = 203;
SELECT upgrade_check.ok(condition_matches('{"field": "salary", "op": "between", "value": [65000, 65001]}', candidate_facts(201)),
                        'numeric facts of the custom source compare as numbers');
SELECT count(*) AS facts_events FROM alert_event WHERE candidate_id = 201 AND cause = 'facts' \gset
UPDATE public.hr_candidate SET years = 3 WHERE id = 201;
SELECT upgrade_check.ok(count(*) = :facts_events + 1, 'a facts change in the custom source raises the alert (201, years < 5)')
  FROM alert_event WHERE candidate_id = 201 AND cause = 'facts';
SELECT upgrade_check.ok(to_stage_name = 'Hired' AND alerts_raised = 1, 'a move into a stage with a new warn rule raises its failed leaf (201)')
  FROM move_to_stage(201, 5678, (SELECT id FROM st WHERE workflow = 'Designer' AND stage = 'Hired'));
SELECT upgrade_check.ok(acknowledged_by = 'user:ann', 'alert events of 0.1.0 are acknowledged')
  FROM acknowledge_alert((SELECT max(id) FROM alert_event WHERE acknowledged_at IS NULL));
SELECT clone_workflow((SELECT id FROM workflow WHERE name = 'Backend engineer'), 'Backend copy') \g /dev/null
SELECT upgrade_check.ok(count(*) = 2, 'a workflow of 0.1.0 clones with its rules')
  FROM stage_rule r JOIN workflow_stage s ON s.id = r.stage_id JOIN workflow w ON w.id = s.workflow_id
 WHERE w.name = 'Backend copy';
SELECT pg_sleep(0.01) \g /dev/null
SELECT upgrade_check.ok(raise_overdue_alerts() >= 1, 'the SLA sweep finds 102 overdue in the phone screen');

-- Row-level security as an application role.  From 0.2.0 on, facts are read
-- with the caller's rights, so the role needs to read the facts table.
GRANT SELECT ON public.hr_candidate TO wf_upgrade_app;
-- From 0.3.0 the extension grants PUBLIC nothing: after the update the
-- application grants its role the README's set (README: Privileges, Upgrading).
\i test/sql/include/app_grants.psql
DO $$ BEGIN
    EXECUTE (SELECT 'GRANT workflow_app TO ' || string_agg(quote_ident(rolname), ', ')
               FROM pg_roles WHERE rolname IN ('wf_upgrade_app', 'wf_upgrade_owner', 'wf_upgrade_grantee'));
END $$;
SET ROLE wf_upgrade_app;
SET workflow_ext.actor = 'user:eve';
SELECT upgrade_check.ok(count(*) = 0, 'an outsider sees no workflow of 0.1.0') FROM workflow;
SELECT upgrade_check.ok(count(*) = 0, 'an outsider sees no history of 0.1.0') FROM stage_transition;
SET workflow_ext.actor = 'user:cy';
SELECT upgrade_check.ok(count(*) = 2, 'a grantee of 0.1.0 sees the two shared workflows') FROM workflow_with_stages;
SELECT upgrade_check.ok(upgrade_check.sqlstate(format('INSERT INTO workflow_stage (workflow_id, name, position) VALUES (%s, ''x'', 9)',
                            (SELECT id FROM workflow WHERE name = 'Designer'))) = '42501',
                        'a read-only grantee of 0.1.0 cannot edit');
SET workflow_ext.actor = 'user:ben';
SELECT upgrade_check.ok(to_stage_name = 'Onsite', 'an editing grantee of 0.1.0 moves candidates (105)')
  FROM move_to_next_stage(105, 1234);
RESET ROLE;
