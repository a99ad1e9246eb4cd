-- Everything workflow_ext is in the catalogs of the current database, one line
-- per fact, "category <TAB> object <TAB> detail", sorted, with no OIDs, so two
-- databases compare with diff: the upgraded one and a fresh install.
--
-- The objects are the extension's members (pg_depend 'e') and what belongs to
-- its tables: columns, constraints, indexes, policies, triggers, rules.  For
-- each: its definition (types, defaults, NOT NULL, column order, constraint and
-- index definitions, policy expressions and roles, trigger definition and
-- enabled state, view query and options, sequence parameters, function
-- signature, defaults, language, SECURITY DEFINER, volatility, parallel
-- safety, strictness, cost, SET options and source), its comment, its
-- privileges (ACL), its initial privileges (pg_init_privs, what pg_dump
-- compares against) and the extension's pg_extension_config_dump entries.
\set QUIET on
\pset format unaligned
\pset tuples_only on
\pset fieldsep '\t'
WITH ext AS (
    SELECT e.oid, e.extname, e.extnamespace, e.extrelocatable, e.extversion, e.extconfig, e.extcondition
      FROM pg_extension e WHERE e.extname = 'workflow_ext'
), members AS (
    SELECT d.classid, d.objid, d.objsubid
      FROM pg_depend d JOIN ext ON d.refobjid = ext.oid
     WHERE d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e'
), rels AS (                      -- member relations, and the relations of member composite types
    SELECT c.oid FROM pg_class c JOIN members m ON m.classid = 'pg_class'::regclass AND m.objid = c.oid
    UNION
    SELECT t.typrelid FROM pg_type t JOIN members m ON m.classid = 'pg_type'::regclass AND m.objid = t.oid
     WHERE t.typrelid <> 0
), objs AS (
    SELECT classid, objid, objsubid FROM members
    UNION SELECT 'pg_class'::regclass, a.attrelid, a.attnum
            FROM pg_attribute a JOIN rels ON rels.oid = a.attrelid WHERE a.attnum > 0 AND NOT a.attisdropped
    UNION SELECT 'pg_constraint'::regclass, co.oid, 0
            FROM pg_constraint co
           WHERE co.conrelid IN (SELECT oid FROM rels)
              OR co.contypid IN (SELECT objid FROM members WHERE classid = 'pg_type'::regclass)
    UNION SELECT 'pg_class'::regclass, i.indexrelid, 0 FROM pg_index i JOIN rels ON rels.oid = i.indrelid
    UNION SELECT 'pg_policy'::regclass, p.oid, 0 FROM pg_policy p JOIN rels ON rels.oid = p.polrelid
    UNION SELECT 'pg_trigger'::regclass, t.oid, 0 FROM pg_trigger t JOIN rels ON rels.oid = t.tgrelid
           WHERE NOT t.tgisinternal
    UNION SELECT 'pg_rewrite'::regclass, r.oid, 0 FROM pg_rewrite r JOIN rels ON rels.oid = r.ev_class
), named AS (
    SELECT o.classid, o.objid, o.objsubid, i.type || ' ' || i.identity AS name
      FROM objs o, LATERAL pg_identify_object(o.classid, o.objid, o.objsubid) i
), facts(category, object, detail) AS (
    SELECT 'extension', x.extname::text, format('version %s, relocatable %s, schema %s', x.extversion, x.extrelocatable, x.extnamespace::regnamespace)
      FROM ext x
    UNION ALL
    SELECT 'object', n.name, CASE WHEN m.objid IS NULL THEN 'part of a member' ELSE 'extension member' END
      FROM named n LEFT JOIN members m USING (classid, objid, objsubid)
    UNION ALL
    SELECT 'comment', n.name, coalesce(d.description, '(none)')
      FROM named n LEFT JOIN pg_description d
        ON d.classoid = n.classid AND d.objoid = n.objid AND d.objsubid = n.objsubid
    UNION ALL
    SELECT 'relation', c.relname,
           format('kind %s, persistence %s, owner %s, row security %s, forced %s, options %s',
                  c.relkind, c.relpersistence, c.relowner::regrole, c.relrowsecurity, c.relforcerowsecurity,
                  coalesce(array_to_string(c.reloptions, ','), '-'))
      FROM pg_class c JOIN rels ON rels.oid = c.oid
    UNION ALL
    SELECT 'column', c.relname || '.' || a.attname,
           format('#%s %s%s%s%s%s%s',
                  row_number() OVER (PARTITION BY a.attrelid ORDER BY a.attnum),
                  format_type(a.atttypid, a.atttypmod),
                  CASE WHEN a.attnotnull THEN ' NOT NULL' ELSE '' END,
                  coalesce(' DEFAULT ' || pg_get_expr(ad.adbin, ad.adrelid), ''),
                  CASE WHEN a.attidentity <> '' THEN ' IDENTITY ' || a.attidentity::text ELSE '' END,
                  CASE WHEN a.attgenerated <> '' THEN ' GENERATED ' || a.attgenerated::text ELSE '' END,
                  CASE WHEN a.attcollation <> 0 AND a.attcollation <> 'default'::regcollation
                       THEN ' COLLATE ' || a.attcollation::regcollation ELSE '' END)
      FROM pg_attribute a JOIN rels ON rels.oid = a.attrelid JOIN pg_class c ON c.oid = a.attrelid
      LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
     WHERE a.attnum > 0 AND NOT a.attisdropped
    UNION ALL
    SELECT 'constraint', coalesce(c.relname, co.contypid::regtype::text) || '.' || co.conname,
           pg_get_constraintdef(co.oid)
      FROM pg_constraint co LEFT JOIN pg_class c ON c.oid = co.conrelid
     WHERE co.oid IN (SELECT objid FROM objs WHERE classid = 'pg_constraint'::regclass)
    UNION ALL
    SELECT 'index', ic.relname, pg_get_indexdef(i.indexrelid)
           || CASE WHEN i.indisclustered THEN ' CLUSTERED' ELSE '' END
           || CASE WHEN i.indisreplident THEN ' REPLICA IDENTITY' ELSE '' END
      FROM pg_index i JOIN rels ON rels.oid = i.indrelid JOIN pg_class ic ON ic.oid = i.indexrelid
    UNION ALL
    SELECT 'policy', c.relname || '.' || p.polname,
           format('%s %s TO %s USING (%s) WITH CHECK (%s)',
                  CASE WHEN p.polpermissive THEN 'PERMISSIVE' ELSE 'RESTRICTIVE' END,
                  CASE p.polcmd WHEN 'r' THEN 'SELECT' WHEN 'a' THEN 'INSERT' WHEN 'w' THEN 'UPDATE'
                                WHEN 'd' THEN 'DELETE' ELSE 'ALL' END,
                  (SELECT string_agg(CASE WHEN r = 0 THEN 'PUBLIC' ELSE r::regrole::text END, ',' ORDER BY 1)
                     FROM unnest(p.polroles) r),
                  coalesce(pg_get_expr(p.polqual, p.polrelid), '-'),
                  coalesce(pg_get_expr(p.polwithcheck, p.polrelid), '-'))
      FROM pg_policy p JOIN rels ON rels.oid = p.polrelid JOIN pg_class c ON c.oid = p.polrelid
    UNION ALL
    SELECT 'trigger', c.relname || '.' || t.tgname, pg_get_triggerdef(t.oid) || ' ENABLED ' || t.tgenabled::text
      FROM pg_trigger t JOIN rels ON rels.oid = t.tgrelid JOIN pg_class c ON c.oid = t.tgrelid
     WHERE NOT t.tgisinternal
    UNION ALL
    SELECT 'rule', c.relname || '.' || r.rulename,
           CASE WHEN r.rulename = '_RETURN' THEN pg_get_viewdef(c.oid) ELSE pg_get_ruledef(r.oid) END
           || ' ENABLED ' || r.ev_enabled::text
      FROM pg_rewrite r JOIN rels ON rels.oid = r.ev_class JOIN pg_class c ON c.oid = r.ev_class
    UNION ALL
    SELECT 'sequence', c.relname,
           format('%s start %s increment %s min %s max %s cache %s cycle %s, owned by %s',
                  s.seqtypid::regtype, s.seqstart, s.seqincrement, s.seqmin, s.seqmax, s.seqcache, s.seqcycle,
                  coalesce((SELECT d.refobjid::regclass || '.' || a.attname
                              FROM pg_depend d JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
                             WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid
                               AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')), '-'))
      FROM pg_sequence s JOIN rels ON rels.oid = s.seqrelid JOIN pg_class c ON c.oid = s.seqrelid
    UNION ALL
    SELECT 'function', p.oid::regprocedure::text,
           format('%s (%s) RETURNS %s LANGUAGE %s%s %s PARALLEL %s%s%s COST %s ROWS %s SET %s OWNER %s BIN %s SOURCE md5:%s',
                  CASE p.prokind WHEN 'f' THEN 'FUNCTION' WHEN 'p' THEN 'PROCEDURE' WHEN 'a' THEN 'AGGREGATE' ELSE 'WINDOW' END,
                  pg_get_function_arguments(p.oid), coalesce(pg_get_function_result(p.oid), '-'),
                  l.lanname,
                  CASE WHEN p.prosecdef THEN ' SECURITY DEFINER' ELSE '' END,
                  CASE p.provolatile WHEN 'i' THEN 'IMMUTABLE' WHEN 's' THEN 'STABLE' ELSE 'VOLATILE' END,
                  CASE p.proparallel WHEN 's' THEN 'SAFE' WHEN 'r' THEN 'RESTRICTED' ELSE 'UNSAFE' END,
                  CASE WHEN p.proisstrict THEN ' STRICT' ELSE '' END,
                  CASE WHEN p.proleakproof THEN ' LEAKPROOF' ELSE '' END,
                  p.procost, p.prorows, coalesce(array_to_string(p.proconfig, ','), '-'),
                  p.proowner::regrole, coalesce(p.probin, '-'), md5(p.prosrc))
      FROM pg_proc p JOIN members m ON m.classid = 'pg_proc'::regclass AND m.objid = p.oid
      JOIN pg_language l ON l.oid = p.prolang
    UNION ALL
    SELECT 'type', t.oid::regtype::text,
           format('type %s, owner %s%s%s', t.typtype, t.typowner::regrole,
                  CASE WHEN t.typtype = 'e' THEN ', labels ' || (SELECT string_agg(enumlabel, ',' ORDER BY enumsortorder)
                                                                  FROM pg_enum WHERE enumtypid = t.oid) ELSE '' END,
                  CASE WHEN t.typtype = 'd' THEN ', base ' || format_type(t.typbasetype, t.typtypmod)
                                                 || CASE WHEN t.typnotnull THEN ' NOT NULL' ELSE '' END
                                                 || coalesce(' DEFAULT ' || t.typdefault, '') ELSE '' END)
      FROM pg_type t JOIN members m ON m.classid = 'pg_type'::regclass AND m.objid = t.oid
    UNION ALL                     -- privileges: relations, columns, functions, types
    SELECT 'acl', n.name, coalesce((
             SELECT string_agg(CASE WHEN x.grantee = 0 THEN 'PUBLIC' ELSE x.grantee::regrole::text END
                               || '=' || x.privilege_type || CASE WHEN x.is_grantable THEN '*' ELSE '' END
                               || ' by ' || x.grantor::regrole, ', ' ORDER BY 1)
               FROM aclexplode(acl.a) x), '(default)')
      FROM named n, LATERAL (
             SELECT CASE
                      WHEN n.classid = 'pg_class'::regclass AND n.objsubid = 0
                           THEN (SELECT relacl FROM pg_class WHERE oid = n.objid)
                      WHEN n.classid = 'pg_class'::regclass
                           THEN (SELECT attacl FROM pg_attribute WHERE attrelid = n.objid AND attnum = n.objsubid)
                      WHEN n.classid = 'pg_proc'::regclass THEN (SELECT proacl FROM pg_proc WHERE oid = n.objid)
                      WHEN n.classid = 'pg_type'::regclass THEN (SELECT typacl FROM pg_type WHERE oid = n.objid)
                    END AS a) acl
     WHERE n.classid IN ('pg_class'::regclass, 'pg_proc'::regclass, 'pg_type'::regclass)
    UNION ALL                     -- initial privileges recorded by CREATE/ALTER EXTENSION
    SELECT 'init_privs', n.name, ip.privtype::text || ' ' || coalesce((
             SELECT string_agg(CASE WHEN x.grantee = 0 THEN 'PUBLIC' ELSE x.grantee::regrole::text END
                               || '=' || x.privilege_type || CASE WHEN x.is_grantable THEN '*' ELSE '' END,
                               ', ' ORDER BY 1)
               FROM aclexplode(ip.initprivs) x), '(none)')
      FROM named n JOIN pg_init_privs ip
        ON ip.classoid = n.classid AND ip.objoid = n.objid AND ip.objsubid = n.objsubid
    UNION ALL
    SELECT 'config_dump', c.relname, 'condition ' || quote_literal(coalesce(x.extcondition[i], ''))
      FROM ext x, generate_subscripts(x.extconfig, 1) i JOIN pg_class c ON true
     WHERE c.oid = x.extconfig[i]
)
SELECT category, object, replace(replace(detail, E'\n', ' '), E'\t', ' ')
  FROM facts ORDER BY 1, 2, 3;
