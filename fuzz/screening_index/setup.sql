SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS workflow_ext;
DROP TABLE IF EXISTS fz_docs, fz_conds, fz_path, fz_ops, fz_result CASCADE;
CREATE TABLE fz_docs (id int PRIMARY KEY, doc jsonb);
CREATE TABLE fz_conds (n int PRIMARY KEY, condition jsonb);
CREATE TABLE fz_result (n int, mode text, ids text);
