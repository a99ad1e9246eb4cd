-- Putting actors into one organization: after an update from 0.2.0 every
-- actor is its own tenant; merge_into_tenant() moves the rows of chosen
-- actors' tenants into one tenant (README: Upgrading).
--
-- It runs as the tables' owner, in replica mode (session_replication_role):
-- the row triggers that stamp and guard tenants, owners, history and
-- pipeline rows are ordinary (ORIGIN) triggers and do not fire, so the
-- stored rows change in nothing but their tenant -- no updated_at, no
-- assigned_by, no history row, no re-evaluation.  Foreign keys are not
-- checked in replica mode either: every row of a tenant moves, in one
-- transaction, so a pipeline row and its job's assignment move together.
-- The rows it leaves in place (other tenants') are not touched.
CREATE FUNCTION merge_into_tenant(tenant text, actors text[])
    RETURNS TABLE (table_name text, rows_moved bigint, rows_removed bigint)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    target text := $1;
    merged text[];
    everyone text[];
    t record;
    ix record;
    keys text;
    nonnull_keys text;
    found_conflicts jsonb := '[]';
    batch jsonb;
    listed text;
    n bigint;
    saved_role text;
    moved jsonb := '{}';
    removed bigint := 0;
BEGIN
    PERFORM @extschema@.current_tenant();   -- (asks for the actor too: require_actor, require_tenant)
    IF NOT (SELECT r.rolsuper FROM pg_roles r WHERE r.rolname = @extschema@.invoking_role())
       AND NOT pg_has_role(@extschema@.invoking_role(),
                           (SELECT d.datdba FROM pg_database d WHERE d.datname = current_database()),
                           'MEMBER') THEN
        RAISE EXCEPTION 'only a superuser or the database owner can merge tenants'
            USING ERRCODE = '42501',
                  DETAIL = '{"reason": "not_database_owner"}';
    END IF;
    -- Its locks are taken after the transaction's snapshot at REPEATABLE READ
    -- and above: rows committed meanwhile would be left behind.
    IF current_setting('transaction_isolation') <> 'read committed' THEN
        RAISE EXCEPTION 'merge_into_tenant runs at READ COMMITTED, not %', current_setting('transaction_isolation')
            USING ERRCODE = '25001', DETAIL = '{"reason": "isolation_level"}';
    END IF;
    IF target IS NULL OR @extschema@.blank_identity(target) THEN
        RAISE EXCEPTION 'tenant must name the organization to merge into'
            USING ERRCODE = '22023', DETAIL = '{"reason": "invalid_tenant"}';
    END IF;
    IF $2 IS NULL OR cardinality($2) = 0
       OR EXISTS (SELECT 1 FROM unnest($2) a WHERE a IS NULL OR @extschema@.blank_identity(a)) THEN
        RAISE EXCEPTION 'actors must list the tenants to merge, none of them NULL or blank'
            USING ERRCODE = '22023', DETAIL = '{"reason": "invalid_actors"}';
    END IF;
    -- The tenants whose rows move; the target keeps its own rows.
    SELECT coalesce(array_agg(DISTINCT a ORDER BY a), '{}') INTO merged
      FROM unnest($2) a WHERE a <> target;
    everyone := merged || target;

    -- No write to these tenants while they merge (reads go on).
    FOR t IN SELECT c.oid::regclass AS rel
               FROM pg_class c
               JOIN pg_depend d ON d.classid = 'pg_class'::regclass AND d.objid = c.oid
                               AND d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e'
               JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'workflow_ext'
              WHERE c.relkind IN ('r', 'p')
                AND EXISTS (SELECT 1 FROM pg_attribute a
                             WHERE a.attrelid = c.oid AND a.attname = 'tenant' AND NOT a.attisdropped)
              ORDER BY c.relname LOOP
        EXECUTE format('LOCK TABLE %s IN EXCLUSIVE MODE', t.rel);
    END LOOP;

    -- Ids are the application's within a tenant: the same job, candidate or
    -- pipeline id in two of the tenants merged is two different things that
    -- one tenant cannot hold.  Every unique key that the tenant leads is
    -- checked, and all conflicts are named at once.
    FOR ix IN SELECT i.indexrelid, i.indrelid::regclass AS rel, c.relname,
                     pg_get_expr(i.indpred, i.indrelid) AS pred,
                     i.indnullsnotdistinct AS nulls_not_distinct,
                     array_agg(a.attname ORDER BY k.ord) FILTER (WHERE a.attname <> 'tenant') AS cols
                FROM pg_index i
                JOIN pg_class c ON c.oid = i.indrelid
                JOIN pg_depend d ON d.classid = 'pg_class'::regclass AND d.objid = c.oid
                                AND d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e'
                JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'workflow_ext'
                CROSS JOIN LATERAL unnest(i.indkey::int2[]) WITH ORDINALITY k(attnum, ord)
                LEFT JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
               WHERE i.indisunique AND i.indexprs IS NULL AND k.ord <= i.indnkeyatts
               GROUP BY i.indexrelid, i.indrelid, c.relname, i.indpred, i.indnullsnotdistinct
              HAVING bool_or(a.attname = 'tenant') AND count(*) FILTER (WHERE a.attname <> 'tenant') > 0
              ORDER BY c.relname, i.indexrelid LOOP
        SELECT string_agg(format('%I', col), ', '),
               string_agg(format('%I IS NOT NULL', col), ' AND ')
          INTO keys, nonnull_keys
          FROM unnest(ix.cols) col;
        EXECUTE format('SELECT coalesce(jsonb_agg(x), ''[]'') FROM ('
                       'SELECT jsonb_build_object(''table'', %L, ''key'', to_jsonb(k) - ''tenants'', '
                       '''tenants'', k.tenants) AS x FROM ('
                       'SELECT %s, array_agg(DISTINCT r.tenant ORDER BY r.tenant) AS tenants '
                       'FROM %s r WHERE r.tenant = ANY ($1)%s%s '
                       'GROUP BY %s HAVING count(DISTINCT r.tenant) > 1 ORDER BY %s) k) q',
                       ix.relname, keys, ix.rel,
                       CASE WHEN ix.nulls_not_distinct THEN '' ELSE ' AND ' || nonnull_keys END,
                       coalesce(' AND (' || ix.pred || ')', ''), keys, keys)
           INTO batch USING everyone;
        -- Two unique keys of one table may report the same ids.
        found_conflicts := found_conflicts
            || coalesce((SELECT jsonb_agg(b) FROM jsonb_array_elements(batch) b
                          WHERE NOT found_conflicts @> jsonb_build_array(b)), '[]');
    END LOOP;
    IF jsonb_array_length(found_conflicts) > 0 THEN
        SELECT string_agg(format('%s %s (%s)', c->>'table',
                                 (SELECT string_agg(format('%s %s', k.key, k.value), ', ')
                                    FROM jsonb_each_text(c->'key') k),
                                 (SELECT string_agg(v, ', ') FROM jsonb_array_elements_text(c->'tenants') v)),
                          '; ')
          INTO listed
          FROM (SELECT c FROM jsonb_array_elements(found_conflicts) c LIMIT 20) s;
        RAISE EXCEPTION 'cannot merge into tenant %: ids used by more than one of the tenants merged: %',
                        target, listed
                        || CASE WHEN jsonb_array_length(found_conflicts) > 20
                                THEN format(' and %s more', jsonb_array_length(found_conflicts) - 20) ELSE '' END
            USING ERRCODE = '23505',
                  DETAIL = jsonb_build_object('reason', 'tenant_merge_conflict',
                                              'tenant', target, 'conflicts', found_conflicts)::text,
                  HINT = 'Ids are the application''s within a tenant: renumber the jobs or candidates of one tenant in the application (and here), then merge.';
    END IF;

    saved_role := current_setting('session_replication_role');
    PERFORM set_config('session_replication_role', 'replica', true);

    -- Shares to a merged tenant become shares within the new one: a share
    -- with an actor of it stays with that actor; a share with the whole of
    -- a merged tenant (each actor its own tenant) becomes a share with that
    -- actor, so nobody sees more than before.  Shares that now say the same
    -- thing become one: an accepted one if any was accepted, else a declined
    -- one, else an offer (the grantee's answer holds), the oldest of those,
    -- with can_edit if any of those had it.  An offer stays an offer.
    WITH m AS (
        SELECT s.id, s.workflow_id, s.can_edit,
               CASE WHEN s.accepted_at IS NOT NULL THEN 0 WHEN s.declined_at IS NOT NULL THEN 1 ELSE 2 END AS answer,
               CASE WHEN s.grantee_tenant = ANY (merged) THEN target ELSE s.grantee_tenant END AS gt,
               CASE WHEN s.grantee_tenant = ANY (merged) THEN coalesce(s.grantee, s.grantee_tenant)
                    ELSE s.grantee END AS g
          FROM @extschema@.workflow_share s
         WHERE s.grantee_tenant = ANY (everyone)
    ), b AS (
        SELECT m.*, min(m.answer) OVER (PARTITION BY m.workflow_id, m.gt, m.g) AS best FROM m
    ), g AS (
        SELECT b.workflow_id, b.gt, b.g, min(b.id) AS keep, bool_or(b.can_edit) AS can_edit
          FROM b WHERE b.answer = b.best GROUP BY b.workflow_id, b.gt, b.g HAVING count(*) > 1
    )
    UPDATE @extschema@.workflow_share s SET can_edit = true
      FROM g WHERE s.id = g.keep AND g.can_edit AND NOT s.can_edit;
    WITH m AS (
        SELECT s.id, s.workflow_id,
               CASE WHEN s.accepted_at IS NOT NULL THEN 0 WHEN s.declined_at IS NOT NULL THEN 1 ELSE 2 END AS answer,
               CASE WHEN s.grantee_tenant = ANY (merged) THEN target ELSE s.grantee_tenant END AS gt,
               CASE WHEN s.grantee_tenant = ANY (merged) THEN coalesce(s.grantee, s.grantee_tenant)
                    ELSE s.grantee END AS g
          FROM @extschema@.workflow_share s
         WHERE s.grantee_tenant = ANY (everyone)
    ), b AS (
        SELECT m.*, min(m.answer) OVER (PARTITION BY m.workflow_id, m.gt, m.g) AS best FROM m
    ), g AS (
        SELECT b.workflow_id, b.gt, b.g, min(b.id) AS keep
          FROM b WHERE b.answer = b.best GROUP BY b.workflow_id, b.gt, b.g
    )
    DELETE FROM @extschema@.workflow_share s
     USING m JOIN g ON g.workflow_id = m.workflow_id AND g.gt = m.gt AND g.g IS NOT DISTINCT FROM m.g
     WHERE s.id = m.id AND m.id <> g.keep;
    GET DIAGNOSTICS removed = ROW_COUNT;
    UPDATE @extschema@.workflow_share s
       SET grantee_tenant = target, grantee = coalesce(s.grantee, s.grantee_tenant)
     WHERE s.grantee_tenant = ANY (merged);

    -- Every row of the merged tenants, in every table that has a tenant.
    FOR t IN SELECT c.oid::regclass AS rel, c.relname
               FROM pg_class c
               JOIN pg_depend d ON d.classid = 'pg_class'::regclass AND d.objid = c.oid
                               AND d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e'
               JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'workflow_ext'
              WHERE c.relkind IN ('r', 'p')
                AND EXISTS (SELECT 1 FROM pg_attribute a
                             WHERE a.attrelid = c.oid AND a.attname = 'tenant' AND NOT a.attisdropped)
              ORDER BY c.relname LOOP
        EXECUTE format('UPDATE %s r SET tenant = $1 WHERE r.tenant = ANY ($2)', t.rel)
          USING target, merged;
        GET DIAGNOSTICS n = ROW_COUNT;
        moved := moved || jsonb_build_object(t.relname, n);
    END LOOP;

    -- A share with the workflow's own owner, in its own tenant, is ownership.
    DELETE FROM @extschema@.workflow_share s
     USING @extschema@.workflow w
     WHERE w.id = s.workflow_id AND w.tenant = target
       AND s.grantee_tenant = w.tenant AND s.grantee = w.owner;
    GET DIAGNOSTICS n = ROW_COUNT;
    removed := removed + n;

    PERFORM set_config('session_replication_role', saved_role, true);
    -- What the backends cached of these workflows (their tenant, whether
    -- they are shared across tenants) is stale: the statement triggers say so.
    UPDATE @extschema@.workflow_stage x SET id = x.id WHERE false;
    UPDATE @extschema@.workflow_share x SET id = x.id WHERE false;

    IF EXISTS (SELECT 1 FROM @extschema@.facts_source f WHERE f.tenant_column IS NOT NULL) THEN
        RAISE WARNING 'the facts source table names its tenants itself: update its tenant column from % to %',
                      array_to_string(merged, ', '), target
            USING DETAIL = '{"reason": "facts_source_tenant_column"}';
    END IF;

    RETURN QUERY
        SELECT x.k, x.v::bigint, CASE WHEN x.k = 'workflow_share' THEN removed ELSE 0 END
          FROM jsonb_each_text(moved) x(k, v)
         ORDER BY x.k;
END $$;
COMMENT ON FUNCTION merge_into_tenant(text, text[]) IS
    'Puts actors into one organization: every row of the tenants named in actors (after an update from 0.2.0, each actor is its own tenant) moves to tenant, in one transaction; a share with one of them becomes a share with that actor within the tenant (a share with the whole of its tenant too: nobody sees more than before), shares that now say the same thing become one (accepted if any was, else declined if any was, else an offer; can_edit if any of those had it), a share with the workflow''s own owner goes. Refuses with 23505, naming the ids, when two of the tenants use the same job, candidate or pipeline id (renumber first). Superuser or database owner only (42501). Returns the rows moved (and shares removed) per table.';
