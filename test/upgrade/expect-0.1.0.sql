-- What the update from 0.1.0 (through 0.2.0) does to the rows 0.1.0 wrote:
-- 0.1.0 has the columns that the update to 0.3.0 rewrites as 0.2.0 has them,
-- and the update to 0.2.0 changed none of them.
\ir expect-0.2.0.sql
