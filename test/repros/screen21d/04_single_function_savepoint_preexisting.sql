-- Not new in screen21d (main answers the same): with ONE C function per
-- statement, the kept generation outlives a savepoint rolled back after a
-- catalog-only change, as 01 shows for two functions.  The README's "right
-- ... in a rolled-back one" holds only when the rolled-back work created
-- relation files (their unlinking at abort sends shared invalidations).
\set VERBOSITY terse
CREATE EXTENSION workflow_ext VERSION '0.2.0';
BEGIN;
SAVEPOINT s;
ALTER TABLE candidate_stage ADD COLUMN tenant text;
SELECT current_actor() AS inside;                    -- role:<oid> (0.3.0's code: right)
ROLLBACK TO SAVEPOINT s;
SELECT current_actor() = current_user AS served_by_020;   -- want t; main and screen21d: f
COMMIT;
