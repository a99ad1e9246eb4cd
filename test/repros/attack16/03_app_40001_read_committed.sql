-- attack16 #3 (low, fixed with #2): at READ COMMITTED an application
-- trigger's 40001 (or any 40001 that is not REPEATABLE READ's "row changed
-- since the snapshot") was one candidate's 'refused' row with an invented
-- DETAIL {"reason": "concurrent_update"}; reject_candidate() raises it.
-- Now raised (the whole call), as the single function.  Setup: test/repros/attack16/00_setup.sql
-- (as superuser: the trigger is the application's, the role has no TRIGGER right).
CREATE FUNCTION public.a16_40001() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.status = 'rejected' AND NEW.candidate_id = 2 THEN
    RAISE EXCEPTION 'application 40001' USING ERRCODE = '40001';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER zz_a16_40001 BEFORE UPDATE ON candidate_stage FOR EACH ROW EXECUTE FUNCTION public.a16_40001();
SET ROLE a16_app;
SET workflow_ext.tenant = 'org:a';
SET workflow_ext.actor = 'user:ann';
BEGIN;
SELECT candidate_id, outcome, sqlstate, detail FROM reject_candidates(100, ARRAY[1, 2, 3]);
-- before the fix: 1 rejected, 2 refused 40001 {"reason": "concurrent_update"}, 3 rejected
ROLLBACK;
RESET ROLE;
DROP TRIGGER zz_a16_40001 ON candidate_stage;
DROP FUNCTION public.a16_40001();
