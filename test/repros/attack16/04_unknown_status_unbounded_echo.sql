-- attack16 #4 (low, not fixed): newcomer8's 22023 unknown_status in
-- set_candidate_status() copies the caller's status whole into the message
-- and the DETAIL (and so the server log): a 100,000-character status gives a
-- ~200 KB error.  DESIGN 6 bounds what a DETAIL copies from rules and facts
-- (64 KB); other API errors quote bounded values.  The message also says
-- "is not one of active, rejected, withdrawn" while hired and transferred
-- pass this check (the guard then refuses them with 55000 hired_by_stage /
-- transfer_by_function).  Setup: test/repros/attack16/00_setup.sql.
SET ROLE a16_app;
SET workflow_ext.tenant = 'org:a';
SET workflow_ext.actor = 'user:ann';
DO $$
DECLARE m text; d text;
BEGIN
    PERFORM set_candidate_status(1, 100, repeat('x', 100000), NULL);
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS m = MESSAGE_TEXT, d = PG_EXCEPTION_DETAIL;
    RAISE NOTICE 'message % chars, detail % chars', length(m), length(d);
END $$;
-- NOTICE:  message 100061 chars, detail 100054 chars (or so)
RESET ROLE;
