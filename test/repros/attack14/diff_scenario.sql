-- Differential scenario (attack14): run as the superuser in a fresh database
-- with the extension installed; the application role wf14_app plays two
-- tenants with the same ids.  Spies: triggers of the owner and of the
-- application role on the extension's tables, and a restrictive policy
-- function, report current_setting('enable_seqscan').
\set VERBOSITY default
SET client_min_messages = notice;
\i test/sql/include/app_grants.psql
SET client_min_messages = warning;
DROP ROLE IF EXISTS wf14_app;
RESET client_min_messages;
CREATE ROLE wf14_app;
GRANT workflow_app TO wf14_app;
CREATE TABLE public.seen (id serial, who text, setting text);
GRANT ALL ON public.seen, public.seen_id_seq TO PUBLIC;
CREATE FUNCTION public.spy_trigger() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO public.seen (who, setting) VALUES (TG_TABLE_NAME || ':' || TG_NAME || ':' || TG_WHEN || ':' || TG_LEVEL,
                                                 current_setting('enable_seqscan'));
  RETURN CASE WHEN TG_LEVEL = 'ROW' AND TG_OP <> 'DELETE' THEN NEW WHEN TG_LEVEL = 'ROW' THEN OLD END;
END $$;
CREATE FUNCTION public.spy_policy(t text) RETURNS boolean LANGUAGE plpgsql STABLE AS $$
BEGIN
  IF current_setting('enable_seqscan') <> 'on' THEN
    RAISE NOTICE 'policy % sees enable_seqscan = %', t, current_setting('enable_seqscan');
  END IF;
  RETURN true;
END $$;
-- triggers of the owner
CREATE TRIGGER z_spy_before BEFORE INSERT OR UPDATE ON candidate_stage FOR EACH ROW EXECUTE FUNCTION public.spy_trigger();
CREATE TRIGGER z_spy_after AFTER INSERT OR UPDATE OR DELETE ON candidate_stage FOR EACH ROW EXECUTE FUNCTION public.spy_trigger();
CREATE TRIGGER z_spy_hist AFTER INSERT ON stage_transition FOR EACH ROW EXECUTE FUNCTION public.spy_trigger();
CREATE TRIGGER z_spy_ev AFTER INSERT ON alert_event FOR EACH ROW EXECUTE FUNCTION public.spy_trigger();
CREATE TRIGGER z_spy_visit AFTER INSERT OR UPDATE ON stage_visit_row FOR EACH ROW EXECUTE FUNCTION public.spy_trigger();
CREATE TRIGGER z_spy_prof AFTER UPDATE ON candidate_profile FOR EACH STATEMENT EXECUTE FUNCTION public.spy_trigger();
-- a restrictive policy of mine whose function is STABLE (the planner may run it)
CREATE POLICY z_spy ON candidate_stage AS RESTRICTIVE USING (public.spy_policy('candidate_stage'));
CREATE POLICY z_spy ON alert_event AS RESTRICTIVE USING (public.spy_policy('alert_event'));
CREATE POLICY z_spy ON stage_transition AS RESTRICTIVE USING (public.spy_policy('stage_transition'));

LISTEN workflow_events;
SET ROLE wf14_app;
SET workflow_ext.actor = 'user:kim';
SELECT set_config('workflow_ext.tenant', t, false), set_config('workflow_ext.tenant_admin', 'on', false) FROM (VALUES ('org:a')) v(t) \gset
\set tenant org:a
\ir diff_tenant.psql
SELECT set_config('workflow_ext.tenant', 'org:b', false);
\set tenant org:b
\ir diff_tenant.psql
RESET ROLE;
-- the SLA sweep as the superuser
UPDATE workflow_stage SET sla = interval '1 second';
SELECT pg_sleep(1.1);
SELECT raise_overdue_alerts() AS swept;
SELECT raise_overdue_alerts() AS swept_again;
SELECT who, setting, count(*) FROM public.seen GROUP BY 1, 2 ORDER BY 1, 2;
\ir diff_md5.psql
