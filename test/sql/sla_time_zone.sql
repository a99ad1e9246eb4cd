-- The SLA sweep's verdict does not depend on the session's TimeZone: a visit
-- is overdue when entered_at + sla has passed on the UTC calendar.  The zone
-- TST-1TDT below turns its clocks back 30 days ago (POSIX rule, Julian days
-- counted from today), so "60 days" after an entry 60 days and a minute ago
-- is an hour later there than in UTC: before the fix, UTC saw the visit
-- overdue and that zone did not.
\set SHOW_CONTEXT never
SET workflow_ext.actor = 'user:sla';
SELECT test_workflow('SLA zones', 2) AS wid \gset
SELECT job_id FROM assign_workflow(71020, :wid);
UPDATE workflow_stage SET sla = '60 days' WHERE id = test_stage(:wid, 1);
SELECT (add_candidate(c, 71020)).candidate_id FROM generate_series(92, 95) c;
SET session_replication_role = replica;   -- age the visits without firing the triggers
UPDATE candidate_stage
   SET entered_at = ((now() AT TIME ZONE 'UTC') - interval '60 days 1 minute') AT TIME ZONE 'UTC'
 WHERE job_id = 71020;
RESET session_replication_role;
SELECT format('TST-1TDT,J%s/2,J%s/2',
              least(extract(doy FROM now() - interval '150 days')::int, 365),
              least(extract(doy FROM now() - interval '30 days')::int, 365)) AS zone \gset
-- The zone does turn back an hour within the visit:
SET TimeZone = :'zone';
SELECT (SELECT entered_at + interval '60 days' FROM candidate_stage WHERE candidate_id = 92)
       - ((SELECT entered_at FROM candidate_stage WHERE candidate_id = 92) AT TIME ZONE 'UTC' + interval '60 days')
           AT TIME ZONE 'UTC' AS local_minus_utc;

-- Each zone sweeps one candidate's visit, all overdue.
BEGIN;
SET LOCAL TimeZone = :'zone';
SELECT raise_overdue_alerts() AS raised_in_turning_zone;
ROLLBACK;
BEGIN;
SET LOCAL TimeZone = 'America/New_York';
SELECT raise_overdue_alerts() AS raised_in_new_york;
ROLLBACK;
BEGIN;
SET LOCAL TimeZone = 'Europe/Berlin';
SELECT raise_overdue_alerts() AS raised_in_berlin;
ROLLBACK;
SET TimeZone = 'UTC';
SELECT raise_overdue_alerts() AS raised_in_utc;
-- The message prints the sla the same whatever the session's IntervalStyle.
SET IntervalStyle = iso_8601;
SELECT DISTINCT message FROM alert_event WHERE job_id = 71020;
RESET IntervalStyle;
RESET TimeZone;
