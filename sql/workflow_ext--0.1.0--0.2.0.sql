-- workflow_ext 0.1.0 -> 0.2.0, run by ALTER EXTENSION workflow_ext UPDATE.
--
-- Brings a 0.1.0 database to exactly what a fresh 0.2.0 install creates
-- (sql/install/*.sql), keeping every row.  make updatecheck proves it: it fills
-- a 0.1.0 database, updates it, and lists every object that differs from a
-- fresh install (columns, constraints, indexes, policies, triggers, functions,
-- comments, grants, pg_extension_config_dump entries) and every table whose
-- rows changed.  Each schema change made in sql/install/ needs its statement
-- here, in the same order.
\echo Use "ALTER EXTENSION workflow_ext UPDATE TO '0.2.0'" to load this file. \quit

-- As of the layout change that introduced 0.2.0, the install script of 0.2.0
-- creates the same objects as 0.1.0's; the changes of this round follow.
