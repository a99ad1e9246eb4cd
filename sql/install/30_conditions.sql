-- The condition language (README: Conditions), evaluated by the C++ core.

CREATE FUNCTION validate_condition(condition jsonb) RETURNS void
    LANGUAGE C IMMUTABLE PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'wf_validate_condition';
COMMENT ON FUNCTION validate_condition(jsonb) IS
    'Checks a condition; raises 22023 with the JSON path of the first offending node. NULL is rejected too.';

CREATE FUNCTION condition_matches_support(internal) RETURNS internal
    LANGUAGE C STRICT
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'wf_condition_matches_support';
COMMENT ON FUNCTION condition_matches_support(internal) IS
    'Planner support function of condition_matches: for facts indexed by a GIN jsonb index (jsonb_ops or jsonb_path_ops), the lossy index condition facts @? condition_index_prefilter(condition), the condition rechecked on each row.';

CREATE FUNCTION condition_index_prefilter(condition jsonb, key_entries boolean DEFAULT false) RETURNS jsonpath
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'wf_condition_index_prefilter_sql';
COMMENT ON FUNCTION condition_index_prefilter(jsonb, boolean) IS
    'The jsonpath a GIN jsonb index is searched with for condition_matches(condition, facts): every document the condition accepts satisfies it; NULL when no leaf can be looked up. key_entries: the index is jsonb_ops (field existence and numeric ranges too), not jsonb_path_ops.';

CREATE FUNCTION condition_matches(condition jsonb, facts jsonb) RETURNS boolean
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE
    SUPPORT condition_matches_support
    AS 'MODULE_PATHNAME', 'wf_condition_matches';
COMMENT ON FUNCTION condition_matches(jsonb, jsonb) IS
    'True when the facts satisfy the condition. Compiles the condition once per query (cached across rows); for bulk screening, through a GIN jsonb index on the facts when there is one (condition_index_prefilter).';

CREATE FUNCTION condition_matches(condition jsonb, facts jsonb, at timestamptz) RETURNS boolean
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE
    SUPPORT condition_matches_support
    AS 'MODULE_PATHNAME', 'wf_condition_matches';
COMMENT ON FUNCTION condition_matches(jsonb, jsonb, timestamptz) IS
    'True when the facts satisfy the condition, relative time (within_last, within_next, older_than) measured from at. Immutable: the same arguments give the same answer.';

-- LEAKPROOF (so that the planner may run it, and search an index with its
-- prefilter, before a table's row-level security policies): it raises nothing
-- that depends on its arguments when it runs (src/pg/condition_functions.c).
CREATE FUNCTION condition_matches_leakproof(condition jsonb, facts jsonb) RETURNS boolean
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF
    SUPPORT condition_matches_support
    AS 'MODULE_PATHNAME', 'wf_condition_matches_leakproof';
COMMENT ON FUNCTION condition_matches_leakproof(jsonb, jsonb) IS
    'condition_matches declared LEAKPROOF, for screening under row-level security through an index: NULL where condition_matches raises at run time (a condition that does not compile, relative time without a reference instant); a constant condition is checked when the query is planned.';

CREATE FUNCTION condition_matches_leakproof(condition jsonb, facts jsonb, at timestamptz) RETURNS boolean
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF
    SUPPORT condition_matches_support
    AS 'MODULE_PATHNAME', 'wf_condition_matches_leakproof';
COMMENT ON FUNCTION condition_matches_leakproof(jsonb, jsonb, timestamptz) IS
    'condition_matches(condition, facts, at) declared LEAKPROOF: NULL where condition_matches raises at run time (also for an infinite instant); constant arguments are checked when the query is planned.';

CREATE FUNCTION evaluate_condition(condition jsonb, facts jsonb) RETURNS jsonb
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'wf_evaluate_condition';
COMMENT ON FUNCTION evaluate_condition(jsonb, jsonb) IS
    'Explains a condition against facts: {"result", "leaves": [{path, field, op, expected, actual, result, negated, passed, reason}]}.';

CREATE FUNCTION evaluate_condition(condition jsonb, facts jsonb, at timestamptz) RETURNS jsonb
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'wf_evaluate_condition';
COMMENT ON FUNCTION evaluate_condition(jsonb, jsonb, timestamptz) IS
    'Explains a condition against facts, relative time measured from at.';

CREATE FUNCTION condition_leaves(condition jsonb) RETURNS jsonb
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'wf_condition_leaves_sql';
COMMENT ON FUNCTION condition_leaves(jsonb) IS
    'The leaves of a valid condition as a JSON array of {path, field, op, value, ignore_case, negated}, operators in canonical form; used to generate a rule''s alerts.';
